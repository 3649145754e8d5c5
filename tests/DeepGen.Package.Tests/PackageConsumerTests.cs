using System.Globalization;
using System.IO.Compression;
using System.Xml.Linq;

namespace DeepGen.Package.Tests;

/// <summary>
/// Packs every DeepGen package once into a temporary folder feed, for the tests of one class, with the command
/// docs/PACKAGING.md gives: <c>dotnet pack DeepGen.sln</c>.
/// </summary>
public sealed class PackedFeed : IDisposable
{
    /// <summary>The package ids <c>dotnet pack DeepGen.sln</c> must produce, and nothing else.</summary>
    public static readonly string[] PackageIds = ["DeepGen", "DeepGen.Gpu", "DeepGen.Onnx", "DeepGen.Plots", "DeepGen.Text"];

    private readonly TempFolder _folder = new("deepgen-feed");

    public PackedFeed()
    {
        // A version no earlier run used, so no package cache anywhere can hand back a stale build of it.
        Version = "0.1.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + "." + Guid.NewGuid().ToString("N")[..8];
        FeedPath = _folder.Combine("feed");
        // --no-build packs the assemblies this test project's build already produced (it references every packed
        // project), so packing never rewrites a dll under a test run that other test projects may be using.
        var pack = DotNetCli.Dotnet(DotNetCli.RepositoryRoot, null, TimeSpan.FromMinutes(5),
            "pack", Path.Combine(DotNetCli.RepositoryRoot, "DeepGen.sln"), "-c", DotNetCli.Configuration, "--no-build", "-o", FeedPath, $"-p:PackageVersion={Version}");
        if (pack.ExitCode != 0) throw new InvalidOperationException(pack.Describe("dotnet pack DeepGen.sln"));
        Packages = Directory.GetFiles(FeedPath).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList()!;
        PackagePath = PathOf("DeepGen");
        if (!File.Exists(PackagePath)) throw new InvalidOperationException($"dotnet pack did not write {PackagePath}.\n{pack.StandardOutput}");
    }

    public string Version { get; }

    public string FeedPath { get; }

    /// <summary>The DeepGen package.</summary>
    public string PackagePath { get; }

    /// <summary>The file names in the feed.</summary>
    public IReadOnlyList<string> Packages { get; }

    public string PathOf(string id) => Path.Combine(FeedPath, $"{id}.{Version}.nupkg");

    /// <summary>
    /// A project as a user sets one up against the feed: the folder <paramref name="folder"/> in <paramref name="work"/>,
    /// holding <paramref name="files"/> (name, text) and a nuget.config that takes the DeepGen packages from this feed.
    /// Returns the folder; build and run it with <see cref="ConsumerEnvironment"/>.
    /// </summary>
    internal string CreateConsumer(TempFolder work, string folder, params (string Name, string Text)[] files)
    {
        var app = work.Combine(folder);
        Directory.CreateDirectory(app);
        foreach (var (name, text) in files) File.WriteAllText(Path.Combine(app, name), text);
        File.WriteAllText(Path.Combine(app, "nuget.config"), NuGetConfig(FeedPath));
        return app;
    }

    /// <summary>
    /// An empty package folder of its own, <c>packages</c> in <paramref name="work"/>: DeepGen can only come from the
    /// feed. Everything else is found in the machine's package folder, named as a read-only fallback in nuget.config.
    /// </summary>
    internal static Dictionary<string, string> ConsumerEnvironment(TempFolder work) => new() { ["NUGET_PACKAGES"] = work.Combine("packages") };

    public void Dispose() => _folder.Dispose();

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
                        new XElement("package", new XAttribute("pattern", "DeepGen")),
                        new XElement("package", new XAttribute("pattern", "DeepGen.*"))),
                    new XElement("packageSource", new XAttribute("key", "nuget.org"),
                        new XElement("package", new XAttribute("pattern", "*")))),
                new XElement("fallbackPackageFolders", fallbacks))).ToString();
    }
}

/// <summary>
/// The path a new user takes: a fresh console project in an empty folder, `DeepGen` from a folder feed, an annotated
/// class, a build that runs the packaged generator, one epoch of training on synthetic data and a prediction.
/// </summary>
[Collection(PackedFeedCollection.Name)]
public sealed class PackageConsumerTests(PackedFeed feed)
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
        var app = feed.CreateConsumer(work, "app", ("Consumer.csproj", ConsumerProjectOf("DeepGen")), ("Program.cs", ConsumerProgram));
        var environment = PackedFeed.ConsumerEnvironment(work);
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

    [Fact]
    public void A_fresh_project_referencing_only_DeepGen_Plots_gets_DeepGen_too_and_saves_a_plot()
    {
        using var work = new TempFolder("deepgen-plots-consumer");
        var app = feed.CreateConsumer(work, "app", ("Consumer.csproj", ConsumerProjectOf("DeepGen.Plots")), ("Program.cs", PlotsProgram));
        var environment = PackedFeed.ConsumerEnvironment(work);
        var build = DotNetCli.Dotnet(app, environment, TimeSpan.FromMinutes(4), "build", "-c", "Release");
        Assert.True(build.ExitCode == 0, build.Describe("dotnet build"));
        // DeepGen came in as DeepGen.Plots' dependency, at the same version, from the test's feed.
        Assert.True(Directory.Exists(work.Combine("packages", "deepgen", feed.Version.ToLowerInvariant())),
            "DeepGen.Plots did not bring DeepGen of its own version from the test's feed.");

        var image = work.Combine("history.png");
        var run = DotNetCli.Dotnet(app, environment, TimeSpan.FromMinutes(1), Path.Combine(app, "bin", "Release", "net10.0", "Consumer.dll"), image);
        Assert.True(run.ExitCode == 0, run.Describe("the consumer program"));
        var bytes = File.ReadAllBytes(image);
        Assert.True(bytes.Length > 1000 && bytes.AsSpan(1, 3).SequenceEqual("PNG"u8), "The consumer did not write a PNG.");
    }

    private const string PlotsProgram = """
        using DeepGen;
        using DeepGen.Plots;
        using static DeepGen.Activation;

        var random = new Random(7);
        var x = new float[200 * 2];
        var y = new float[200];
        for (var i = 0; i < 200; i++)
        {
            x[2 * i] = (float)random.NextDouble();
            x[2 * i + 1] = (float)random.NextDouble();
            y[i] = x[2 * i] > x[2 * i + 1] ? 1f : 0f;
        }

        var model = new Tiny(seed: 1);
        var history = model.Fit(x, y, epochs: 3, batchSize: 20, Loss.BinaryCrossEntropy, new Sgd(learningRate: 0.5f),
                                validationSplit: 0.25f, verbosity: Verbosity.Silent);
        history.SavePlot(args[0], logScaleLoss: true);

        [Model(Input = 2)]
        [Dense(8, Tanh)]
        [Dense(1, Sigmoid)]
        public partial class Tiny;
        """;

    internal const string ConsumerProject = """
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
            <PackageReference Include="{PACKAGE}" Version="{VERSION}" />
          </ItemGroup>
        </Project>
        """;

    /// <summary>The consumer's project file, referencing <paramref name="package"/> at the feed's version.</summary>
    private string ConsumerProjectOf(string package) => ConsumerProjectOf(package, feed.Version);

    /// <summary>A consumer's project file, referencing <paramref name="package"/> at <paramref name="version"/>.</summary>
    internal static string ConsumerProjectOf(string package, string version) =>
        ConsumerProject.Replace("{PACKAGE}", package, StringComparison.Ordinal).Replace("{VERSION}", version, StringComparison.Ordinal);

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
}

/// <summary>
/// The tests of the packed feed: one <see cref="PackedFeed"/> for all their classes. Collections run one at a time
/// (xunit.runner.json), so these builds do not fight the NativeAOT publishes over two cores.
/// </summary>
[CollectionDefinition(Name)]
public sealed class PackedFeedCollection : ICollectionFixture<PackedFeed>
{
    public const string Name = "Packed feed";
}

/// <summary>Tests that run builds and publishes as processes: one at a time, so they do not fight over two cores.</summary>
[CollectionDefinition(Name)]
public sealed class SlowProcessCollection
{
    public const string Name = "Processes that build";
}
