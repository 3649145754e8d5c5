using DeepGen.Cpu;
using DeepGen.EndToEnd.Tests.Models;

namespace DeepGen.EndToEnd.Tests;

/// <summary>The same seed gives the same bits, whatever the number of threads: work is split over outputs, never a sum.</summary>
[Collection(ThreadSettingsCollection.Name)]
public class DeterminismTests
{
    [Fact]
    public void Training_is_bitwise_identical_for_one_and_two_threads()
    {
        var one = Train(threads: 1);
        var two = Train(threads: 2);
        Assert.Equal(one.Length, two.Length);
        for (var i = 0; i < one.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(one[i]) == BitConverter.SingleToInt32Bits(two[i]),
                $"Parameter {i} differs: {one[i]:G9} on one thread, {two[i]:G9} on two.");
    }

    [Fact]
    public void Training_twice_from_the_same_seed_is_bitwise_identical()
    {
        Assert.Equal(Train(threads: Environment.ProcessorCount), Train(threads: Environment.ProcessorCount));
    }

    private static float[] Train(int threads)
    {
        CpuBackend.MaxDegreeOfParallelism = threads;
        try
        {
            var model = new SeedMlp(seed: 3);
            var x = TestData.Uniform(300 * 784, 0f, 255f, seed: 1);
            var y = TestData.OneHot(300, 10, seed: 2);
            model.Fit(x, y, epochs: 1, batchSize: 100, Loss.MeanSquaredError, new Sgd(0.1f), seed: 4, verbosity: Verbosity.Silent);
            return model.Parameters.ToArray();
        }
        finally
        {
            CpuBackend.MaxDegreeOfParallelism = Environment.ProcessorCount;
        }
    }
}
