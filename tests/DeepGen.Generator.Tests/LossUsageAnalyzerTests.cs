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

    /// <summary>
    /// A categorical loss on one output unit trains at a loss near 0 with accuracy stuck near chance: DG0028, whatever
    /// the unit's activation, and instead of DG0017 (its advice covers the activation too).
    /// </summary>
    [Theory]
    [InlineData("Sigmoid", "Loss.CategoricalCrossEntropy", "model.Fit(x, y, epochs: 1, batchSize: 2, loss: Loss.CategoricalCrossEntropy, optimizer: new Sgd(0.1f))")]
    [InlineData("Softmax", "Loss.CategoricalCrossEntropy", "model.Evaluate(x, y, loss: Loss.CategoricalCrossEntropy)")]
    [InlineData("Linear", "Loss.SparseCategoricalCrossEntropy", "model.TrainStep(x, y, 2, Loss.SparseCategoricalCrossEntropy, new Sgd(0.1f))")]
    [InlineData("Sigmoid", "Loss.SparseCategoricalCrossEntropy", "model.Fit(x, y, 1, 2, Loss.SparseCategoricalCrossEntropy, new Sgd(0.1f))")]
    public void DG0028_CategoricalLossOnOneOutputUnit(string activation, string loss, string call)
    {
        var diagnostic = Assert.Single(Analyze(activation, 1, call));
        Assert.Equal("DG0028", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Warning, diagnostic.Severity);
        var message = diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains($"with {loss}, but its last layer has 1 unit ({activation})", message, StringComparison.Ordinal);
        Assert.Contains("use Loss.BinaryCrossEntropy with one Sigmoid unit", message, StringComparison.Ordinal);
        Assert.Equal(loss, diagnostic.Location.SourceTree!.GetText().ToString(diagnostic.Location.SourceSpan).Split(' ')[^1]);
    }

    [Theory]
    [InlineData("Sigmoid", 1, "Loss.BinaryCrossEntropy")]
    [InlineData("Softmax", 2, "Loss.CategoricalCrossEntropy")]
    [InlineData("Softmax", 2, "Loss.SparseCategoricalCrossEntropy")]
    [InlineData("Linear", 1, "Loss.MeanSquaredError")]
    public void A_suitable_loss_on_one_or_two_units_is_not_reported(string activation, int units, string loss) =>
        Assert.Empty(Analyze(activation, units, $"model.TrainStep(x, y, 2, {loss}, new Sgd(0.1f))"));

    /// <summary>Sequence models (token ids in) are checked the same way at their Fit, Evaluate and TrainStep.</summary>
    [Theory]
    [InlineData("Dense(1, Sigmoid)", "model.Fit(x, y, epochs: 1, batchSize: 2, loss: Loss.CategoricalCrossEntropy, optimizer: new Sgd(0.1f))", "DG0028")]
    [InlineData("Dense(1, Sigmoid)", "model.Evaluate(x, y, Loss.SparseCategoricalCrossEntropy)", "DG0028")]
    [InlineData("Dense(3, Relu)", "model.Fit(x, y, 1, 2, Loss.CategoricalCrossEntropy, new Sgd(0.1f))", "DG0017")]
    [InlineData("Dense(3, Sigmoid)", "model.Evaluate(x, y, Loss.BinaryCrossEntropy)", "DG0018")]
    [InlineData("Dense(2, Softmax)", "model.Fit(x, y, 1, 2, Loss.CategoricalCrossEntropy, new Sgd(0.1f))", null)]
    [InlineData("Dense(1, Sigmoid)", "model.Fit(x, y, 1, 2, Loss.BinaryCrossEntropy, new Sgd(0.1f))", null)]
    public void Sequence_models_are_checked_too(string head, string call, string? expected)
    {
        var source = $$"""
            using DeepGen;
            using static DeepGen.Activation;

            [Model(Vocabulary = 50, MaxSequence = 16)]
            [Embedding(8, Positions = 16)]
            [MeanPooling]
            [{{head}}]
            public partial class Reader;

            public static class Use
            {
                public static void Run(TokenSequences x, float[] y)
                {
                    var model = new Reader();
                    {{call}};
                }
            }
            """;
        var run = GeneratorHarness.Run(source);
        Assert.True(run.OutputDiagnostics.IsEmpty, GeneratorRun.Describe(run.OutputDiagnostics));
        var diagnostics = RunAnalyzer(run.Output);
        if (expected is null) Assert.Empty(diagnostics);
        else Assert.Equal(expected, Assert.Single(diagnostics).Id);
    }

    /// <summary>Only a last layer that is a [Dense] is checked: an earlier Dense says nothing about the outputs.</summary>
    [Fact]
    public void A_model_that_does_not_end_in_a_dense_layer_is_not_judged_by_an_earlier_one()
    {
        var source = """
            using DeepGen;
            using static DeepGen.Activation;

            [Model(Vocabulary = 50, MaxSequence = 16)]
            [Embedding(8, Positions = 16)]
            [MeanPooling]
            [Dense(1, Linear)]
            [L2Normalize]
            public partial class Reader;

            public static class Use
            {
                public static void Run(TokenSequences x, float[] y) => new Reader().Evaluate(x, y, Loss.CategoricalCrossEntropy);
            }
            """;
        var run = GeneratorHarness.Run(source);
        Assert.True(run.OutputDiagnostics.IsEmpty, GeneratorRun.Describe(run.OutputDiagnostics));
        Assert.Empty(RunAnalyzer(run.Output));
    }

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
