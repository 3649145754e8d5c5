using System.Numerics;

namespace DeepGen.Cpu;

/// <summary>
/// Short element-wise loops the convolution and pooling kernels run millions of times a step, on runs of one
/// pixel's channels (32 or 64 floats): written out over <see cref="Vector{T}"/> because a library call per run cost
/// more than the additions (col2im and bias sums were a sixth of a convnet's training step). Each element gets the
/// same IEEE operations in the same order as the plain loop, so the bits are those of
/// <c>TensorPrimitives.Add</c> called run by run.
/// </summary>
internal static unsafe class Runs
{
    /// <summary><c>sum[i] += values[i]</c> for <paramref name="count"/> elements.</summary>
    public static void AddTo(float* sum, float* values, int count)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i + Vector<float>.Count <= count; i += Vector<float>.Count)
                Vector.Store(Vector.Load(sum + i) + Vector.Load(values + i), sum + i);
        for (; i < count; i++) sum[i] += values[i];
    }

    /// <summary>
    /// <c>sums[j] = Σ over rows r, in order, of values[r · columns + j]</c>: each column summed from zero, row after
    /// row, in registers (four vectors of columns at a time).
    /// </summary>
    public static void ColumnSums(float* sums, float* values, int rows, int columns)
    {
        var width = Vector<float>.Count;
        var j = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; j + 4 * width <= columns; j += 4 * width)
            {
                Vector<float> s0 = default, s1 = default, s2 = default, s3 = default;
                var row = values + j;
                for (var r = 0; r < rows; r++, row += columns)
                {
                    s0 += Vector.Load(row);
                    s1 += Vector.Load(row + width);
                    s2 += Vector.Load(row + 2 * width);
                    s3 += Vector.Load(row + 3 * width);
                }

                Vector.Store(s0, sums + j);
                Vector.Store(s1, sums + j + width);
                Vector.Store(s2, sums + j + 2 * width);
                Vector.Store(s3, sums + j + 3 * width);
            }

            for (; j + width <= columns; j += width)
            {
                Vector<float> s = default;
                var row = values + j;
                for (var r = 0; r < rows; r++, row += columns) s += Vector.Load(row);
                Vector.Store(s, sums + j);
            }
        }

        for (; j < columns; j++)
        {
            var s = 0f;
            var at = values + j;
            for (var r = 0; r < rows; r++, at += columns) s += *at;
            sums[j] = s;
        }
    }
}
