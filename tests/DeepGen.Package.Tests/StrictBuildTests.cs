using System.IO.Compression;
using System.Xml.Linq;

namespace DeepGen.Package.Tests;

/// <summary>
/// A user's library built with the strictest common settings: a documentation file (so a public member without XML
/// docs is CS1591), every warning an error, nullable on, all the SDK's code-analysis rules on (AnalysisLevel
/// latest-all) and code style enforced in the build. It declares a dense model, a convnet and a sequence model and
/// references the packed DeepGen package, whose generator and code fixes sit under analyzers/dotnet/cs, so a loader
/// warning about either assembly, a compiler warning in the generated code (nullable, CS1591 for a missing doc
/// comment, …) or a CA/IDE warning in the user's declarations fails the build. The SDK's CA analyzers skip files marked
/// <c>// &lt;auto-generated/&gt;</c>, as every generated file is, so they do not judge the generated code itself.
/// </summary>
[Collection(PackedFeedCollection.Name)]
public sealed class StrictBuildTests(PackedFeed feed)
{
    [Fact]
    public void The_package_holds_the_code_fixes_beside_the_generator()
    {
        using var archive = ZipFile.OpenRead(feed.PackagePath);
        var entries = archive.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("analyzers/dotnet/cs/DeepGen.Generator.dll", entries);
        Assert.Contains("analyzers/dotnet/cs/DeepGen.CodeFixes.dll", entries);
        Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal) && e.Contains("CodeFixes", StringComparison.Ordinal));
        // The code fixes need Roslyn's Workspaces layer, which the IDE brings; the package must not ship or depend on it.
        Assert.DoesNotContain(entries, e => e.Contains("Microsoft.CodeAnalysis", StringComparison.Ordinal));
    }

    [Fact]
    public void A_library_with_docs_all_analyzers_and_warnings_as_errors_builds_clean()
    {
        using var work = new TempFolder("deepgen-strict");
        var app = feed.CreateConsumer(work, "lib",
            ("Strict.csproj", StrictProject.Replace("{VERSION}", feed.Version, StringComparison.Ordinal)), ("Models.cs", Models));
        var environment = PackedFeed.ConsumerEnvironment(work);
        var build = DotNetCli.Dotnet(app, environment, TimeSpan.FromMinutes(5), "build", "-c", "Release", "-p:EmitCompilerGeneratedFiles=true");
        Assert.True(build.ExitCode == 0, build.Describe("dotnet build"));
        Assert.Contains(" 0 Warning(s)", build.StandardOutput, StringComparison.Ordinal);

        // The generator ran for all three models, and their public constants are in the documentation file.
        var generated = Directory.GetFiles(Path.Combine(app, "obj"), "*.g.cs", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
        foreach (var model in new[] { "Strict.DenseClassifier.g.cs", "Strict.Convnet.g.cs", "Strict.TextClassifier.g.cs" })
            Assert.Contains(model, generated);
        var documentation = XDocument.Load(Path.Combine(app, "bin", "Release", "net10.0", "Strict.xml"));
        var members = documentation.Descendants("member").Select(m => m.Attribute("name")!.Value).ToHashSet(StringComparer.Ordinal);
        foreach (var member in new[] { "F:Strict.DenseClassifier.Dense0WeightsOffset", "F:Strict.Convnet.Conv2D0Filters", "F:Strict.TextClassifier.Embedding0TokensOffset" })
            Assert.Contains(member, members);

        // The control: these settings do fail a build on one undocumented public constant, as they did on the
        // generated constants before they had doc comments.
        File.WriteAllText(Path.Combine(app, "Undocumented.cs"), "namespace Strict;\n\n/// <summary>Documented.</summary>\npublic static class Extra\n{\n    public const int Undocumented = 1;\n}\n");
        var control = DotNetCli.Dotnet(app, environment, TimeSpan.FromMinutes(5), "build", "-c", "Release");
        Assert.True(control.ExitCode != 0, control.Describe("dotnet build with an undocumented constant"));
        Assert.Contains("error CS1591", control.StandardOutput, StringComparison.Ordinal);
    }

    private const string StrictProject = """
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <TargetFramework>net10.0</TargetFramework>
            <OutputType>Library</OutputType>
            <Nullable>enable</Nullable>
            <ImplicitUsings>disable</ImplicitUsings>
            <GenerateDocumentationFile>true</GenerateDocumentationFile>
            <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
            <AnalysisLevel>latest-all</AnalysisLevel>
            <EnforceCodeStyleInBuild>true</EnforceCodeStyleInBuild>
            <WarningLevel>9999</WarningLevel>
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="DeepGen" Version="{VERSION}" />
          </ItemGroup>
        </Project>
        """;

    private const string Models = """
        using DeepGen;

        namespace Strict;

        /// <summary>Four features in, three classes out.</summary>
        [Model(Input = 4)]
        [Dense(16, Activation.Relu)]
        [Dropout(0.25)]
        [Dense(3, Activation.Softmax)]
        public partial class DenseClassifier;

        /// <summary>A small convnet on 8×8 grey images.</summary>
        [Model(InputShape = new[] { 8, 8, 1 })]
        [Conv2D(4, 3, Activation.Relu)]
        [MaxPooling2D(2)]
        [BatchNormalization]
        [Flatten]
        [Dense(2, Activation.Softmax)]
        public partial class Convnet;

        /// <summary>A sequence classifier: token ids in, two classes out.</summary>
        [Model(Vocabulary = 50, MaxSequence = 16)]
        [Embedding(8, Positions = 16)]
        [TransformerEncoder(Heads = 2, FeedForward = 16)]
        [MeanPooling]
        [Dense(2, Activation.Softmax)]
        public partial class TextClassifier;
        """;
}
