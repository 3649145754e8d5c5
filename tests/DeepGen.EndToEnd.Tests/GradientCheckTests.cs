using DeepGen.EndToEnd.Tests.Models;

namespace DeepGen.EndToEnd.Tests;

/// <summary>
/// The generated forward and backward passes against the naive double-precision reference: outputs directly, and
/// gradients against central finite differences of the reference loss, for every activation with every loss.
/// </summary>
public class GradientCheckTests
{
    private const int Batch = 5;

    public static TheoryData<Activation, Activation, string> Cases()
    {
        var cases = new TheoryData<Activation, Activation, string>();
        foreach (var (hidden, output, _) in GradientModels.All)
        {
            cases.Add(hidden, output, Loss.MeanSquaredError.Name);
            // Cross-entropy is defined on probabilities: outputs from a softmax, or in (0, 1) from a sigmoid.
            if (output is Activation.Softmax or Activation.Sigmoid) cases.Add(hidden, output, Loss.CategoricalCrossEntropy.Name);
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gradients_match_finite_differences(Activation hidden, Activation output, string lossName)
    {
        var loss = lossName == Loss.MeanSquaredError.Name ? Loss.MeanSquaredError : Loss.CategoricalCrossEntropy;
        var model = GradientModels.All.Single(m => m.Hidden == hidden && m.Output == output).Create(7);
        RandomizeBiases(model, seed: 3);
        var x = TestData.Uniform(Batch * 6, -2f, 2f, seed: 11);
        var y = output == Activation.Softmax || loss == Loss.CategoricalCrossEntropy
            ? TestData.OneHot(Batch, 3, seed: 12)
            : TestData.Uniform(Batch * 3, 0f, 1f, seed: 12);

        var reportedLoss = model.TrainStep(x, y, Batch, loss, new NoUpdate());
        var reference = ReferenceNetwork.Of(model);
        var expected = reference.FiniteDifferenceGradient(x, y, loss);
        var actual = model.Gradients.ToArray();

        Assert.Equal(reference.Loss(x, y, loss), reportedLoss, 1e-5 * Math.Max(1, Math.Abs(reportedLoss)));
        Assert.True(actual.Any(g => Math.Abs(g) > 1e-4), "Every gradient is zero: the check would prove nothing.");
        for (var k = 0; k < actual.Length; k++)
        {
            var tolerance = 2e-5 + 2e-3 * Math.Abs(expected[k]);
            Assert.True(Math.Abs(actual[k] - expected[k]) <= tolerance,
                $"Parameter {k} ({Describe(model, k)}): backward gives {actual[k]:G9}, finite differences {expected[k]:G9}.");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Outputs_match_the_reference(Activation hidden, Activation output, string lossName)
    {
        _ = lossName;
        var model = GradientModels.All.Single(m => m.Hidden == hidden && m.Output == output).Create(5);
        RandomizeBiases(model, seed: 4);
        var x = TestData.Uniform(9 * 6, -2f, 2f, seed: 21);
        AssertClose(ReferenceNetwork.Of(model).Predict(x), model.Predict(x), 1e-5);
    }

    [Fact]
    public void Seed_network_outputs_and_gradients_match_the_reference()
    {
        var model = new SeedMlp(seed: 1);
        var x = TestData.Uniform(3 * 784, 0f, 255f, seed: 1);
        var y = TestData.OneHot(3, 10, seed: 2);
        var reference = ReferenceNetwork.Of(model);
        AssertClose(reference.Predict(x), model.Predict(x), 1e-5);

        // Spot-check gradients of the big model by finite differences on a sample of parameters from every tensor.
        model.TrainStep(x, y, 3, Loss.CategoricalCrossEntropy, new NoUpdate());
        var random = new Random(5);
        foreach (var layer in model.Architecture.Layers)
        {
            foreach (var (offset, count) in new[] { (layer.WeightsOffset, layer.Inputs * layer.Units), (layer.BiasOffset, layer.Units) })
            {
                for (var n = 0; n < 6; n++)
                {
                    var k = offset + random.Next(count);
                    var expected = reference.FiniteDifference(x, y, Loss.CategoricalCrossEntropy, k, step: 1e-5);
                    var actual = model.Gradients[k];
                    Assert.True(Math.Abs(actual - expected) <= 1e-6 + 5e-3 * Math.Abs(expected),
                        $"{Describe(model, k)}: backward {actual:G9}, finite differences {expected:G9}.");
                }
            }
        }
    }

    [Fact]
    public void Odd_shapes_match_the_reference()
    {
        var model = new OddShapes(seed: 2);
        RandomizeBiases(model, seed: 9);
        var x = TestData.Uniform(13 * 37, -1f, 1f, seed: 3);
        AssertClose(ReferenceNetwork.Of(model).Predict(x), model.Predict(x), 1e-5);

        var y = TestData.Uniform(13, 0f, 1f, seed: 4);
        model.TrainStep(x, y, 13, Loss.MeanSquaredError, new NoUpdate());
        var expected = ReferenceNetwork.Of(model).FiniteDifferenceGradient(x, y, Loss.MeanSquaredError);
        for (var k = 0; k < expected.Length; k++)
            Assert.True(Math.Abs(model.Gradients[k] - expected[k]) <= 2e-5 + 2e-3 * Math.Abs(expected[k]),
                $"{Describe(model, k)}: backward {model.Gradients[k]:G9}, finite differences {expected[k]:G9}.");
    }

    internal static void AssertClose(double[] expected, float[] actual, double relative)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= relative * Math.Max(1, Math.Abs(expected[i])),
                $"Output {i}: generated {actual[i]:G9}, reference {expected[i]:G9}.");
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
        var layer = model.Architecture.Layers.Last(l => l.WeightsOffset <= k);
        return k >= layer.BiasOffset ? $"{layer.BiasTensorName}[{k - layer.BiasOffset}]" : $"{layer.WeightsTensorName}[{k - layer.WeightsOffset}]";
    }
}
