using DeepGen.Cpu;
using DeepGen.Tests.Shared;

namespace DeepGen.Runtime.Tests.Cpu;

/// <summary>
/// Batch normalization against <see cref="NaiveBatchNormalization"/>'s double definitions, central finite differences
/// of a loss through the whole training pass, the fused SGD step, the mask-then-derivative finish and the argument
/// checks.
/// </summary>
public class BatchNormalizationKernelTests
{
    private const float Epsilon = 1e-3f;  // Keras' default
    private const float Momentum = 0.99f; // Keras' default

    public static TheoryData<int, int> Shapes() => new()
    {
        // rows, channels: odd channel counts leave a scalar tail after the vectors; 300 spans two channel blocks.
        { 1, 3 },
        { 2, 17 },
        { 5, 37 },
        { 1000, 3 },
        { 1000, 17 },
        { 7, 300 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_training_matches_the_definition(int rows, int channels)
    {
        var x = NaiveKernels.Random(rows * channels, 1, -3f, 5f);
        CheckTraining(x, rows, channels, seed: 2);
    }

    [Fact]
    public void Forward_training_keeps_float_accuracy_over_many_rows_offset_by_a_large_mean()
    {
        // 128 × 26 × 26 rows around 1000: float sums would lose the small spread (the variance) entirely.
        const int rows = 128 * 26 * 26, channels = 17;
        var x = NaiveKernels.Random(rows * channels, 3, -0.5f, 0.5f).Select(v => 1000f + v).ToArray();
        CheckTraining(x, rows, channels, seed: 4);
    }

    [Fact]
    public void A_channel_gets_the_same_bits_whether_it_falls_in_a_vector_or_in_the_tail()
    {
        const int rows = 50, channels = 37;
        var x = NaiveKernels.Random(rows * channels, 5);
        var whole = Training(x, rows, channels, seed: 6);
        for (var c = 0; c < channels; c += 9)
        {
            var column = Enumerable.Range(0, rows).Select(r => x[r * channels + c]).ToArray();
            var alone = Training(column, rows, 1, seed: 6, gammaAt: c, channels);
            FiniteDifferences.AssertBitwise([whole.Statistics[c], whole.Statistics[channels + c]], alone.Statistics, $"statistics of channel {c}");
            FiniteDifferences.AssertBitwise(Enumerable.Range(0, rows).Select(r => whole.Normalized[r * channels + c]).ToArray(), alone.Normalized, $"normalized channel {c}");
            FiniteDifferences.AssertBitwise(Enumerable.Range(0, rows).Select(r => whole.Output[r * channels + c]).ToArray(), alone.Output, $"output channel {c}");
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_inference_matches_the_definition(int rows, int channels)
    {
        var x = NaiveKernels.Random(rows * channels, 7, -3f, 5f);
        var (gamma, beta) = (NaiveKernels.Random(channels, 8, 0.5f, 2f), NaiveKernels.Random(channels, 9));
        var (mean, variance) = (NaiveKernels.Random(channels, 10), NaiveKernels.Random(channels, 11, 0.1f, 3f));
        var y = Filled(x.Length);
        BatchNormalizationKernels.ForwardInference(y, x, gamma, beta, mean, variance, rows, channels, Epsilon);
        var expected = NaiveBatchNormalization.Inference(x, gamma, beta, mean, variance, rows, channels, Epsilon);
        for (var i = 0; i < y.Length; i++)
        {
            var c = i % channels;
            var magnitude = Math.Abs(gamma[c] * (x[i] - (double)mean[c]) / Math.Sqrt(variance[c] + Epsilon)) + Math.Abs(beta[c]);
            AssertNear(expected[i], y[i], 5e-7 * magnitude, $"y[{i}]");
        }
    }

    [Fact]
    public void An_inference_row_does_not_depend_on_the_batch_it_is_in()
    {
        const int rows = 7, channels = 37;
        var x = NaiveKernels.Random(rows * channels, 12, -3f, 5f);
        var (gamma, beta) = (NaiveKernels.Random(channels, 13, 0.5f, 2f), NaiveKernels.Random(channels, 14));
        var (mean, variance) = (NaiveKernels.Random(channels, 15), NaiveKernels.Random(channels, 16, 0.1f, 3f));
        var batch = new float[x.Length];
        BatchNormalizationKernels.ForwardInference(batch, x, gamma, beta, mean, variance, rows, channels, Epsilon);
        for (var r = 0; r < rows; r++)
        {
            var alone = new float[channels];
            BatchNormalizationKernels.ForwardInference(alone, x.AsSpan(r * channels, channels), gamma, beta, mean, variance, 1, channels, Epsilon);
            FiniteDifferences.AssertBitwise(batch[(r * channels)..((r + 1) * channels)], alone, $"row {r}");
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Backward_matches_the_formulas(int rows, int channels)
    {
        var x = NaiveKernels.Random(rows * channels, 17, -3f, 5f);
        var forward = Training(x, rows, channels, seed: 18);
        var dy = NaiveKernels.Random(x.Length, 19);
        var (dx, dGamma, dBeta) = (Filled(x.Length), Filled(channels), Filled(channels));
        var (gamma, beta) = (forward.Gamma.ToArray(), forward.Beta.ToArray());
        BatchNormalizationKernels.Backward<LinearActivation>(dx, dy, forward.Normalized, forward.Statistics, [], [],
            gamma, beta, dGamma, dBeta, 0f, rows, channels);
        Assert.Equal(forward.Gamma, gamma); // no step at a zero learning rate
        Assert.Equal(forward.Beta, beta);

        var inverse = forward.Statistics[channels..];
        var (expectedDx, expectedGamma, expectedBeta) =
            NaiveBatchNormalization.Backward(dy, forward.Normalized, inverse, forward.Gamma, rows, channels);
        for (var c = 0; c < channels; c++)
        {
            double absDy = 0, absDyN = 0;
            for (var r = 0; r < rows; r++)
            {
                absDy += Math.Abs(dy[r * channels + c]);
                absDyN += Math.Abs((double)dy[r * channels + c] * forward.Normalized[r * channels + c]);
            }

            AssertNear(expectedBeta[c], dBeta[c], 1e-12 * absDy + 6e-8 * Math.Abs(expectedBeta[c]), $"dBeta[{c}]");
            AssertNear(expectedGamma[c], dGamma[c], 1e-12 * absDyN + 6e-8 * Math.Abs(expectedGamma[c]), $"dGamma[{c}]");
            for (var r = 0; r < rows; r++)
            {
                var i = r * channels + c;
                var terms = Math.Abs((double)forward.Gamma[c] * inverse[c] / rows) *
                    (rows * Math.Abs(dy[i]) + absDy + Math.Abs(forward.Normalized[i]) * absDyN);
                AssertNear(expectedDx[i], dx[i], 1e-12 * terms + 1.2e-7 * Math.Abs(expectedDx[i]), $"dx[{i}]");
            }
        }
    }

    [Fact]
    public void Gradients_match_finite_differences_of_the_training_pass()
    {
        // L = Σ r · y through the double definition, so r is the output gradient. The input gradient must carry the
        // dependence of the batch mean and variance on every x: without it dx would be γ · invStd · r.
        const int rows = 6, channels = 5;
        const double h = 1e-5;
        var x = NaiveKernels.Random(rows * channels, 20, -2f, 3f);
        var forward = Training(x, rows, channels, seed: 21);
        var r = NaiveKernels.Random(x.Length, 22);
        var (dx, dGamma, dBeta) = (Filled(x.Length), Filled(channels), Filled(channels));
        BatchNormalizationKernels.Backward<LinearActivation>(dx, r, forward.Normalized, forward.Statistics, [], [],
            forward.Gamma.ToArray(), forward.Beta.ToArray(), dGamma, dBeta, 0f, rows, channels);

        var (xs, gammas, betas) = (NaiveBatchNormalization.ToDouble(x), NaiveBatchNormalization.ToDouble(forward.Gamma),
            NaiveBatchNormalization.ToDouble(forward.Beta));
        double Loss() => NaiveBatchNormalization.Training(xs, gammas, betas, rows, channels, Epsilon).Output
            .Select((v, i) => r[i] * v).Sum();

        void Check(double[] values, float[] gradient, string what)
        {
            for (var i = 0; i < values.Length; i++)
            {
                var original = values[i];
                values[i] = original + h;
                var above = Loss();
                values[i] = original - h;
                var below = Loss();
                values[i] = original;
                var numeric = (above - below) / (2 * h);
                Assert.True(Math.Abs(numeric - gradient[i]) <= 1e-4 * (1 + Math.Abs(numeric)),
                    $"{what}[{i}]: kernel {gradient[i]:G9}, finite difference {numeric:G9}.");
            }
        }

        Check(xs, dx, "dx");
        Check(gammas, dGamma, "dGamma");
        Check(betas, dBeta, "dBeta");
    }

    [Fact]
    public void The_fused_sgd_step_equals_the_unfused_one_and_follows_the_input_gradient()
    {
        const int rows = 40, channels = 37;
        const float rate = 0.05f;
        var forward = Training(NaiveKernels.Random(rows * channels, 23), rows, channels, seed: 24);
        var dy = NaiveKernels.Random(rows * channels, 25);

        var (dx, dGamma, dBeta) = (Filled(dy.Length), Filled(channels), Filled(channels));
        var (gamma, beta) = (forward.Gamma.ToArray(), forward.Beta.ToArray());
        BatchNormalizationKernels.Backward<LinearActivation>(dx, dy, forward.Normalized, forward.Statistics, [], [],
            gamma, beta, dGamma, dBeta, 0f, rows, channels);
        ElementWise.SgdStep(gamma, dGamma, rate);
        ElementWise.SgdStep(beta, dBeta, rate);

        var (fusedDx, fusedGammaGradient, fusedBetaGradient) = (Filled(dy.Length), Filled(channels), Filled(channels));
        var (fusedGamma, fusedBeta) = (forward.Gamma.ToArray(), forward.Beta.ToArray());
        BatchNormalizationKernels.Backward<LinearActivation>(fusedDx, dy, forward.Normalized, forward.Statistics, [], [],
            fusedGamma, fusedBeta, fusedGammaGradient, fusedBetaGradient, rate, rows, channels);

        FiniteDifferences.AssertBitwise(dx, fusedDx, "dx (from the old gamma)");
        FiniteDifferences.AssertBitwise(dGamma, fusedGammaGradient, "dGamma");
        FiniteDifferences.AssertBitwise(dBeta, fusedBetaGradient, "dBeta");
        FiniteDifferences.AssertBitwise(gamma, fusedGamma, "gamma");
        FiniteDifferences.AssertBitwise(beta, fusedBeta, "beta");
        Assert.NotEqual(forward.Gamma, fusedGamma);
    }

    [Fact]
    public void Backward_applies_the_mask_then_the_previous_derivative_and_skips_an_empty_input_gradient()
    {
        const int rows = 9, channels = 17;
        var x = NaiveKernels.Random(rows * channels, 26, 0.01f, 0.99f); // sigmoid outputs of the layer below
        var forward = Training(x, rows, channels, seed: 27);
        var mask = Enumerable.Range(0, x.Length).Select(i => i % 3 == 0 ? 0f : 1f / 0.7f).ToArray();
        var dy = NaiveKernels.Random(x.Length, 28);

        var (plain, dGamma, dBeta) = (Filled(x.Length), Filled(channels), Filled(channels));
        BatchNormalizationKernels.Backward<LinearActivation>(plain, dy, forward.Normalized, forward.Statistics, [], [],
            forward.Gamma.ToArray(), forward.Beta.ToArray(), dGamma, dBeta, 0f, rows, channels);
        var finished = Filled(x.Length);
        BatchNormalizationKernels.Backward<SigmoidActivation>(finished, dy, forward.Normalized, forward.Statistics, x, mask,
            forward.Gamma.ToArray(), forward.Beta.ToArray(), Filled(channels), Filled(channels), 0f, rows, channels);
        FiniteDifferences.AssertBitwise(plain.Select((v, i) => v * mask[i] * x[i] * (1f - x[i])).ToArray(), finished,
            "gradient, mask and derivative");

        // The first layer: no input gradient, so the saved values and mask are neither needed nor read.
        var (firstGamma, firstBeta) = (Filled(channels), Filled(channels));
        BatchNormalizationKernels.Backward<ReluActivation>([], dy, forward.Normalized, forward.Statistics, [], [],
            forward.Gamma.ToArray(), forward.Beta.ToArray(), firstGamma, firstBeta, 0f, rows, channels);
        FiniteDifferences.AssertBitwise(dGamma, firstGamma, "dGamma without dx");
        FiniteDifferences.AssertBitwise(dBeta, firstBeta, "dBeta without dx");
    }

    [Fact]
    public void Wrong_buffer_lengths_and_settings_are_refused_naming_the_operand()
    {
        const int rows = 4, channels = 3;
        float[] Values(int count = rows * channels) => new float[count];
        float[] Channel(int count = channels) => new float[count];

        void Refused(string name, Action call) => Assert.Equal(name, Assert.ThrowsAny<ArgumentException>(call).ParamName);

        Refused("output", () => BatchNormalizationKernels.ForwardTraining(Values(11), Values(), Channel(6), Values(), Channel(), Channel(), Channel(), Channel(), rows, channels, Momentum, Epsilon));
        Refused("normalized", () => BatchNormalizationKernels.ForwardTraining(Values(), Values(13), Channel(6), Values(), Channel(), Channel(), Channel(), Channel(), rows, channels, Momentum, Epsilon));
        Refused("batchStatistics", () => BatchNormalizationKernels.ForwardTraining(Values(), Values(), Channel(3), Values(), Channel(), Channel(), Channel(), Channel(), rows, channels, Momentum, Epsilon));
        Refused("movingVariance", () => BatchNormalizationKernels.ForwardTraining(Values(), Values(), Channel(6), Values(), Channel(), Channel(), Channel(), Channel(4), rows, channels, Momentum, Epsilon));
        Refused("momentum", () => BatchNormalizationKernels.ForwardTraining(Values(), Values(), Channel(6), Values(), Channel(), Channel(), Channel(), Channel(), rows, channels, 1.5f, Epsilon));
        Refused("momentum", () => BatchNormalizationKernels.ForwardTraining(Values(), Values(), Channel(6), Values(), Channel(), Channel(), Channel(), Channel(), rows, channels, float.NaN, Epsilon));
        Refused("epsilon", () => BatchNormalizationKernels.ForwardTraining(Values(), Values(), Channel(6), Values(), Channel(), Channel(), Channel(), Channel(), rows, channels, Momentum, 0f));
        Refused("epsilon", () => BatchNormalizationKernels.ForwardInference(Values(), Values(), Channel(), Channel(), Channel(), Channel(), rows, channels, float.PositiveInfinity));
        Refused("rows", () => BatchNormalizationKernels.ForwardInference([], [], Channel(), Channel(), Channel(), Channel(), 0, channels, Epsilon));
        Refused("channels", () => BatchNormalizationKernels.ForwardInference([], [], [], [], [], [], rows, -1, Epsilon));
        Refused("movingMean", () => BatchNormalizationKernels.ForwardInference(Values(), Values(), Channel(), Channel(), Channel(2), Channel(), rows, channels, Epsilon));
        Refused("inputGradient", () => BatchNormalizationKernels.Backward<LinearActivation>(Values(5), Values(), Values(), Channel(6), [], [], Channel(), Channel(), Channel(), Channel(), 0f, rows, channels));
        Refused("previousSaved", () => BatchNormalizationKernels.Backward<ReluActivation>(Values(), Values(), Values(), Channel(6), [], [], Channel(), Channel(), Channel(), Channel(), 0f, rows, channels));
        Refused("dropoutMask", () => BatchNormalizationKernels.Backward<LinearActivation>(Values(), Values(), Values(), Channel(6), [], Values(3), Channel(), Channel(), Channel(), Channel(), 0f, rows, channels));
        Refused("normalized", () => BatchNormalizationKernels.Backward<LinearActivation>([], Values(), Values(7), Channel(6), [], [], Channel(), Channel(), Channel(), Channel(), 0f, rows, channels));
        Refused("gammaGradients", () => BatchNormalizationKernels.Backward<LinearActivation>([], Values(), Values(), Channel(6), [], [], Channel(), Channel(), Channel(1), Channel(), 0f, rows, channels));
    }

    /// <summary>What one training pass saves and the parameters it ran with.</summary>
    internal sealed record TrainingResult(float[] Output, float[] Normalized, float[] Statistics, float[] Gamma, float[] Beta);

    /// <summary>
    /// One training pass with random parameters from <paramref name="seed"/>; <paramref name="gammaAt"/> picks one
    /// channel of the <paramref name="ofChannels"/> the seed would give, so a single channel can be run alone.
    /// </summary>
    internal static TrainingResult Training(float[] x, int rows, int channels, int seed, int gammaAt = -1, int ofChannels = 0)
    {
        var width = gammaAt < 0 ? channels : ofChannels;
        var gamma = NaiveKernels.Random(width, seed, 0.5f, 2f);
        var beta = NaiveKernels.Random(width, seed + 1000);
        if (gammaAt >= 0) (gamma, beta) = ([gamma[gammaAt]], [beta[gammaAt]]);
        var (y, n, statistics) = (Filled(x.Length), Filled(x.Length), Filled(2 * channels));
        var (movingMean, movingVariance) = (new float[channels], Enumerable.Repeat(1f, channels).ToArray());
        BatchNormalizationKernels.ForwardTraining(y, n, statistics, x, gamma, beta, movingMean, movingVariance, rows, channels, Momentum, Epsilon);
        return new TrainingResult(y, n, statistics, gamma, beta);
    }

    private static void CheckTraining(float[] x, int rows, int channels, int seed)
    {
        var gamma = NaiveKernels.Random(channels, seed, 0.5f, 2f);
        var beta = NaiveKernels.Random(channels, seed + 1);
        var movingMean = NaiveKernels.Random(channels, seed + 2);
        var movingVariance = NaiveKernels.Random(channels, seed + 3, 0.5f, 2f);
        var (oldMean, oldVariance) = (movingMean.ToArray(), movingVariance.ToArray());
        var (y, n, statistics) = (Filled(x.Length), Filled(x.Length), Filled(2 * channels));
        BatchNormalizationKernels.ForwardTraining(y, n, statistics, x, gamma, beta, movingMean, movingVariance, rows, channels, Momentum, Epsilon);

        var expected = NaiveBatchNormalization.Training(NaiveBatchNormalization.ToDouble(x), NaiveBatchNormalization.ToDouble(gamma),
            NaiveBatchNormalization.ToDouble(beta), rows, channels, Epsilon);
        for (var c = 0; c < channels; c++)
        {
            // The statistics are each rounded once from sums exact to far below float precision.
            AssertNear(expected.Mean[c], statistics[c], 6.1e-8 * Math.Abs(expected.Mean[c]), $"mean[{c}]");
            AssertNear(expected.InverseStd[c], statistics[channels + c], 6.1e-8 * expected.InverseStd[c], $"inverse std[{c}]");
            var keep = Math.Abs(oldMean[c] * Momentum) + Math.Abs(expected.Mean[c] * (1 - Momentum));
            AssertNear(oldMean[c] * Momentum + expected.Mean[c] * (1 - Momentum), movingMean[c], 4e-7 * keep, $"moving mean[{c}]");
            keep = oldVariance[c] * Momentum + expected.Variance[c] * (1 - Momentum);
            AssertNear(keep, movingVariance[c], 4e-7 * keep, $"moving variance[{c}]");
        }

        for (var i = 0; i < x.Length; i++)
        {
            var c = i % channels;
            AssertNear(expected.Normalized[i], n[i], 6.1e-8 * Math.Abs(expected.Normalized[i]) + 1e-12, $"normalized[{i}]");
            AssertNear(expected.Output[i], y[i], 2.5e-7 * (Math.Abs(gamma[c] * expected.Normalized[i]) + Math.Abs(beta[c])), $"output[{i}]");
        }
    }

    private static void AssertNear(double expected, float actual, double bound, string what)
    {
        if (!(Math.Abs(actual - expected) <= bound + 1e-30))
            Assert.Fail($"{what}: kernel {actual:G9}, reference {expected:G9} (bound {bound:G3}).");
    }

    /// <summary>A buffer full of NaN: the kernels overwrite, never accumulate.</summary>
    private static float[] Filled(int length) => Enumerable.Repeat(float.NaN, length).ToArray();
}

/// <summary>A steady-state batch normalization pass allocates nothing.</summary>
[Collection(ThreadSettingsCollection.Name)]
public class BatchNormalizationKernelAllocationTests
{
    [Fact]
    public void Batch_normalization_passes_allocate_nothing()
    {
        const int rows = 64, channels = 300;
        var x = NaiveKernels.Random(rows * channels, 30, 0f, 1f);
        var mask = NaiveKernels.Random(x.Length, 31, 0f, 2f);
        var dy = NaiveKernels.Random(x.Length, 32);
        var (y, n, dx) = (new float[x.Length], new float[x.Length], new float[x.Length]);
        var statistics = new float[2 * channels];
        var (gamma, beta) = (NaiveKernels.Random(channels, 33, 0.5f, 2f), NaiveKernels.Random(channels, 34));
        var (movingMean, movingVariance) = (new float[channels], Enumerable.Repeat(1f, channels).ToArray());
        var (dGamma, dBeta) = (new float[channels], new float[channels]);

        void Pass()
        {
            BatchNormalizationKernels.ForwardTraining(y, n, statistics, x, gamma, beta, movingMean, movingVariance, rows, channels, 0.99f, 1e-3f);
            BatchNormalizationKernels.Backward<SigmoidActivation>(dx, dy, n, statistics, x, mask, gamma, beta, dGamma, dBeta, 1e-3f, rows, channels);
            BatchNormalizationKernels.Backward<LinearActivation>([], dy, n, statistics, [], [], gamma, beta, dGamma, dBeta, 0f, rows, channels);
            BatchNormalizationKernels.ForwardInference(y, x, gamma, beta, movingMean, movingVariance, rows, channels, 1e-3f);
        }

        Pass();
        Assert.Equal(0, ThreadAllocation.Least(Pass));
    }
}
