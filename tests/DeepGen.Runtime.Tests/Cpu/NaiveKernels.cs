namespace DeepGen.Runtime.Tests.Cpu;

/// <summary>The simple loops every fast kernel is checked against, in double precision.</summary>
internal static class NaiveKernels
{
    /// <summary>y = x · W + b, no activation.</summary>
    public static double[] Affine(float[] x, float[] w, float[] b, int batch, int inputs, int units)
    {
        var y = new double[batch * units];
        for (var s = 0; s < batch; s++)
        for (var j = 0; j < units; j++)
        {
            double sum = b[j];
            for (var i = 0; i < inputs; i++) sum += (double)x[s * inputs + i] * w[i * units + j];
            y[s * units + j] = sum;
        }

        return y;
    }

    /// <summary>dW = xᵀ · dz.</summary>
    public static double[] WeightGradients(float[] x, float[] dz, int batch, int inputs, int units)
    {
        var dw = new double[inputs * units];
        for (var i = 0; i < inputs; i++)
        for (var j = 0; j < units; j++)
        {
            var sum = 0.0;
            for (var s = 0; s < batch; s++) sum += (double)x[s * inputs + i] * dz[s * units + j];
            dw[i * units + j] = sum;
        }

        return dw;
    }

    /// <summary>dx = dz · Wᵀ.</summary>
    public static double[] InputGradients(float[] dz, float[] w, int batch, int inputs, int units)
    {
        var dx = new double[batch * inputs];
        for (var s = 0; s < batch; s++)
        for (var i = 0; i < inputs; i++)
        {
            var sum = 0.0;
            for (var j = 0; j < units; j++) sum += (double)dz[s * units + j] * w[i * units + j];
            dx[s * inputs + i] = sum;
        }

        return dx;
    }

    public static float[] Random(int count, int seed, float low = -1f, float high = 1f)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (var i = 0; i < count; i++) values[i] = low + (float)random.NextDouble() * (high - low);
        return values;
    }

    /// <summary>
    /// Float products of length k differ from the double reference by about k·ε times the sum of |terms|; the
    /// bound scales with that sum rather than with the result, which may cancel to near zero.
    /// </summary>
    public static void AssertClose(double[] expected, float[] actual, double[] magnitude, int k, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var tolerance = 4 * k * 6e-8;
        for (var i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= tolerance * Math.Max(magnitude[i], 1e-30) + 1e-30,
                $"{what}[{i}]: kernel {actual[i]:G9}, reference {expected[i]:G9} (bound {tolerance * magnitude[i]:G3}).");
    }
}
