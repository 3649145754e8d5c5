using static DeepGen.Runtime.Tests.Training.LossGradientCases;

namespace DeepGen.Runtime.Tests.Training;

/// <summary>Loss values against Keras's definitions, and their fused gradients against finite differences.</summary>
public class LossTests
{
    [Fact]
    public void Mean_squared_error_is_the_mean_over_outputs_and_over_the_batch()
    {
        float[] p = [0.1f, 0.7f, 0.2f, 0.5f, 0.5f, 0.0f];
        float[] y = [0f, 1f, 0f, 1f, 0f, 0f];
        var expected = ((0.01 + 0.09 + 0.04) / 3 + (0.25 + 0.25 + 0) / 3) / 2;
        Assert.Equal(expected, Loss.MeanSquaredError.Sum(p, y, 2, 3) / 2, 1e-7);
        Assert.Equal(expected, Loss.MeanSquaredError.Gradient(new float[6], p, y, 2, 3, Activation.Linear), 1e-7);
    }

    [Fact]
    public void Categorical_cross_entropy_renormalises_and_clips_as_keras_does()
    {
        float[] p = [0.2f, 0.6f, 0.2f];
        float[] y = [0f, 1f, 0f];
        Assert.Equal(-Math.Log(0.6), Loss.CategoricalCrossEntropy.Sum(p, y, 1, 3), 1e-6);
        // Not summing to one: Keras divides by the sum first.
        float[] unnormalised = [1f, 3f, 1f];
        Assert.Equal(-Math.Log(0.6), Loss.CategoricalCrossEntropy.Sum(unnormalised, y, 1, 3), 1e-6);
        // A zero probability is clipped to 1e-7, so the loss stays finite.
        float[] confident = [1f, 0f, 0f];
        Assert.Equal(-Math.Log(1e-7), Loss.CategoricalCrossEntropy.Sum(confident, y, 1, 3), 1e-4);
    }

    public static TheoryData<string, Activation> GradientCases() => new()
    {
        { "mse", Activation.Linear }, { "mse", Activation.Sigmoid }, { "mse", Activation.Tanh }, { "mse", Activation.Relu },
        { "mse", Activation.Softmax }, { "cce", Activation.Softmax }, { "cce", Activation.Sigmoid },
    };

    [Theory]
    [MemberData(nameof(GradientCases))]
    public void Fused_gradient_matches_finite_differences_through_the_activation(string lossName, Activation activation)
    {
        var loss = lossName == "mse" ? Loss.MeanSquaredError : Loss.CategoricalCrossEntropy;
        // The pre-activations unscaled, and one-hot targets for cross-entropy: cases of their own, beside the shared ones.
        var z = new double[] { 0.3, -1.2, 0.8, 0.1, -0.4, 1.5, -0.7, 0.2, 0.9, 0.05, -0.3, 0.6 };
        float[] y = lossName == "cce" ? [0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1] : [0.2f, 0.9f, 0.1f, 0.4f, 1, 0, 0.5f, 0.3f, 0.7f, 0.6f, 0.2f, 0.1f];

        var gradient = new float[Batch * Units];
        loss.Gradient(gradient, Activate(z, activation), y, Batch, Units, activation);
        AssertMatchesFiniteDifferences(gradient, z, at => loss.Sum(Activate(at, activation), y, Batch, Units) / Batch, $"{loss.Name} fused with {activation}");

        Assert.Contains(gradient, g => Math.Abs(g) > 1e-3);
    }

    [Fact]
    public void Shapes_that_do_not_match_are_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => Loss.MeanSquaredError.Sum(new float[5], new float[6], 2, 3));
        Assert.Contains("outputs hold 5 floats; 2 samples × 3 outputs = 6 expected", e.Message);
    }
}
