using System.Numerics.Tensors;

namespace DeepGen.Cpu;

/// <summary>
/// Keras's <c>Normalization(axis=-1)</c>: values are <c>[rows, features]</c> row-major (rows = batch × pixels for a
/// channels-last image, the batch alone for a vector) and each feature is scaled by a fixed mean and variance,
/// <c>y = (x - mean) / max(√variance, ε)</c> with <c>ε = 1e-7</c>.
/// </summary>
/// <remarks>
/// The rule is Keras 3's, read from <c>keras/src/layers/preprocessing/normalization.py</c> (<c>call</c>:
/// <c>divide(subtract(inputs, mean), maximum(sqrt(variance), backend.epsilon()))</c>, <c>backend.epsilon()</c> being
/// 1e-7 by default): the epsilon bounds the standard deviation, it is not added to the variance as batch
/// normalization's is, so a feature of zero variance maps to <c>(x - mean) · 1e7</c>, 0 on the data it was adapted
/// on. Each row depends only on itself and the per-feature constants, so a sample's output is the same bits in any
/// batch. No method allocates; each checks its span lengths once and throws <see cref="ArgumentException"/> naming the operand.
/// </remarks>
public static unsafe class NormalizationKernels
{
    /// <summary>The floor of the standard deviation: Keras's <c>backend.epsilon()</c>.</summary>
    public const float Epsilon = 1e-7f;

    /// <summary>The features whose standard deviations one block keeps on the stack.</summary>
    private const int FeatureBlock = 256;

    /// <summary>The divisor of a feature: <c>max(√variance, ε)</c>, in float as Keras computes it.</summary>
    public static float StandardDeviation(float variance) => MathF.Max(MathF.Sqrt(variance), Epsilon);

    /// <summary><c>output = (input - mean) / max(√variance, ε)</c> per feature, over <paramref name="rows"/> rows.</summary>
    public static void Forward(
        Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> mean, ReadOnlySpan<float> variance, int rows, int features)
    {
        var size = CheckShape(rows, features);
        KernelArguments.CheckLength(output, size, nameof(output));
        KernelArguments.CheckLength(input, size, nameof(input));
        KernelArguments.CheckLength(mean, features, nameof(mean));
        KernelArguments.CheckLength(variance, features, nameof(variance));
        Standardize(output, input, mean, variance, rows, features);
    }

    /// <summary>
    /// The backward pass: <c>inputGradient = outputGradient / max(√variance, ε)</c> per feature (mean and variance are
    /// constants), then the dropout mask and the previous layer's activation derivative as
    /// <see cref="ShapeKernels.ElementGradient{TPreviousActivation}"/> applies them. Overwrites <paramref name="inputGradient"/>.
    /// </summary>
    public static void Backward<TPreviousActivation>(
        Span<float> inputGradient, ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> variance,
        ReadOnlySpan<float> previousSaved, ReadOnlySpan<float> dropoutMask, int rows, int features)
        where TPreviousActivation : struct, IActivationFunction
    {
        var size = CheckShape(rows, features);
        KernelArguments.CheckLength(inputGradient, size, nameof(inputGradient));
        KernelArguments.CheckLength(outputGradient, size, nameof(outputGradient));
        KernelArguments.CheckLength(variance, features, nameof(variance));
        // The mean is a constant, so the gradient is only divided: an empty mean subtracts nothing.
        Standardize(inputGradient, outputGradient, mean: [], variance, rows, features);
        ShapeKernels.ElementGradient<TPreviousActivation>(inputGradient, previousSaved, dropoutMask);
    }

    /// <summary>
    /// <c>output = (input - mean) / max(√variance, ε)</c> per feature, or <c>input / max(√variance, ε)</c> when
    /// <paramref name="mean"/> is empty. The divisors are computed once per block of features, on the stack.
    /// </summary>
    private static void Standardize(
        Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> mean, ReadOnlySpan<float> variance, int rows, int features)
    {
        var deviations = stackalloc float[FeatureBlock];
        for (var first = 0; first < features; first += FeatureBlock)
        {
            var width = Math.Min(FeatureBlock, features - first);
            var divisors = new Span<float>(deviations, width);
            for (var j = 0; j < width; j++) divisors[j] = StandardDeviation(variance[first + j]);
            for (var r = 0; r < rows; r++)
            {
                var at = r * features + first;
                var y = output.Slice(at, width);
                if (mean.IsEmpty)
                {
                    TensorPrimitives.Divide(input.Slice(at, width), divisors, y);
                }
                else
                {
                    TensorPrimitives.Subtract(input.Slice(at, width), mean.Slice(first, width), y);
                    TensorPrimitives.Divide(y, divisors, y);
                }
            }
        }
    }

    private static int CheckShape(int rows, int features)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        var size = (long)rows * features;
        if (size > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(rows), $"{rows} rows of {features} features exceed a span.");
        return (int)size;
    }
}

/// <summary>
/// The per-feature mean and population (biased, numpy's <c>var</c>) variance of values that arrive in batches of
/// <c>[rows, features]</c>: each batch by two passes in double (its mean, then the squared deviations from it), the
/// batches merged by Chan et al.'s pairwise rule, so neither a large offset nor many rows loses precision. What
/// <c>Adapt</c> computes a normalization layer's statistics with.
/// </summary>
public sealed class NormalizationStatistics
{
    private readonly double[] _mean;
    private readonly double[] _squares; // Σ (x - mean)² per feature
    private readonly double[] _batchMean;
    private readonly double[] _batchSquares;

    /// <summary>An empty accumulator for <paramref name="features"/> features.</summary>
    public NormalizationStatistics(int features)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        Features = features;
        _mean = new double[features];
        _squares = new double[features];
        _batchMean = new double[features];
        _batchSquares = new double[features];
    }

    /// <summary>Features per row.</summary>
    public int Features { get; }

    /// <summary>Rows added so far: the values each feature's statistics come from.</summary>
    public long Count { get; private set; }

    /// <summary>Adds <paramref name="values"/>, <c>[rows, Features]</c> row-major (its length a whole number of rows).</summary>
    public void Add(ReadOnlySpan<float> values)
    {
        var features = Features;
        if (values.Length == 0 || values.Length % features != 0)
            throw new ArgumentException($"'values' holds {values.Length} floats, not a positive whole number of rows of {features} features.", nameof(values));
        var rows = values.Length / features;
        Array.Clear(_batchMean);
        Array.Clear(_batchSquares);
        for (var r = 0; r < rows; r++)
        {
            var row = values.Slice(r * features, features);
            for (var j = 0; j < features; j++) _batchMean[j] += row[j];
        }

        for (var j = 0; j < features; j++) _batchMean[j] /= rows;
        for (var r = 0; r < rows; r++)
        {
            var row = values.Slice(r * features, features);
            for (var j = 0; j < features; j++)
            {
                var d = row[j] - _batchMean[j];
                _batchSquares[j] += d * d;
            }
        }

        // Chan, Golub and LeVeque's update: the two groups' means and sums of squares combine exactly.
        var before = (double)Count;
        var total = before + rows;
        for (var j = 0; j < features; j++)
        {
            var delta = _batchMean[j] - _mean[j];
            _mean[j] += delta * rows / total;
            _squares[j] += _batchSquares[j] + delta * delta * before * rows / total;
        }

        Count += rows;
    }

    /// <summary>Writes the mean and the population variance (sum of squared deviations / count) of each feature, rounded to float once.</summary>
    /// <exception cref="InvalidOperationException">Nothing was added.</exception>
    public void WriteTo(Span<float> mean, Span<float> variance)
    {
        if (Count == 0) throw new InvalidOperationException("No values were added: the statistics of nothing are undefined.");
        KernelArguments.CheckLength(mean, Features, nameof(mean));
        KernelArguments.CheckLength(variance, Features, nameof(variance));
        for (var j = 0; j < Features; j++)
        {
            mean[j] = (float)_mean[j];
            variance[j] = (float)(_squares[j] / Count);
        }
    }
}
