namespace DeepGen.Runtime.Tests.Training;

public class SeededRandomTests
{
    [Fact]
    public void The_sequence_is_fixed_for_a_seed()
    {
        // Pinned values: weight initialisation and shuffling must not change between releases or platforms.
        var random = new SeededRandom(42);
        uint[] first = [random.NextUInt32(), random.NextUInt32(), random.NextUInt32()];
        Assert.Equal(new uint[] { 204391854, 1829846404, 4021786942 }, first);
        var again = new SeededRandom(42);
        Assert.Equal(first, new[] { again.NextUInt32(), again.NextUInt32(), again.NextUInt32() });
        Assert.NotEqual(first[0], new SeededRandom(43).NextUInt32());
    }

    [Fact]
    public void Shuffle_is_a_permutation_and_integers_are_unbiased()
    {
        var random = new SeededRandom(1);
        var values = Enumerable.Range(0, 1000).ToArray();
        random.Shuffle(values);
        Assert.Equal(Enumerable.Range(0, 1000), values.Order());
        Assert.NotEqual(Enumerable.Range(0, 1000), values);

        var counts = new int[6];
        for (var i = 0; i < 60_000; i++) counts[random.NextInt32(6)]++;
        Assert.All(counts, c => Assert.InRange(c, 9_500, 10_500));
        for (var i = 0; i < 1000; i++) Assert.InRange(random.NextSingle(), 0f, 0.99999994f);
    }
}

public class ProgressBarTests
{
    [Fact]
    public void The_finished_line_looks_like_keras()
    {
        var line = ProgressBar.Line(60000, 60000, TimeSpan.FromSeconds(3.2), 0.0831, 0.3866, finished: true);
        Assert.Equal("60000/60000 [==============================] - 3s 53us/step - loss: 0.0831 - accuracy: 0.3866", line);
        var partial = ProgressBar.Line(30000, 60000, TimeSpan.FromSeconds(1), 0.5, 0.25, finished: false);
        Assert.Equal("30000/60000 [==============>...............] - ETA: 1s - loss: 0.5000 - accuracy: 0.2500", partial);
    }
}
