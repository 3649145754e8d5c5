using System.Collections.Immutable;
using DeepGen.CodeFixes;
using DeepGen.Generator.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;

namespace DeepGen.Generator.Tests;

/// <summary>
/// DG0001's code fix, applied in an AdhocWorkspace to the diagnostic the generator really reports: the class gets
/// <c>partial</c> right before <c>class</c>, nothing else in the file changes, and the fixed file generates cleanly.
/// </summary>
public class MakeModelPartialCodeFixTests
{
    [Fact]
    public void FixesTheIdTheGeneratorReports()
    {
        Assert.Equal(MakeModelPartialCodeFix.ClassNotPartialId, DiagnosticDescriptors.ClassNotPartial.Id);
        Assert.Equal(DiagnosticDescriptors.ClassNotPartial.Id, Assert.Single(new MakeModelPartialCodeFix().FixableDiagnosticIds));
    }

    [Theory]
    // Modifiers before the keyword: partial goes last, right before 'class'.
    [InlineData(
        "using DeepGen;\n\n/// <summary>A regression.</summary>\n[Model(Input = 4)]\n[Dense(1)]\npublic sealed class Regression;\n",
        "using DeepGen;\n\n/// <summary>A regression.</summary>\n[Model(Input = 4)]\n[Dense(1)]\npublic sealed partial class Regression;\n")]
    // No modifiers: the keyword's indentation and comment stay in front of 'partial'.
    [InlineData(
        "using DeepGen;\n\nnamespace N\n{\n    [Model(Input = 4)]\n    [Dense(1)]\n    /* keep */ class Regression\n    {\n        // body\n    }\n}\n",
        "using DeepGen;\n\nnamespace N\n{\n    [Model(Input = 4)]\n    [Dense(1)]\n    /* keep */ partial class Regression\n    {\n        // body\n    }\n}\n")]
    // A model nested in partial types: only the model's own declaration changes.
    [InlineData(
        "using DeepGen;\n\npublic static partial class Outer\n{\n    [Model(Input = 4)] [Dense(2, Activation.Softmax)] internal class Tiny { }\n}\n",
        "using DeepGen;\n\npublic static partial class Outer\n{\n    [Model(Input = 4)] [Dense(2, Activation.Softmax)] internal partial class Tiny { }\n}\n")]
    public async Task AddsPartialAndKeepsTheRest(string before, string after)
    {
        var fixedText = await ApplyFixAsync(before);
        Assert.Equal(after, fixedText);
        var run = GeneratorHarness.Run(fixedText);
        Assert.True(run.OutputDiagnostics.IsEmpty, GeneratorRun.Describe(run.OutputDiagnostics));
        Assert.Single(run.Sources);
    }

    /// <summary>A non-partial containing type is DG0008, not DG0001: no DG0001 is reported, so no fix is offered.</summary>
    [Fact]
    public async Task OffersNothingWithoutDG0001()
    {
        const string source = "using DeepGen;\n\npublic class Outer\n{\n    [Model(Input = 4)]\n    [Dense(1)]\n    public class Net;\n}\n";
        var (_, diagnostics) = await DiagnoseAsync(source);
        Assert.DoesNotContain(diagnostics, d => d.Id == "DG0001");
        Assert.Contains(diagnostics, d => d.Id == "DG0008");
    }

    /// <summary>Fix all in a document makes every reported model partial.</summary>
    [Fact]
    public async Task FixAllMakesEveryModelPartial()
    {
        const string source = "using DeepGen;\n\n[Model(Input = 4)]\n[Dense(1)]\npublic class A;\n\n[Model(Input = 3)]\n[Dense(2, Activation.Softmax)]\ninternal class B;\n";
        var (document, diagnostics) = await DiagnoseAsync(source);
        Assert.Equal(2, diagnostics.Count(d => d.Id == "DG0001"));
        var fix = new MakeModelPartialCodeFix();
        var actions = new List<CodeAction>();
        var first = diagnostics.First(d => d.Id == "DG0001");
        await fix.RegisterCodeFixesAsync(new CodeFixContext(document, first, (a, _) => actions.Add(a), CancellationToken.None));
        var fixAll = await fix.GetFixAllProvider()!.GetFixAsync(new FixAllContext(document, fix, FixAllScope.Document, actions[0].EquivalenceKey,
            [MakeModelPartialCodeFix.ClassNotPartialId], new Provider(diagnostics), CancellationToken.None));
        var text = await ApplyAsync(document, fixAll!);
        Assert.Contains("public partial class A;", text, StringComparison.Ordinal);
        Assert.Contains("internal partial class B;", text, StringComparison.Ordinal);
        Assert.True(GeneratorHarness.Run(text).OutputDiagnostics.IsEmpty);
    }

    private static async Task<string> ApplyFixAsync(string source)
    {
        var (document, diagnostics) = await DiagnoseAsync(source);
        var diagnostic = Assert.Single(diagnostics, d => d.Id == "DG0001");
        var actions = new List<CodeAction>();
        await new MakeModelPartialCodeFix().RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (a, _) => actions.Add(a), CancellationToken.None));
        var action = Assert.Single(actions);
        Assert.Equal("Make the model class partial", action.Title);
        return await ApplyAsync(document, action);
    }

    private static async Task<string> ApplyAsync(Document document, CodeAction action)
    {
        var operations = await action.GetOperationsAsync(CancellationToken.None);
        var changed = Assert.Single(operations.OfType<ApplyChangesOperation>()).ChangedSolution;
        return (await changed.GetDocument(document.Id)!.GetTextAsync()).ToString();
    }

    /// <summary>The source as a document of an AdhocWorkspace, and the generator's diagnostics on it.</summary>
    private static async Task<(Document Document, ImmutableArray<Diagnostic> Diagnostics)> DiagnoseAsync(string source)
    {
        var workspace = new AdhocWorkspace();
        var project = workspace.AddProject(ProjectInfo.Create(ProjectId.CreateNewId(), VersionStamp.Default, "Models", "Models", LanguageNames.CSharp,
            compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary), parseOptions: GeneratorHarness.ParseOptions,
            metadataReferences: GeneratorHarness.References));
        var document = workspace.AddDocument(project.Id, "Models.cs", Microsoft.CodeAnalysis.Text.SourceText.From(source));
        var compilation = (await document.Project.GetCompilationAsync())!;
        var run = GeneratorHarness.Run(compilation);
        Assert.Null(run.Result.Exception);
        return (document, run.GeneratorDiagnostics);
    }

    private sealed class Provider(ImmutableArray<Diagnostic> diagnostics) : FixAllContext.DiagnosticProvider
    {
        public override Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult<IEnumerable<Diagnostic>>(diagnostics);

        public override Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken) =>
            Task.FromResult<IEnumerable<Diagnostic>>(diagnostics);

        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult<IEnumerable<Diagnostic>>([]);
    }
}
