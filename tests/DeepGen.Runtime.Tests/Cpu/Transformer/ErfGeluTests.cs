using DeepGen.Cpu;
using Xunit.Abstractions;

namespace DeepGen.Runtime.Tests.Cpu.Transformer;

/// <summary>The float erf GELU against the double formula, over the whole float range that matters.</summary>
public class ErfGeluTests(ITestOutputHelper output)
{
    /// <summary>Arguments: a fine grid over [-14, 14], powers of ten from 1e-30 to 1e4 of both signs, and random values.</summary>
    private static float[] Arguments()
    {
        var values = new List<float>();
        for (var i = -140_000; i <= 140_000; i++) values.Add(i * 1e-4f);
        for (var e = -30.0; e <= 4.0; e += 0.01)
        {
            values.Add((float)Math.Pow(10, e));
            values.Add((float)-Math.Pow(10, e));
        }

        var random = new Random(1);
        for (var i = 0; i < 20_000; i++) values.Add((float)(random.NextDouble() * 30 - 15));
        return values.ToArray();
    }

    [Fact]
    public void Gelu_is_within_1e6_relative_of_the_double_formula()
    {
        var x = Arguments();
        var y = x.ToArray();
        Apply(y);
        var worst = 0.0;
        for (var i = 0; i < x.Length; i++)
        {
            var expected = TransformerReference.Gelu(x[i]);
            if (Math.Abs(expected) < FastSigmoid.FlushBelow)
            {
                // Below 2^-100 the result is 0; right at the threshold either side is fine.
                Assert.True(y[i] == 0f || Math.Abs(expected) > 0.999 * FastSigmoid.FlushBelow, $"gelu({x[i]:G9}) = {y[i]:G9}, expected 0");
                continue;
            }

            var relative = Math.Abs(y[i] - expected) / Math.Abs(expected);
            worst = Math.Max(worst, relative);
            Assert.True(relative <= 1e-6, $"gelu({x[i]:G9}) = {y[i]:G9}, reference {expected:G17}: relative error {relative:G3}.");
        }

        Assert.True(worst > 0); // the comparison ran
        output.WriteLine($"largest relative error of gelu: {worst:G3}");
    }

    [Fact]
    public void The_derivative_is_close_to_the_double_formula()
    {
        var x = Arguments();
        var gradient = x.Select((_, i) => 1f + (i % 3)).ToArray();
        var expectedGradient = gradient.ToArray();
        unsafe
        {
            fixed (float* g = gradient)
            fixed (float* p = x)
                ErfGelu.Backward(g, p, x.Length);
        }

        for (var i = 0; i < x.Length; i++)
        {
            var expected = expectedGradient[i] * TransformerReference.GeluDerivative(x[i]);
            if (Math.Abs(expected) < FastSigmoid.FlushBelow) expected = 0;
            // Φ(x) + x φ(x) crosses zero near x = -0.75, so the bound is relative to its terms, not to the sum.
            double cdf = NormalDistribution.Cdf(x[i]), term = Math.Abs(x[i] * NormalDistribution.Density(x[i]));
            var bound = 1e-6 * expectedGradient[i] * (cdf + term);
            if (Math.Abs(expected) < 1e-25) bound = Math.Max(bound, FastSigmoid.FlushBelow);
            Assert.True(Math.Abs(gradient[i] - expected) <= bound,
                $"gelu'({x[i]:G9}) · {expectedGradient[i]} = {gradient[i]:G9}, reference {expected:G17}.");
        }
    }

    [Fact]
    public void Special_values_and_subnormals()
    {
        var x = new[] { float.NaN, float.PositiveInfinity, 0f, -0f, 1e-40f, -1e-40f, float.Epsilon, 1e-29f, -1e-29f, 20f, -20f, float.MaxValue };
        var y = x.ToArray();
        Apply(y);
        Assert.True(float.IsNaN(y[0]));
        Assert.Equal(float.PositiveInfinity, y[1]);
        Assert.Equal(0f, y[2]);
        Assert.Equal(0f, Math.Abs(y[3]));
        Assert.Equal(0f, y[4]); // x Φ(x) = 5e-41 is subnormal: flushed, like GeluActivation
        Assert.Equal(0f, y[5]);
        Assert.Equal(0f, y[6]);
        Assert.Equal(0.5e-29f, y[7], 0.5e-29f * 1e-6f); // 5e-30 ≥ 2^-100 stays
        Assert.Equal(-0.5e-29f, y[8], 0.5e-29f * 1e-6f);
        Assert.Equal(20f, y[9]);
        Assert.Equal(0f, y[10]);
        Assert.Equal(float.MaxValue, y[11]);
        var reference = x.ToArray();
        GeluActivation.Forward(reference);
        for (var i = 2; i < x.Length; i++)
            Assert.True(Math.Abs(reference[i] - y[i]) <= 1e-6 * Math.Abs(reference[i]), $"gelu({x[i]}) = {y[i]}, GeluActivation {reference[i]}");
    }

    [Fact]
    public void A_value_gets_the_same_bits_in_a_vector_and_in_the_scalar_tail()
    {
        var x = Enumerable.Range(0, 97).Select(i => (i - 48) * 0.173f).ToArray();
        var y = x.ToArray();
        Apply(y);
        var dy = x.Select(_ => 1.5f).ToArray();
        unsafe
        {
            fixed (float* g = dy)
            fixed (float* p = x)
                ErfGelu.Backward(g, p, x.Length);
        }

        for (var i = 0; i < x.Length; i++)
        {
            Assert.Equal(BitConverter.SingleToInt32Bits(ErfGelu.Of(x[i])), BitConverter.SingleToInt32Bits(y[i]));
            Assert.Equal(BitConverter.SingleToInt32Bits(ErfGelu.Derivative(1.5f, x[i])), BitConverter.SingleToInt32Bits(dy[i]));
        }
    }

    private static unsafe void Apply(float[] values)
    {
        fixed (float* p = values) ErfGelu.Forward(p, values.Length);
    }
}
