using System.Runtime.Intrinsics;
using DeepGen.Cpu;

namespace DeepGen.Runtime.Tests.Cpu;

/// <summary>
/// Every element-wise activation gives an element the same bits whatever span it arrives in: alone, in a span of
/// one to three (where vector libraries take scalar paths), at any offset of a long span, in a vector lane or in the
/// tail. The generated code applies activations to tile segments whose lengths depend on the batch size and the
/// thread count, so this is what the promise "bitwise the same for any thread count" rests on.
/// </summary>
public class ActivationBitwiseTests
{
    public static TheoryData<Activation> ElementWiseActivations() =>
    [
        Activation.Linear, Activation.Sigmoid, Activation.Relu, Activation.Tanh, Activation.LeakyRelu, Activation.Elu,
        Activation.Selu, Activation.Gelu, Activation.Softplus, Activation.Swish, Activation.HardSigmoid,
    ];

    /// <summary>Values across every branch of every activation, with the special ones among them.</summary>
    private static float[] Values(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (var i = 0; i < count; i++)
            values[i] = (i % 5) switch
            {
                0 => (float)(random.NextDouble() * 2 - 1),           // around 0 (tanh's polynomial branch)
                1 => (float)(random.NextDouble() * 12 - 6),
                2 => (float)(random.NextDouble() * 200 - 100),        // saturation
                3 => (float)((random.NextDouble() * 2 - 1) * 1e-3),   // tiny
                _ => (float)(random.NextDouble() * 1.4 - 0.7),        // either side of tanh's branch point 0.625
            };
        float[] special = [0f, -0f, 0.625f, -0.625f, 88f, -88f, 89f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, 1e-30f, -3f, 3f];
        special.CopyTo(values, 7);
        return values;
    }

    [Theory]
    [MemberData(nameof(ElementWiseActivations))]
    public void Forward_gives_each_element_the_same_bits_in_any_span(Activation activation)
    {
        var values = Values(1037, seed: 1);
        var alone = values.Select(v => { float[] one = [v]; Activations.Forward(activation, one); return one[0]; }).ToArray();

        var whole = values.ToArray();
        Activations.Forward(activation, whole);
        AssertBitwise(alone, whole, activation, "a 1,037-element span");

        // Pieces of every small length at every alignment, as tile segments arrive.
        foreach (var length in new[] { 2, 3, 4, 5, 7, 13, 16, 17, 31, 33 })
        {
            var pieces = values.ToArray();
            for (var start = 0; start < pieces.Length; start += length)
                Activations.Forward(activation, pieces.AsSpan(start, Math.Min(length, pieces.Length - start)));
            AssertBitwise(alone, pieces, activation, $"pieces of {length}");
        }
    }

    [Theory]
    [MemberData(nameof(ElementWiseActivations))]
    public void Backward_gives_each_element_the_same_bits_in_any_span(Activation activation)
    {
        var values = Values(517, seed: 2);
        var saved = values.ToArray();
        if (!Activations.NeedsPreActivation(activation)) Activations.Forward(activation, saved);
        var upstream = Values(517, seed: 3);
        for (var i = 0; i < upstream.Length; i++) if (!float.IsFinite(upstream[i])) upstream[i] = 0.5f;

        var alone = new float[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            float[] one = [upstream[i]];
            Activations.Backward(activation, one, saved.AsSpan(i, 1));
            alone[i] = one[0];
        }

        foreach (var length in new[] { 517, 2, 3, 5, 13, 17, 33 })
        {
            var pieces = upstream.ToArray();
            for (var start = 0; start < pieces.Length; start += length)
            {
                var count = Math.Min(length, pieces.Length - start);
                Activations.Backward(activation, pieces.AsSpan(start, count), saved.AsSpan(start, count));
            }

            AssertBitwise(alone, pieces, activation, $"backward in pieces of {length}");
        }
    }

    [Fact]
    public void Tanh_is_within_four_ulp_of_the_exact_value()
    {
        var worst = 0.0;
        var worstAt = 0f;
        for (var x = -20f; x <= 20f; x += 0.000377f)
        {
            foreach (var point in new[] { x, x * 1e-3f })
            {
                var actual = FastTanh.Of(point);
                var exact = Math.Tanh(point);
                var ulp = Math.Max(MathF.BitIncrement(MathF.Abs((float)exact)) - MathF.Abs((float)exact), float.Epsilon);
                var error = Math.Abs(actual - exact) / ulp;
                if (error > worst) (worst, worstAt) = (error, point);
            }
        }

        Assert.True(worst <= 4.0, $"The largest error is {worst:F2} ulp, at x = {worstAt:G9}.");
    }

    [Fact]
    public void Tanh_is_odd_saturates_and_keeps_nan()
    {
        Assert.Equal(1f, FastTanh.Of(float.PositiveInfinity));
        Assert.Equal(-1f, FastTanh.Of(float.NegativeInfinity));
        Assert.Equal(1f, FastTanh.Of(50f));
        Assert.True(float.IsNaN(FastTanh.Of(float.NaN)));
        Assert.Equal(BitConverter.SingleToInt32Bits(-0f), BitConverter.SingleToInt32Bits(FastTanh.Of(-0f)));
        for (var x = 0.001f; x < 12f; x *= 1.37f)
            Assert.Equal(BitConverter.SingleToInt32Bits(-FastTanh.Of(x)), BitConverter.SingleToInt32Bits(FastTanh.Of(-x)));
    }

    [Fact]
    public unsafe void Tanh_gives_the_scalar_bits_at_every_vector_width()
    {
        var values = Values(1024, seed: 4);
        var wide = new float[values.Length];
        var middle = new float[values.Length];
        var narrow = new float[values.Length];
        fixed (float* source = values, w = wide, m = middle, n = narrow)
        {
            if (Vector512.IsHardwareAccelerated)
                for (var i = 0; i < values.Length; i += 16) FastTanh.Of(Simd512.Load(source + i)).Store(w + i);
            if (Vector256.IsHardwareAccelerated)
                for (var i = 0; i < values.Length; i += 8) FastTanh.Of(Simd256.Load(source + i)).Store(m + i);
            if (Vector128.IsHardwareAccelerated)
                for (var i = 0; i < values.Length; i += 4) FastTanh.Of(Simd128.Load(source + i)).Store(n + i);
        }

        for (var i = 0; i < values.Length; i++)
        {
            var scalar = BitConverter.SingleToInt32Bits(FastTanh.Of(values[i]));
            if (Vector512.IsHardwareAccelerated) Assert.Equal(scalar, BitConverter.SingleToInt32Bits(wide[i]));
            if (Vector256.IsHardwareAccelerated) Assert.Equal(scalar, BitConverter.SingleToInt32Bits(middle[i]));
            if (Vector128.IsHardwareAccelerated) Assert.Equal(scalar, BitConverter.SingleToInt32Bits(narrow[i]));
        }
    }

    private static void AssertBitwise(float[] expected, float[] actual, Activation activation, string how)
    {
        for (var i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{activation}, {how}: element {i} is {actual[i]:G9}, alone {expected[i]:G9}.");
    }
}
