using DeepGen;
using DeepGen.Data;
using DeepGen.Gpu;

namespace DeepGen.Samples.MnistGpu;

/// <summary>
/// The bytes one training step of <see cref="GpuModel.Fit"/> allocates on the training thread, measured through Fit
/// itself (nothing but its public signature is assumed). An epoch allocates a fixed part once (its history entry, the
/// read-back of the step results) plus its steps' part; two batch sizes give two step counts with the same fixed part,
/// so the difference of their epochs' bytes over the difference of their steps is the bytes per step. Each batch size
/// trains three epochs and the last is measured, after the first has compiled and warmed everything up.
/// </summary>
internal static class AllocationProbe
{
    private const int Epochs = 3;

    public static void Run(GpuModel gpu, float[] xTrain, float[] yTrain, Options options)
    {
        var samples = yTrain.Length / MnistData.ClassCount;
        var large = Math.Min(options.BatchSize, samples);
        var small = Math.Max(1, large / 2);
        var (stepsLarge, bytesLarge) = EpochBytes(gpu, xTrain, yTrain, large, options);
        var (stepsSmall, bytesSmall) = EpochBytes(gpu, xTrain, yTrain, small, options);
        Console.WriteLine($"Epoch {Epochs} allocated {bytesLarge} bytes in {stepsLarge} steps (batch {large}) and {bytesSmall} bytes " +
                          $"in {stepsSmall} steps (batch {small}), on the training thread");
        if (stepsSmall == stepsLarge)
        {
            Console.WriteLine("Allocated per training step: unknown (both batch sizes gave the same number of steps; use a larger --batch-size)");
            return;
        }

        var perStep = (double)(bytesSmall - bytesLarge) / (stepsSmall - stepsLarge);
        Console.WriteLine($"Allocated per training step: {perStep:0.##} bytes");
    }

    private static (int Steps, long Bytes) EpochBytes(GpuModel gpu, float[] xTrain, float[] yTrain, int batchSize, Options options)
    {
        var marks = new EpochMarks(Epochs);
        gpu.Fit(xTrain, yTrain, Epochs, batchSize, Loss.MeanSquaredError, new Sgd(options.LearningRate), shuffle: true,
            seed: options.Seed, verbosity: Verbosity.Silent, progress: marks);
        var samples = yTrain.Length / MnistData.ClassCount;
        return ((samples + batchSize - 1) / batchSize, marks.LastEpochBytes);
    }

    /// <summary>The thread's allocated-bytes counter at the end of each epoch, kept in an array sized up front.</summary>
    private sealed class EpochMarks(int epochs) : IProgress<EpochResult>
    {
        private readonly long[] _marks = new long[epochs];
        private int _count;

        public long LastEpochBytes => _count == _marks.Length
            ? _marks[^1] - _marks[^2]
            : throw new InvalidOperationException($"Fit reported {_count} epochs, not {_marks.Length}: the probe needs each epoch reported on the training thread.");

        public void Report(EpochResult value)
        {
            if (_count < _marks.Length) _marks[_count] = GC.GetAllocatedBytesForCurrentThread();
            _count++;
        }
    }
}
