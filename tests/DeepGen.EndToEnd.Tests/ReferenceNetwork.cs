namespace DeepGen.EndToEnd.Tests;

/// <summary>
/// The naive reference every generated model is checked against: straight loops in double precision, written from
/// the math and sharing no code with the kernels. Its loss follows Keras's definitions.
/// </summary>
internal sealed class ReferenceNetwork(ModelArchitecture architecture, double[] parameters, double[]? state = null)
{
    public static ReferenceNetwork Of(SequentialModel model) =>
        new(model.Architecture, Array.ConvertAll(model.Parameters.ToArray(), v => (double)v),
            Array.ConvertAll(model.NonTrainableWeights.ToArray(), v => (double)v));

    public double[] Parameters { get; } = parameters;

    /// <summary>The model's non-trainable state: batch normalization's moving mean and variance.</summary>
    public double[] State { get; } = state ?? [];

    /// <summary>
    /// Whether batch normalization uses the statistics of the batch passed to <see cref="Predict"/> (as a training
    /// step does) rather than the moving ones (as inference does).
    /// </summary>
    public bool BatchStatistics { get; set; }

    /// <summary>
    /// Fixed dropout masks by layer index, <c>[samples, units]</c> (0 or the kept scale), applied after that layer's
    /// activation; layers without an entry pass their outputs on unchanged, as inference does.
    /// </summary>
    public Dictionary<int, float[]> DropoutMasks { get; } = [];

    /// <summary>Whether <see cref="Loss"/> adds the layers' L1/L2 weight penalties, as a training step reports it.</summary>
    public bool IncludePenalties { get; set; } = true;

    /// <summary>
    /// A reference with the dropout masks the model drew in its last training step on <paramref name="batch"/>
    /// samples, read from its activation buffer.
    /// </summary>
    public static ReferenceNetwork WithLastMasks(SequentialModel model, int batch)
    {
        var reference = Of(model);
        foreach (var layer in model.Architecture.Layers)
            if (layer.DropoutRate is not null)
                reference.DropoutMasks[layer.Index] = model.ActivationBuffer.Slice(batch * layer.DropoutMaskOffsetPerSample, batch * layer.Units).ToArray();
        return reference;
    }

    /// <summary>Outputs of every sample, <c>[samples, OutputSize]</c>: layer by layer over the whole batch, which batch normalization's statistics need.</summary>
    public double[] Predict(float[] x) => Predict(x, architecture.Layers.Count - 1);

    /// <summary>The outputs of layer <paramref name="lastLayer"/> for every sample: the network cut after it.</summary>
    public double[] Predict(float[] x, int lastLayer)
    {
        var samples = x.Length / architecture.InputSize;
        var values = new double[samples][];
        for (var s = 0; s < samples; s++)
            values[s] = Array.ConvertAll(x.AsSpan(s * architecture.InputSize, architecture.InputSize).ToArray(), v => (double)v);
        foreach (var layer in architecture.Layers.Take(lastLayer + 1))
        {
            var next = layer.Kind == LayerKind.BatchNormalization
                ? BatchNormalization(layer, values)
                : values.Select(sample => Layer(layer, sample)).ToArray();
            for (var s = 0; s < samples; s++)
            {
                Activate(next[s], layer.Activation);
                if (DropoutMasks.TryGetValue(layer.Index, out var mask))
                    for (var j = 0; j < layer.Units; j++) next[s][j] *= mask[s * layer.Units + j];
            }

            values = next;
        }

        return values.SelectMany(v => v).ToArray();
    }

    /// <summary>
    /// Batch normalization from its definition, per channel (the last axis): in training the mean and biased
    /// variance over every sample and pixel of the batch, else the moving statistics of <see cref="State"/>.
    /// </summary>
    private double[][] BatchNormalization(LayerInfo layer, double[][] values)
    {
        var channels = layer.OutputShape.Channels;
        var next = values.Select(v => new double[v.Length]).ToArray();
        for (var c = 0; c < channels; c++)
        {
            double mean, variance;
            if (BatchStatistics)
            {
                var all = values.SelectMany(v => Enumerable.Range(0, v.Length / channels).Select(p => v[p * channels + c])).ToArray();
                mean = all.Average();
                variance = all.Select(v => (v - mean) * (v - mean)).Average();
            }
            else
            {
                mean = State[layer.StateOffset + c];
                variance = State[layer.StateOffset + channels + c];
            }

            var (gamma, beta) = (Parameters[layer.WeightsOffset + c], Parameters[layer.BiasOffset + c]);
            for (var s = 0; s < values.Length; s++)
                for (var p = c; p < values[s].Length; p += channels)
                    next[s][p] = gamma * (values[s][p] - mean) / Math.Sqrt(variance + layer.Epsilon) + beta;
        }

        return next;
    }

    private double[] Layer(LayerInfo layer, double[] values) => layer.Kind switch
    {
        LayerKind.Dense => Dense(layer, values),
        LayerKind.Conv2D => Convolution(layer, values),
        LayerKind.MaxPooling2D or LayerKind.AveragePooling2D => Pooling(layer, values),
        LayerKind.GlobalAveragePooling2D => GlobalPooling(layer, values, average: true),
        LayerKind.GlobalMaxPooling2D => GlobalPooling(layer, values, average: false),
        LayerKind.Flatten or LayerKind.Reshape => (double[])values.Clone(),
        LayerKind.Normalization => Normalization(layer, values),
        _ => throw new ArgumentOutOfRangeException(nameof(layer), layer.Kind, "No reference for this kind."),
    };

    /// <summary>Keras's Normalization from its definition: <c>(x - mean) / max(√variance, 1e-7)</c> per channel, the statistics from <see cref="State"/>.</summary>
    private double[] Normalization(LayerInfo layer, double[] values)
    {
        var channels = layer.OutputShape.Channels;
        var next = new double[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var c = i % channels;
            var deviation = Math.Max(Math.Sqrt(State[layer.StateOffset + channels + c]), 1e-7);
            next[i] = (values[i] - State[layer.StateOffset + c]) / deviation;
        }

        return next;
    }

    private double[] Dense(LayerInfo layer, double[] values)
    {
        var next = new double[layer.Units];
        for (var j = 0; j < layer.Units; j++)
        {
            var sum = layer.UseBias ? Parameters[layer.BiasOffset + j] : 0.0;
            for (var i = 0; i < layer.Inputs; i++)
                sum += values[i] * Parameters[layer.WeightsOffset + i * layer.Units + j];
            next[j] = sum;
        }

        return next;
    }

    /// <summary>
    /// The convolution from its definition: output (oy, ox, f) sums input (oy·s - top + ky, ox·s - left + kx, c)
    /// times kernel (ky, kx, c, f) over the window, cells outside the input counting as zero (Keras's padding; the
    /// top and left padding are half the total, the odd one going after, as TensorFlow pads).
    /// </summary>
    private double[] Convolution(LayerInfo layer, double[] values)
    {
        var (input, output, k, s) = (layer.InputShape, layer.OutputShape, layer.KernelSize, layer.Strides);
        var (top, left) = Padding(layer);
        var next = new double[layer.Units];
        for (var oy = 0; oy < output.Height; oy++)
        for (var ox = 0; ox < output.Width; ox++)
        for (var f = 0; f < output.Channels; f++)
        {
            var sum = layer.UseBias ? Parameters[layer.BiasOffset + f] : 0.0;
            for (var ky = 0; ky < k; ky++)
            for (var kx = 0; kx < k; kx++)
            {
                var (y, x) = (oy * s - top + ky, ox * s - left + kx);
                if (y < 0 || y >= input.Height || x < 0 || x >= input.Width) continue;
                for (var c = 0; c < input.Channels; c++)
                    sum += values[(y * input.Width + x) * input.Channels + c] *
                           Parameters[layer.WeightsOffset + ((ky * k + kx) * input.Channels + c) * output.Channels + f];
            }

            next[(oy * output.Width + ox) * output.Channels + f] = sum;
        }

        return next;
    }

    /// <summary>Max or mean of each window's cells inside the input, per channel (TensorFlow ignores the padding of a pool).</summary>
    private static double[] Pooling(LayerInfo layer, double[] values)
    {
        var (input, output, k, s) = (layer.InputShape, layer.OutputShape, layer.KernelSize, layer.Strides);
        var (top, left) = Padding(layer);
        var next = new double[layer.Units];
        for (var oy = 0; oy < output.Height; oy++)
        for (var ox = 0; ox < output.Width; ox++)
        for (var c = 0; c < output.Channels; c++)
        {
            var (max, sum, count) = (double.NegativeInfinity, 0.0, 0);
            for (var ky = 0; ky < k; ky++)
            for (var kx = 0; kx < k; kx++)
            {
                var (y, x) = (oy * s - top + ky, ox * s - left + kx);
                if (y < 0 || y >= input.Height || x < 0 || x >= input.Width) continue;
                var v = values[(y * input.Width + x) * input.Channels + c];
                (max, sum, count) = (Math.Max(max, v), sum + v, count + 1);
            }

            next[(oy * output.Width + ox) * output.Channels + c] = layer.Kind == LayerKind.MaxPooling2D ? max : sum / count;
        }

        return next;
    }

    private static double[] GlobalPooling(LayerInfo layer, double[] values, bool average)
    {
        var channels = layer.InputShape.Channels;
        var pixels = layer.Inputs / channels;
        var next = new double[channels];
        for (var c = 0; c < channels; c++)
        {
            var (max, sum) = (double.NegativeInfinity, 0.0);
            for (var p = 0; p < pixels; p++) (max, sum) = (Math.Max(max, values[p * channels + c]), sum + values[p * channels + c]);
            next[c] = average ? sum / pixels : max;
        }

        return next;
    }

    /// <summary>Rows above and columns left of the input that a same-padded window reads as zeros.</summary>
    private static (int Top, int Left) Padding(LayerInfo layer)
    {
        if (layer.Padding == DeepGen.Padding.Valid) return (0, 0);
        int Before(int input, int output) => Math.Max((output - 1) * layer.Strides + layer.KernelSize - input, 0) / 2;
        return (Before(layer.InputShape.Height, layer.OutputShape.Height), Before(layer.InputShape.Width, layer.OutputShape.Width));
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

        var mean = total / samples;
        if (!IncludePenalties) return mean;
        // Keras adds each regularizer's penalty, l1 Σ|w| + l2 Σw², to the batch-mean loss.
        foreach (var layer in architecture.Layers)
            for (var k = 0; k < layer.WeightCount; k++)
            {
                var w = Parameters[layer.WeightsOffset + k];
                mean += (double)layer.L1 * Math.Abs(w) + (double)layer.L2 * w * w;
            }

        return mean;
    }

    /// <summary>Central finite differences of <see cref="Loss"/> for every parameter.</summary>
    public double[] FiniteDifferenceGradient(float[] x, float[] y, Loss loss, double step = 1e-6)
    {
        var gradient = new double[Parameters.Length];
        for (var k = 0; k < Parameters.Length; k++) gradient[k] = FiniteDifference(x, y, loss, k, step);
        return gradient;
    }

    /// <summary>The central difference of the loss in parameter <paramref name="k"/>, which is left as it was.</summary>
    public double FiniteDifference(float[] x, float[] y, Loss loss, int k, double step = 1e-6)
    {
        var saved = Parameters[k];
        Parameters[k] = saved + step;
        var plus = Loss(x, y, loss);
        Parameters[k] = saved - step;
        var minus = Loss(x, y, loss);
        Parameters[k] = saved;
        return (plus - minus) / (2 * step);
    }

    private static void Activate(double[] z, Activation activation)
    {
        switch (activation)
        {
            case Activation.Linear: break;
            case Activation.Sigmoid: for (var i = 0; i < z.Length; i++) z[i] = 1 / (1 + Math.Exp(-z[i])); break;
            case Activation.Relu: for (var i = 0; i < z.Length; i++) z[i] = Math.Max(0, z[i]); break;
            case Activation.Tanh: for (var i = 0; i < z.Length; i++) z[i] = Math.Tanh(z[i]); break;
            case Activation.LeakyRelu: for (var i = 0; i < z.Length; i++) z[i] = z[i] > 0 ? z[i] : 0.2 * z[i]; break;
            case Activation.Elu: for (var i = 0; i < z.Length; i++) z[i] = z[i] > 0 ? z[i] : Math.Exp(z[i]) - 1; break;
            case Activation.Selu:
                // Keras's constants, as written in keras.activations.selu.
                for (var i = 0; i < z.Length; i++) z[i] = 1.05070098 * (z[i] > 0 ? z[i] : 1.67326324 * (Math.Exp(z[i]) - 1));
                break;
            case Activation.Gelu: for (var i = 0; i < z.Length; i++) z[i] = 0.5 * z[i] * (1 + Erf(z[i] / Math.Sqrt(2))); break;
            case Activation.Softplus: for (var i = 0; i < z.Length; i++) z[i] = Math.Log(1 + Math.Exp(z[i])); break;
            case Activation.Swish: for (var i = 0; i < z.Length; i++) z[i] = z[i] / (1 + Math.Exp(-z[i])); break;
            case Activation.HardSigmoid: for (var i = 0; i < z.Length; i++) z[i] = Math.Clamp(z[i] / 6 + 0.5, 0, 1); break;
            case Activation.Softmax:
                var max = z.Max();
                var sum = 0.0;
                for (var i = 0; i < z.Length; i++) sum += z[i] = Math.Exp(z[i] - max);
                for (var i = 0; i < z.Length; i++) z[i] /= sum;
                break;
            default: throw new ArgumentOutOfRangeException(nameof(activation));
        }
    }

    /// <summary>
    /// erf from its Maclaurin series (|x| ≤ 3, where the terms' cancellation still leaves about 12 digits) and from
    /// the asymptotic continued fraction of erfc beyond: written from the definitions, sharing nothing with the kernel.
    /// </summary>
    internal static double Erf(double x)
    {
        var ax = Math.Abs(x);
        if (ax <= 3)
        {
            double sum = 0, term = x;
            for (var n = 0; n < 200; n++)
            {
                sum += term / (2 * n + 1);
                term *= -x * x / (n + 1);
                if (Math.Abs(term) < 1e-17 * Math.Abs(sum)) break;
            }

            return 2 / Math.Sqrt(Math.PI) * sum;
        }

        // erfc(x) = e^{-x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …))))), evaluated from the tail up.
        var fraction = ax;
        for (var k = 60; k >= 1; k--) fraction = ax + k / 2.0 / fraction;
        var erfc = Math.Exp(-ax * ax) / Math.Sqrt(Math.PI) / fraction;
        return Math.Sign(x) * (1 - erfc);
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
