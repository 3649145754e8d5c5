using System.Numerics;
using static DeepGen.Cpu.KernelArguments;

namespace DeepGen.Cpu;

/// <summary>
/// Turning a sequence into a vector: the masked mean over tokens (sentence-transformers' mean pooling) and L2
/// normalization (PyTorch <c>F.normalize</c>). Token rows are <c>[batch · sequence, width]</c>; the mask is
/// <c>[batch, sequence]</c> of 0 (padding) and 1 (token), or empty for all ones.
/// </summary>
/// <remarks>Each value is read and written about once, so these run on the calling thread.</remarks>
public static unsafe class SequencePoolingKernels
{
    /// <summary>The smallest norm <see cref="L2NormalizeForward"/> divides by (PyTorch's default epsilon).</summary>
    public const float NormEpsilon = 1e-12f;

    /// <summary>
    /// <c>output[b] = Σ_j mask[b, j] · input[b, j] / Σ_j mask[b, j]</c>, <c>[batch, width]</c>; the tokens are added in
    /// order. A sample without any token is an <see cref="ArgumentException"/>.
    /// </summary>
    public static void MaskedMeanForward(Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<int> mask, int batch, int sequence, int width)
    {
        CheckPooling(mask, batch, sequence, width);
        CheckLength(output, (long)batch * width, nameof(output));
        CheckLength(input, (long)batch * sequence * width, nameof(input));
        fixed (float* y = output)
        fixed (float* x = input)
        {
            for (var b = 0; b < batch; b++)
            {
                var row = y + (long)b * width;
                new Span<float>(row, width).Clear();
                var count = 0;
                for (var j = 0; j < sequence; j++)
                {
                    if (!mask.IsEmpty && mask[b * sequence + j] == 0) continue;
                    Runs.AddTo(row, x + ((long)b * sequence + j) * width, width);
                    count++;
                }

                Scale(row, row, 1f, count, width);
            }
        }
    }

    /// <summary>
    /// <c>inputGradient[b, j] = mask[b, j] · outputGradient[b] / Σ_j mask[b, j]</c>: padding rows get 0. Overwritten.
    /// </summary>
    public static void MaskedMeanBackward(Span<float> inputGradient, ReadOnlySpan<float> outputGradient, ReadOnlySpan<int> mask,
        int batch, int sequence, int width)
    {
        CheckPooling(mask, batch, sequence, width);
        CheckLength(inputGradient, (long)batch * sequence * width, nameof(inputGradient));
        CheckLength(outputGradient, (long)batch * width, nameof(outputGradient));
        fixed (float* dx = inputGradient)
        fixed (float* dy = outputGradient)
        {
            for (var b = 0; b < batch; b++)
            {
                var count = mask.IsEmpty ? sequence : Count(mask.Slice(b * sequence, sequence));
                for (var j = 0; j < sequence; j++)
                {
                    var row = dx + ((long)b * sequence + j) * width;
                    if (!mask.IsEmpty && mask[b * sequence + j] == 0) new Span<float>(row, width).Clear();
                    else Scale(row, dy + (long)b * width, 1f, count, width);
                }
            }
        }
    }

    /// <summary><c>output[r] = input[r] / max(‖input[r]‖₂, 1e-12)</c> for each of <paramref name="rows"/> rows of <paramref name="width"/>.</summary>
    public static void L2NormalizeForward(Span<float> output, ReadOnlySpan<float> input, int rows, int width)
    {
        CheckRows(rows, width);
        CheckLength(output, (long)rows * width, nameof(output));
        CheckLength(input, (long)rows * width, nameof(input));
        fixed (float* y = output)
        fixed (float* x = input)
        {
            for (var r = 0; r < rows; r++)
            {
                var offset = (long)r * width;
                Scale(y + offset, x + offset, 1f, Norm(x + offset, width), width);
            }
        }
    }

    /// <summary>
    /// The gradient through <see cref="L2NormalizeForward"/>: <c>(outputGradient - output · (output · outputGradient)) / ‖input‖</c>
    /// per row, or <c>outputGradient / 1e-12</c> where the norm was clamped. Overwritten.
    /// </summary>
    public static void L2NormalizeBackward(Span<float> inputGradient, ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> input,
        ReadOnlySpan<float> output, int rows, int width)
    {
        CheckRows(rows, width);
        var size = (long)rows * width;
        CheckLength(inputGradient, size, nameof(inputGradient));
        CheckLength(outputGradient, size, nameof(outputGradient));
        CheckLength(input, size, nameof(input));
        CheckLength(output, size, nameof(output));
        fixed (float* dx = inputGradient)
        fixed (float* dy = outputGradient)
        fixed (float* x = input)
        fixed (float* y = output)
        {
            for (var r = 0; r < rows; r++)
            {
                var offset = (long)r * width;
                var norm = Norm(x + offset, width);
                if (norm <= NormEpsilon)
                {
                    // The clamp makes the divisor a constant: the gradient is the output gradient scaled.
                    Scale(dx + offset, dy + offset, 1f, NormEpsilon, width);
                    continue;
                }

                var dot = Dot(y + offset, dy + offset, width);
                var lanes = Vector<float>.Count;
                var (d, n) = (new Vector<float>(dot), new Vector<float>(norm));
                var j = 0;
                for (; j + lanes <= width; j += lanes)
                    Vector.Store((Vector.Load(dy + offset + j) - Vector.Load(y + offset + j) * d) / n, dx + offset + j);
                for (; j < width; j++) dx[offset + j] = (dy[offset + j] - y[offset + j] * dot) / norm;
            }
        }
    }

    /// <summary><c>max(‖x‖₂, 1e-12)</c>: squares summed in double, so the norm is exact to float precision.</summary>
    private static float Norm(float* x, int width)
    {
        var sum = 0.0;
        for (var j = 0; j < width; j++) sum += (double)x[j] * x[j];
        return MathF.Max((float)Math.Sqrt(sum), NormEpsilon);
    }

    private static float Dot(float* a, float* b, int width)
    {
        var sum = 0.0;
        for (var j = 0; j < width; j++) sum += (double)a[j] * b[j];
        return (float)sum;
    }

    /// <summary><c>to[i] = from[i] · factor / divisor</c> (the division last, as the reference divides).</summary>
    private static void Scale(float* to, float* from, float factor, float divisor, int width)
    {
        var lanes = Vector<float>.Count;
        var (f, d) = (new Vector<float>(factor), new Vector<float>(divisor));
        var j = 0;
        for (; j + lanes <= width; j += lanes) Vector.Store(Vector.Load(from + j) * f / d, to + j);
        for (; j < width; j++) to[j] = from[j] * factor / divisor;
    }

    private static int Count(ReadOnlySpan<int> mask)
    {
        var count = 0;
        foreach (var m in mask) count += m;
        return count;
    }

    private static void CheckRows(int rows, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
    }

    private static void CheckPooling(ReadOnlySpan<int> mask, int batch, int sequence, int width)
    {
        CheckRows(batch, width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sequence);
        AttentionMask.Check(mask, batch, sequence);
    }
}

/// <summary>The checks every kernel that reads an attention mask makes.</summary>
internal static class AttentionMask
{
    /// <summary>
    /// The mask is empty (all tokens) or <c>[batch, sequence]</c> of 0 and 1, and every sample has at least one token:
    /// otherwise an <see cref="ArgumentException"/> naming the sample.
    /// </summary>
    public static void Check(ReadOnlySpan<int> mask, int batch, int sequence)
    {
        if (mask.IsEmpty) return;
        if (mask.Length != (long)batch * sequence)
            throw new ArgumentException($"'mask' holds {mask.Length} values; {batch} samples of {sequence} tokens need {(long)batch * sequence} (or none for all tokens).", nameof(mask));
        for (var b = 0; b < batch; b++)
        {
            var any = false;
            for (var j = 0; j < sequence; j++)
            {
                var m = mask[b * sequence + j];
                if (m is not (0 or 1))
                    throw new ArgumentException($"The attention mask holds {m} at sample {b}, position {j}; it must be 1 (token) or 0 (padding).", nameof(mask));
                any |= m == 1;
            }

            if (!any) throw new ArgumentException($"Sample {b} has no token: its attention mask is all zero.", nameof(mask));
        }
    }
}
