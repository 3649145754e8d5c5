using static DeepGen.Runtime.Tests.Training.LossGradientCases;

namespace DeepGen.Runtime.Tests.Training;

/// <summary>
/// The losses with sample weights (Keras's <c>sample_weight</c>, reduction <c>sum_over_batch_size</c>): the value is
/// <c>Σ wᵢ lᵢ / batch</c>, its gradient matches finite differences for every loss kind, weights of 1 give the unweighted
/// bits, and bad weights or targets are refused naming the sample.
/// </summary>
public class WeightedLossTests
{
    /// <summary>Uneven weights, one of them 0 so that a sample which must not count is part of every check.</summary>
    private static readonly float[] Weights = [0.5f, 2.5f, 0f];

    public static TheoryData<string, Activation> Cases()
    {
        var data = new TheoryData<string, Activation>();
        foreach (var activation in new[] { Activation.Linear, Activation.Sigmoid, Activation.Tanh, Activation.Softmax })
            foreach (var loss in new[] { "mse", "mae", "huber2", "bce", "cce", "scce" })
                data.Add(loss, activation);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Weighted_gradient_matches_finite_differences_of_the_weighted_loss(string lossName, Activation activation)
    {
        var (loss, y) = LossAndTargets(lossName);
        var z = Inputs(lossName);
        var gradient = new float[Batch * Units];
        var value = loss.Gradient(gradient, Activate(z, activation), y, Weights, Batch, Units, activation);
        Assert.Equal(WeightedMean(loss, z, y, activation), value, 1e-6);

        AssertMatchesFiniteDifferences(gradient, z, at => WeightedMean(loss, at, y, activation), $"{loss.Name} through {activation}");

        // The zero-weight sample has no gradient; the others have some, so the comparison above was not of zeros.
        Assert.All(gradient.AsSpan(2 * Units, Units).ToArray(), g => Assert.Equal(0f, g));
        Assert.Contains(gradient, g => Math.Abs(g) > 1e-3);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Weights_of_one_give_the_unweighted_bits(string lossName, Activation activation)
    {
        var (loss, y) = LossAndTargets(lossName);
        var p = Activate(Inputs(lossName), activation);
        var plain = new float[Batch * Units];
        var weighted = new float[Batch * Units];
        var plainValue = loss.Gradient(plain, p, y, Batch, Units, activation);
        var weightedValue = loss.Gradient(weighted, p, y, [1f, 1f, 1f], Batch, Units, activation);
        Assert.Equal(plainValue, weightedValue);
        Assert.Equal(plain, weighted);
        Assert.Equal(loss.Sum(p, y, Batch, Units), loss.Sum(p, y, [1f, 1f, 1f], Batch, Units));
    }

    [Fact]
    public void The_weighted_loss_is_the_weighted_sum_over_the_batch_size_not_over_the_weights()
    {
        // Keras's sum_over_batch_size: (0.5 · l0 + 2.5 · l1 + 0 · l2) / 3, where mean_with_sample_weight would divide by 3 (Σw).
        float[] p = [0.5f, 1f, 2f];
        float[] y = [0f, 0f, 0f];
        float[] w = [0.5f, 2.5f, 4f];
        var expected = (0.5 * 0.25 + 2.5 * 1 + 4 * 4) / 3;
        Assert.Equal(expected, Loss.MeanSquaredError.Sum(p, y, w, 3, 1) / 3, 1e-12);
        Assert.Equal(expected, Loss.MeanSquaredError.Gradient(new float[3], p, y, w, 3, 1, Activation.Linear), 1e-6);
    }

    [Theory]
    [InlineData(-0.5f, "The weight of sample 1 is -0.5")]
    [InlineData(float.NaN, "The weight of sample 1 is NaN")]
    [InlineData(float.PositiveInfinity, "The weight of sample 1 is Infinity")]
    public void Bad_weights_are_refused_naming_the_sample(float weight, string message)
    {
        float[] p = [0.5f, 1f, 2f];
        float[] y = [0f, 0f, 0f];
        var e = Assert.Throws<ArgumentException>(() => Loss.MeanSquaredError.Gradient(new float[3], p, y, [1f, weight, 1f], 3, 1, Activation.Linear));
        Assert.Contains(message, e.Message);
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => Loss.MeanSquaredError.Sum(p, y, [1f, weight, 1f], 3, 1)).Message);
        Assert.Contains("The sample weights hold 2 values; 3 expected", Assert.Throws<ArgumentException>(
            () => Loss.MeanSquaredError.Sum(p, y, [1f, 1f], 3, 1)).Message);
    }

    [Theory]
    [InlineData(1.5f)]
    [InlineData(-0.25f)]
    [InlineData(float.NaN)]
    public void Binary_cross_entropy_refuses_a_target_outside_0_to_1_naming_sample_and_target(float target)
    {
        var y = new float[6];
        y[1 * 2 + 1] = target;
        var e = Assert.Throws<ArgumentException>(() => Loss.BinaryCrossEntropy.Gradient(new float[6], new float[6], y, 3, 2, Activation.Sigmoid));
        Assert.Contains(FormattableString.Invariant($"The batch's targets hold {target} at sample 1, target 1"), e.Message);
        Assert.Contains("targets in [0, 1]", e.Message);
        // 0, 1 and probabilities between are accepted, as in Keras.
        Loss.BinaryCrossEntropy.Sum(new float[6], [0f, 1f, 0.25f, 1f, 0f, 0.5f], 3, 2);
    }

    /// <summary>The weighted batch loss from the per-sample losses, each found alone: Σ wᵢ lᵢ / batch.</summary>
    private static double WeightedMean(Loss loss, double[] z, float[] y, Activation activation)
    {
        var p = Activate(z, activation);
        var width = loss.TargetsPerSample(Units);
        var total = 0.0;
        for (var s = 0; s < Batch; s++)
            total += Weights[s] * loss.Sum(p.AsSpan(s * Units, Units), y.AsSpan(s * width, width), 1, Units);
        return total / Batch;
    }
}
