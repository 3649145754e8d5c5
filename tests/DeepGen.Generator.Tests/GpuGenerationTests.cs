using DeepGen.Generator.Emitting;
using DeepGen.Generator.Model;
using DeepGen.Generator.Planning;
using Microsoft.CodeAnalysis;

namespace DeepGen.Generator.Tests;

/// <summary>The GPU file: written beside the CPU file only for projects that reference DeepGen.Gpu, and compiling cleanly there.</summary>
public class GpuGenerationTests
{
    [Fact]
    public void MnistMlpGpu()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.CreateGpuCompilation(TestModels.MnistMlp));
        Assert.Null(run.Result.Exception);
        Assert.True(run.OutputDiagnostics.IsEmpty, GeneratorRun.Describe(run.OutputDiagnostics));
        Assert.Equal(["Samples.Mnist.MnistMlp.Gpu.g.cs", "Samples.Mnist.MnistMlp.g.cs"], run.Sources.Select(s => s.HintName).Order(StringComparer.Ordinal));
        Snapshot.Verify(run.Sources.Single(s => s.HintName.EndsWith(".Gpu.g.cs", StringComparison.Ordinal)).Text, nameof(MnistMlpGpu));
    }

    [Fact]
    public void EveryTestModelCompilesWithItsGpuFile()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.CreateGpuCompilation(TestModels.MnistMlp, TestModels.LinearRegression, TestModels.NamedLayers, TestModels.Nested));
        Assert.True(run.OutputDiagnostics.IsEmpty, GeneratorRun.Describe(run.OutputDiagnostics));
        Assert.Equal(4, run.Sources.Count(s => s.HintName.EndsWith(".Gpu.g.cs", StringComparison.Ordinal)));
    }

    /// <summary>A convnet beside a dense model in a GPU project: the dense one gets its GPU file, the convnet DG0100 and none.</summary>
    [Fact]
    public void AConvnetGetsNoGpuFileButTheDenseModelBesideItDoes()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.CreateGpuCompilation(TestModels.MnistMlp, TestModels.MnistConvnet));
        Assert.Null(run.Result.Exception);
        Assert.True(run.OutputDiagnostics.IsEmpty, GeneratorRun.Describe(run.OutputDiagnostics));
        Assert.Equal(
            ["Samples.Mnist.MnistConvnet.g.cs", "Samples.Mnist.MnistMlp.Gpu.g.cs", "Samples.Mnist.MnistMlp.g.cs"],
            run.Sources.Select(s => s.HintName).Order(StringComparer.Ordinal));
        var info = Assert.Single(run.Result.Diagnostics, d => d.Id == "DG0100");
        Assert.Contains("'MnistConvnet'", info.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Contains("layer 0 ('Conv2D0') is a Conv2D layer", info.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    /// <summary>A model with a normalization in a GPU project: DG0100 names the layer, and the CPU file still builds.</summary>
    [Fact]
    public void ANormalizationGetsDG0100NamingItAndNoGpuFile()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.CreateGpuCompilation(TestModels.Normalized));
        Assert.Null(run.Result.Exception);
        Assert.True(run.OutputDiagnostics.IsEmpty, GeneratorRun.Describe(run.OutputDiagnostics));
        Assert.Equal("Samples.Tabular.Regressor.g.cs", Assert.Single(run.Sources).HintName);
        var info = Assert.Single(run.Result.Diagnostics, d => d.Id == "DG0100");
        Assert.Equal(DiagnosticSeverity.Info, info.Severity);
        Assert.Contains("layer 0 ('Normalization0') is a Normalization layer, which has no GPU kernel yet", info.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    /// <summary>A sequence model beside a dense model in a GPU project: the dense one gets its GPU file, the sequence model DG0100 naming its embedding and none.</summary>
    [Fact]
    public void ASequenceModelGetsNoGpuFileButTheDenseModelBesideItDoes()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.CreateGpuCompilation(TestModels.MnistMlp, TestModels.SequenceClassifier));
        Assert.Null(run.Result.Exception);
        Assert.True(run.OutputDiagnostics.IsEmpty, GeneratorRun.Describe(run.OutputDiagnostics));
        Assert.Equal(
            ["Samples.Mnist.MnistMlp.Gpu.g.cs", "Samples.Mnist.MnistMlp.g.cs", "Samples.Text.SequenceClassifier.g.cs"],
            run.Sources.Select(s => s.HintName).Order(StringComparer.Ordinal));
        var info = Assert.Single(run.Result.Diagnostics, d => d.Id == "DG0100");
        Assert.Equal(DiagnosticSeverity.Info, info.Severity);
        Assert.Equal("The model 'SequenceClassifier' gets no GPU code, so ToDevice is not generated for it: layer 0 ('Embedding0') is an Embedding layer, which has no GPU kernel yet. It still runs on the CPU.",
            info.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void AProjectWithoutDeepGenGpuGetsNoGpuFile()
    {
        var run = GeneratorHarness.Run(TestModels.MnistMlp);
        Assert.Equal("Samples.Mnist.MnistMlp.g.cs", Assert.Single(run.Sources).HintName);
        Assert.DoesNotContain(run.Output.References, r => r.Display?.Contains("ILGPU", StringComparison.Ordinal) == true);
    }

    [Fact]
    public void UnsupportedActivationsAreNamed()
    {
        // Activation 99 is not one the GPU emitter knows (a future member of the enum): the model gets no GPU code.
        var spec = new ModelSpec(null, EquatableArray<ContainingTypeSpec>.Empty, "Net", 4,
            new[] { Layer("Dense0", 3, 99), Layer("Dense1", 2, 4) }.ToEquatableArray());
        var reason = GpuEmitter.FindUnsupported(LayoutPlanner.Plan(spec));
        Assert.NotNull(reason);
        Assert.Contains("'Dense0'", reason, StringComparison.Ordinal);
        Assert.Null(GpuEmitter.FindUnsupported(LayoutPlanner.Plan(spec with
        {
            Layers = new[] { Layer("Dense0", 3, 2), Layer("Dense1", 2, 4) }.ToEquatableArray(),
        })));
    }

    /// <summary>
    /// A layer with an activation given by number: the generator compiles its own copy of the Activation enum, which
    /// this test project also sees from the runtime, so the name alone is ambiguous here.
    /// </summary>
    private static LayerSpec Layer(string name, int units, int activation)
    {
        var activationType = typeof(LayerSpec).GetConstructors()[0].GetParameters()[2].ParameterType;
        return (LayerSpec)Activator.CreateInstance(typeof(LayerSpec), name, units, Enum.ToObject(activationType, activation))!;
    }

    [Theory]
    [InlineData("[Dense(8, Gelu)]")]
    [InlineData("[Dense(8, Swish)] [Dropout(0.5)]")]
    [InlineData("[Dense(8, LeakyRelu, UseBias = false)]")]
    [InlineData("[Dense(8, Elu, L1 = 0.001, L2 = 0.01)] [Dropout(0.25)]")]
    [InlineData("[Dense(8, Selu)] [Dense(5, Softplus)] [Dense(6, HardSigmoid)]")]
    public void EveryDenseOptionGetsAGpuFileThatCompiles(string firstLayers)
    {
        var source = $$"""
            using DeepGen;
            using static DeepGen.Activation;
            namespace Samples;
            [Model(Input = 4)]
            {{firstLayers}}
            [Dense(3, Softmax)]
            public partial class Net;
            """;
        var run = GeneratorHarness.Run(GeneratorHarness.CreateGpuCompilation(source));
        Assert.Contains(run.Sources, s => s.HintName.EndsWith(".Gpu.g.cs", StringComparison.Ordinal));
        Assert.DoesNotContain(run.Result.Diagnostics, d => d.Id == "DG0100");
        Assert.DoesNotContain(run.OutputDiagnostics, d => d.Severity >= DiagnosticSeverity.Warning);
    }

    [Theory]
    [InlineData("[Dense(8, Relu)] [BatchNormalization]", "is a BatchNormalization layer, which has no GPU kernel yet")]
    [InlineData("[Dense(8, Relu)] [Reshape(2, 4)] [Flatten]", "is a Reshape layer, which has no GPU kernel yet")]
    public void ModelsTheKernelsCannotRunGetDG0100AndNoGpuFile(string firstLayer, string reason)
    {
        var source = $$"""
            using DeepGen;
            using static DeepGen.Activation;
            namespace Samples;
            [Model(Input = 4)]
            {{firstLayer}}
            [Dense(3, Softmax)]
            public partial class Net;
            """;
        var run = GeneratorHarness.Run(GeneratorHarness.CreateGpuCompilation(source));
        Assert.DoesNotContain(run.Sources, s => s.HintName.EndsWith(".Gpu.g.cs", StringComparison.Ordinal));
        var info = Assert.Single(run.Result.Diagnostics, d => d.Id == "DG0100");
        Assert.Contains(reason, info.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.DoesNotContain(run.OutputDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
    }

    [Fact]
    public void DG0100SaysWhyAModelGetsNoGpuCode()
    {
        var info = Diagnostics.DiagnosticInfo.Create(Diagnostics.DiagnosticDescriptors.NoGpuKernels, null, "Net", "layer 0 ('Dense0') uses the Gelu activation, which has no GPU kernel yet");
        var diagnostic = info.ToDiagnostic();
        Assert.Equal("DG0100", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Info, diagnostic.Severity);
        Assert.Contains("'Net' gets no GPU code", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Fact]
    public void AnEditElsewhereLeavesTheGpuOutputCached()
    {
        var first = GeneratorHarness.Run(GeneratorHarness.CreateGpuCompilation(TestModels.MnistMlp, "class Other { }"));
        var edited = first.Input.ReplaceSyntaxTree(first.Input.SyntaxTrees.Last(),
            Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText("class Other { int x; }", GeneratorHarness.ParseOptions, path: "Source1.cs"));
        var second = GeneratorHarness.Run(edited, first.Driver);
        var steps = second.Result.TrackedSteps[GpuTrackingNames.GpuPlan];
        Assert.All(steps.SelectMany(step => step.Outputs), output =>
            Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, output.Reason.ToString()));
    }
}
