using System.Numerics.Tensors;

namespace DeepGen.Data;

/// <summary>
/// Keras's <c>Rescaling</c> as a data step: <c>value · scale + offset</c>, for example <c>scale = 1/255</c> to bring
/// pixels to [0, 1], or <c>scale = 1/127.5, offset = -1</c> for [-1, 1]. One vectorized pass.
/// </summary>
public static class Rescaling
{
    /// <summary>Rescales <paramref name="values"/> in place.</summary>
    public static void RescaleInPlace(Span<float> values, float scale, float offset = 0f)
    {
        Check(scale, offset);
        Apply(values, scale, offset, values);
    }

    /// <summary>A rescaled copy of <paramref name="values"/>; the source is left as it is.</summary>
    public static float[] Rescale(ReadOnlySpan<float> values, float scale, float offset = 0f)
    {
        Check(scale, offset);
        var result = new float[values.Length];
        Apply(values, scale, offset, result);
        return result;
    }

    /// <summary>Bytes (raw pixels) to rescaled floats.</summary>
    public static float[] Rescale(ReadOnlySpan<byte> values, float scale, float offset = 0f)
    {
        Check(scale, offset);
        var result = new float[values.Length];
        for (var i = 0; i < values.Length; i++) result[i] = values[i] * scale + offset;
        return result;
    }

    // Multiply, then add: two roundings, the same as the byte overload's scalar arithmetic, so every overload agrees bit for bit.
    private static void Apply(ReadOnlySpan<float> values, float scale, float offset, Span<float> destination)
    {
        TensorPrimitives.Multiply(values, scale, destination);
        if (offset != 0f) TensorPrimitives.Add(destination, offset, destination);
    }

    private static void Check(float scale, float offset)
    {
        if (!float.IsFinite(scale)) throw new ArgumentOutOfRangeException(nameof(scale), scale, "The scale must be finite.");
        if (!float.IsFinite(offset)) throw new ArgumentOutOfRangeException(nameof(offset), offset, "The offset must be finite.");
    }
}
