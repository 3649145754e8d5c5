using DeepGen.Cpu;

namespace DeepGen.Runtime.Tests.Cpu;

/// <summary>
/// Keras's Normalization kernels against the definition written here in double, central finite differences of a
/// loss through the forward pass, the mask-then-derivative finish, the statistics against a naive two-pass numpy
/// mean and variance, and the argument checks.
/// </summary>
public class NormalizationKernelTests
{
    public static TheoryData<int, int> Shapes() => new()
    {
        // rows, features: odd feature counts leave a scalar tail after the vectors; 300 spans two feature blocks.
        { 1, 1 },
        { 1, 3 },
        { 2, 17 },
        { 5, 37 },
        { 1000, 3 },
        { 7, 300 },
    };

    /// <summary>The definition, <c>(x - mean) / max(√variance, 1e-7)</c>, in double.</summary>
    private static double[] NaiveForward(float[] x, float[] mean, float[] variance, int rows, int features)
    {
        var y = new double[rows * features];
        for (var r = 0; r < rows; r++)
            for (var f = 0; f < features; f++)
                y[r * features + f] = (x[r * features + f] - (double)mean[f]) / Math.Max(Math.Sqrt(variance[f]), 1e-7);
        return y;
    }

    private static (float[] Mean, float[] Variance) Statistics(int features, int seed)
    {
        var mean = NaiveKernels.Random(features, seed, -2f, 3f);
        var variance = NaiveKernels.Random(features, seed + 1, 0.01f, 4f);
        variance[0] = 0f; // a constant feature: the epsilon floor applies
        return (mean, variance);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_matches_the_definition(int rows, int features)
    {
        var x = NaiveKernels.Random(rows * features, 1, -3f, 5f);
        var (mean, variance) = Statistics(features, 2);
        var y = new float[x.Length];
        NormalizationKernels.Forward(y, x, mean, variance, rows, features);
        var expected = NaiveForward(x, mean, variance, rows, features);
        for (var i = 0; i < y.Length; i++)
            Assert.True(Math.Abs(y[i] - expected[i]) <= 1e-6 * Math.Max(1, Math.Abs(expected[i])), $"y[{i}] = {y[i]:G9}, expected {expected[i]:G9}.");
    }

    [Fact]
    public void A_zero_variance_divides_by_the_epsilon_as_Keras_does()
    {
        float[] x = [2f, 2.5f];
        var y = new float[2];
        NormalizationKernels.Forward(y, x, [2f], [0f], rows: 2, features: 1);
        Assert.Equal(0f, y[0]);
        Assert.Equal(0.5f / 1e-7f, y[1]);
        // A variance below ε² is floored too; above it, the square root is used.
        Assert.Equal(1e-7f, NormalizationKernels.StandardDeviation(1e-16f));
        Assert.Equal(MathF.Sqrt(1e-12f), NormalizationKernels.StandardDeviation(1e-12f));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Backward_matches_finite_differences_of_a_loss_through_forward(int rows, int features)
    {
        var x = NaiveKernels.Random(rows * features, 3, -2f, 2f);
        var (mean, variance) = Statistics(features, 4);
        variance[0] = 0.25f; // finite differences across a 1e7 slope would need a step below float's resolution
        var r = NaiveKernels.Random(x.Length, 5); // loss = Σ r ⊙ y, so dLoss/dy = r
        var dx = new float[x.Length];
        NormalizationKernels.Backward<LinearActivation>(dx, r, variance, [], [], rows, features);

        double Loss(float[] input) => NaiveForward(input, mean, variance, rows, features).Select((v, i) => v * r[i]).Sum();
        const float Step = 1e-2f; // the loss is linear in x: central differences are exact up to rounding
        for (var i = 0; i < x.Length; i += Math.Max(1, x.Length / 97))
        {
            var plus = (float[])x.Clone();
            var minus = (float[])x.Clone();
            plus[i] += Step;
            minus[i] -= Step;
            var numeric = (Loss(plus) - Loss(minus)) / (plus[i] - minus[i]);
            Assert.True(Math.Abs(dx[i] - numeric) <= 1e-4 * Math.Max(1, Math.Abs(numeric)), $"dx[{i}] = {dx[i]:G9}, finite differences {numeric:G9}.");
        }
    }

    [Fact]
    public void Backward_applies_the_dropout_mask_then_the_previous_activation_derivative()
    {
        const int rows = 3, features = 5;
        var dy = NaiveKernels.Random(rows * features, 6);
        var (_, variance) = Statistics(features, 7);
        var mask = NaiveKernels.Random(rows * features, 8).Select(v => v > 0 ? 2f : 0f).ToArray();
        var previousOutputs = NaiveKernels.Random(rows * features, 9, 0.05f, 0.95f); // sigmoid outputs
        var dx = new float[rows * features];
        NormalizationKernels.Backward<SigmoidActivation>(dx, dy, variance, previousOutputs, mask, rows, features);
        for (var i = 0; i < dx.Length; i++)
        {
            var s = previousOutputs[i];
            var expected = dy[i] / Math.Max(Math.Sqrt(variance[i % features]), 1e-7) * mask[i] * s * (1 - s);
            Assert.Equal(expected, dx[i], 1e-6 * Math.Max(1, Math.Abs(expected)));
        }
    }

    [Fact]
    public void Statistics_equal_numpy_mean_and_population_variance_whatever_the_batches()
    {
        // Values around 10⁴ with a spread of 1: float sums, or a one-pass Σx² - n·mean², would lose the variance.
        const int rows = 5000, features = 7;
        var x = NaiveKernels.Random(rows * features, 10, -0.5f, 0.5f).Select((v, i) => 10_000f * (i % features) + v).ToArray();
        var mean = new double[features];
        var variance = new double[features];
        for (var f = 0; f < features; f++)
        {
            for (var r = 0; r < rows; r++) mean[f] += x[r * features + f];
            mean[f] /= rows;
            for (var r = 0; r < rows; r++) variance[f] += (x[r * features + f] - mean[f]) * (x[r * features + f] - mean[f]);
            variance[f] /= rows;
        }

        foreach (var batch in new[] { rows, 1, 3, 256, 4999 })
        {
            var statistics = new NormalizationStatistics(features);
            for (var start = 0; start < rows; start += batch)
                statistics.Add(x.AsSpan(start * features, Math.Min(batch, rows - start) * features));
            Assert.Equal(rows, statistics.Count);
            var m = new float[features];
            var v = new float[features];
            statistics.WriteTo(m, v);
            for (var f = 0; f < features; f++)
            {
                Assert.Equal((float)mean[f], m[f]);
                Assert.True(Math.Abs(v[f] - variance[f]) <= 1e-6 * variance[f], $"Batches of {batch}: variance[{f}] = {v[f]:G9}, naive {variance[f]:G9}.");
            }
        }
    }

    [Fact]
    public void Arguments_are_checked()
    {
        var y = new float[6];
        Assert.Contains("'input'", Assert.Throws<ArgumentException>(() => NormalizationKernels.Forward(y, new float[5], new float[3], new float[3], 2, 3)).Message);
        Assert.Contains("'variance'", Assert.Throws<ArgumentException>(() => NormalizationKernels.Forward(y, new float[6], new float[3], new float[2], 2, 3)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => NormalizationKernels.Forward(y, new float[6], new float[3], new float[3], 0, 3));
        Assert.Contains("'outputGradient'", Assert.Throws<ArgumentException>(() =>
            NormalizationKernels.Backward<LinearActivation>(y, new float[4], new float[3], [], [], 2, 3)).Message);
        var statistics = new NormalizationStatistics(3);
        Assert.Throws<InvalidOperationException>(() => statistics.WriteTo(new float[3], new float[3]));
        Assert.Throws<ArgumentException>(() => statistics.Add(new float[4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NormalizationStatistics(0));
    }
}
