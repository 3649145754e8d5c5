using Microsoft.CodeAnalysis;

namespace DeepGen.Generator.Tests;

/// <summary>
/// One test per diagnostic: the generator reports exactly that id, where the parser says it does (the [Model] or
/// [Dense] attribute, or the class name), generates nothing for the bad model, and leaves no other error behind.
/// </summary>
public partial class DiagnosticTests
{
    [Fact]
    public void DG0001_ClassNotPartial() =>
        AssertReports("DG0001", "NotPartial", """
            using DeepGen;
            [Model(Input = 4)]
            [Dense(2)]
            public class NotPartial;
            """);

    [Theory]
    [InlineData("Model", "no Input")]
    [InlineData("Model()", "no Input")]
    [InlineData("Model(Input = 0)", "Input = 0")]
    [InlineData("Model(Input = -5)", "Input = -5")]
    public void DG0002_InputMissingOrNotPositive(string attribute, string got)
    {
        var diagnostic = AssertReports("DG0002", attribute, $$"""
            using DeepGen;
            [{{attribute}}]
            [Dense(2)]
            public partial class M;
            """);
        Assert.EndsWith("got " + got, diagnostic.GetMessage());
    }

    [Fact]
    public void DG0003_NoLayers() =>
        AssertReports("DG0003", "Model(Input = 4)", """
            using DeepGen;
            [Model(Input = 4)]
            public partial class M;
            """);

    [Theory]
    [InlineData("Dense(0)")]
    [InlineData("Dense(-3, Activation.Relu)")]
    public void DG0004_UnitsNotPositive(string layer) =>
        AssertReports("DG0004", layer, $$"""
            using DeepGen;
            [Model(Input = 4)]
            [Dense(3)]
            [{{layer}}]
            public partial class M;
            """);

    [Fact]
    public void DG0005_SoftmaxNotLast() =>
        AssertReports("DG0005", "Dense(3, Activation.Softmax)", """
            using DeepGen;
            [Model(Input = 4)]
            [Dense(3, Activation.Softmax)]
            [Dense(2)]
            public partial class M;
            """);

    [Theory]
    [InlineData("Dense(3, (Activation)42)")]
    [InlineData("Dense(3, (Activation)(-1))")]
    public void DG0006_UnknownActivation(string layer) =>
        AssertReports("DG0006", layer, $$"""
            using DeepGen;
            [Model(Input = 4)]
            [{{layer}}]
            public partial class M;
            """);

    [Theory]
    [InlineData("not an identifier", """Dense(2, Name = "1st")""", "")]
    [InlineData("empty", """Dense(2, Name = "")""", "")]
    [InlineData("keyword", """Dense(2, Name = "class")""", "")]
    [InlineData("reserved", """Dense(2, Name = "Parameters")""", "")]
    [InlineData("private generated field", """Dense(2, Name = "ArchitectureDefinition")""", "")]
    [InlineData("class name", """Dense(2, Name = "Net")""", "")]
    [InlineData("inherited method", """Dense(2, Name = "Embed")""", "")]
    [InlineData("inherited property", """Dense(2, Name = "IsInferenceOnly")""", "")]
    [InlineData("inherited static method", """Dense(2, Name = "ReferenceEquals")""", "")]
    [InlineData("method of the GPU file", """Dense(2, Name = "ToDevice")""", "")]
    [InlineData("nested class of the GPU file", """Dense(2, Name = "GpuKernels")""", "")]
    [InlineData("duplicate", """Dense(2, Name = "Hidden")""", """[Dense(3, Name = "Hidden")]""")]
    [InlineData("duplicate of a default name", "Dense(2)", """[Dense(3, Name = "Dense1")]""")]
    [InlineData("clashes with a generated constant", """Dense(2, Name = "XUnits")""", """[Dense(3, Name = "X")]""")]
    [InlineData("generated constant clashes with it", """Dense(2, Name = "X")""", """[Dense(3, Name = "XForward")]""")]
    [InlineData("differs only in the case of its first letter", """Dense(2, Name = "hidden")""", """[Dense(3, Name = "Hidden")]""")]
    public void DG0007_InvalidLayerName(string problem, string badLayer, string layersBefore)
    {
        _ = problem;
        AssertReports("DG0007", badLayer, $$"""
            using DeepGen;
            [Model(Input = 4)]
            {{layersBefore}}
            [{{badLayer}}]
            public partial class Net;
            """);
    }

    [Theory]
    [InlineData("the accessor", "public int Hidden => 0;")]
    [InlineData("a constant", "public const int HiddenUnits = 3;")]
    [InlineData("a method", "private void HiddenForward() { }")]
    public void DG0007_TheClassAlreadyDeclaresAGeneratedLayerMember(string problem, string member)
    {
        _ = problem;
        var diagnostic = AssertReports("DG0007", """Dense(2, Name = "Hidden")""", $$"""
            using DeepGen;
            [Model(Input = 4)]
            [Dense(2, Name = "Hidden")]
            public partial class Net
            {
                {{member}}
            }
            """);
        Assert.Contains("the class already declares a member named", diagnostic.GetMessage());
    }

    [Fact]
    public void DG0007_GeneratedConstantWouldHaveTheClassName() =>
        AssertReports("DG0007", "Dense(2)", """
            using DeepGen;
            [Model(Input = 4)]
            [Dense(2)]
            public partial class Dense0Units;
            """);

    [Theory]
    [InlineData("static", "public static partial class M;")]
    [InlineData("abstract", "public abstract partial class M;")]
    [InlineData("generic", "public partial class M<T>;")]
    [InlineData("record", "public partial record M;")]
    [InlineData("derives from another class", "public partial class M : System.Exception;")]
    [InlineData("file-local", "file partial class M;")]
    [InlineData("named like a generated member", "public partial class Forward;")]
    [InlineData("named like a generated constant", "public partial class InputSize;")]
    [InlineData("named like the GPU file's method", "public partial class ToDevice;")]
    [InlineData("named like the GPU file's nested class", "public partial class GpuKernels;")]
    [InlineData("declares a generated constant", "public partial class M { public const int OutputSize = 2; }")]
    [InlineData("declares the GPU file's method", "public partial class M { public void ToDevice() { } }")]
    public void DG0008_UnsupportedType(string problem, string declaration)
    {
        _ = problem;
        AssertReports("DG0008", "Model(Input = 4)", $$"""
            using DeepGen;
            [Model(Input = 4)]
            [Dense(2)]
            {{declaration}}
            """);
    }

    [Theory]
    [InlineData("not partial", "public class Outer")]
    [InlineData("generic", "public partial class Outer<T>")]
    [InlineData("file-local", "file partial class Outer")]
    public void DG0008_UnsupportedContainingType(string problem, string outer)
    {
        _ = problem;
        AssertReports("DG0008", "Model(Input = 4)", $$"""
            using DeepGen;
            {{outer}}
            {
                [Model(Input = 4)]
                [Dense(2)]
                public partial class M;
            }
            """);
    }

    [Theory]
    [InlineData("Model(Input = 100000)", "Dense(100000)", "10,000,100,000 parameters")]
    [InlineData("Model(Input = 1)", "Dense(int.MaxValue)", "4,294,967,294 parameters")]
    [InlineData("Model(Input = 1073741824)", "Dense(1)", "1,073,741,824 values per sample")]
    public void DG0009_ModelTooLarge(string model, string layers, string needs)
    {
        var diagnostic = AssertReports("DG0009", model, $$"""
            using DeepGen;
            [{{model}}]
            [{{layers}}]
            public partial class M;
            """);
        Assert.Contains("needs " + needs, diagnostic.GetMessage());
    }

    [Fact]
    public void DG0010_DenseWithoutModel()
    {
        var diagnostic = AssertReports("DG0010", "NoModel", """
            using DeepGen;
            [Dense(10)]
            [Dense(2)]
            public partial class NoModel;
            """);
        Assert.Equal(DiagnosticSeverity.Warning, diagnostic.Severity);
    }

    [Fact]
    public void Diagnostics_are_located_in_the_compilations_own_tree_so_pragmas_reach_them()
    {
        // A location built from a file path alone lies outside every syntax tree, and `#pragma warning disable`
        // never reaches it (checked with a real build); one in the compilation's tree is filtered like any warning.
        var run = GeneratorHarness.Run("""
            using DeepGen;
            [Dense(10)]
            public partial class NoModel;
            [Model(Input = 4)]
            [Dense(2)]
            public class NotPartial;
            """);
        var tree = run.Input.SyntaxTrees.First();
        foreach (var id in new[] { "DG0010", "DG0001" })
        {
            var diagnostic = Assert.Single(run.GeneratorDiagnostics, d => d.Id == id);
            Assert.Equal(LocationKind.SourceFile, diagnostic.Location.Kind);
            Assert.Same(tree, diagnostic.Location.SourceTree);
        }
    }

    [Fact]
    public void DG0010_IsNotReportedWhenModelIsOnAnotherDeclaration()
    {
        var run = GeneratorHarness.Run("""
            using DeepGen;
            [Model(Input = 4)]
            public partial class M;
            [Dense(2)]
            public partial class M;
            """);
        Assert.DoesNotContain(run.GeneratorDiagnostics, d => d.Id == "DG0010");
    }

    [Fact]
    public void DG0011_LayersOnAnotherDeclaration() =>
        AssertReports("DG0011", "Dense(3)", """
            using DeepGen;
            [Model(Input = 4)]
            [Dense(2)]
            public partial class M;

            [Dense(3)]
            public partial class M
            {
            }
            """);

    [Fact]
    public void DG0011_LayersInAnotherFile()
    {
        var run = GeneratorHarness.Run(
            "using DeepGen; [Model(Input = 4)] public partial class M;",
            "using DeepGen; [Dense(2)] public partial class M;");
        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("DG0011", diagnostic.Id);
        Assert.Equal("Source1.cs", diagnostic.Location.GetLineSpan().Path);
        Assert.Equal("Dense(2)", SpanText(run, diagnostic));
        Assert.Empty(run.Sources);
    }

    /// <summary>A bad model beside a good one: the good one is still generated.</summary>
    [Fact]
    public void ABadModelDoesNotStopTheOthers()
    {
        var run = GeneratorHarness.Run(TestModels.LinearRegression, """
            using DeepGen;
            [Model(Input = 0)]
            [Dense(2)]
            public partial class Bad;
            """);
        Assert.Equal("DG0002", Assert.Single(run.GeneratorDiagnostics).Id);
        Assert.Equal("LinearRegression.g.cs", Assert.Single(run.Sources).HintName);
    }

    [Theory]
    [InlineData("Dropout(1)", "1")]
    [InlineData("Dropout(-0.1)", "-0.1")]
    [InlineData("Dropout(double.NaN)", "NaN")]
    public void DG0012_DropoutRateOutsideZeroToOne(string dropout, string rate)
    {
        var diagnostic = AssertReports("DG0012", dropout, $$"""
            using DeepGen;
            [Model(Input = 4)]
            [Dense(3)]
            [{{dropout}}]
            [Dense(2)]
            public partial class M;
            """);
        Assert.Contains("rate " + rate + ";", diagnostic.GetMessage());
    }

    [Theory]
    [InlineData("""
        [Model(Input = 4)]
        [Dropout(0.5)]
        [Dense(3)]
        [Dense(2)]
        """, "before any layer")]
    [InlineData("""
        [Model(Input = 4)]
        [Dense(3)]
        [Dropout(0.5)]
        [Dropout(0.2)]
        [Dense(2)]
        """, "follows another [Dropout]")]
    public void DG0013_DropoutNotAfterADenseLayer(string attributes, string why)
    {
        var run = GeneratorHarness.Run($$"""
            using DeepGen;
            {{attributes}}
            public partial class M;
            """);
        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("DG0013", diagnostic.Id);
        Assert.Contains(why, diagnostic.GetMessage());
        Assert.StartsWith("Dropout(", SpanText(run, diagnostic));
        Assert.Empty(run.Sources);
    }

    [Fact]
    public void DG0014_DropoutAfterTheLastLayer() =>
        AssertReports("DG0014", "Dropout(0.5)", """
            using DeepGen;
            [Model(Input = 4)]
            [Dense(3)]
            [Dense(2)]
            [Dropout(0.5)]
            public partial class M;
            """);

    [Theory]
    [InlineData("Dense(3, L1 = -0.01)", "L1 = -0.01")]
    [InlineData("Dense(3, L2 = double.NaN)", "L2 = NaN")]
    [InlineData("Dense(3, L2 = double.PositiveInfinity)", "L2 = Infinity")]
    [InlineData("Dense(3, L1 = 1e300)", "L1 = 1E+300")]
    public void DG0015_InvalidRegularizer(string layer, string what)
    {
        var diagnostic = AssertReports("DG0015", layer, $$"""
            using DeepGen;
            [Model(Input = 4)]
            [{{layer}}]
            public partial class M;
            """);
        Assert.Contains(what, diagnostic.GetMessage());
    }

    [Theory]
    [InlineData("Dense(3, KernelInitializer = (Initializer)42)")]
    [InlineData("Dense(3, BiasInitializer = (Initializer)(-1))")]
    public void DG0016_UnknownInitializer(string layer) =>
        AssertReports("DG0016", layer, $$"""
            using DeepGen;
            [Model(Input = 4)]
            [{{layer}}]
            public partial class M;
            """);

    /// <summary>Every mistake of a model is reported at once, not one per build.</summary>
    [Fact]
    public void EveryLayerMistakeIsReported()
    {
        var run = GeneratorHarness.Run("""
            using DeepGen;
            [Model(Input = 4)]
            [Dense(0, Activation.Softmax)]
            [Dense(2, (Activation)99, Name = "class")]
            public partial class M;
            """);
        Assert.Equal(new[] { "DG0004", "DG0005", "DG0006", "DG0007" }, run.GeneratorDiagnostics.Select(d => d.Id).Order());
        Assert.Empty(run.Sources);
    }

    /// <summary>
    /// Runs the generator and checks it reported exactly <paramref name="id"/>, on <paramref name="spanText"/>, with
    /// no source generated and no error in the final compilation but the reported one.
    /// </summary>
    private static Diagnostic AssertReports(string id, string spanText, string source)
    {
        var run = GeneratorHarness.Run(source);

        Assert.Null(run.Result.Exception);
        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(spanText, SpanText(run, diagnostic));
        Assert.Empty(run.Sources);
        var otherProblems = run.OutputDiagnostics.Where(d => d.Id != id).ToList();
        Assert.True(otherProblems.Count == 0, GeneratorRun.Describe(otherProblems));
        Assert.False(string.IsNullOrWhiteSpace(diagnostic.GetMessage()));
        return diagnostic;
    }

    /// <summary>
    /// The source text a diagnostic points at. Its location is rebuilt from plain values (a file path and spans), so
    /// the text is read from the input tree of that path, and the line span is checked against the tree's own.
    /// </summary>
    private static string SpanText(GeneratorRun run, Diagnostic diagnostic)
    {
        var lineSpan = diagnostic.Location.GetLineSpan();
        var tree = run.Input.SyntaxTrees.Single(t => t.FilePath == lineSpan.Path);
        Assert.Equal(tree.GetLineSpan(diagnostic.Location.SourceSpan).Span, lineSpan.Span);
        return tree.GetText().ToString(diagnostic.Location.SourceSpan);
    }
}
