using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using DeepGen.Generator.Analyzers;

namespace DeepGen.Generator.Tests;

/// <summary>
/// The call-site analyzer: a loss that does not suit the model's last layer is reported on the loss argument of
/// Fit / Evaluate / TrainStep, and a suitable one is not.
/// </summary>
public class LossUsageAnalyzerTests
{
    [Theory]
    [InlineData("Relu", "model.Fit(x, y, epochs: 1, batchSize: 2, loss: Loss.CategoricalCrossEntropy, optimizer: new Sgd(0.1f))")]
    [InlineData("Linear", "model.Evaluate(x, y, loss: Loss.CategoricalCrossEntropy)")]
    [InlineData("Gelu", "model.TrainStep(x, y, 2, Loss.CategoricalCrossEntropy, new Sgd(0.1f))")]
    public void DG0017_CrossEntropyOnAnOutputThatIsNotProbabilities(string activation, string call)
    {
        var diagnostics = Analyze(activation, 3, call);
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("DG0017", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Warning, diagnostic.Severity);
        Assert.Contains($"uses {activation}", diagnostic.GetMessage());
        Assert.EndsWith("Loss.CategoricalCrossEntropy", diagnostic.Location.SourceTree!.GetText().ToString(diagnostic.Location.SourceSpan));
    }

    [Theory]
    [InlineData("Softmax", "Loss.CategoricalCrossEntropy")]
    [InlineData("Sigmoid", "Loss.CategoricalCrossEntropy")]
    [InlineData("Relu", "Loss.MeanSquaredError")]
    public void A_suitable_loss_is_not_reported(string activation, string loss) =>
        Assert.Empty(Analyze(activation, 3, $"model.TrainStep(x, y, 2, {loss}, new Sgd(0.1f))"));

    [Fact]
    public void A_loss_held_in_a_variable_is_not_guessed_at() =>
        Assert.Empty(Analyze("Relu", 3, "var loss = Loss.CategoricalCrossEntropy; model.TrainStep(x, y, 2, loss, new Sgd(0.1f))"));

    /// <summary>
    /// DG0018 names <c>Loss.BinaryCrossEntropy</c>, which another part of the runtime provides; the analyzer matches
    /// it by name, so this test compiles against a minimal stand-in for the runtime that declares it.
    /// </summary>
    [Theory]
    [InlineData(3, "DG0018")]
    [InlineData(1, null)]
    public void DG0018_BinaryLossOnSeveralOutputUnits(int units, string? expected)
    {
        var source = $$"""
            namespace DeepGen
            {
                public enum Activation { Linear = 0, Sigmoid = 1 }
                [System.AttributeUsage(System.AttributeTargets.Class)] public sealed class ModelAttribute : System.Attribute { public int Input { get; set; } }
                [System.AttributeUsage(System.AttributeTargets.Class, AllowMultiple = true)]
                public sealed class DenseAttribute : System.Attribute { public DenseAttribute(int units, Activation activation = Activation.Linear) { } }
                public class Loss { public static Loss BinaryCrossEntropy { get; } = new Loss(); }
                public abstract class SequentialModel { public void Fit(float[] x, float[] y, Loss loss) { } }
            }

            [DeepGen.Model(Input = 4)]
            [DeepGen.Dense({{units}}, DeepGen.Activation.Sigmoid)]
            public class Tagger : DeepGen.SequentialModel { }

            public static class Use
            {
                public static void Run(Tagger model) => model.Fit(new float[4], new float[{{units}}], DeepGen.Loss.BinaryCrossEntropy);
            }
            """;
        var references = GeneratorHarness.References.Where(r => r.Display != typeof(SequentialModel).Assembly.Location);
        var compilation = CSharpCompilation.Create("Stub", [CSharpSyntaxTree.ParseText(source, GeneratorHarness.ParseOptions)], references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var diagnostics = RunAnalyzer(compilation);
        if (expected is null)
        {
            Assert.Empty(diagnostics);
            return;
        }

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal(expected, diagnostic.Id);
        Assert.Contains($"has {units} units", diagnostic.GetMessage());
    }

    private static ImmutableArray<Diagnostic> Analyze(string activation, int units, string call)
    {
        var source = $$"""
            using DeepGen;
            using static DeepGen.Activation;

            [Model(Input = 4)]
            [Dense(5, Relu)]
            [Dense({{units}}, {{activation}})]
            public partial class Net;

            public static class Use
            {
                public static void Run(float[] x, float[] y)
                {
                    var model = new Net();
                    {{call}};
                }
            }
            """;
        var run = GeneratorHarness.Run(source);
        Assert.True(run.OutputDiagnostics.IsEmpty, GeneratorRun.Describe(run.OutputDiagnostics));
        return RunAnalyzer(run.Output);
    }

    private static ImmutableArray<Diagnostic> RunAnalyzer(Compilation compilation) =>
        compilation.WithAnalyzers([new LossUsageAnalyzer()]).GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
}
