using DeepGen.Cpu;
using DeepGen.EndToEnd.Tests.Models;

namespace DeepGen.EndToEnd.Tests;

/// <summary>
/// Generated convolutional models against the naive double-precision reference (outputs and finite-difference
/// gradients of every parameter), bitwise for one and two threads, and allocation-free in steady state.
/// </summary>
[Collection(ThreadSettingsCollection.Name)]
public class ConvolutionModelTests
{
    public static TheoryData<string> Models() => [nameof(SmallConvnet), nameof(ReshapedConvnet), nameof(GlobalMaxConvnet), nameof(DropoutConvnet)];

    private static SequentialModel Create(string name, int seed) => name switch
    {
        nameof(SmallConvnet) => new SmallConvnet(seed),
        nameof(ReshapedConvnet) => new ReshapedConvnet(seed),
        nameof(GlobalMaxConvnet) => new GlobalMaxConvnet(seed),
        nameof(DropoutConvnet) => new DropoutConvnet(seed),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Outputs_match_the_reference(string name)
    {
        var model = Create(name, seed: 3);
        RandomizeBiases(model, seed: 4);
        var x = TestData.Uniform(7 * model.Architecture.InputSize, -1.5f, 1.5f, seed: 5);
        GradientCheckTests.AssertClose(ReferenceNetwork.Of(model).Predict(x), model.Predict(x), 1e-5);
        // Passes of every size give each sample the same bits.
        Assert.Equal(model.Predict(x, batchSize: 7), model.Predict(x, batchSize: 2));
    }

    [Theory]
    [InlineData(nameof(SmallConvnet), "mse")]
    [InlineData(nameof(SmallConvnet), "categorical_crossentropy")]
    [InlineData(nameof(ReshapedConvnet), "mse")]
    [InlineData(nameof(GlobalMaxConvnet), "mse")]
    [InlineData(nameof(DropoutConvnet), "categorical_crossentropy")]
    public void Gradients_of_every_parameter_match_finite_differences(string name, string lossName)
    {
        const int Batch = 3;
        var loss = lossName == Loss.MeanSquaredError.Name ? Loss.MeanSquaredError : Loss.CategoricalCrossEntropy;
        var model = Create(name, seed: 7);
        RandomizeBiases(model, seed: 8);
        var x = TestData.Uniform(Batch * model.Architecture.InputSize, -1.5f, 1.5f, seed: 9);
        var outputs = model.Architecture.OutputSize;
        var y = loss == Loss.CategoricalCrossEntropy ? TestData.OneHot(Batch, outputs, seed: 10) : TestData.Uniform(Batch * outputs, 0f, 1f, seed: 10);

        var reported = model.TrainStep(x, y, Batch, loss, new NoUpdate());
        // The masks the step drew (none without dropout) make the reference compute the same function.
        var reference = ReferenceNetwork.WithLastMasks(model, Batch);
        Assert.Equal(reference.Loss(x, y, loss), reported, 1e-5 * Math.Max(1, Math.Abs(reported)));
        var expected = reference.FiniteDifferenceGradient(x, y, loss, step: 1e-5);
        var actual = model.Gradients.ToArray();
        Assert.True(actual.Count(g => Math.Abs(g) > 1e-4) > actual.Length / 4, "Most gradients are zero: the check would prove little.");
        for (var k = 0; k < actual.Length; k++)
            Assert.True(Math.Abs(actual[k] - expected[k]) <= 3e-5 + 3e-3 * Math.Abs(expected[k]),
                $"{Describe(model, k)}: backward gives {actual[k]:G9}, finite differences {expected[k]:G9}.");
    }

    [Fact]
    public void Training_and_prediction_are_bitwise_identical_for_one_and_two_threads()
    {
        var x = TestData.Uniform(75 * 784, 0f, 1f, seed: 1);
        var y = TestData.OneHot(75, 10, seed: 2);
        var one = ThreadRuns.AssertSameBitsOnOneAndTwoThreads(() =>
        {
            var model = new KerasMnistConvnet(seed: 3);
            // 75 samples at batch 32: two full batches and a last one of 11, which splits differently over threads.
            model.Fit(x, y, epochs: 1, batchSize: 32, Loss.CategoricalCrossEntropy, new Adam(0.001f), seed: 4, verbosity: Verbosity.Silent);
            return (model.Parameters.ToArray(), model.Predict(x, batchSize: 13));
        });
        Assert.NotEqual(new KerasMnistConvnet(seed: 3).Parameters.ToArray(), one);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Training_steps_and_predictions_into_a_span_allocate_nothing(int threads)
    {
        var model = new DropoutConvnet(seed: 1);
        var x = TestData.Uniform(40 * model.Architecture.InputSize, 0f, 1f, seed: 2);
        var y = TestData.OneHot(40, 4, seed: 3);
        var optimizer = new Adam(0.001f);
        var predictions = new float[40 * 4];
        Assert.Equal(0, AllocationTests.LeastAllocated(threads, () =>
        {
            model.TrainStep(x, y, 40, Loss.CategoricalCrossEntropy, optimizer);
            model.Predict(x, predictions, batchSize: 40);
        }));
    }

    [Fact]
    public void A_pooled_feature_vector_is_an_embedding_equal_to_the_reference_cut_there()
    {
        var model = new ReshapedConvnet(seed: 4);
        RandomizeBiases(model, seed: 5);
        var x = TestData.Uniform(5 * model.Architecture.InputSize, -1f, 1f, seed: 6);
        var embeddings = model.Embed("Gap", x);
        Assert.Equal(5 * 6, embeddings.Length);

        // The reference network cut after the global pooling (layer 2).
        GradientCheckTests.AssertClose(ReferenceNetwork.Of(model).Predict(x, lastLayer: 2), embeddings, 1e-5);
    }

    [Fact]
    public void Summary_and_architecture_show_the_shapes()
    {
        var model = new KerasMnistConvnet();
        var layers = model.Architecture.Layers;
        Assert.Equal(new TensorShape(28, 28, 1), model.Architecture.InputShape);
        Assert.Equal([new TensorShape(26, 26, 32), new TensorShape(13, 13, 32), new TensorShape(11, 11, 64), new TensorShape(5, 5, 64), new TensorShape(1600), new TensorShape(10)],
            layers.Select(l => l.OutputShape));
        Assert.Equal(34_826, model.Architecture.ParameterCount); // Keras's summary of the same model
        var summary = model.SummaryText();
        Assert.Contains("(None, 26, 26, 32)", summary);
        Assert.Contains("Conv2D", summary);
        Assert.Contains("(None, 1600)", summary);
        Assert.Contains("Total params: 34,826", summary);
    }

    /// <summary>Biases start at zero; random ones make sure the bias paths are really checked.</summary>
    private static void RandomizeBiases(SequentialModel model, int seed)
    {
        var random = new Random(seed);
        foreach (var layer in model.Layers)
            for (var i = 0; i < layer.Bias.Length; i++) layer.Bias[i] = (float)(random.NextDouble() - 0.5);
    }

    private static string Describe(SequentialModel model, int k)
    {
        var layer = model.Architecture.Layers.Last(l => l.HasWeights && l.WeightsOffset <= k);
        return k >= layer.BiasOffset ? $"{layer.BiasTensorName}[{k - layer.BiasOffset}]" : $"{layer.WeightsTensorName}[{k - layer.WeightsOffset}]";
    }
}
