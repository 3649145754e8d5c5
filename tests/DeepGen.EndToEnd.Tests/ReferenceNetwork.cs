namespace DeepGen.EndToEnd.Tests;

/// <summary>
/// The naive reference every generated model is checked against: straight loops in double precision, written from
/// the math and sharing no code with the kernels. Its loss follows Keras's definitions.
/// </summary>
internal sealed class ReferenceNetwork(ModelArchitecture architecture, double[] parameters)
{
    public static ReferenceNetwork Of(SequentialModel model) =>
        new(model.Architecture, Array.ConvertAll(model.Parameters.ToArray(), v => (double)v));

    public double[] Parameters { get; } = parameters;

    /// <summary>Outputs of every sample, <c>[samples, OutputSize]</c>.</summary>
    public double[] Predict(float[] x)
    {
        var samples = x.Length / architecture.InputSize;
        var result = new double[samples * architecture.OutputSize];
        for (var s = 0; s < samples; s++)
            Forward(x.AsSpan(s * architecture.InputSize, architecture.InputSize)).CopyTo(result, s * architecture.OutputSize);
        return result;
    }

    public double[] Forward(ReadOnlySpan<float> sample)
    {
        var values = Array.ConvertAll(sample.ToArray(), v => (double)v);
        foreach (var layer in architecture.Layers)
        {
            var next = new double[layer.Units];
            for (var j = 0; j < layer.Units; j++)
            {
                var sum = Parameters[layer.BiasOffset + j];
                for (var i = 0; i < layer.Inputs; i++)
                    sum += values[i] * Parameters[layer.WeightsOffset + i * layer.Units + j];
                next[j] = sum;
            }

            Activate(next, layer.Activation);
            values = next;
        }

        return values;
    }

    /// <summary>The batch-mean loss, as Keras defines <paramref name="loss"/>.</summary>
    public double Loss(float[] x, float[] y, Loss loss)
    {
        var outputs = Predict(x);
        var units = architecture.OutputSize;
        var samples = outputs.Length / units;
        var total = 0.0;
        for (var s = 0; s < samples; s++)
        {
            var p = outputs.AsSpan(s * units, units);
            var t = y.AsSpan(s * units, units);
            total += loss == DeepGen.Loss.MeanSquaredError ? MeanSquaredError(p, t) : CategoricalCrossEntropy(p, t);
        }

        return total / samples;
    }

    /// <summary>Central finite differences of <see cref="Loss"/> for every parameter.</summary>
    public double[] FiniteDifferenceGradient(float[] x, float[] y, Loss loss, double step = 1e-6)
    {
        var gradient = new double[Parameters.Length];
        for (var k = 0; k < Parameters.Length; k++)
        {
            var saved = Parameters[k];
            Parameters[k] = saved + step;
            var plus = Loss(x, y, loss);
            Parameters[k] = saved - step;
            var minus = Loss(x, y, loss);
            Parameters[k] = saved;
            gradient[k] = (plus - minus) / (2 * step);
        }

        return gradient;
    }

    private static void Activate(double[] z, Activation activation)
    {
        switch (activation)
        {
            case Activation.Linear: break;
            case Activation.Sigmoid: for (var i = 0; i < z.Length; i++) z[i] = 1 / (1 + Math.Exp(-z[i])); break;
            case Activation.Relu: for (var i = 0; i < z.Length; i++) z[i] = Math.Max(0, z[i]); break;
            case Activation.Tanh: for (var i = 0; i < z.Length; i++) z[i] = Math.Tanh(z[i]); break;
            case Activation.Softmax:
                var max = z.Max();
                var sum = 0.0;
                for (var i = 0; i < z.Length; i++) sum += z[i] = Math.Exp(z[i] - max);
                for (var i = 0; i < z.Length; i++) z[i] /= sum;
                break;
            default: throw new ArgumentOutOfRangeException(nameof(activation));
        }
    }

    private static double MeanSquaredError(ReadOnlySpan<double> p, ReadOnlySpan<float> y)
    {
        var sum = 0.0;
        for (var i = 0; i < p.Length; i++) sum += (p[i] - y[i]) * (p[i] - y[i]);
        return sum / p.Length;
    }

    private static double CategoricalCrossEntropy(ReadOnlySpan<double> p, ReadOnlySpan<float> y)
    {
        // Keras: renormalise the probabilities, clip them to [1e-7, 1 - 1e-7], then -Σ y log p.
        var total = 0.0;
        foreach (var v in p) total += v;
        var sum = 0.0;
        for (var i = 0; i < p.Length; i++) sum -= y[i] * Math.Log(Math.Clamp(p[i] / total, 1e-7, 1 - 1e-7));
        return sum;
    }
}
