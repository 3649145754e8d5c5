using System.Globalization;
using System.Text.RegularExpressions;

namespace DeepGen.Package.Tests;

/// <summary>
/// The DeepGen package readme's first C# example is a promise to a new user: it is taken out of
/// <c>src/DeepGen.Runtime/PACKAGE.md</c> as written, built against the packed package and run on the breast-cancer CSV
/// that <c>samples/Tabular</c> ships, and what it prints is checked against what the readme says it prints.
/// </summary>
[Collection(PackedFeedCollection.Name)]
public sealed partial class PackageReadmeExampleTests(PackedFeed feed)
{
    [Fact]
    public void The_DeepGen_readme_example_builds_on_the_package_and_prints_what_the_readme_says()
    {
        var readme = File.ReadAllText(Path.Combine(DotNetCli.RepositoryRoot, "src", "DeepGen.Runtime", "PACKAGE.md"));
        var example = CSharpBlock().Match(readme);
        Assert.True(example.Success, "The DeepGen package readme has no ```csharp block.");
        var promised = PromisedLine().Match(readme);
        Assert.True(promised.Success, "The readme no longer says what the example prints.");

        using var work = new TempFolder("deepgen-readme-example");
        var app = feed.CreateConsumer(work, "app", ("Consumer.csproj", PackageConsumerTests.ConsumerProjectOf("DeepGen", feed.Version)),
            ("Program.cs", example.Groups["code"].Value));
        File.Copy(Path.Combine(DotNetCli.RepositoryRoot, "samples", "Tabular", "data", "breast_cancer.csv"), Path.Combine(app, "breast_cancer.csv"));
        var environment = PackedFeed.ConsumerEnvironment(work);
        var build = DotNetCli.Dotnet(app, environment, TimeSpan.FromMinutes(3), "build", "-c", "Release");
        Assert.True(build.ExitCode == 0, build.Describe("dotnet build of the readme's example"));

        var run = DotNetCli.Dotnet(app, environment, TimeSpan.FromMinutes(2), Path.Combine(app, "bin", "Release", "net10.0", "Consumer.dll"));
        Assert.True(run.ExitCode == 0, run.Describe("the readme's example"));
        // The last line is the evaluation; the readme quotes it as measured on x86-64 with AVX-512. Another vector
        // width may round the sums differently, so the figures are compared to two decimals, the names exactly.
        var last = run.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
        var printed = Figures().Matches(last).Select(m => (m.Groups["name"].Value, double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture))).ToArray();
        var expected = Figures().Matches(promised.Groups["line"].Value).Select(m => (m.Groups["name"].Value, double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture))).ToArray();
        Assert.Equal(expected.Select(f => f.Item1), printed.Select(f => f.Item1));
        for (var i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i].Item2 - printed[i].Item2) <= 0.02,
                $"The readme says the example prints '{promised.Groups["line"].Value}'; it printed '{last}'.");
        Assert.True(File.Exists(Path.Combine(app, "cancer.safetensors")), "The example did not save its model.");
    }

    [GeneratedRegex("```csharp\\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

    [GeneratedRegex("`Console.WriteLine\\(test\\)` prints `(?<line>[^`]+)`")]
    private static partial Regex PromisedLine();

    [GeneratedRegex("(?<name>[a-z0-9_]+): (?<value>-?[0-9.]+)")]
    private static partial Regex Figures();
}
