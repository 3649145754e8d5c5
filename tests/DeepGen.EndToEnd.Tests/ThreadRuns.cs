using DeepGen.Cpu;
using Xunit;

namespace DeepGen.EndToEnd.Tests;

/// <summary>The one-thread-against-two-threads comparison the determinism tests of each model kind make.</summary>
internal static class ThreadRuns
{
    /// <summary>
    /// Runs <paramref name="run"/> (a fresh model trained and asked for predictions) on one thread, then on two, and
    /// asserts that the two runs gave the same bits and that the second really handed work to a worker thread.
    /// </summary>
    /// <returns>The trained parameters (of the one-thread run).</returns>
    public static float[] AssertSameBitsOnOneAndTwoThreads(Func<(float[] Parameters, float[] Predictions)> run)
    {
        var (one, predictedOnOne) = On(1, run);
        var workersBefore = WorkerPool.Shared.UnitsRunByWorkers;
        var (two, predictedOnTwo) = On(2, run);
        Assert.True(WorkerPool.Shared.UnitsRunByWorkers > workersBefore, "The two-thread run never used a worker thread.");
        Assert.Equal(one.Select(BitConverter.SingleToInt32Bits), two.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(predictedOnOne.Select(BitConverter.SingleToInt32Bits), predictedOnTwo.Select(BitConverter.SingleToInt32Bits));
        return one;
    }

    private static T On<T>(int threads, Func<T> run)
    {
        CpuBackend.MaxDegreeOfParallelism = threads;
        try
        {
            return run();
        }
        finally
        {
            CpuBackend.MaxDegreeOfParallelism = Environment.ProcessorCount;
        }
    }
}
