using static DeepGen.Runtime.Tests.Training.LossGradientCases;

namespace DeepGen.Runtime.Tests.Training;

/// <summary>
/// Mean absolute error, Huber, binary and sparse categorical cross-entropy: values against hand-computed cases with
/// Keras's reduction, and the gradient each writes through every output activation against finite differences.
/// </summary>
public class KerasLossTests
{
    [Fact]
    public void Mean_absolute_error_is_the_mean_over_outputs_and_over_the_batch()
    {
        float[] p = [0.1f, 0.7f, 0.2f, 0.5f, 0.5f, 0.0f];
        float[] y = [0f, 1f, 0f, 1f, 0f, 0f];
        var expected = ((0.1 + 0.3 + 0.2) / 3 + (0.5 + 0.5 + 0) / 3) / 2;
        Assert.Equal(expected, Loss.MeanAbsoluteError.Sum(p, y, 2, 3) / 2, 1e-7);
        Assert.Equal(expected, Loss.MeanAbsoluteError.Gradient(new float[6], p, y, 2, 3, Activation.Linear), 1e-7);
        Assert.Equal("mean_absolute_error", Loss.MeanAbsoluteError.Name);
    }

    [Fact]
    public void Huber_is_quadratic_within_delta_and_linear_beyond()
    {
        // x = 0.5, 2, -3 with δ = 1: 0.125, 2 - 0.5 = 1.5, 3 - 0.5 = 2.5.
        float[] p = [0.5f, 2f, -3f];
        float[] y = [0f, 0f, 0f];
        Assert.Equal(4.125 / 3, Loss.Huber.Sum(p, y, 1, 3), 1e-7);
        // δ = 2: 0.125, ½·4 = 2, 2·3 - 2 = 4.
        Assert.Equal(6.125 / 3, new HuberLoss(2f).Sum(p, y, 1, 3), 1e-7);
        var gradient = new float[3];
        Loss.Huber.Gradient(gradient, p, y, 1, 3, Activation.Linear);
        Assert.Equal([0.5f / 3, 1f / 3, -1f / 3], gradient);
        Assert.Contains("delta must be a positive", Assert.Throws<ArgumentOutOfRangeException>(() => new HuberLoss(0f)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new HuberLoss(float.NaN));
    }

    [Fact]
    public void Binary_cross_entropy_averages_over_outputs_and_clips_as_keras_does()
    {
        float[] p = [0.8f, 0.3f];
        float[] y = [1f, 0f];
        var expected = -(Math.Log(0.8 + 1e-7) + Math.Log(0.7 + 1e-7)) / 2;
        Assert.Equal(expected, Loss.BinaryCrossEntropy.Sum(p, y, 1, 2), 1e-6);
        // Certain and wrong: p is clipped to ε = 1e-7 and to 1 - ε, which in single precision (as in Keras) is 1 - 2⁻²³.
        double low = 1e-7f, high = 1f - 1e-7f;
        Assert.Equal(-(Math.Log(low + 1e-7) + Math.Log(1 - high + 1e-7)) / 2, Loss.BinaryCrossEntropy.Sum([0f, 1f], y, 1, 2), 1e-6);
        // Soft targets are allowed, as in Keras.
        Assert.Equal(-(0.3 * Math.Log(0.5 + 1e-7) + 0.7 * Math.Log(0.5 + 1e-7)), Loss.BinaryCrossEntropy.Sum([0.5f], [0.3f], 1, 1), 1e-6);
    }

    [Fact]
    public void Binary_cross_entropy_fused_with_sigmoid_is_p_minus_y_over_batch_and_units()
    {
        float[] p = [0.8f, 0.3f, 0.6f, 0.1f];
        float[] y = [1f, 0f, 0f, 1f];
        var gradient = new float[4];
        Loss.BinaryCrossEntropy.Gradient(gradient, p, y, 2, 2, Activation.Sigmoid);
        for (var i = 0; i < 4; i++) Assert.Equal((p[i] - y[i]) / 4, gradient[i], 7);
    }

    [Fact]
    public void Sparse_categorical_cross_entropy_takes_one_class_index_per_sample()
    {
        var loss = Loss.SparseCategoricalCrossEntropy;
        Assert.Equal(1, loss.TargetsPerSample(10));
        float[] p = [0.2f, 0.6f, 0.2f, 0.1f, 0.1f, 0.8f];
        Assert.Equal(-Math.Log(0.6) - Math.Log(0.8), loss.Sum(p, [1f, 2f], 2, 3), 1e-6);
        // The same as categorical cross-entropy on the one-hot targets, value and fused gradient.
        Assert.Equal(Loss.CategoricalCrossEntropy.Sum(p, [0, 1, 0, 0, 0, 1], 2, 3), loss.Sum(p, [1f, 2f], 2, 3), 1e-12);
        var sparse = new float[6];
        var dense = new float[6];
        loss.Gradient(sparse, p, [1f, 2f], 2, 3, Activation.Softmax);
        Loss.CategoricalCrossEntropy.Gradient(dense, p, [0, 1, 0, 0, 0, 1], 2, 3, Activation.Softmax);
        Assert.Equal(dense, sparse);
    }

    [Theory]
    [InlineData(1.5f, "Sample 1 has the label 1.5")]
    [InlineData(-1f, "Sample 1 has the label -1")]
    [InlineData(3f, "Sample 1 has the label 3")]
    [InlineData(float.NaN, "Sample 1 has the label NaN")]
    public void Sparse_labels_that_are_not_class_indices_are_refused(float label, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => Loss.SparseCategoricalCrossEntropy.Sum(new float[6], [0f, label], 2, 3));
        Assert.Contains(message, e.Message);
        Assert.Contains("a whole number in [0, 3)", e.Message);
        Assert.Throws<ArgumentException>(() => Loss.SparseCategoricalCrossEntropy.Gradient(new float[6], new float[6], [0f, label], 2, 3, Activation.Softmax));
        // One float per sample, not one-hot rows.
        Assert.Contains("2 samples × 1 targets = 2 expected", Assert.Throws<ArgumentException>(
            () => Loss.SparseCategoricalCrossEntropy.Sum(new float[6], new float[6], 2, 3)).Message);
    }

    public static TheoryData<string, Activation> GradientCases()
    {
        var data = new TheoryData<string, Activation>();
        foreach (var loss in new[] { "mae", "huber", "huber2", "bce", "scce" })
            foreach (var activation in new[] { Activation.Linear, Activation.Sigmoid, Activation.Relu, Activation.Tanh, Activation.Softmax })
                data.Add(loss, activation);
        return data;
    }

    [Theory]
    [MemberData(nameof(GradientCases))]
    public void Gradient_matches_finite_differences_through_the_activation(string lossName, Activation activation)
    {
        var (loss, y) = LossAndTargets(lossName);
        var z = Inputs(lossName);
        var gradient = new float[Batch * Units];
        loss.Gradient(gradient, Activate(z, activation), y, Batch, Units, activation);
        AssertMatchesFiniteDifferences(gradient, z, at => loss.Sum(Activate(at, activation), y, Batch, Units) / Batch, $"{loss.Name} through {activation}");

        Assert.Contains(gradient, g => Math.Abs(g) > 1e-3);
    }
}
