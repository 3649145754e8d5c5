namespace DeepGen.Runtime.Tests.Cpu;

/// <summary>
/// Batch normalization over the last axis straight from its definition, in double: values <c>[rows, channels]</c>,
/// each channel's mean and biased variance over all rows, two plain passes.
/// </summary>
internal static class NaiveBatchNormalization
{
    public sealed record Forward(double[] Output, double[] Normalized, double[] Mean, double[] Variance, double[] InverseStd);

    public static Forward Training(double[] x, double[] gamma, double[] beta, int rows, int channels, double epsilon)
    {
        var (mean, variance, inverse) = (new double[channels], new double[channels], new double[channels]);
        for (var c = 0; c < channels; c++)
        {
            for (var r = 0; r < rows; r++) mean[c] += x[r * channels + c];
            mean[c] /= rows;
            for (var r = 0; r < rows; r++) variance[c] += (x[r * channels + c] - mean[c]) * (x[r * channels + c] - mean[c]);
            variance[c] /= rows;
            inverse[c] = 1 / Math.Sqrt(variance[c] + epsilon);
        }

        var (y, n) = (new double[x.Length], new double[x.Length]);
        for (var r = 0; r < rows; r++)
        for (var c = 0; c < channels; c++)
        {
            var i = r * channels + c;
            n[i] = (x[i] - mean[c]) * inverse[c];
            y[i] = gamma[c] * n[i] + beta[c];
        }

        return new Forward(y, n, mean, variance, inverse);
    }

    /// <summary><c>y = gamma · (x - mean) / √(variance + ε) + beta</c>.</summary>
    public static double[] Inference(float[] x, float[] gamma, float[] beta, float[] mean, float[] variance, int rows, int channels, double epsilon)
    {
        var y = new double[x.Length];
        for (var r = 0; r < rows; r++)
        for (var c = 0; c < channels; c++)
            y[r * channels + c] = gamma[c] * (x[r * channels + c] - (double)mean[c]) / Math.Sqrt(variance[c] + epsilon) + beta[c];
        return y;
    }

    /// <summary>
    /// The gradients from the saved normalized values and inverse standard deviations:
    /// <c>dβ = Σ dy</c>, <c>dγ = Σ dy·n</c>, <c>dx = γ·invStd/rows · (rows·dy - dβ - n·dγ)</c>.
    /// </summary>
    public static (double[] InputGradient, double[] GammaGradient, double[] BetaGradient) Backward(
        float[] dy, float[] normalized, float[] inverseStd, float[] gamma, int rows, int channels)
    {
        var (dGamma, dBeta) = (new double[channels], new double[channels]);
        for (var r = 0; r < rows; r++)
        for (var c = 0; c < channels; c++)
        {
            dBeta[c] += dy[r * channels + c];
            dGamma[c] += (double)dy[r * channels + c] * normalized[r * channels + c];
        }

        var dx = new double[dy.Length];
        for (var r = 0; r < rows; r++)
        for (var c = 0; c < channels; c++)
        {
            var i = r * channels + c;
            dx[i] = (double)gamma[c] * inverseStd[c] / rows * ((double)rows * dy[i] - dBeta[c] - normalized[i] * dGamma[c]);
        }

        return (dx, dGamma, dBeta);
    }

    public static double[] ToDouble(float[] values) => values.Select(v => (double)v).ToArray();
}
