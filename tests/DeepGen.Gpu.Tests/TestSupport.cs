using ILGPU;
using ILGPU.Runtime;

namespace DeepGen.Gpu.Tests;

/// <summary>Device buffers filled from host arrays, and the <see cref="GpuBatch"/> over them, for launching one kernel at a time.</summary>
internal sealed class KernelHarness : IDisposable
{
    private readonly List<IDisposable> _buffers = [];

    public KernelHarness(ComputeDevice device) => Accelerator = device.Accelerator;

    public Accelerator Accelerator { get; }

    public ArrayView<T> Upload<T>(T[] values) where T : unmanaged
    {
        var buffer = Accelerator.Allocate1D<T>(Math.Max(values.Length, 1));
        if (values.Length > 0) buffer.View.AsContiguous().SubView(0, values.Length).CopyFromCPU(values);
        _buffers.Add(buffer);
        return buffer.View;
    }

    public static T[] Download<T>(Accelerator accelerator, ArrayView<T> view, int length) where T : unmanaged
    {
        accelerator.Synchronize();
        var values = new T[length];
        view.SubView(0, length).CopyToCPU(values);
        return values;
    }

    public T[] Download<T>(ArrayView<T> view, int length) where T : unmanaged => Download(Accelerator, view, length);

    public void Dispose()
    {
        foreach (var buffer in _buffers) buffer.Dispose();
    }
}

internal static class Data
{
    /// <summary>Uniform values in [-scale, scale) from a fixed seed.</summary>
    public static float[] Uniform(int length, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (var i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        return values;
    }

    /// <summary>One-hot rows of <paramref name="classes"/>, the class of row i drawn from a fixed seed.</summary>
    public static float[] OneHot(int rows, int classes, int seed)
    {
        var random = new Random(seed);
        var values = new float[rows * classes];
        for (var r = 0; r < rows; r++) values[r * classes + random.Next(classes)] = 1f;
        return values;
    }

    /// <summary>A permutation of 0..count-1 from a fixed seed.</summary>
    public static int[] Permutation(int count, int seed)
    {
        var order = Enumerable.Range(0, count).ToArray();
        new Random(seed).Shuffle(order);
        return order;
    }
}

internal static class Close
{
    /// <summary>
    /// Every element within <paramref name="relative"/> of the expected value, measured against the larger of the
    /// element and the tensor's largest magnitude (so elements that cancel to almost nothing are not held to a
    /// relative error of their own rounding).
    /// </summary>
    public static void Assert(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float relative, string what)
    {
        Xunit.Assert.Equal(expected.Length, actual.Length);
        var scale = 0f;
        foreach (var value in expected) scale = Math.Max(scale, Math.Abs(value));
        Xunit.Assert.True(scale > 0f, $"{what}: the expected values are all zero, which tests nothing.");
        for (var i = 0; i < expected.Length; i++)
        {
            var bound = relative * Math.Max(Math.Abs(expected[i]), scale);
            if (!(Math.Abs(expected[i] - actual[i]) <= bound))
                Xunit.Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (allowed ±{bound:R}).");
        }
    }
}
