using DeepGen.Data;

namespace DeepGen.Runtime.Tests.Data;

public sealed class ThreeWaySplitTests
{
    /// <summary>Sample s has inputs [s, -s] and the class label of <paramref name="classOf"/>.</summary>
    private static (float[] X, float[] Y) Samples(int count, Func<int, int> classOf)
    {
        var x = new float[count * 2];
        var y = new float[count];
        for (var s = 0; s < count; s++)
        {
            x[2 * s] = s;
            x[2 * s + 1] = -s;
            y[s] = classOf(s);
        }

        return (x, y);
    }

    /// <summary>Every sample in exactly one part, each row carrying its own inputs and target.</summary>
    private static void AssertPartition(TrainValidationTestSplit split, float[] x, float[] y, int inputs, int targets)
    {
        var all = split.TrainIndices.Concat(split.ValidationIndices).Concat(split.TestIndices).Order().ToArray();
        Assert.Equal(Enumerable.Range(0, y.Length / targets), all);
        foreach (var (indices, px, py) in new[] { (split.TrainIndices, split.TrainX, split.TrainY), (split.ValidationIndices, split.ValidationX, split.ValidationY), (split.TestIndices, split.TestX, split.TestY) })
        {
            Assert.Equal(indices.Order(), indices);
            Assert.Equal(indices.Length * inputs, px.Length);
            Assert.Equal(indices.Length * targets, py.Length);
            for (var row = 0; row < indices.Length; row++)
            {
                Assert.Equal(x.AsSpan(indices[row] * inputs, inputs).ToArray(), px.AsSpan(row * inputs, inputs).ToArray());
                Assert.Equal(y.AsSpan(indices[row] * targets, targets).ToArray(), py.AsSpan(row * targets, targets).ToArray());
            }
        }
    }

    [Fact]
    public void Plain_split_sizes_partition_and_determinism()
    {
        var (x, y) = Samples(101, s => s % 3);
        var split = DataSplit.TrainValidationTest(x, y, 2, 1, validationFraction: 0.15f, testFraction: 0.2f, seed: 7);

        Assert.Equal(16, split.ValidationIndices.Length); // ceil(15.15)
        Assert.Equal(21, split.TestIndices.Length);       // ceil(20.2)
        Assert.Equal(64, split.TrainIndices.Length);
        AssertPartition(split, x, y, 2, 1);

        var again = DataSplit.TrainValidationTest(x, y, 2, 1, 0.15f, 0.2f, seed: 7);
        Assert.Equal(split.TestIndices, again.TestIndices);
        Assert.Equal(split.ValidationIndices, again.ValidationIndices);
        Assert.NotEqual(split.TestIndices, DataSplit.TrainValidationTest(x, y, 2, 1, 0.15f, 0.2f, seed: 8).TestIndices);

        // The same seed gives the same parts on every platform: the seeded generator is xoshiro128**, not System.Random.
        // These indices were computed by a separate Python rendering of SplitMix64 + xoshiro128** + Lemire + Fisher–Yates.
        Assert.Equal([6, 9, 14, 15, 20, 21, 23, 40, 48, 53, 54, 61, 62, 65, 66, 67, 69, 70, 71, 75, 95], split.TestIndices);
    }

    [Fact]
    public void Plain_split_in_order_puts_the_last_samples_in_test_and_the_ones_before_in_validation()
    {
        var (x, y) = Samples(10, s => 0);
        var split = DataSplit.TrainValidationTest(x, y, 2, 1, 0.2f, 0.3f, shuffle: false);
        Assert.Equal([0, 1, 2, 3, 4], split.TrainIndices);
        Assert.Equal([5, 6], split.ValidationIndices);
        Assert.Equal([7, 8, 9], split.TestIndices);
        AssertPartition(split, x, y, 2, 1);

        var noValidation = DataSplit.TrainValidationTest(x, y, 2, 1, 0f, 0.3f, shuffle: false);
        Assert.Empty(noValidation.ValidationX);
        Assert.Equal([7, 8, 9], noValidation.TestIndices);
    }

    [Fact]
    public void Stratified_split_keeps_each_class_share_in_every_part()
    {
        // 569 samples, 212 of class 1 and 357 of class 0: the breast-cancer data set's balance.
        var (x, y) = Samples(569, s => s % 569 < 212 ? 1 : 0);
        var split = DataSplit.Stratified(x, y, 2, 1, validationFraction: 0.15f, testFraction: 0.2f, seed: 3);
        AssertPartition(split, x, y, 2, 1);

        Assert.Equal(114, split.TestIndices.Length);       // ceil(113.8)
        Assert.Equal(86, split.ValidationIndices.Length);  // ceil(85.35)
        // Largest remainders: test 114 × 212/569 = 42.47 → 42 of class 1; validation 86 × 212/569 = 32.04 → 32.
        Assert.Equal(42, split.TestY.Count(v => v == 1f));
        Assert.Equal(32, split.ValidationY.Count(v => v == 1f));
        Assert.Equal(212 - 42 - 32, split.TrainY.Count(v => v == 1f));
        foreach (var part in new[] { split.TrainY, split.ValidationY, split.TestY })
            Assert.InRange(part.Count(v => v == 1f) / (double)part.Length, 212 / 569.0 - 0.01, 212 / 569.0 + 0.01);

        var again = DataSplit.Stratified(x, y, 2, 1, 0.15f, 0.2f, seed: 3);
        Assert.Equal(split.TestIndices, again.TestIndices);
        Assert.Equal(split.ValidationIndices, again.ValidationIndices);
        Assert.NotEqual(split.TestIndices, DataSplit.Stratified(x, y, 2, 1, 0.15f, 0.2f, seed: 4).TestIndices);
    }

    [Fact]
    public void Stratified_split_gives_every_part_a_rare_class_and_reads_one_hot_rows()
    {
        // Three classes of 50, 47 and 3 samples: the rare class gets one sample in each part though its share rounds to 0.
        var labels = Enumerable.Range(0, 100).Select(s => s < 50 ? 0 : s < 97 ? 1 : 2).ToArray();
        var (x, _) = Samples(100, s => 0);
        var oneHot = Labels.OneHot(labels.Select(l => (float)l).ToArray(), 3);
        var split = DataSplit.Stratified(x, oneHot, 2, 3, validationFraction: 0.1f, testFraction: 0.1f, seed: 1);
        AssertPartition(split, x, oneHot, 2, 3);

        int[] Counts(int[] indices) => [.. Enumerable.Range(0, 3).Select(k => indices.Count(i => labels[i] == k))];
        Assert.Equal([5, 4, 1], Counts(split.TestIndices));
        Assert.Equal([5, 4, 1], Counts(split.ValidationIndices));
        Assert.Equal([40, 39, 1], Counts(split.TrainIndices));
    }

    [Fact]
    public void Stratified_split_refuses_what_it_cannot_stratify()
    {
        var (x, y) = Samples(20, s => s < 18 ? 0 : 1);
        var e = Assert.Throws<ArgumentException>(() => DataSplit.Stratified(x, y, 2, 1, 0.2f, 0.2f));
        Assert.Equal("Class 1 has 2 samples (sample 18, sample 19), but a stratified split into training, validation and test parts needs at least 3 of every class, one for each part. (Parameter 'y')", e.Message);
        Assert.Equal(2, DataSplit.Stratified(x, y, 2, 1, 0f, 0.2f).TestY.Distinct().Count()); // two parts are possible

        var (x3, y3) = Samples(30, s => s % 3);
        Assert.Contains("The test part of 2 samples cannot hold one of each of the 3 classes",
            Assert.Throws<ArgumentException>(() => DataSplit.Stratified(x3, y3, 2, 1, 0.2f, 0.05f)).Message);

        var regression = y.Select((v, i) => i == 5 ? 0.5f : v).ToArray();
        Assert.StartsWith("Sample 5: the target 0.5 is not a class index", Assert.Throws<ArgumentException>(() => DataSplit.Stratified(x, regression, 2, 1, 0.2f, 0.2f)).Message);
        var notOneHot = new float[40];
        for (var s = 0; s < 20; s++) notOneHot[2 * s] = 1f;
        notOneHot[2 * 7 + 1] = 1f;
        Assert.StartsWith("Sample 7: the target row is not one-hot (target 1 is 1)", Assert.Throws<ArgumentException>(() => DataSplit.Stratified(x, notOneHot, 2, 2, 0.2f, 0.2f)).Message);
    }

    [Fact]
    public void Fractions_and_shapes_are_checked()
    {
        var (x, y) = Samples(10, s => s % 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => DataSplit.TrainValidationTest(x, y, 2, 1, -0.1f, 0.2f));
        Assert.Throws<ArgumentOutOfRangeException>(() => DataSplit.TrainValidationTest(x, y, 2, 1, 0.1f, 1f));
        Assert.Contains("leaving none for training", Assert.Throws<ArgumentException>(() => DataSplit.TrainValidationTest(x, y, 2, 1, 0.5f, 0.5f)).Message);
        Assert.Contains("'y' holds 9 floats", Assert.Throws<ArgumentException>(() => DataSplit.Stratified(x, y.AsSpan(0, 9), 2, 1, 0.2f, 0.2f)).Message);
    }
}
