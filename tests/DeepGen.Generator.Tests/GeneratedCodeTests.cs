using System.Reflection;
using Microsoft.CodeAnalysis;

namespace DeepGen.Generator.Tests;

/// <summary>
/// The generated code runs: each snapshot model is compiled in memory, loaded, created and asked for predictions.
/// This checks shapes and the wiring to DeepGen.Runtime only; the numbers are the runtime tests' business.
/// </summary>
public class GeneratedCodeTests
{
    public static TheoryData<string, string, string, int, int, int> Models => new()
    {
        { TestModels.MnistMlp, "Samples.Mnist.MnistMlp", "784-500(sigmoid)-500(sigmoid)-10(softmax)", 784, 10, 648_010 },
        { TestModels.LinearRegression, "LinearRegression", "3-1(linear)", 3, 1, 4 },
        { TestModels.NamedLayers, "Samples.Named.Classifier", "8-16(relu)-12(tanh)-2(sigmoid)", 8, 2, 374 },
        { TestModels.Nested, "Samples.Nested.Outer+Holder+Tiny", "4-3(tanh)-2(softmax)", 4, 2, 23 },
        // 3·3·1·32 + 32, 3·3·32·64 + 64 and 5·5·64·10 + 10 parameters.
        { TestModels.MnistConvnet, "Samples.Mnist.MnistConvnet", "28x28x1-conv2d32k3s1valid(relu)-maxpooling2dk2s2valid-conv2d64k3s1valid(relu)-maxpooling2dk2s2valid-flatten-10(softmax)", 784, 10, 320 + 18_496 + 16_010 },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void GeneratedModelPredicts(string source, string typeName, string signature, int inputSize, int outputSize, int parameterCount)
    {
        var type = Load(source).GetType(typeName, throwOnError: true)!;

        Assert.Equal(inputSize, Constant(type, "InputSize"));
        Assert.Equal(outputSize, Constant(type, "OutputSize"));
        Assert.Equal(parameterCount, Constant(type, "ParameterCount"));

        var model = Create(type, seed: 7);
        Assert.Equal(type.Name, model.Architecture.ModelName);
        Assert.Equal(signature, model.Architecture.Signature);
        Assert.Equal(parameterCount, model.Parameters.Length);

        const int samples = 5;
        var x = new float[samples * inputSize];
        for (var i = 0; i < x.Length; i++) x[i] = (i % 13 - 6) / 6f;
        var predictions = model.Predict(x);

        Assert.Equal(samples * outputSize, predictions.Length);
        Assert.All(predictions, p => Assert.True(float.IsFinite(p)));
        if (signature.EndsWith("(softmax)", StringComparison.Ordinal))
        {
            for (var row = 0; row < samples; row++)
            {
                var probabilities = predictions.AsSpan(row * outputSize, outputSize).ToArray();
                Assert.All(probabilities, p => Assert.InRange(p, 0f, 1f));
                Assert.Equal(1f, probabilities.Sum(), 1e-5f);
            }
        }

        // The seed decides the weights: the same seed predicts the same, another seed does not.
        Assert.Equal(predictions, Create(type, seed: 7).Predict(x));
        Assert.NotEqual(predictions, Create(type, seed: 8).Predict(x));
    }

    [Fact]
    public void NamedLayersHaveAccessors()
    {
        var type = Load(TestModels.NamedLayers).GetType("Samples.Named.Classifier", throwOnError: true)!;
        var model = Create(type, seed: 1);

        Assert.Equal(["Hidden1", "Hidden2", "Output"], model.Layers.Select(layer => layer.Name));
        foreach (var name in new[] { "Hidden1", "Hidden2", "Output" })
        {
            var layer = (DenseLayer)type.GetProperty(name)!.GetValue(model)!;
            Assert.Equal(name, layer.Name);
        }

        Assert.Equal(8 * 16, ((DenseLayer)type.GetProperty("Hidden1")!.GetValue(model)!).Weights.Length);
    }

    /// <summary>
    /// The convnet's layer views carve the right spans out of the parameters (pooling and flatten have none), and a
    /// training step runs through every generated forward and backward method and lowers the loss on a fixed batch.
    /// </summary>
    [Fact]
    public void ConvnetLayersHaveViewsAndTrain()
    {
        var type = Load(TestModels.MnistConvnet).GetType("Samples.Mnist.MnistConvnet", throwOnError: true)!;
        var model = Create(type, seed: 3);

        Assert.Equal(["Conv2D0", "MaxPooling2D1", "Conv2D2", "MaxPooling2D3", "Flatten4", "Dense5"], model.Layers.Select(layer => layer.Name));
        var sizes = model.Layers.Select(layer => (layer.Weights.Length, layer.Bias.Length)).ToList();
        Assert.Equal([(3 * 3 * 1 * 32, 32), (0, 0), (3 * 3 * 32 * 64, 64), (0, 0), (0, 0), (1600 * 10, 10)], sizes);
        var conv = (DenseLayer)type.GetProperty("Conv2D2")!.GetValue(model)!;
        Assert.Equal(320, conv.Info.WeightsOffset);

        const int batch = 4;
        var x = new float[batch * 784];
        for (var i = 0; i < x.Length; i++) x[i] = (i * 7 % 17) / 17f;
        var y = new float[batch * 10];
        for (var row = 0; row < batch; row++) y[row * 10 + row] = 1f;
        var losses = new List<float>();
        for (var step = 0; step < 5; step++)
            losses.Add(model.TrainStep(x, y, batch, Loss.CategoricalCrossEntropy, new Sgd(0.05f)));

        Assert.All(losses, loss => Assert.True(float.IsFinite(loss), string.Join(", ", losses)));
        Assert.True(losses[^1] < losses[0], string.Join(", ", losses));
    }

    /// <summary>
    /// The strictest build a user may have: every warning (all warning waves) an error, nullable on, arithmetic
    /// checked. The convnet's file compiles and emits cleanly there, in a CPU-only project and in one that references
    /// DeepGen.Gpu, where the model gets no GPU file and an Info DG0100 that names the convolution.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ConvnetCompilesUnderWarningsAsErrors(bool gpu)
    {
        var run = GeneratorHarness.RunStrictest(gpu, TestModels.MnistConvnet);
        Assert.Equal(["Samples.Mnist.MnistConvnet.g.cs"], run.Sources.Select(s => s.HintName));

        var info = run.GeneratorDiagnostics.Where(d => d.Id == "DG0100").ToList();
        if (!gpu)
        {
            Assert.Empty(info);
            return;
        }

        var noGpu = Assert.Single(info);
        Assert.Equal(DiagnosticSeverity.Info, noGpu.Severity);
        Assert.Equal("The model 'MnistConvnet' gets no GPU code, so ToDevice is not generated for it: layer 0 ('Conv2D0') is a Conv2D layer, which has no GPU kernel yet. It still runs on the CPU.",
            noGpu.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Compiles the source with its generated part and loads it into the default context, where its reference to
    /// DeepGen.Runtime resolves to the runtime this test uses, so the model casts to <see cref="SequentialModel"/>.
    /// </summary>
    private static Assembly Load(string source) => Assembly.Load(GeneratorHarness.Run(source).Emit());

    private static SequentialModel Create(Type type, int seed) =>
        (SequentialModel)Activator.CreateInstance(type, BindingFlags.Instance | BindingFlags.Public, null, [seed], null)!;

    private static int Constant(Type type, string name) => (int)type.GetField(name)!.GetRawConstantValue()!;
}
