using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DeepGen.Generator.Tests;

/// <summary>
/// The generated code builds clean in a project that writes a documentation file (<c>GenerateDocumentationFile</c>,
/// which makes a missing or malformed XML doc comment a warning such as CS1591) with every warning of every wave an
/// error and nullable on: each public or protected member the CPU, sequence and GPU emitters write carries a doc
/// comment, and the comments are well formed. Only diagnostics in generated files count; the test models' own
/// classes are the user's business.
/// </summary>
public class GeneratedDocumentationTests
{
    private static readonly CSharpParseOptions DocumentedParseOptions =
        GeneratorHarness.ParseOptions.WithDocumentationMode(DocumentationMode.Diagnose);

    public static TheoryData<string> Models => new()
    {
        nameof(TestModels.MnistMlp), nameof(TestModels.MnistConvnet), nameof(TestModels.DenseOptions),
        nameof(TestModels.LinearRegression), nameof(TestModels.NamedLayers), nameof(TestModels.Nested),
        nameof(TestModels.SentenceEncoder), nameof(TestModels.SequenceClassifier), nameof(TestModels.Normalized),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void GeneratedCodeHasNoDiagnosticsWithDocumentationOn(string model) => AssertClean(gpu: false, Source(model));

    /// <summary>In a project that references DeepGen.Gpu, the dense models also get their GPU file, which is checked too.</summary>
    [Theory]
    [MemberData(nameof(Models))]
    public void GeneratedCodeAndGpuFileHaveNoDiagnosticsWithDocumentationOn(string model) => AssertClean(gpu: true, Source(model));

    /// <summary>The check itself can fail: an undocumented public member in a generated-looking tree is reported.</summary>
    [Fact]
    public void AnUndocumentedPublicMemberIsReported()
    {
        var compilation = Compilation(gpu: false, "/// <summary>Documented.</summary>\npublic static class Documented { public const int Undocumented = 1; }");
        Assert.Contains(compilation.GetDiagnostics(), d => d.Id == "CS1591");
    }

    private static void AssertClean(bool gpu, string source)
    {
        var input = Compilation(gpu, source);
        var driver = CSharpGeneratorDriver.Create([new ModelGenerator().AsSourceGenerator()], parseOptions: DocumentedParseOptions)
            .RunGeneratorsAndUpdateCompilation(input, out var output, out var generatorDiagnostics);
        var result = driver.GetRunResult().Results.Single();
        Assert.Null(result.Exception);
        Assert.NotEmpty(result.GeneratedSources);
        Assert.All(result.GeneratedSources, s => Assert.Equal(DocumentationMode.Diagnose, s.SyntaxTree.Options.DocumentationMode));
        Assert.DoesNotContain(generatorDiagnostics, d => d.Severity >= DiagnosticSeverity.Warning);

        var generatedTrees = result.GeneratedSources.Select(s => s.SyntaxTree).ToHashSet();
        var problems = output.GetDiagnostics()
            .Where(d => d.Severity != DiagnosticSeverity.Hidden)
            .Where(d => d.Location.SourceTree is null || generatedTrees.Contains(d.Location.SourceTree))
            .ToList();
        Assert.True(problems.Count == 0, GeneratorRun.Describe(problems));
    }

    private static CSharpCompilation Compilation(bool gpu, string source)
    {
        var compilation = gpu ? GeneratorHarness.CreateGpuCompilation() : GeneratorHarness.CreateCompilation();
        return compilation
            .AddSyntaxTrees(CSharpSyntaxTree.ParseText(source, DocumentedParseOptions, path: "Model.cs"))
            .WithOptions(compilation.Options
                .WithGeneralDiagnosticOption(ReportDiagnostic.Error)
                .WithWarningLevel(9999)
                .WithNullableContextOptions(NullableContextOptions.Enable));
    }

    private static string Source(string model) =>
        (string)typeof(TestModels).GetField(model, System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)!.GetValue(null)!;
}
