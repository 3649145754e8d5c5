namespace DeepGen.Data;

/// <summary>Samples split into a training part and a validation part, row-major like Fit's arguments.</summary>
/// <param name="TrainX">Training inputs.</param>
/// <param name="TrainY">Training targets.</param>
/// <param name="ValidationX">Validation inputs.</param>
/// <param name="ValidationY">Validation targets.</param>
public sealed partial record DataSplit(float[] TrainX, float[] TrainY, float[] ValidationX, float[] ValidationY)
{
    /// <summary>
    /// Splits samples into training and validation parts (scikit-learn's <c>train_test_split</c>): with
    /// <paramref name="shuffle"/>, a seeded random choice of samples goes to validation, the same for the same seed on
    /// every platform; without, the last samples do (as Keras's <c>validation_split</c>). Each part keeps the samples'
    /// original order.
    /// </summary>
    /// <param name="x">Inputs, <c>[samples, inputsPerSample]</c>.</param>
    /// <param name="y">Targets, <c>[samples, targetsPerSample]</c>.</param>
    /// <param name="validationFraction">Fraction of the samples for validation, in (0, 1); the count is rounded up, as scikit-learn does.</param>
    public static DataSplit TrainValidation(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int inputsPerSample, int targetsPerSample,
        float validationFraction, int seed = 0, bool shuffle = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputsPerSample);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(targetsPerSample);
        if (!(validationFraction > 0f && validationFraction < 1f))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "The validation fraction must be in (0, 1).");
        if (x.Length == 0 || x.Length % inputsPerSample != 0)
            throw new ArgumentException($"'x' holds {x.Length} floats, which is not a positive whole number of samples of {inputsPerSample}.", nameof(x));
        var samples = x.Length / inputsPerSample;
        if (y.Length != (long)samples * targetsPerSample)
            throw new ArgumentException($"'x' holds {samples} samples but 'y' holds {y.Length} floats, not {samples} × {targetsPerSample}.", nameof(y));
        var fraction = double.Parse(validationFraction.ToString("R", System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture);
        var validationCount = (int)Math.Ceiling(samples * fraction);
        if (validationCount >= samples)
            throw new ArgumentException($"A validation fraction of {validationFraction} of {samples} samples leaves none for training.", nameof(validationFraction));

        var toValidation = new bool[samples];
        if (shuffle)
        {
            var order = new int[samples];
            for (var i = 0; i < samples; i++) order[i] = i;
            var random = new SeededRandom(seed);
            random.Shuffle(order);
            for (var i = 0; i < validationCount; i++) toValidation[order[i]] = true;
        }
        else
        {
            for (var i = samples - validationCount; i < samples; i++) toValidation[i] = true;
        }

        var trainX = new float[(samples - validationCount) * inputsPerSample];
        var trainY = new float[(samples - validationCount) * targetsPerSample];
        var validationX = new float[validationCount * inputsPerSample];
        var validationY = new float[validationCount * targetsPerSample];
        int train = 0, validation = 0;
        for (var s = 0; s < samples; s++)
        {
            var row = toValidation[s] ? validation++ : train++;
            x.Slice(s * inputsPerSample, inputsPerSample).CopyTo((toValidation[s] ? validationX : trainX).AsSpan(row * inputsPerSample));
            y.Slice(s * targetsPerSample, targetsPerSample).CopyTo((toValidation[s] ? validationY : trainY).AsSpan(row * targetsPerSample));
        }

        return new DataSplit(trainX, trainY, validationX, validationY);
    }
}
