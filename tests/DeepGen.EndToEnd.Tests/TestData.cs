namespace DeepGen.EndToEnd.Tests;

internal static class TestData
{
    public static float[] Uniform(int count, float low, float high, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (var i = 0; i < count; i++) values[i] = low + (float)random.NextDouble() * (high - low);
        return values;
    }

    public static float[] OneHot(int samples, int classes, int seed)
    {
        var random = new Random(seed);
        var values = new float[samples * classes];
        for (var s = 0; s < samples; s++) values[s * classes + random.Next(classes)] = 1f;
        return values;
    }

    /// <summary>A separable classification problem: each class is a Gaussian blob around its own centre.</summary>
    public static (float[] X, float[] Y) Blobs(int samples, int features, int classes, int seed)
    {
        var random = new Random(seed);
        var centres = Uniform(classes * features, -2f, 2f, seed + 1);
        var x = new float[samples * features];
        var y = new float[samples * classes];
        for (var s = 0; s < samples; s++)
        {
            var c = s % classes;
            y[s * classes + c] = 1f;
            for (var f = 0; f < features; f++)
                x[s * features + f] = centres[c * features + f] + 0.5f * (float)(random.NextDouble() * 2 - 1);
        }

        return (x, y);
    }
}

/// <summary>An optimizer that changes nothing, so a training step only computes gradients.</summary>
internal sealed class NoUpdate() : Optimizer(learningRate: 1f)
{
    public override void Update(Span<float> parameters, ReadOnlySpan<float> gradients) { }
}
