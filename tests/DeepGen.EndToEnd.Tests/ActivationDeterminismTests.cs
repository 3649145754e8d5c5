using DeepGen.Cpu;
using DeepGen.EndToEnd.Tests.Models;

namespace DeepGen.EndToEnd.Tests;

/// <summary>
/// "Bitwise reproducible whatever the thread count", tested where it is hardest to keep: every element-wise activation,
/// at batch sizes that cut products into bands of one to three rows and leave column tails, in layers whose widths are
/// no multiple of a vector width. Predictions and embeddings are compared with each sample predicted alone on one
/// thread (a sample's result must not depend on the pass it is in); two epochs of training with one and with two
/// threads must end on the same parameters.
/// </summary>
[Collection(ThreadSettingsCollection.Name)]
public class ActivationDeterminismTests
{
    private const int Samples = 300;
    private static readonly int[] BatchSizes = [1, 2, 3, 5, 129, 130, 257];

    private static readonly Dictionary<string, Func<int, SequentialModel>> Models = new()
    {
        ["Linear"] = seed => new LinearWidths(seed),
        ["Sigmoid"] = seed => new SigmoidWidths(seed),
        ["Relu"] = seed => new ReluWidths(seed),
        ["Tanh"] = seed => new TanhWidths(seed),
        ["LeakyRelu"] = seed => new LeakyReluWidths(seed),
        ["Elu"] = seed => new EluWidths(seed),
        ["Selu"] = seed => new SeluWidths(seed),
        ["Gelu"] = seed => new GeluWidths(seed),
        ["Softplus"] = seed => new SoftplusWidths(seed),
        ["Swish"] = seed => new SwishWidths(seed),
        ["HardSigmoid"] = seed => new HardSigmoidWidths(seed),
    };

    public static TheoryData<string> Activations() => [.. Models.Keys];

    [Theory]
    [MemberData(nameof(Activations))]
    public void Predict_and_embed_give_a_sample_the_same_bits_in_any_pass_on_any_thread_count(string activation)
    {
        var model = Models[activation](11);
        var x = TestData.Uniform(Samples * 509, -1f, 1f, seed: 12);

        float[] predicted, hidden1, hidden2;
        using (Threads(1))
        {
            predicted = model.Predict(x, batchSize: 1);
            hidden1 = model.Embed("Hidden1", x, batchSize: 1);
            hidden2 = model.Embed("Hidden2", x, batchSize: 1);
        }

        var workerUnits = WorkerPool.Shared.UnitsRunByWorkers;
        foreach (var threads in new[] { 1, 2 })
        foreach (var batch in BatchSizes)
        {
            using var _ = Threads(threads);
            var how = $"{activation}, passes of {batch}, {threads} thread(s)";
            AssertBitwise(predicted, model.Predict(x, batchSize: batch), $"{how}, Predict");
            AssertBitwise(hidden1, model.Embed("Hidden1", x, batchSize: batch), $"{how}, Embed Hidden1");
            AssertBitwise(hidden2, model.Embed("Hidden2", x, batchSize: batch), $"{how}, Embed Hidden2");
        }

        AssertUsedWorkers(workerUnits, WorkerPool.Shared.UnitsRunByWorkers, "the two-thread predictions");
    }

    [Theory]
    [MemberData(nameof(Activations))]
    public void Two_epochs_of_training_end_on_the_same_bits_with_one_and_two_threads(string activation)
    {
        var x = TestData.Uniform(Samples * 509, -1f, 1f, seed: 21);
        var y = TestData.OneHot(Samples, 10, seed: 22);
        var workerUnits = 0L;
        foreach (var batch in BatchSizes)
        {
            var one = Train(activation, x, y, batch, threads: 1);
            var before = WorkerPool.Shared.UnitsRunByWorkers;
            var two = Train(activation, x, y, batch, threads: 2);
            workerUnits += WorkerPool.Shared.UnitsRunByWorkers - before;
            AssertBitwise(one, two, $"{activation}, batch {batch}, parameters after 2 epochs, 1 vs 2 threads");
        }

        // Over all batch sizes together: a large batch makes only six steps, and a worker that slept through them
        // (the caller takes what a late worker leaves) would not be a failure of the code.
        AssertUsedWorkers(0, workerUnits, "the two-thread training");
    }

    private static float[] Train(string activation, float[] x, float[] y, int batch, int threads)
    {
        using var _ = Threads(threads);
        var model = Models[activation](5);
        model.Fit(x, y, epochs: 2, batchSize: batch, Loss.CategoricalCrossEntropy, new Sgd(0.01f), seed: 3, verbosity: Verbosity.Silent);
        var parameters = model.Parameters.ToArray();
        Assert.All(parameters, p => Assert.True(float.IsFinite(p)));
        return parameters;
    }

    private static void AssertUsedWorkers(long before, long after, string what)
    {
        if (WorkerPool.Shared.MaxThreads < 2) return; // a one-core machine has no worker to use
        Assert.True(after > before, $"No unit of {what} ran on a worker thread: the two-thread run used one thread.");
    }

    private static void AssertBitwise(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var differing = 0;
        var first = -1;
        for (var i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i])) continue;
            differing++;
            if (first < 0) first = i;
        }

        Assert.True(differing == 0,
            $"{what}: {differing} of {expected.Length} values differ; first at {first}: {actual[Math.Max(first, 0)]:G9} instead of {expected[Math.Max(first, 0)]:G9}.");
    }

    private static ThreadScope Threads(int threads)
    {
        CpuBackend.MaxDegreeOfParallelism = threads;
        return new ThreadScope();
    }

    private readonly struct ThreadScope : IDisposable
    {
        public void Dispose() => CpuBackend.MaxDegreeOfParallelism = Environment.ProcessorCount;
    }
}
