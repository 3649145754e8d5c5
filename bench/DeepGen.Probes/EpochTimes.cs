using DeepGen.Data;
using DeepGen.Samples.Mnist;

namespace DeepGen.Probes;

/// <summary>
/// The seed recipe's epoch time and allocation: trains <see cref="ProbeOptions.Epochs"/> epochs as samples/Mnist does,
/// then prints one line that bench/epoch_vs_pytorch.py reads: the median and the fastest epoch (on a shared virtual
/// machine single epochs can be slowed by neighbours) and the bytes allocated per training step after warm-up.
/// </summary>
internal static class EpochTimes
{
    public static void Run(MnistData data, float[] yTrain, ProbeOptions options)
    {
        var model = new MnistMlp(seed: options.Seed);
        var optimizer = new Sgd(options.LearningRate);
        var history = model.Fit(data.TrainImages, yTrain, options.Epochs, options.BatchSize, Loss.MeanSquaredError, optimizer,
            shuffle: true, seed: options.Seed, verbosity: Verbosity.OneLinePerEpoch);
        var seconds = history.Epochs.Select(e => e.Duration.TotalSeconds).Order().ToArray();
        Console.WriteLine($"Epoch time: median {seconds[seconds.Length / 2]:0.000} s, fastest {seconds[0]:0.000} s; " +
                          $"bytes allocated per training step: {BytesPerStep(model, data, yTrain, optimizer, options.BatchSize)}");
    }

    // Measured the way tests/DeepGen.EndToEnd.Tests/AllocationTests.cs asserts it: steps after warm-up, on this thread.
    private static long BytesPerStep(MnistMlp model, MnistData data, float[] yTrain, Optimizer optimizer, int batchSize)
    {
        var batch = Math.Min(batchSize, data.TrainCount);
        var x = data.TrainImages.AsSpan(0, batch * MnistMlp.InputSize);
        var y = yTrain.AsSpan(0, batch * MnistMlp.OutputSize);
        model.TrainStep(x, y, batch, Loss.MeanSquaredError, optimizer);
        var before = GC.GetAllocatedBytesForCurrentThread();
        const int steps = 10;
        for (var i = 0; i < steps; i++) model.TrainStep(x, y, batch, Loss.MeanSquaredError, optimizer);
        return (GC.GetAllocatedBytesForCurrentThread() - before) / steps;
    }
}
