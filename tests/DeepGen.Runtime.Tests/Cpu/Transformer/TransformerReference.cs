using DeepGen.Cpu;
using DeepGen.Layout;

namespace DeepGen.Runtime.Tests.Cpu.Transformer;

/// <summary>
/// The transformer kernels' definitions, written plainly in double precision: one loop nest per formula, no tiling,
/// no fusion. The kernels are compared with these, and the gradients with central differences of these.
/// </summary>
internal static class TransformerReference
{
    public static double[] ToDouble(float[] values) => values.Select(v => (double)v).ToArray();

    /// <summary>x · Φ(x) = 0.5 x (1 + erf(x / √2)).</summary>
    public static double Gelu(double x) => x * NormalDistribution.Cdf(x);

    /// <summary>Φ(x) + x φ(x).</summary>
    public static double GeluDerivative(double x) => NormalDistribution.Cdf(x) + x * NormalDistribution.Density(x);

    /// <summary>output[b, j] = tokens[id] + types[type] + positions[j].</summary>
    public static double[] Embedding(int[] ids, int[] types, double[] tokenTable, double[] positionTable, double[] typeTable,
        int batch, int sequence, int dimensions)
    {
        var output = new double[batch * sequence * dimensions];
        for (var t = 0; t < batch * sequence; t++)
        for (var c = 0; c < dimensions; c++)
        {
            var value = tokenTable[ids[t] * dimensions + c];
            if (typeTable.Length > 0) value += typeTable[(types.Length == 0 ? 0 : types[t]) * dimensions + c];
            if (positionTable.Length > 0) value += positionTable[t % sequence * dimensions + c];
            output[t * dimensions + c] = value;
        }

        return output;
    }

    /// <summary>LN(input + residual) · gamma + beta over each row, biased variance.</summary>
    public static double[] LayerNorm(double[] input, double[]? residual, double[] gamma, double[] beta, int rows, int width, double epsilon)
    {
        var output = new double[rows * width];
        for (var r = 0; r < rows; r++)
        {
            var v = new double[width];
            for (var c = 0; c < width; c++) v[c] = input[r * width + c] + (residual is null ? 0 : residual[r * width + c]);
            var mean = v.Average();
            var variance = v.Select(e => (e - mean) * (e - mean)).Average();
            var inverse = 1 / Math.Sqrt(variance + epsilon);
            for (var c = 0; c < width; c++) output[r * width + c] = (v[c] - mean) * inverse * gamma[c] + beta[c];
        }

        return output;
    }

    /// <summary>mean over the tokens whose mask is 1 (empty mask: all).</summary>
    public static double[] MaskedMean(double[] input, int[] mask, int batch, int sequence, int width)
    {
        var output = new double[batch * width];
        for (var b = 0; b < batch; b++)
        {
            var count = 0;
            for (var j = 0; j < sequence; j++)
            {
                if (mask.Length > 0 && mask[b * sequence + j] == 0) continue;
                count++;
                for (var c = 0; c < width; c++) output[b * width + c] += input[(b * sequence + j) * width + c];
            }

            for (var c = 0; c < width; c++) output[b * width + c] /= count;
        }

        return output;
    }

    /// <summary>x / max(‖x‖, 1e-12) per row.</summary>
    public static double[] L2Normalize(double[] input, int rows, int width)
    {
        var output = new double[rows * width];
        for (var r = 0; r < rows; r++)
        {
            var norm = Math.Sqrt(Enumerable.Range(0, width).Sum(c => input[r * width + c] * input[r * width + c]));
            norm = Math.Max(norm, 1e-12);
            for (var c = 0; c < width; c++) output[r * width + c] = input[r * width + c] / norm;
        }

        return output;
    }

    /// <summary>x[rows, inputs] · w[inputs, outputs] + b.</summary>
    public static double[] Linear(double[] x, double[] w, double[] b, int rows, int inputs, int outputs)
    {
        var y = new double[rows * outputs];
        for (var r = 0; r < rows; r++)
        for (var o = 0; o < outputs; o++)
        {
            var sum = b[o];
            for (var i = 0; i < inputs; i++) sum += x[r * inputs + i] * w[i * outputs + o];
            y[r * outputs + o] = sum;
        }

        return y;
    }

    /// <summary>
    /// Multi-head attention on projected q, k, v [tokens, H]: per sample and head, softmax over the keys with mask 1 of
    /// q·k / √d, times v.
    /// </summary>
    public static double[] Attention(double[] q, double[] k, double[] v, int[] mask, int batch, int sequence, int heads, int hidden)
    {
        var d = hidden / heads;
        var context = new double[batch * sequence * hidden];
        for (var b = 0; b < batch; b++)
        for (var h = 0; h < heads; h++)
        for (var i = 0; i < sequence; i++)
        {
            var scores = new double[sequence];
            var max = double.NegativeInfinity;
            for (var j = 0; j < sequence; j++)
            {
                if (mask.Length > 0 && mask[b * sequence + j] == 0) continue;
                var dot = 0.0;
                for (var p = 0; p < d; p++) dot += q[(b * sequence + i) * hidden + h * d + p] * k[(b * sequence + j) * hidden + h * d + p];
                scores[j] = dot / Math.Sqrt(d);
                max = Math.Max(max, scores[j]);
            }

            var sum = 0.0;
            for (var j = 0; j < sequence; j++)
            {
                scores[j] = mask.Length > 0 && mask[b * sequence + j] == 0 ? 0 : Math.Exp(scores[j] - max);
                sum += scores[j];
            }

            for (var p = 0; p < d; p++)
            {
                var value = 0.0;
                for (var j = 0; j < sequence; j++) value += scores[j] / sum * v[(b * sequence + j) * hidden + h * d + p];
                context[(b * sequence + i) * hidden + h * d + p] = value;
            }
        }

        return context;
    }

    /// <summary>One post-LayerNorm BERT layer, straight from its definition.</summary>
    public static double[] EncoderLayer(double[] parameters, double[] x, int[] mask, int batch, int sequence, EncoderShape s)
    {
        var layout = new EncoderLayerLayout(s.Hidden, s.FeedForward);
        int hidden = s.Hidden, ff = s.FeedForward, tokens = batch * sequence;
        double[] Slice(long offset, long length) => parameters.AsSpan((int)offset, (int)length).ToArray();
        var q = Linear(x, Slice(layout.QueryWeights, hidden * hidden), Slice(layout.QueryBias, hidden), tokens, hidden, hidden);
        var k = Linear(x, Slice(layout.KeyWeights, hidden * hidden), Slice(layout.KeyBias, hidden), tokens, hidden, hidden);
        var v = Linear(x, Slice(layout.ValueWeights, hidden * hidden), Slice(layout.ValueBias, hidden), tokens, hidden, hidden);
        var context = Attention(q, k, v, mask, batch, sequence, s.Heads, hidden);
        var a = Linear(context, Slice(layout.AttentionOutputWeights, hidden * hidden), Slice(layout.AttentionOutputBias, hidden), tokens, hidden, hidden);
        var h = LayerNorm(a, x, Slice(layout.AttentionNormGamma, hidden), Slice(layout.AttentionNormBeta, hidden), tokens, hidden, s.Epsilon);
        var f = Linear(h, Slice(layout.FeedForwardInnerWeights, hidden * ff), Slice(layout.FeedForwardInnerBias, ff), tokens, hidden, ff);
        for (var i = 0; i < f.Length; i++) f[i] = s.Activation == Activation.Gelu ? Gelu(f[i]) : Math.Max(f[i], 0);
        var g = Linear(f, Slice(layout.FeedForwardOuterWeights, ff * hidden), Slice(layout.FeedForwardOuterBias, hidden), tokens, ff, hidden);
        return LayerNorm(g, h, Slice(layout.OutputNormGamma, hidden), Slice(layout.OutputNormBeta, hidden), tokens, hidden, s.Epsilon);
    }

    /// <summary>
    /// Central differences of <c>Σ outputGradient ⊙ forward()</c> with respect to each of <paramref name="values"/>,
    /// against the kernel's <paramref name="gradient"/>: within <paramref name="tolerance"/> of the larger of 1 and the
    /// gradient's largest magnitude, so that a wrong small element is still seen but float rounding is not. At most
    /// <paramref name="most"/> elements are checked, spread over the tensor with an odd stride (so rows and columns vary).
    /// </summary>
    public static void CheckGradient(double[] values, float[] gradient, float[] outputGradient, Func<double[]> forward, string what,
        double tolerance = 2e-4, double step = 1e-6, int most = int.MaxValue)
    {
        Assert.Equal(values.Length, gradient.Length);
        var scale = Math.Max(1.0, gradient.Max(Math.Abs));
        var stride = values.Length <= most ? 1 : (values.Length / most) | 1;
        for (var i = 0; i < values.Length; i += stride)
        {
            var original = values[i];
            values[i] = original + step;
            var above = Loss(forward(), outputGradient);
            values[i] = original - step;
            var below = Loss(forward(), outputGradient);
            values[i] = original;
            var numeric = (above - below) / (2 * step);
            if (!(Math.Abs(numeric - gradient[i]) <= tolerance * scale))
                Assert.Fail($"{what}[{i}]: kernel {gradient[i]:G9}, finite difference {numeric:G9} (scale {scale:G3}).");
        }
    }

    private static double Loss(double[] output, float[] outputGradient)
    {
        var sum = 0.0;
        for (var i = 0; i < output.Length; i++) sum += output[i] * outputGradient[i];
        return sum;
    }

    /// <summary>|expected - actual| ≤ tolerance · max(1, largest |expected|) for every element.</summary>
    public static void AssertClose(double[] expected, float[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var scale = Math.Max(1.0, expected.Max(Math.Abs));
        for (var i = 0; i < expected.Length; i++)
            if (!(Math.Abs(expected[i] - actual[i]) <= tolerance * scale))
                Assert.Fail($"{what}[{i}]: kernel {actual[i]:G9}, reference {expected[i]:G9} (scale {scale:G3}).");
    }

    /// <summary>A padding mask: sample b has zeros at the positions listed for it (the end, the middle).</summary>
    public static int[] Mask(int batch, int sequence, Func<int, int, bool> isPadding)
    {
        var mask = new int[batch * sequence];
        for (var b = 0; b < batch; b++)
        for (var j = 0; j < sequence; j++)
            mask[b * sequence + j] = isPadding(b, j) ? 0 : 1;
        return mask;
    }
}
