using DeepGen.Data;

namespace DeepGen.Runtime.Tests.Data;

public class DataHelperTests
{
    [Fact]
    public void One_hot_and_sparse_labels_round_trip()
    {
        byte[] labels = [2, 0, 1, 2];
        var oneHot = Labels.OneHot(labels, 3);
        Assert.Equal([0f, 0f, 1f, 1f, 0f, 0f, 0f, 1f, 0f, 0f, 0f, 1f], oneHot);
        var sparse = Labels.Sparse(labels);
        Assert.Equal([2f, 0f, 1f, 2f], sparse);
        Assert.Equal(sparse, Labels.ToSparse(oneHot, 3));
        Assert.Equal(oneHot, Labels.OneHot(sparse, 3));
        Assert.Equal([1f, 0f], Labels.ToSparse([0.2f, 0.7f, 0.1f, 0.5f, 0.2f, 0.3f], 3)); // arg-max of probabilities

        Assert.Contains("not a whole number in [0, 3)", Assert.Throws<ArgumentException>(() => Labels.OneHot([1.5f], 3)).Message);
        Assert.Contains("not a whole number in [0, 3)", Assert.Throws<ArgumentException>(() => Labels.OneHot([3f], 3)).Message);
        Assert.Contains("not a whole number of rows of 3", Assert.Throws<ArgumentException>(() => Labels.ToSparse(new float[4], 3)).Message);
    }

    [Fact]
    public void Rescaling_in_place_and_copying_agree()
    {
        byte[] pixels = [0, 51, 255, 128];
        var floats = pixels.Select(p => (float)p).ToArray();
        var copy = Rescaling.Rescale(floats, 1f / 255);
        Assert.Equal([0f, 51f, 255f, 128f], floats); // the source is untouched
        Assert.Equal(1f, copy[2]);
        Assert.Equal(0.2f, copy[1], 1e-7f);
        Assert.Equal(copy, Rescaling.Rescale(pixels, 1f / 255));
        Rescaling.RescaleInPlace(floats, 1f / 255);
        Assert.Equal(copy, floats);

        var centred = Rescaling.Rescale(pixels, 1f / 127.5f, -1f);
        Assert.Equal(-1f, centred[0]);
        Assert.Equal(1f, centred[2]);
        Assert.Throws<ArgumentOutOfRangeException>(() => Rescaling.Rescale(floats, float.NaN));
    }

    [Fact]
    public void Train_validation_split_is_seeded_and_keeps_rows_together()
    {
        var x = Enumerable.Range(0, 20).Select(i => (float)i).ToArray(); // 10 samples of 2 inputs: (2s, 2s+1)
        var y = Enumerable.Range(0, 10).Select(i => (float)i).ToArray(); // target = sample index
        var split = DataSplit.TrainValidation(x, y, inputsPerSample: 2, targetsPerSample: 1, validationFraction: 0.25f, seed: 4);

        Assert.Equal(3, split.ValidationY.Length); // ceil(2.5)
        Assert.Equal(7, split.TrainY.Length);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (float)i), split.TrainY.Concat(split.ValidationY).Order());
        foreach (var (xs, ys) in new[] { (split.TrainX, split.TrainY), (split.ValidationX, split.ValidationY) })
            for (var s = 0; s < ys.Length; s++)
                Assert.Equal([2 * ys[s], 2 * ys[s] + 1], xs.AsSpan(s * 2, 2).ToArray());

        Assert.Equal(split, DataSplit.TrainValidation(x, y, 2, 1, 0.25f, seed: 4) with { }, new SplitComparer());
        Assert.NotEqual(split.ValidationY, DataSplit.TrainValidation(x, y, 2, 1, 0.25f, seed: 5).ValidationY);
        Assert.Equal([7f, 8f, 9f], DataSplit.TrainValidation(x, y, 2, 1, 0.25f, shuffle: false).ValidationY);

        Assert.Throws<ArgumentOutOfRangeException>(() => DataSplit.TrainValidation(x, y, 2, 1, 1f));
        Assert.Contains("'y' holds 9 floats", Assert.Throws<ArgumentException>(() => DataSplit.TrainValidation(x, y.AsSpan(0, 9), 2, 1, 0.5f)).Message);
    }

    private sealed class SplitComparer : IEqualityComparer<DataSplit>
    {
        public bool Equals(DataSplit? a, DataSplit? b) =>
            a!.TrainX.SequenceEqual(b!.TrainX) && a.TrainY.SequenceEqual(b.TrainY) && a.ValidationX.SequenceEqual(b.ValidationX) && a.ValidationY.SequenceEqual(b.ValidationY);

        public int GetHashCode(DataSplit obj) => 0;
    }
}
