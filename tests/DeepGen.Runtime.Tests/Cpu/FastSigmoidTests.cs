using DeepGen.Cpu;

namespace DeepGen.Runtime.Tests.Cpu;

public class FastSigmoidTests
{
    private static double Exact(float x) => 1.0 / (1.0 + Math.Exp(-(double)x));

    [Fact]
    public void Is_within_three_ulp_of_the_exact_logistic_function()
    {
        var worst = 0.0;
        var worstAt = 0f;
        for (var x = -69f; x <= 90f; x += 0.000731f) // below about -69.3 the result is flushed to 0 (next tests)
        {
            var actual = FastSigmoid.Of(x);
            var exact = Exact(x);
            // One ulp of the exact result, as a float (below the normal range an ulp is the smallest subnormal).
            var ulp = Math.Max(MathF.BitIncrement((float)exact) - (float)exact, float.Epsilon);
            var error = Math.Abs(actual - exact) / ulp;
            if (error > worst) (worst, worstAt) = (error, x);
        }

        Assert.True(worst <= 3.0, $"The largest error is {worst:F2} ulp, at x = {worstAt:G9}.");
    }

    [Fact]
    public void Saturates_at_the_ends_and_keeps_nan()
    {
        Assert.Equal(1f, FastSigmoid.Of(float.PositiveInfinity));
        Assert.Equal(1f, FastSigmoid.Of(200f));
        Assert.Equal(0f, FastSigmoid.Of(float.NegativeInfinity));
        Assert.Equal(0f, FastSigmoid.Of(-200f));
        Assert.Equal(0.5f, FastSigmoid.Of(0f));
        Assert.True(float.IsNaN(FastSigmoid.Of(float.NaN)));

        float[] values = [float.NaN, 1f, float.NaN, -1f, 0f, 3f, float.NaN, 2f, 5f, -5f, 7f, 9f, 10f, -10f, 11f, float.NaN, 1f];
        FastSigmoid.Apply(values);
        Assert.True(float.IsNaN(values[0]) && float.IsNaN(values[2]) && float.IsNaN(values[6]) && float.IsNaN(values[15]));
        Assert.Equal(FastSigmoid.Of(1f), values[1]);
    }

    [Fact]
    public void Never_returns_a_subnormal_and_flushes_only_below_two_to_the_minus_100()
    {
        // Subnormal activations slow every product that reads them by orders of magnitude on many Intel processors.
        for (var x = -120f; x <= -60f; x += 0.0007f)
        {
            var y = FastSigmoid.Of(x);
            Assert.False(float.IsSubnormal(y), $"sigmoid({x:G9}) = {y:G9} is subnormal.");
            var exact = Exact(x);
            if (exact >= 2 * FastSigmoid.FlushBelow) Assert.True(y > 0f, $"sigmoid({x:G9}) = {exact:G9} was flushed to 0.");
            if (exact < FastSigmoid.FlushBelow / 2) Assert.Equal(0f, y);
        }

        float[] values = [.. Enumerable.Range(0, 37).Select(i => -100f + i)];
        FastSigmoid.Apply(values);
        Assert.All(values, y => Assert.False(float.IsSubnormal(y)));
    }

    [Fact]
    public unsafe void Every_vector_width_gives_the_scalar_bits()
    {
        var values = new float[1024];
        var random = new Random(3);
        for (var i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 60 - 30);
        values[5] = 0f;
        values[6] = -0f;
        values[7] = 88.5f;
        values[8] = -88.5f;

        var applied = values.ToArray();
        FastSigmoid.Apply(applied);
        var wide = new float[values.Length];
        var middle = new float[values.Length];
        var narrow = new float[values.Length];
        fixed (float* source = values, w = wide, m = middle, n = narrow)
        {
            for (var i = 0; i < values.Length; i += 16) FastSigmoid.Of(Simd512.Load(source + i)).Store(w + i);
            for (var i = 0; i < values.Length; i += 8) FastSigmoid.Of(Simd256.Load(source + i)).Store(m + i);
            for (var i = 0; i < values.Length; i += 4) FastSigmoid.Of(Simd128.Load(source + i)).Store(n + i);
        }

        for (var i = 0; i < values.Length; i++)
        {
            var scalar = BitConverter.SingleToInt32Bits(FastSigmoid.Of(values[i]));
            Assert.Equal(scalar, BitConverter.SingleToInt32Bits(applied[i]));
            Assert.Equal(scalar, BitConverter.SingleToInt32Bits(wide[i]));
            Assert.Equal(scalar, BitConverter.SingleToInt32Bits(middle[i]));
            Assert.Equal(scalar, BitConverter.SingleToInt32Bits(narrow[i]));
        }
    }
}
