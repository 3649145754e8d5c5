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

    [Fact]
    public void Sgd_fused_into_the_backward_pass_matches_sgd_applied_afterwards_bit_for_bit()
    {
        var x = TestData.Uniform(200 * 784, 0f, 255f, seed: 5);
        var y = TestData.OneHot(200, 10, seed: 6);
        var fused = new SeedMlp(seed: 7);
        var separate = new SeedMlp(seed: 7);
        fused.Fit(x, y, epochs: 1, batchSize: 50, Loss.MeanSquaredError, new Sgd(0.1f), seed: 1, verbosity: Verbosity.Silent);
        separate.Fit(x, y, epochs: 1, batchSize: 50, Loss.MeanSquaredError, new UnfusedSgd(0.1f), seed: 1, verbosity: Verbosity.Silent);

        var a = fused.Parameters.ToArray();
        var b = separate.Parameters.ToArray();
        Assert.NotEqual(new SeedMlp(seed: 7).Parameters.ToArray(), a); // training did change the weights
        for (var i = 0; i < a.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(a[i]) == BitConverter.SingleToInt32Bits(b[i]),
                $"Parameter {i}: fused {a[i]:G9}, separate {b[i]:G9}.");
    }

    /// <summary>Plain SGD that the backward pass does not recognise, so it runs as a separate pass.</summary>
    private sealed class UnfusedSgd(float learningRate) : Optimizer(learningRate)
    {
        private readonly Sgd _sgd = new(learningRate);
        public override void Update(Span<float> parameters, ReadOnlySpan<float> gradients) => _sgd.Update(parameters, gradients);
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
