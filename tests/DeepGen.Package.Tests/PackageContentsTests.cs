using System.IO.Compression;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace DeepGen.Package.Tests;

/// <summary>
/// What <c>dotnet pack DeepGen.sln</c> puts in the feed: exactly the five packages, one version, real metadata, each
/// its own readme with absolute links, the expected files, and assemblies whose embedded PDBs hold their sources.
/// </summary>
[Collection(PackedFeedCollection.Name)]
public sealed partial class PackageContentsTests(PackedFeed feed)
{
    /// <summary>Per package: the files it must hold and the package dependencies it must declare, exactly.</summary>
    public static TheoryData<string, string[], string[]> Expected => new()
    {
        { "DeepGen", ["lib/net10.0/DeepGen.Runtime.dll", "lib/net10.0/DeepGen.Runtime.xml", "analyzers/dotnet/cs/DeepGen.Generator.dll"], ["Sep", "System.Numerics.Tensors"] },
        { "DeepGen.Gpu", ["lib/net10.0/DeepGen.Gpu.dll", "lib/net10.0/DeepGen.Gpu.xml"], ["DeepGen", "ILGPU", "ILGPU.Algorithms"] },
        { "DeepGen.Onnx", ["lib/net10.0/DeepGen.Onnx.dll", "lib/net10.0/DeepGen.Onnx.xml"], ["DeepGen", "Google.Protobuf"] },
        { "DeepGen.Plots", ["lib/net10.0/DeepGen.Plots.dll", "lib/net10.0/DeepGen.Plots.xml", "LICENSE-DejaVu.txt"], ["DeepGen", "HarfBuzzSharp.NativeAssets.Linux", "ScottPlot", "SkiaSharp", "SkiaSharp.HarfBuzz", "SkiaSharp.NativeAssets.Linux.NoDependencies"] },
        { "DeepGen.Text", ["lib/net10.0/DeepGen.Text.dll", "lib/net10.0/DeepGen.Text.xml"], ["DeepGen", "Microsoft.ML.Tokenizers"] },
    };

    [Fact]
    public void Packing_the_solution_gives_exactly_the_five_packages_at_one_version()
    {
        Assert.Equal(PackedFeed.PackageIds.Select(id => $"{id}.{feed.Version}.nupkg").Order(StringComparer.Ordinal), feed.Packages);
    }

    [Theory]
    [MemberData(nameof(Expected))]
    public void Each_package_has_the_shared_metadata_its_files_and_its_dependencies(string id, string[] files, string[] dependencies)
    {
        using var archive = ZipFile.OpenRead(feed.PathOf(id));
        var entries = archive.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
        Assert.All(files.Append("README.md"), file => Assert.Contains(file, entries));
        // Symbols are embedded in the dlls: no loose PDB, no symbol package needed.
        Assert.DoesNotContain(entries, e => e.EndsWith(".pdb", StringComparison.OrdinalIgnoreCase));

        var metadata = Nuspec(archive, id);
        var ns = metadata.Name.Namespace;
        string Value(string name) => metadata.Element(ns + name)?.Value ?? throw new Xunit.Sdk.XunitException($"{id}: the nuspec has no <{name}>.");
        Assert.Equal(id, Value("id"));
        Assert.Equal(feed.Version, Value("version"));
        Assert.Equal("DeepGen contributors", Value("authors"));
        var description = Value("description");
        Assert.NotEqual("Package Description", description);
        Assert.True(description.Length >= 80, $"{id}: the description is too short to say what the package is: '{description}'.");
        Assert.False(string.IsNullOrWhiteSpace(Value("tags")), $"{id}: no tags.");
        Assert.Equal("MIT", Value("license"));
        Assert.Equal("expression", metadata.Element(ns + "license")!.Attribute("type")!.Value);
        Assert.Equal("README.md", Value("readme"));
        var repository = metadata.Element(ns + "repository")!;
        Assert.Equal("git", repository.Attribute("type")!.Value);
        Assert.Equal(RepositoryUrl, repository.Attribute("url")!.Value);
        Assert.Equal(RepositoryUrl, Value("projectUrl"));

        // Dependencies by id, exactly; another DeepGen package is required at this very version.
        var declared = metadata.Descendants(ns + "dependency").ToDictionary(d => d.Attribute("id")!.Value, d => d.Attribute("version")!.Value);
        Assert.Equal(dependencies.Order(StringComparer.Ordinal), declared.Keys.Order(StringComparer.Ordinal));
        if (declared.TryGetValue("DeepGen", out var deepGenVersion)) Assert.Equal(feed.Version, deepGenVersion);
    }

    [Theory]
    [MemberData(nameof(Expected))]
    public void Each_readme_is_the_packages_own_with_an_install_line_and_only_absolute_links(string id, string[] files, string[] dependencies)
    {
        _ = (files, dependencies);
        using var archive = ZipFile.OpenRead(feed.PathOf(id));
        var readme = ReadText(archive, "README.md");
        Assert.StartsWith($"# {id}\n", readme, StringComparison.Ordinal);
        Assert.Contains($"dotnet add package {id}\n", readme, StringComparison.Ordinal);
        Assert.Contains("```csharp", readme, StringComparison.Ordinal);
        // A relative link (docs/…, ../…) works in the repository but is dead on a package page.
        var relative = MarkdownLink().Matches(readme).Select(m => m.Groups["target"].Value)
            .Where(target => !target.StartsWith("https://", StringComparison.Ordinal)).ToList();
        Assert.True(relative.Count == 0, $"{id}'s readme has links that break on a package page: {string.Join(", ", relative)}");
        Assert.All(MarkdownLink().Matches(readme).Select(m => m.Groups["target"].Value).Where(t => t.StartsWith(RepositoryUrl, StringComparison.Ordinal)),
            target => Assert.StartsWith(RepositoryUrl + "/blob/main/", target, StringComparison.Ordinal));
        // Nothing of the repository's own README: its first command runs a sample from a clone.
        Assert.DoesNotContain("dotnet run --project samples/", readme, StringComparison.Ordinal);
    }

    [Fact]
    public void The_DeepGen_readme_says_where_SavePlot_lives_and_what_CS1061_means()
    {
        using var archive = ZipFile.OpenRead(feed.PackagePath);
        var readme = ReadText(archive, "README.md");
        Assert.Contains("dotnet add package DeepGen.Plots", readme, StringComparison.Ordinal);
        Assert.Contains("using DeepGen.Plots;", readme, StringComparison.Ordinal);
        Assert.Contains("CS1061", readme, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("DeepGen", "lib/net10.0/DeepGen.Runtime.dll", "SequentialModel.Fit.cs", "public History Fit(")]
    [InlineData("DeepGen.Plots", "lib/net10.0/DeepGen.Plots.dll", "HistoryPlot.cs", "public static void SavePlot(")]
    [InlineData("DeepGen.Gpu", "lib/net10.0/DeepGen.Gpu.dll", "ComputeDevice.cs", "class ComputeDevice")]
    [InlineData("DeepGen.Onnx", "lib/net10.0/DeepGen.Onnx.dll", "OnnxExporter.cs", "class OnnxExporter")]
    [InlineData("DeepGen.Text", "lib/net10.0/DeepGen.Text.dll", "SentenceEncoder.cs", "class SentenceEncoder")]
    public void Packed_dlls_are_deterministic_and_embed_a_pdb_holding_their_sources(string id, string dll, string sourceFile, string sourceText)
    {
        using var archive = ZipFile.OpenRead(feed.PathOf(id));
        using var image = new MemoryStream();
        using (var entry = archive.GetEntry(dll)!.Open()) entry.CopyTo(image);
        image.Position = 0;
        using var pe = new PEReader(image);
        var debug = pe.ReadDebugDirectory();
        Assert.Contains(debug, d => d.Type == DebugDirectoryEntryType.Reproducible); // written by a deterministic compile
        var embedded = debug.Where(d => d.Type == DebugDirectoryEntryType.EmbeddedPortablePdb).ToList();
        Assert.True(embedded.Count == 1, $"{dll} in {id} has no embedded portable PDB.");
        using var provider = pe.ReadEmbeddedPortablePdbDebugDirectoryData(embedded[0]);
        var pdb = provider.GetMetadataReader();

        var documents = pdb.Documents.Where(h => pdb.GetString(pdb.GetDocument(h).Name).Replace('\\', '/').EndsWith("/" + sourceFile, StringComparison.Ordinal)).ToList();
        Assert.True(documents.Count == 1, $"The PDB of {dll} should name one document {sourceFile}; it names {documents.Count}.");
        var source = EmbeddedSource(pdb, documents[0]);
        Assert.True(source is not null, $"The PDB of {dll} lists {sourceFile} but does not embed its text.");
        Assert.Contains(sourceText, source, StringComparison.Ordinal);
    }

    [Fact]
    public void The_version_is_set_in_one_place()
    {
        // src/Directory.Build.props holds it; no package project may set its own, or the packages drift apart.
        var props = XDocument.Load(Path.Combine(DotNetCli.RepositoryRoot, "src", "Directory.Build.props"));
        var versions = props.Descendants("Version").Select(v => v.Value).ToList();
        Assert.Single(versions);
        Assert.Matches(@"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$", versions[0]);
        foreach (var project in Directory.GetFiles(Path.Combine(DotNetCli.RepositoryRoot, "src"), "*.csproj", SearchOption.AllDirectories))
        {
            var names = XDocument.Load(project).Descendants().Select(e => e.Name.LocalName).ToHashSet(StringComparer.Ordinal);
            Assert.False(names.Overlaps(["Version", "VersionPrefix", "VersionSuffix", "PackageVersion"]),
                $"{Path.GetFileName(project)} sets its own version; the one version of all packages is in src/Directory.Build.props.");
        }
    }

    private const string RepositoryUrl = "https://github.com/deepgen/DeepGen";

    /// <summary>The embedded source of a PDB document: Roslyn's EmbeddedSource record, raw or deflated.</summary>
    private static string? EmbeddedSource(MetadataReader pdb, DocumentHandle document)
    {
        var embeddedSourceKind = new Guid("0E8A571B-6926-466E-B4AD-8AB04611F5FE");
        foreach (var handle in pdb.GetCustomDebugInformation(document))
        {
            var information = pdb.GetCustomDebugInformation(handle);
            if (pdb.GetGuid(information.Kind) != embeddedSourceKind) continue;
            var blob = pdb.GetBlobBytes(information.Value);
            var uncompressedSize = BitConverter.ToInt32(blob, 0); // 0: stored as is
            if (uncompressedSize == 0) return Encoding.UTF8.GetString(blob, 4, blob.Length - 4);
            using var inflated = new DeflateStream(new MemoryStream(blob, 4, blob.Length - 4), CompressionMode.Decompress);
            using var text = new MemoryStream();
            inflated.CopyTo(text);
            Assert.Equal(uncompressedSize, text.Length);
            return Encoding.UTF8.GetString(text.ToArray());
        }

        return null;
    }

    private static XElement Nuspec(ZipArchive archive, string id)
    {
        using var stream = archive.GetEntry(id + ".nuspec")!.Open();
        var nuspec = XDocument.Load(stream);
        return nuspec.Root!.Element(nuspec.Root.Name.Namespace + "metadata")!;
    }

    private static string ReadText(ZipArchive archive, string entry)
    {
        using var reader = new StreamReader(archive.GetEntry(entry)!.Open());
        return reader.ReadToEnd().ReplaceLineEndings("\n");
    }

    /// <summary>A markdown link or image: <c>[text](target)</c>.</summary>
    [GeneratedRegex(@"\]\((?<target>[^)\s]+)\)")]
    private static partial Regex MarkdownLink();
}
