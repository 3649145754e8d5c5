using System.Numerics;

namespace DeepGen.Cpu;

/// <summary>
/// Batch normalization over the last axis (Keras 3 <c>BatchNormalization(axis=-1)</c>): values are
/// <c>[rows, channels]</c> row-major, rows = batch × pixels for a channels-last image (batch alone after a dense layer),
/// and each channel is normalized over all its rows.
/// </summary>
/// <remarks>
/// <para>The per-channel sums (mean, biased variance, and the two parameter gradients) are accumulated in double, row
/// by row in row order, with channels in the vector lanes: each channel's sum is one fixed chain of double additions,
/// so the results are the same bits for any vector width, and, running on the calling thread, for any thread count.
/// Double sums keep a channel of 86,528 values offset by a large mean at float accuracy; the variance is a second pass
/// over the deviations from the mean, so it does not cancel either. Channels go in blocks of
/// <see cref="ChannelBlock"/> so the double accumulators live on the stack: no call allocates.</para>
/// <para>Gradients are overwritten, never accumulated. Each method checks its span lengths once and throws
/// <see cref="ArgumentException"/> naming the operand.</para>
/// </remarks>
public static unsafe class BatchNormalizationKernels
{
    /// <summary>The channels whose double accumulators one pass keeps on the stack (2 KiB each).</summary>
    private const int ChannelBlock = 256;

    /// <summary>
    /// The training pass. Per channel, over all rows: <c>mean</c> and the biased <c>variance</c> (divided by rows);
    /// <c>batchStatistics = [mean (channels), 1/√(variance + ε) (channels)]</c>;
    /// <c>normalized = (x - mean) / √(variance + ε)</c>, computed in double and rounded once;
    /// <c>output = gamma · normalized + beta</c>; then Keras 3's moving averages,
    /// <c>movingMean = movingMean · momentum + mean · (1 - momentum)</c> and the same for
    /// <paramref name="movingVariance"/> with the biased batch variance. <paramref name="normalized"/> and
    /// <paramref name="batchStatistics"/> are what <see cref="Backward{TPreviousActivation}"/> reads.
    /// </summary>
    public static void ForwardTraining(
        Span<float> output, Span<float> normalized, Span<float> batchStatistics, ReadOnlySpan<float> input,
        ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> movingMean, Span<float> movingVariance,
        int rows, int channels, float momentum, float epsilon)
    {
        CheckShape(rows, channels, epsilon);
        if (!(momentum >= 0f && momentum <= 1f))
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "The momentum must lie in [0, 1].");
        var size = (long)rows * channels;
        KernelArguments.CheckLength(output, size, nameof(output));
        KernelArguments.CheckLength(normalized, size, nameof(normalized));
        KernelArguments.CheckLength(batchStatistics, 2L * channels, nameof(batchStatistics));
        KernelArguments.CheckLength(input, size, nameof(input));
        KernelArguments.CheckLength(gamma, channels, nameof(gamma));
        KernelArguments.CheckLength(beta, channels, nameof(beta));
        KernelArguments.CheckLength(movingMean, channels, nameof(movingMean));
        KernelArguments.CheckLength(movingVariance, channels, nameof(movingVariance));

        var sums = stackalloc double[ChannelBlock];
        var means = stackalloc double[ChannelBlock];
        var inverses = stackalloc double[ChannelBlock];
        fixed (float* y = output)
        fixed (float* n = normalized)
        fixed (float* x = input)
        fixed (float* scale = gamma)
        fixed (float* shift = beta)
        {
            for (var first = 0; first < channels; first += ChannelBlock)
            {
                var width = Math.Min(ChannelBlock, channels - first);
                new Span<double>(sums, width).Clear();
                for (var r = 0; r < rows; r++) AddRow(sums, x + (long)r * channels + first, width);
                for (var j = 0; j < width; j++) means[j] = sums[j] / rows;

                new Span<double>(sums, width).Clear();
                for (var r = 0; r < rows; r++) AddSquaredDeviations(sums, x + (long)r * channels + first, means, width);
                for (var j = 0; j < width; j++)
                {
                    var c = first + j;
                    var variance = sums[j] / rows;
                    inverses[j] = 1.0 / Math.Sqrt(variance + epsilon);
                    batchStatistics[c] = (float)means[j];
                    batchStatistics[channels + c] = (float)inverses[j];
                    movingMean[c] = movingMean[c] * momentum + (float)means[j] * (1f - momentum);
                    movingVariance[c] = movingVariance[c] * momentum + (float)variance * (1f - momentum);
                }

                for (var r = 0; r < rows; r++)
                {
                    var at = (long)r * channels + first;
                    NormalizeRow(y + at, n + at, x + at, means, inverses, scale + first, shift + first, width);
                }
            }
        }
    }

    /// <summary>
    /// The inference pass: <c>output = gamma · (x - movingMean) / √(movingVariance + ε) + beta</c>, with the factor
    /// <c>gamma / √(movingVariance + ε)</c> computed once per channel. Each row depends only on itself and the channel
    /// constants, so a sample's prediction is the same bits whatever batch it is in.
    /// </summary>
    public static void ForwardInference(
        Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        ReadOnlySpan<float> movingMean, ReadOnlySpan<float> movingVariance, int rows, int channels, float epsilon)
    {
        CheckShape(rows, channels, epsilon);
        var size = (long)rows * channels;
        KernelArguments.CheckLength(output, size, nameof(output));
        KernelArguments.CheckLength(input, size, nameof(input));
        KernelArguments.CheckLength(gamma, channels, nameof(gamma));
        KernelArguments.CheckLength(beta, channels, nameof(beta));
        KernelArguments.CheckLength(movingMean, channels, nameof(movingMean));
        KernelArguments.CheckLength(movingVariance, channels, nameof(movingVariance));

        var factors = stackalloc float[ChannelBlock];
        fixed (float* y = output)
        fixed (float* x = input)
        fixed (float* shift = beta)
        fixed (float* mean = movingMean)
        {
            for (var first = 0; first < channels; first += ChannelBlock)
            {
                var width = Math.Min(ChannelBlock, channels - first);
                for (var j = 0; j < width; j++)
                    factors[j] = (float)(gamma[first + j] / Math.Sqrt(movingVariance[first + j] + (double)epsilon));
                for (var r = 0; r < rows; r++)
                {
                    var at = (long)r * channels + first;
                    ScaleRow(y + at, x + at, mean + first, factors, shift + first, width);
                }
            }
        }
    }

    /// <summary>
    /// The backward pass, overwriting every gradient it writes:
    /// <c>betaGradients = Σ_rows dy</c>, <c>gammaGradients = Σ_rows dy · normalized</c> (double sums, rounded once);
    /// when <paramref name="inputGradient"/> is not empty (a layer below needs it),
    /// <c>dx = gamma · invStd / rows · (rows · dy - Σ dy - normalized · Σ dy·normalized)</c> (the batch mean and
    /// variance depend on x), computed in double, then the dropout mask and the previous layer's activation derivative
    /// as <see cref="ShapeKernels.ElementGradient{TPreviousActivation}"/> applies them. Last, when
    /// <paramref name="learningRate"/> is not zero, the fused plain SGD step <c>gamma -= lr · gammaGradients</c>,
    /// <c>beta -= lr · betaGradients</c> (after dx has read the old gamma), the bits of <see cref="ElementWise.SgdStep"/>.
    /// </summary>
    /// <remarks>
    /// <paramref name="previousSaved"/> and <paramref name="dropoutMask"/> follow <see cref="ShapeKernels"/>' rules
    /// (empty for a linear previous layer and for no dropout) and are not read when <paramref name="inputGradient"/>
    /// is empty.
    /// </remarks>
    public static void Backward<TPreviousActivation>(
        Span<float> inputGradient, ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> normalized,
        ReadOnlySpan<float> batchStatistics, ReadOnlySpan<float> previousSaved, ReadOnlySpan<float> dropoutMask,
        Span<float> gamma, Span<float> beta, Span<float> gammaGradients, Span<float> betaGradients,
        float learningRate, int rows, int channels)
        where TPreviousActivation : struct, IActivationFunction
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        var size = (long)rows * channels;
        var needsInputGradient = !inputGradient.IsEmpty;
        if (needsInputGradient)
        {
            KernelArguments.CheckLength(inputGradient, size, nameof(inputGradient));
            KernelArguments.CheckSaved<TPreviousActivation>(previousSaved, size, nameof(previousSaved));
            KernelArguments.CheckMask(dropoutMask, size, nameof(dropoutMask));
        }

        KernelArguments.CheckLength(outputGradient, size, nameof(outputGradient));
        KernelArguments.CheckLength(normalized, size, nameof(normalized));
        KernelArguments.CheckLength(batchStatistics, 2L * channels, nameof(batchStatistics));
        KernelArguments.CheckLength(gamma, channels, nameof(gamma));
        KernelArguments.CheckLength(beta, channels, nameof(beta));
        KernelArguments.CheckLength(gammaGradients, channels, nameof(gammaGradients));
        KernelArguments.CheckLength(betaGradients, channels, nameof(betaGradients));

        var betaSums = stackalloc double[ChannelBlock];
        var gammaSums = stackalloc double[ChannelBlock];
        var factors = stackalloc double[ChannelBlock];
        fixed (float* dx = inputGradient)
        fixed (float* dy = outputGradient)
        fixed (float* n = normalized)
        fixed (float* saved = previousSaved)
        fixed (float* mask = dropoutMask)
        {
            for (var first = 0; first < channels; first += ChannelBlock)
            {
                var width = Math.Min(ChannelBlock, channels - first);
                new Span<double>(betaSums, width).Clear();
                new Span<double>(gammaSums, width).Clear();
                for (var r = 0; r < rows; r++)
                {
                    var at = (long)r * channels + first;
                    AddGradientRow(betaSums, gammaSums, dy + at, n + at, width);
                }

                for (var j = 0; j < width; j++)
                {
                    var c = first + j;
                    betaGradients[c] = (float)betaSums[j];
                    gammaGradients[c] = (float)gammaSums[j];
                    factors[j] = (double)gamma[c] * batchStatistics[channels + c] / rows;
                }

                if (!needsInputGradient) continue;
                for (var r = 0; r < rows; r++)
                {
                    var at = (long)r * channels + first;
                    InputGradientRow(dx + at, dy + at, n + at, betaSums, gammaSums, factors, rows, width);
                }
            }

            if (needsInputGradient) ShapeKernels.ElementGradientAt<TPreviousActivation>(dx, saved, mask, 0, (int)size);
        }

        if (learningRate != 0f)
        {
            ElementWise.SgdStep(gamma, gammaGradients, learningRate);
            ElementWise.SgdStep(beta, betaGradients, learningRate);
        }
    }

    private static void CheckShape(int rows, int channels, float epsilon)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        if (!(epsilon > 0f && float.IsFinite(epsilon)))
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "Epsilon must be positive and finite.");
    }

    // The row loops below keep channels in the lanes; each lane does exactly what the scalar tail does for its
    // channel (float to double is exact, and the JIT fuses no multiply-add), so a channel's result never depends on
    // whether it fell in a vector or in the tail.

    /// <summary><c>sums[j] += x[j]</c> in double.</summary>
    private static void AddRow(double* sums, float* x, int width)
    {
        var j = 0;
        for (; j <= width - Vector<float>.Count; j += Vector<float>.Count)
        {
            Vector.Widen(Vector.Load(x + j), out var low, out var high);
            Vector.Store(Vector.Load(sums + j) + low, sums + j);
            Vector.Store(Vector.Load(sums + j + Vector<double>.Count) + high, sums + j + Vector<double>.Count);
        }

        for (; j < width; j++) sums[j] += x[j];
    }

    /// <summary><c>sums[j] += (x[j] - mean[j])²</c> in double.</summary>
    private static void AddSquaredDeviations(double* sums, float* x, double* means, int width)
    {
        var j = 0;
        for (; j <= width - Vector<float>.Count; j += Vector<float>.Count)
        {
            Vector.Widen(Vector.Load(x + j), out var low, out var high);
            var half = j + Vector<double>.Count;
            low -= Vector.Load(means + j);
            high -= Vector.Load(means + half);
            Vector.Store(Vector.Load(sums + j) + low * low, sums + j);
            Vector.Store(Vector.Load(sums + half) + high * high, sums + half);
        }

        for (; j < width; j++)
        {
            var deviation = x[j] - means[j];
            sums[j] += deviation * deviation;
        }
    }

    /// <summary><c>n[j] = (float)((x[j] - mean[j]) · inverse[j])</c>, <c>y[j] = gamma[j] · n[j] + beta[j]</c>.</summary>
    private static void NormalizeRow(float* y, float* n, float* x, double* means, double* inverses, float* gamma, float* beta, int width)
    {
        var j = 0;
        for (; j <= width - Vector<float>.Count; j += Vector<float>.Count)
        {
            Vector.Widen(Vector.Load(x + j), out var low, out var high);
            var half = j + Vector<double>.Count;
            low = (low - Vector.Load(means + j)) * Vector.Load(inverses + j);
            high = (high - Vector.Load(means + half)) * Vector.Load(inverses + half);
            var value = Vector.Narrow(low, high);
            Vector.Store(value, n + j);
            Vector.Store(Vector.Load(gamma + j) * value + Vector.Load(beta + j), y + j);
        }

        for (; j < width; j++)
        {
            var value = (float)((x[j] - means[j]) * inverses[j]);
            n[j] = value;
            y[j] = gamma[j] * value + beta[j];
        }
    }

    /// <summary><c>y[j] = (x[j] - mean[j]) · factor[j] + beta[j]</c>.</summary>
    private static void ScaleRow(float* y, float* x, float* means, float* factors, float* beta, int width)
    {
        var j = 0;
        for (; j <= width - Vector<float>.Count; j += Vector<float>.Count)
            Vector.Store((Vector.Load(x + j) - Vector.Load(means + j)) * Vector.Load(factors + j) + Vector.Load(beta + j), y + j);
        for (; j < width; j++) y[j] = (x[j] - means[j]) * factors[j] + beta[j];
    }

    /// <summary><c>betaSums[j] += dy[j]</c>, <c>gammaSums[j] += dy[j] · n[j]</c> in double.</summary>
    private static void AddGradientRow(double* betaSums, double* gammaSums, float* dy, float* n, int width)
    {
        var j = 0;
        for (; j <= width - Vector<float>.Count; j += Vector<float>.Count)
        {
            Vector.Widen(Vector.Load(dy + j), out var gradientLow, out var gradientHigh);
            Vector.Widen(Vector.Load(n + j), out var normalLow, out var normalHigh);
            var half = j + Vector<double>.Count;
            Vector.Store(Vector.Load(betaSums + j) + gradientLow, betaSums + j);
            Vector.Store(Vector.Load(betaSums + half) + gradientHigh, betaSums + half);
            Vector.Store(Vector.Load(gammaSums + j) + gradientLow * normalLow, gammaSums + j);
            Vector.Store(Vector.Load(gammaSums + half) + gradientHigh * normalHigh, gammaSums + half);
        }

        for (; j < width; j++)
        {
            betaSums[j] += dy[j];
            gammaSums[j] += (double)dy[j] * n[j];
        }
    }

    /// <summary><c>dx[j] = (float)(factor[j] · (rows · dy[j] - betaSum[j] - n[j] · gammaSum[j]))</c>.</summary>
    private static void InputGradientRow(float* dx, float* dy, float* n, double* betaSums, double* gammaSums, double* factors, int rows, int width)
    {
        var count = new Vector<double>(rows);
        var j = 0;
        for (; j <= width - Vector<float>.Count; j += Vector<float>.Count)
        {
            Vector.Widen(Vector.Load(dy + j), out var gradientLow, out var gradientHigh);
            Vector.Widen(Vector.Load(n + j), out var normalLow, out var normalHigh);
            var half = j + Vector<double>.Count;
            var low = Vector.Load(factors + j) * (count * gradientLow - Vector.Load(betaSums + j) - normalLow * Vector.Load(gammaSums + j));
            var high = Vector.Load(factors + half) * (count * gradientHigh - Vector.Load(betaSums + half) - normalHigh * Vector.Load(gammaSums + half));
            Vector.Store(Vector.Narrow(low, high), dx + j);
        }

        for (; j < width; j++)
            dx[j] = (float)(factors[j] * ((double)rows * dy[j] - betaSums[j] - n[j] * gammaSums[j]));
    }
}
