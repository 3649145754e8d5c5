namespace DeepGen;

/// <summary>
/// Keras's initializers over the flat parameter buffer. One random stream, seeded from the model's seed, is read
/// in layer order, kernel then bias; zeros and ones read nothing from it. The default (Glorot-uniform kernels, zero
/// biases) therefore draws exactly what the original Glorot-only initialisation drew, bit for bit.
/// </summary>
internal static class WeightInitialization
{
    /// <summary>
    /// Keras's <c>TruncatedNormal</c> discards draws beyond two standard deviations, which shrinks the variance;
    /// <c>VarianceScaling</c> divides the standard deviation by this constant (the standard deviation of a unit
    /// normal truncated to [-2, 2]) so the variance is still <c>scale / fan</c>.
    /// </summary>
    public const double TruncationCorrection = 0.87962566103423978;

    public static void Initialize(Span<float> parameters, ModelArchitecture architecture, int seed)
    {
        var random = new SeededRandom(seed);
        foreach (var layer in architecture.Layers)
        {
            if (!layer.HasWeights) continue;
            var (fanIn, fanOut) = layer.Fans;
            Fill(parameters.Slice(layer.WeightsOffset, layer.WeightCount), layer.KernelInitializer, fanIn, fanOut, ref random);
            // A bias's fans are its length, both ways, as Keras computes them for a one-dimensional tensor.
            if (layer.BiasCount > 0)
                Fill(parameters.Slice(layer.BiasOffset, layer.BiasCount), layer.BiasInitializer, layer.BiasCount, layer.BiasCount, ref random);
        }
    }

    /// <summary>
    /// Keras's starting state: each batch normalization's moving mean 0 and moving variance 1; each normalization's
    /// mean 0, variance 1 and count 0, the mark of a layer not yet adapted.
    /// </summary>
    public static void InitializeState(Span<float> state, ModelArchitecture architecture)
    {
        state.Clear();
        foreach (var layer in architecture.Layers)
        {
            var channels = layer.OutputShape.Channels;
            if (layer.Kind == LayerKind.BatchNormalization)
                state.Slice(layer.StateOffset + channels, channels).Fill(1f);
            else if (layer.Kind == LayerKind.Normalization)
                state.Slice(layer.StateOffset + Layout.NormalizationState.Variance(channels), channels).Fill(1f);
        }
    }

    /// <summary>Fills <paramref name="values"/> as <paramref name="initializer"/> does for a tensor with these fans.</summary>
    public static void Fill(Span<float> values, Initializer initializer, int fanIn, int fanOut, ref SeededRandom random)
    {
        switch (initializer)
        {
            case Initializer.Zeros: values.Clear(); break;
            case Initializer.Ones: values.Fill(1f); break;
            // The float expression of the original Glorot-only code, kept as it was so default models keep their bits.
            case Initializer.GlorotUniform: Uniform(values, MathF.Sqrt(6f / (fanIn + fanOut)), ref random); break;
            case Initializer.HeUniform: Uniform(values, MathF.Sqrt(6f / fanIn), ref random); break;
            case Initializer.LecunUniform: Uniform(values, MathF.Sqrt(3f / fanIn), ref random); break;
            case Initializer.GlorotNormal: TruncatedNormal(values, Math.Sqrt(2.0 / (fanIn + fanOut)) / TruncationCorrection, ref random); break;
            case Initializer.HeNormal: TruncatedNormal(values, Math.Sqrt(2.0 / fanIn) / TruncationCorrection, ref random); break;
            case Initializer.LecunNormal: TruncatedNormal(values, Math.Sqrt(1.0 / fanIn) / TruncationCorrection, ref random); break;
            default: throw new ArgumentOutOfRangeException(nameof(initializer), initializer, "Unknown initializer.");
        }
    }

    /// <summary>Limit of the uniform initializers, or the standard deviation before truncation of the normal ones.</summary>
    internal static double Spread(Initializer initializer, int fanIn, int fanOut) => initializer switch
    {
        Initializer.GlorotUniform => MathF.Sqrt(6f / (fanIn + fanOut)),
        Initializer.HeUniform => MathF.Sqrt(6f / fanIn),
        Initializer.LecunUniform => MathF.Sqrt(3f / fanIn),
        Initializer.GlorotNormal => Math.Sqrt(2.0 / (fanIn + fanOut)) / TruncationCorrection,
        Initializer.HeNormal => Math.Sqrt(2.0 / fanIn) / TruncationCorrection,
        Initializer.LecunNormal => Math.Sqrt(1.0 / fanIn) / TruncationCorrection,
        _ => 0,
    };

    private static void Uniform(Span<float> values, float limit, ref SeededRandom random)
    {
        for (var i = 0; i < values.Length; i++) values[i] = (2f * random.NextSingle() - 1f) * limit;
    }

    /// <summary>
    /// Normal draws (Box–Muller, cosine branch, in double) with standard deviation <paramref name="stddev"/>, each
    /// redrawn until it lies within two standard deviations, as Keras's truncated normal does. Math.Log and Math.Cos
    /// may differ in the last bit between platforms' math libraries, so normal initializers are reproducible on one
    /// platform; the uniform ones on every platform.
    /// </summary>
    private static void TruncatedNormal(Span<float> values, double stddev, ref SeededRandom random)
    {
        for (var i = 0; i < values.Length; i++)
        {
            double z;
            do
            {
                var u1 = 1.0 - random.NextDouble(); // (0, 1]: the logarithm stays finite
                var u2 = random.NextDouble();
                z = Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
            }
            while (Math.Abs(z) > 2.0);
            values[i] = (float)(z * stddev);
        }
    }
}
