using System.Globalization;

namespace DeepGen.Data;

/// <summary>
/// Samples split into training, validation and test parts, row-major like Fit's arguments. Each part keeps the
/// samples' original order; the <c>…Indices</c> say which original sample each row is.
/// </summary>
/// <param name="TrainX">Training inputs.</param>
/// <param name="TrainY">Training targets.</param>
/// <param name="ValidationX">Validation inputs (empty when the validation fraction is 0).</param>
/// <param name="ValidationY">Validation targets.</param>
/// <param name="TestX">Test inputs (empty when the test fraction is 0).</param>
/// <param name="TestY">Test targets.</param>
public sealed record TrainValidationTestSplit(float[] TrainX, float[] TrainY, float[] ValidationX, float[] ValidationY, float[] TestX, float[] TestY)
{
    /// <summary>The original (0-based) sample index of each training row, ascending.</summary>
    public required int[] TrainIndices { get; init; }

    /// <summary>The original sample index of each validation row, ascending.</summary>
    public required int[] ValidationIndices { get; init; }

    /// <summary>The original sample index of each test row, ascending.</summary>
    public required int[] TestIndices { get; init; }
}

// Three-way splits: plain (random or in order) and stratified by class.
public sealed partial record DataSplit
{
    /// <summary>
    /// Splits samples into training, validation and test parts. With <paramref name="shuffle"/>, a seeded random choice
    /// of samples goes to test and then to validation, the same for the same seed on every platform; without, the last
    /// samples are the test part and the ones before them the validation part. Part sizes are
    /// <c>ceil(samples × fraction)</c> for validation and test (as scikit-learn rounds its test part), the rest train.
    /// </summary>
    /// <param name="x">Inputs, <c>[samples, inputsPerSample]</c>.</param>
    /// <param name="y">Targets, <c>[samples, targetsPerSample]</c>.</param>
    /// <param name="validationFraction">Fraction of the samples for validation, in [0, 1); 0 for no validation part.</param>
    /// <param name="testFraction">Fraction of the samples for the test part, in [0, 1); 0 for no test part.</param>
    /// <exception cref="ArgumentException">The shapes disagree, or the fractions leave no sample for training.</exception>
    public static TrainValidationTestSplit TrainValidationTest(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int inputsPerSample, int targetsPerSample,
        float validationFraction, float testFraction, int seed = 0, bool shuffle = true)
    {
        var samples = CheckShapes(x, y, inputsPerSample, targetsPerSample);
        var (validationCount, testCount) = PartSizes(samples, validationFraction, testFraction);

        var order = new int[samples];
        for (var i = 0; i < samples; i++) order[i] = i;
        if (shuffle)
        {
            var random = new SeededRandom(seed);
            random.Shuffle(order);
        }
        else
        {
            // The last samples are the test part, the ones before them validation: put them first, as a shuffle would.
            order.AsSpan().Reverse();
            order.AsSpan(0, testCount).Reverse();
            order.AsSpan(testCount, validationCount).Reverse();
        }

        var test = order[..testCount];
        var validation = order[testCount..(testCount + validationCount)];
        var train = order[(testCount + validationCount)..];
        return Gather(x, y, inputsPerSample, targetsPerSample, train, validation, test);
    }

    /// <summary>
    /// Splits samples into training, validation and test parts that each keep every class's share of the samples, as
    /// scikit-learn's <c>train_test_split(…, stratify=y)</c> does: each nonempty part gets at least one sample of every
    /// class, and otherwise as close to its fraction of each class as whole samples allow (largest remainders, ties to
    /// the lower class index). Which samples of a class go where is a seeded random choice, the same for the same seed
    /// on every platform. Part sizes are those of <see cref="TrainValidationTest"/>.
    /// </summary>
    /// <param name="x">Inputs, <c>[samples, inputsPerSample]</c>.</param>
    /// <param name="y">
    /// Targets, <c>[samples, targetsPerSample]</c>: with one target per sample, a class index (a whole number ≥ 0, such
    /// as the 0/1 of a sigmoid output or the labels of <see cref="CsvDataset.Labels"/>); with more, one-hot rows.
    /// </param>
    /// <param name="validationFraction">Fraction of the samples for validation, in [0, 1); 0 for no validation part.</param>
    /// <param name="testFraction">Fraction of the samples for the test part, in [0, 1); 0 for no test part.</param>
    /// <exception cref="ArgumentException">
    /// The shapes disagree; a target is not a class index or a one-hot row (the message names the sample); a class
    /// has fewer samples than there are nonempty parts; or a nonempty part is too small to hold one sample of every
    /// class.
    /// </exception>
    public static TrainValidationTestSplit Stratified(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int inputsPerSample, int targetsPerSample,
        float validationFraction, float testFraction, int seed = 0)
    {
        var samples = CheckShapes(x, y, inputsPerSample, targetsPerSample);
        var (validationCount, testCount) = PartSizes(samples, validationFraction, testFraction);
        var classes = ClassesOf(y, targetsPerSample, samples);

        // The classes present, ascending; k below is a position in this list, labels[k] the class itself.
        var labels = classes.Distinct().Order().ToArray();
        var classCount = labels.Length;
        var position = new Dictionary<int, int>(classCount);
        for (var k = 0; k < classCount; k++) position[labels[k]] = k;
        var members = new List<int>[classCount];
        for (var k = 0; k < classCount; k++) members[k] = [];
        for (var s = 0; s < samples; s++) members[position[classes[s]]].Add(s);
        var counts = members.Select(m => m.Count).ToArray();
        var present = classCount;

        var parts = 1 + (validationCount > 0 ? 1 : 0) + (testCount > 0 ? 1 : 0);
        var partNames = parts switch { 3 => "training, validation and test parts", 2 => testCount > 0 ? "training and test parts" : "training and validation parts", _ => "one part" };
        for (var k = 0; k < classCount; k++)
            if (counts[k] < parts)
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Class {labels[k]} has {counts[k]} sample{(counts[k] == 1 ? "" : "s")} (sample {string.Join(", sample ", members[k])}), but a stratified split into {partNames} needs at least {parts} of every class, one for each part."), nameof(y));
        var trainCount = samples - validationCount - testCount;
        foreach (var (name, size) in new[] { ("training", trainCount), ("validation", validationCount), ("test", testCount) })
            if (size > 0 && size < present)
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"The {name} part of {size} sample{(size == 1 ? "" : "s")} cannot hold one of each of the {present} classes; give it a larger fraction, or use the plain TrainValidationTest split."), name == "test" ? nameof(testFraction) : nameof(validationFraction));

        // Test first, then validation, each reserving one sample of every class for the parts still to come.
        var testCap = new int[classCount];
        for (var k = 0; k < classCount; k++) testCap[k] = counts[k] - (parts - 1);
        var testTake = Allocate(testCount, counts, samples, testCap);
        var validationCap = new int[classCount];
        for (var k = 0; k < classCount; k++) validationCap[k] = counts[k] - testTake[k] - 1;
        var validationTake = Allocate(validationCount, counts, samples, validationCap);

        var random = new SeededRandom(seed);
        List<int> train = [], validation = [], test = [];
        for (var k = 0; k < classCount; k++)
        {
            var order = members[k].ToArray();
            random.Shuffle(order);
            test.AddRange(order.AsSpan(0, testTake[k]));
            validation.AddRange(order.AsSpan(testTake[k], validationTake[k]));
            train.AddRange(order.AsSpan(testTake[k] + validationTake[k]));
        }

        return Gather(x, y, inputsPerSample, targetsPerSample, [.. train], [.. validation], [.. test]);
    }

    /// <summary>
    /// How many samples of each class go into a part of <paramref name="size"/>: at least one of each present class,
    /// at most <paramref name="cap"/>, otherwise the largest-remainder rounding of the class's share.
    /// </summary>
    private static int[] Allocate(int size, int[] counts, int samples, int[] cap)
    {
        var take = new int[counts.Length];
        if (size == 0) return take;
        var quota = new double[counts.Length];
        var sum = 0;
        for (var k = 0; k < counts.Length; k++)
        {
            if (counts[k] == 0) continue;
            quota[k] = (double)size * counts[k] / samples;
            take[k] = Math.Clamp((int)Math.Floor(quota[k]), 1, cap[k]);
            sum += take[k];
        }

        for (; sum < size; sum++)
        {
            var best = -1;
            for (var k = 0; k < counts.Length; k++)
                if (counts[k] > 0 && take[k] < cap[k] && (best < 0 || quota[k] - take[k] > quota[best] - take[best])) best = k;
            take[best]++; // the caps add up to at least the size: every other part keeps one per class
        }

        for (; sum > size; sum--)
        {
            var best = -1;
            for (var k = 0; k < counts.Length; k++)
                if (take[k] > 1 && (best < 0 || quota[k] - take[k] < quota[best] - take[best])) best = k;
            take[best]--; // the size holds one of every class, so some class has more than one
        }

        return take;
    }

    /// <summary>Each sample's class: its index (one target) or the position of its 1 (a one-hot row).</summary>
    private static int[] ClassesOf(ReadOnlySpan<float> y, int targetsPerSample, int samples)
    {
        var classes = new int[samples];
        for (var s = 0; s < samples; s++)
        {
            if (targetsPerSample == 1)
            {
                var value = y[s];
                if (!(value >= 0f && value < 1 << 24) || value != MathF.Floor(value))
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                        $"Sample {s}: the target {value} is not a class index (a whole number ≥ 0); a stratified split needs class labels, not regression targets."), "y");
                classes[s] = (int)value;
                continue;
            }

            var row = y.Slice(s * targetsPerSample, targetsPerSample);
            var hot = -1;
            for (var j = 0; j < row.Length; j++)
            {
                if (row[j] == 1f && hot < 0) hot = j;
                else if (row[j] != 0f)
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                        $"Sample {s}: the target row is not one-hot (target {j} is {row[j]}); a stratified split needs one 1 and {targetsPerSample - 1} zeros per sample."), "y");
            }

            if (hot < 0)
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Sample {s}: the target row is all zeros, not one-hot."), "y");
            classes[s] = hot;
        }

        return classes;
    }

    private static int CheckShapes(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int inputsPerSample, int targetsPerSample)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputsPerSample);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(targetsPerSample);
        if (x.Length == 0 || x.Length % inputsPerSample != 0)
            throw new ArgumentException($"'x' holds {x.Length} floats, which is not a positive whole number of samples of {inputsPerSample}.", nameof(x));
        var samples = x.Length / inputsPerSample;
        if (y.Length != (long)samples * targetsPerSample)
            throw new ArgumentException($"'x' holds {samples} samples but 'y' holds {y.Length} floats, not {samples} × {targetsPerSample}.", nameof(y));
        return samples;
    }

    private static (int Validation, int Test) PartSizes(int samples, float validationFraction, float testFraction)
    {
        if (!(validationFraction >= 0f && validationFraction < 1f))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "The validation fraction must be in [0, 1).");
        if (!(testFraction >= 0f && testFraction < 1f))
            throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, "The test fraction must be in [0, 1).");
        var validation = (int)Math.Ceiling(samples * AsDecimalDouble(validationFraction));
        var test = (int)Math.Ceiling(samples * AsDecimalDouble(testFraction));
        if (validation + test >= samples)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Validation and test fractions of {validationFraction} and {testFraction} of {samples} samples take {validation} + {test}, leaving none for training."), nameof(testFraction));
        return (validation, test);
    }

    /// <summary>The float's shortest decimal form as a double, so 0.2f of 100 samples is 20, as Python's 0.2 gives.</summary>
    private static double AsDecimalDouble(float value) =>
        double.Parse(value.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static TrainValidationTestSplit Gather(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int inputsPerSample, int targetsPerSample,
        int[] train, int[] validation, int[] test)
    {
        Array.Sort(train);
        Array.Sort(validation);
        Array.Sort(test);
        var (trainX, trainY) = Rows(x, y, inputsPerSample, targetsPerSample, train);
        var (validationX, validationY) = Rows(x, y, inputsPerSample, targetsPerSample, validation);
        var (testX, testY) = Rows(x, y, inputsPerSample, targetsPerSample, test);
        return new TrainValidationTestSplit(trainX, trainY, validationX, validationY, testX, testY)
        {
            TrainIndices = train,
            ValidationIndices = validation,
            TestIndices = test,
        };
    }

    private static (float[] X, float[] Y) Rows(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int inputsPerSample, int targetsPerSample, int[] indices)
    {
        var rowsX = new float[indices.Length * inputsPerSample];
        var rowsY = new float[indices.Length * targetsPerSample];
        for (var i = 0; i < indices.Length; i++)
        {
            x.Slice(indices[i] * inputsPerSample, inputsPerSample).CopyTo(rowsX.AsSpan(i * inputsPerSample));
            y.Slice(indices[i] * targetsPerSample, targetsPerSample).CopyTo(rowsY.AsSpan(i * targetsPerSample));
        }

        return (rowsX, rowsY);
    }
}
