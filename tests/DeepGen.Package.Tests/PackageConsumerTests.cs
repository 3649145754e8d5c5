using System.Globalization;
using System.IO.Compression;
using System.Xml.Linq;

namespace DeepGen.Package.Tests;

/// <summary>Packs the DeepGen package once into a temporary folder feed, for the tests of one class.</summary>
public sealed class PackedFeed : IDisposable
{
    private readonly TempFolder _folder = new("deepgen-feed");

    public PackedFeed()
    {
        // A version no earlier run used, so no package cache anywhere can hand back a stale build of it.
        Version = "0.1.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + "." + Guid.NewGuid().ToString("N")[..8];
        FeedPath = _folder.Combine("feed");
        var project = Path.Combine(DotNetCli.RepositoryRoot, "src", "DeepGen.Runtime", "DeepGen.Runtime.csproj");
        // --no-build packs the assemblies this test project's build already produced, so packing never rewrites
        // DeepGen.Runtime.dll under a test run that other test projects may be using.
        var pack = DotNetCli.Dotnet(DotNetCli.RepositoryRoot, null, TimeSpan.FromMinutes(3),
            "pack", project, "-c", DotNetCli.Configuration, "--no-build", "-o", FeedPath, $"-p:PackageVersion={Version}");
        if (pack.ExitCode != 0) throw new InvalidOperationException(pack.Describe("dotnet pack"));
        PackagePath = Path.Combine(FeedPath, $"DeepGen.{Version}.nupkg");
        if (!File.Exists(PackagePath)) throw new InvalidOperationException($"dotnet pack did not write {PackagePath}.\n{pack.StandardOutput}");
    }

    public string Version { get; }

    public string FeedPath { get; }

    public string PackagePath { get; }

    public void Dispose() => _folder.Dispose();
}

/// <summary>
/// The path a new user takes: a fresh console project in an empty folder, `DeepGen` from a folder feed, an annotated
/// class, a build that runs the packaged generator, one epoch of training on synthetic data and a prediction.
/// </summary>
[Collection(SlowProcessCollection.Name)]
public sealed class PackageConsumerTests(PackedFeed feed) : IClassFixture<PackedFeed>
{
    [Fact]
    public void Package_holds_the_runtime_as_a_library_and_the_generator_as_an_analyzer()
    {
        using var archive = ZipFile.OpenRead(feed.PackagePath);
        var entries = archive.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("lib/net10.0/DeepGen.Runtime.dll", entries);
        Assert.Contains("analyzers/dotnet/cs/DeepGen.Generator.dll", entries);
        Assert.Contains("README.md", entries);
        Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal) && e.EndsWith("DeepGen.Generator.dll", StringComparison.Ordinal));
        Assert.DoesNotContain(entries, e => e.Contains("ILGPU", StringComparison.OrdinalIgnoreCase) || e.Contains("DeepGen.Gpu", StringComparison.Ordinal));

        var nuspecEntry = archive.Entries.Single(e => e.FullName == "DeepGen.nuspec");
        using var stream = nuspecEntry.Open();
        var nuspec = XDocument.Load(stream);
        var ns = nuspec.Root!.Name.Namespace;
        var metadata = nuspec.Root.Element(ns + "metadata")!;
        Assert.Equal("DeepGen", metadata.Element(ns + "id")!.Value);
        Assert.Equal(feed.Version, metadata.Element(ns + "version")!.Value);
        Assert.False(string.IsNullOrWhiteSpace(metadata.Element(ns + "description")!.Value));
        Assert.Equal("expression", metadata.Element(ns + "license")!.Attribute("type")!.Value);
        Assert.Equal("README.md", metadata.Element(ns + "readme")!.Value);
        Assert.NotNull(metadata.Element(ns + "repository")!.Attribute("url"));
        var dependencies = metadata.Descendants(ns + "dependency").Select(d => d.Attribute("id")!.Value).ToList();
        Assert.Equal(["Sep", "System.Numerics.Tensors"], dependencies.Order(StringComparer.Ordinal)); // Sep: the CSV parser of DeepGen.Data.CsvDataset
    }

    [Fact]
    public void A_fresh_project_referencing_the_package_builds_trains_and_predicts()
    {
        using var work = new TempFolder("deepgen-consumer");
        var app = work.Combine("app");
        Directory.CreateDirectory(app);
        File.WriteAllText(Path.Combine(app, "Consumer.csproj"), ConsumerProject.Replace("{VERSION}", feed.Version, StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(app, "Program.cs"), ConsumerProgram);
        File.WriteAllText(Path.Combine(app, "nuget.config"), NuGetConfig(feed.FeedPath));

        // An empty package folder of its own: DeepGen can only come from the feed just packed. Everything else is
        // found in the machine's package folder, named as a read-only fallback in nuget.config.
        var environment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = work.Combine("packages") };
        var build = DotNetCli.Dotnet(app, environment, TimeSpan.FromMinutes(3), "build", "-c", "Release");
        Assert.True(build.ExitCode == 0, build.Describe("dotnet build"));
        Assert.True(File.Exists(work.Combine("packages", "deepgen", feed.Version.ToLowerInvariant(), "analyzers", "dotnet", "cs", "DeepGen.Generator.dll")),
            "The build did not restore DeepGen from the test's feed into its own package folder.");

        var run = DotNetCli.Dotnet(app, environment, TimeSpan.FromMinutes(1), Path.Combine(app, "bin", "Release", "net10.0", "Consumer.dll"));
        Assert.True(run.ExitCode == 0, run.Describe("the consumer program"));

        var values = run.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split('=', 2)).Where(pair => pair.Length == 2)
            .ToDictionary(pair => pair[0], pair => pair[1]);
        // The generator ran: the constant it writes for 4 → 16 → 3 is 4·16 + 16 + 16·3 + 3.
        Assert.Equal("131", values["parameters"]);
        var lossBefore = float.Parse(values["loss_before"], CultureInfo.InvariantCulture);
        var lossAfter = float.Parse(values["loss_after"], CultureInfo.InvariantCulture);
        Assert.True(float.IsFinite(lossAfter) && lossAfter < lossBefore, $"One epoch should lower the loss: {lossBefore} → {lossAfter}.");
        var probabilities = values["prediction"].Split(' ').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(3, probabilities.Length);
        Assert.All(probabilities, p => Assert.InRange(p, 0f, 1f));
        Assert.Equal(1f, probabilities.Sum(), 4);
    }

    private const string ConsumerProject = """
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net10.0</TargetFramework>
            <ImplicitUsings>enable</ImplicitUsings>
            <Nullable>enable</Nullable>
            <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
            <InvariantGlobalization>true</InvariantGlobalization>
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="DeepGen" Version="{VERSION}" />
          </ItemGroup>
        </Project>
        """;

    private const string ConsumerProgram = """
        using System.Globalization;
        using DeepGen;
        using static DeepGen.Activation;

        // Three classes: the largest of the first three features wins; the fourth feature is noise.
        const int samples = 600;
        var random = new Random(7);
        var x = new float[samples * 4];
        var y = new float[samples * 3];
        for (var i = 0; i < samples; i++)
        {
            for (var j = 0; j < 4; j++) x[i * 4 + j] = (float)(random.NextDouble() * 2 - 1);
            var label = x[i * 4] > x[i * 4 + 1] ? (x[i * 4] > x[i * 4 + 2] ? 0 : 2) : (x[i * 4 + 1] > x[i * 4 + 2] ? 1 : 2);
            y[i * 3 + label] = 1f;
        }

        var model = new TinyClassifier(seed: 1);
        var before = model.Evaluate(x, y, loss: Loss.CategoricalCrossEntropy);
        model.Fit(x, y, epochs: 1, batchSize: 16, Loss.CategoricalCrossEntropy, new Sgd(learningRate: 0.2f), seed: 3, verbosity: Verbosity.Silent);
        var after = model.Evaluate(x, y, loss: Loss.CategoricalCrossEntropy);
        var prediction = model.Predict(x.AsSpan(0, 4));

        Console.WriteLine($"parameters={TinyClassifier.ParameterCount}");
        Console.WriteLine($"loss_before={before.Loss.ToString("R", CultureInfo.InvariantCulture)}");
        Console.WriteLine($"loss_after={after.Loss.ToString("R", CultureInfo.InvariantCulture)}");
        Console.WriteLine($"prediction={string.Join(' ', prediction.Select(p => p.ToString("R", CultureInfo.InvariantCulture)))}");

        [Model(Input = 4)]
        [Dense(16, Relu, Name = "Hidden")]
        [Dense(3, Softmax)]
        public partial class TinyClassifier;
        """;

    private static string NuGetConfig(string feed)
    {
        var machineFolder = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var fallbacks = new[] { machineFolder, "/opt/nuget/packages" }.Where(Directory.Exists)
            .Select((folder, i) => new XElement("add", new XAttribute("key", "machine" + i), new XAttribute("value", folder)));
        return new XDocument(
            new XElement("configuration",
                new XElement("packageSources",
                    new XElement("clear"),
                    new XElement("add", new XAttribute("key", "deepgen-test-feed"), new XAttribute("value", feed)),
                    new XElement("add", new XAttribute("key", "nuget.org"), new XAttribute("value", "https://api.nuget.org/v3/index.json"))),
                new XElement("packageSourceMapping",
                    new XElement("packageSource", new XAttribute("key", "deepgen-test-feed"),
                        new XElement("package", new XAttribute("pattern", "DeepGen"))),
                    new XElement("packageSource", new XAttribute("key", "nuget.org"),
                        new XElement("package", new XAttribute("pattern", "*")))),
                new XElement("fallbackPackageFolders", fallbacks))).ToString();
    }
}

/// <summary>Tests that run builds and publishes as processes: one at a time, so they do not fight over two cores.</summary>
[CollectionDefinition(Name)]
public sealed class SlowProcessCollection
{
    public const string Name = "Processes that build";
}
