namespace DeepGen.Benchmarks;

/// <summary>
/// MNIST-shaped data made up on the spot, so the benchmarks need no download: raw 0–255 pixels as floats (mostly
/// zero, like MNIST's background), one-hot labels over 10 classes. The same seed gives the same bits on every run.
/// </summary>
/// <remarks>
/// Each class has its own random "stroke" mask; a sample lights most of its class's mask plus a little noise, so the
/// data is learnable and training behaves like it does on MNIST (saturating sigmoids, shrinking loss), which keeps
/// the timed work representative. The values never change the amount of work: every kernel is dense.
/// </remarks>
public sealed class SyntheticMnist
{
    public const int Pixels = 28 * 28;
    public const int Classes = 10;
    public const int TrainCount = 60_000;
    public const int TestCount = 10_000;

    private static readonly Lazy<SyntheticMnist> s_train = new(() => new SyntheticMnist(TrainCount, seed: 1));
    private static readonly Lazy<SyntheticMnist> s_test = new(() => new SyntheticMnist(TestCount, seed: 2));

    /// <summary>60,000 training samples (shared by every benchmark in the process; never modify).</summary>
    public static SyntheticMnist Train => s_train.Value;

    /// <summary>10,000 test samples (shared by every benchmark in the process; never modify).</summary>
    public static SyntheticMnist Test => s_test.Value;

    public SyntheticMnist(int count, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        Count = count;
        Images = new float[count * Pixels];
        Labels = new float[count * Classes];

        // The class templates come from a fixed seed, so train and test share them; the samples from the given seed.
        var templateRandom = new SplitMix64(12345);
        var templates = new bool[Classes, Pixels];
        for (var c = 0; c < Classes; c++)
        for (var p = 0; p < Pixels; p++)
            templates[c, p] = templateRandom.NextDouble() < 0.19;

        var random = new SplitMix64((ulong)seed);
        for (var i = 0; i < count; i++)
        {
            var label = (int)(random.Next() % Classes);
            Labels[i * Classes + label] = 1f;
            var image = Images.AsSpan(i * Pixels, Pixels);
            for (var p = 0; p < Pixels; p++)
            {
                var on = templates[label, p] ? random.NextDouble() < 0.8 : random.NextDouble() < 0.03;
                image[p] = on ? 1 + (int)(random.Next() % 255) : 0; // whole numbers 1–255, like raw pixels
            }
        }
    }

    public int Count { get; }

    /// <summary><c>[Count, 784]</c>, row-major, values 0–255.</summary>
    public float[] Images { get; }

    /// <summary><c>[Count, 10]</c>, one-hot.</summary>
    public float[] Labels { get; }

    /// <summary>Sebastiano Vigna's SplitMix64: tiny, fast and the same on every platform.</summary>
    private struct SplitMix64(ulong seed)
    {
        private ulong _state = seed;

        public ulong Next()
        {
            var z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));
    }
}
