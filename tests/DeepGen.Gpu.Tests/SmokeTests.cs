namespace DeepGen.Gpu.Tests;

public class SmokeTests
{
    [Fact]
    public void PredictRuns()
    {
        using var device = ComputeDevice.OpenCpuAccelerator();
        var model = new AwkwardNet(seed: 3);
        using var gpu = model.ToDevice(device);
        var x = new float[37 * 45];
        for (var i = 0; i < x.Length; i++) x[i] = (i % 17) / 17f;
        var expected = model.Predict(x);
        var actual = gpu.Predict(x);
        for (var i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-5f, $"{i}: {expected[i]} vs {actual[i]}");
    }
}
