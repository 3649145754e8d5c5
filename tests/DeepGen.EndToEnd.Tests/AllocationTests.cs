using DeepGen.Cpu;
using DeepGen.EndToEnd.Tests.Models;

namespace DeepGen.EndToEnd.Tests;

/// <summary>
/// After the first call for a batch size, training steps, predictions and embeddings into a span, and evaluations
/// allocate nothing on any thread: the calling thread, and the worker threads that share its products or take whole
/// forward passes.
/// </summary>
/// <remarks>
/// A call's work runs on worker threads too, which the calling thread's own counter does not see, so the bytes are
/// counted on the caller and on every worker thread (see <see cref="LeastAllocated"/>). These tests sit in the
/// collection that runs with no other test beside it (see <see cref="ThreadSettingsCollection"/>).
/// </remarks>
[Collection(ThreadSettingsCollection.Name)]
public class AllocationTests
{
    private const int Samples = 250;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Training_step_allocates_nothing_on_any_thread(int threads)
    {
        var model = new SeedMlp(seed: 1);
        var x = TestData.Uniform(100 * 784, 0f, 255f, seed: 1);
        var y = TestData.OneHot(100, 10, seed: 2);
        var parameters = model.Parameters.ToArray();
        foreach (var optimizer in new Optimizer[] { new Sgd(0.1f), new Adam(0.001f) })
        {
            var allocated = LeastAllocated(threads, () =>
            {
                for (var i = 0; i < 3; i++) model.TrainStep(x, y, 100, Loss.MeanSquaredError, optimizer);
            });
            Assert.True(allocated == 0, $"{optimizer} on {threads} thread(s): three training steps allocated {allocated} bytes.");
        }

        Assert.NotEqual(parameters, model.Parameters.ToArray()); // the steps did train
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Weighted_training_step_allocates_nothing_on_any_thread(int threads)
    {
        // What Fit does per step with class or sample weights: copy the batch's weights into the loss it made at the start.
        var model = new SeedMlp(seed: 1);
        var x = TestData.Uniform(100 * 784, 0f, 255f, seed: 1);
        var y = TestData.OneHot(100, 10, seed: 2);
        var weights = TestData.Uniform(100, 0f, 2f, seed: 3);
        var weighted = new BatchWeightedLoss(Loss.CategoricalCrossEntropy, 100);
        var parameters = model.Parameters.ToArray();
        var optimizer = new Adam(0.001f);
        var allocated = LeastAllocated(threads, () =>
        {
            for (var i = 0; i < 3; i++)
            {
                weights.CopyTo(weighted.NextBatch(100));
                model.TrainStep(x, y, 100, weighted, optimizer);
            }
        });
        Assert.True(allocated == 0, $"Three weighted training steps on {threads} thread(s) allocated {allocated} bytes.");
        Assert.NotEqual(parameters, model.Parameters.ToArray()); // the steps did train
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 100)]
    [InlineData(1, 10_000)]
    [InlineData(2, 1)]
    [InlineData(2, 100)]
    [InlineData(2, 10_000)] // 40 passes of 256: each thread takes whole passes, in workspaces of its own
    public void Predict_into_a_span_allocates_nothing_on_any_thread(int threads, int samples)
    {
        var model = new SeedMlp(seed: 1);
        var x = TestData.Uniform(samples * 784, 0f, 255f, seed: 1);
        var predictions = new float[samples * 10];
        var allocated = LeastAllocated(threads, () => model.Predict(x, predictions));
        Assert.True(allocated == 0, $"Predicting {samples} samples on {threads} thread(s) allocated {allocated} bytes.");
        Assert.Equal(model.Predict(x), predictions); // the measured calls did predict
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Predictions_of_changing_sizes_allocate_nothing_once_each_size_was_seen(int threads)
    {
        // The sizes share the model's workspace pool: small calls must not make room for themselves by dropping the
        // buffers the large ones use, nor the other way round.
        var model = new SeedMlp(seed: 1);
        var x = TestData.Uniform(10_000 * 784, 0f, 255f, seed: 1);
        var predictions = new float[10_000 * 10];
        int[] sizes = [1, 10_000, 100, 3_000, 1];
        var allocated = LeastAllocated(threads, () =>
        {
            foreach (var samples in sizes)
                model.Predict(x.AsSpan(0, samples * 784), predictions.AsSpan(0, samples * 10));
            model.Predict(x.AsSpan(0, 100 * 784), predictions.AsSpan(0, 100 * 10), batchSize: 7);
        });
        Assert.True(allocated == 0, $"Predictions of changing sizes on {threads} thread(s) allocated {allocated} bytes.");
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 10_000)]
    [InlineData(2, 1)]
    [InlineData(2, 10_000)]
    public void Embed_into_a_span_allocates_nothing_on_any_thread(int threads, int samples)
    {
        var model = new SeedMlp(seed: 1);
        var x = TestData.Uniform(samples * 784, 0f, 255f, seed: 1);
        var embeddings = new float[samples * 500];
        var allocated = LeastAllocated(threads, () => model.Embed("Dense1", x, embeddings));
        Assert.True(allocated == 0, $"Embedding {samples} samples on {threads} thread(s) allocated {allocated} bytes.");
        Assert.Equal(model.Embed("Dense1", x), embeddings);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Evaluate_allocates_nothing_on_any_thread(int threads)
    {
        var model = new SeedMlp(seed: 1);
        var x = TestData.Uniform(Samples * 784, 0f, 255f, seed: 1);
        var y = TestData.OneHot(Samples, 10, seed: 2);
        var result = default(EvaluationResult);
        var allocated = LeastAllocated(threads, () =>
        {
            result = model.Evaluate(x, y, batchSize: 32, loss: Loss.MeanSquaredError);
            result = model.Evaluate(x, y, batchSize: 100, loss: Loss.MeanSquaredError);
        });
        Assert.True(allocated == 0, $"Evaluating on {threads} thread(s) allocated {allocated} bytes.");
        Assert.InRange(result.Accuracy, 0f, 1f);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Short_calls_allocate_nothing_anywhere_in_the_process(int threads)
    {
        // The counts above cover the threads DeepGen runs on; this one covers every thread, so that work handed to
        // a thread outside the pool would show too. The whole-process counter also sees the test host's trickle
        // (168 bytes about every 100 ms here), so only calls of one sample, a few milliseconds long, are counted this
        // way, each the least of many runs. On two threads their products are still shared with the worker: at
        // batch 1 they are bound by reading the weights.
        var model = new SeedMlp(seed: 1);
        var x = TestData.Uniform(784, 0f, 255f, seed: 1);
        var y = TestData.OneHot(1, 10, seed: 2);
        var predictions = new float[10];
        var embeddings = new float[500];
        var optimizer = new Sgd(0.1f);
        (string Call, Action Action)[] calls =
        [
            ("Predict", () => model.Predict(x, predictions)),
            ("Embed", () => model.Embed("Dense1", x, embeddings)),
            ("training step", () => model.TrainStep(x, y, 1, Loss.MeanSquaredError, optimizer)),
            ("Evaluate", () => model.Evaluate(x, y, batchSize: 1, loss: Loss.MeanSquaredError)),
        ];
        CpuBackend.MaxDegreeOfParallelism = threads;
        try
        {
            foreach (var (call, action) in calls)
            {
                action();
                var least = long.MaxValue;
                for (var run = 0; run < 20 && least > 0; run++)
                {
                    var before = GC.GetTotalAllocatedBytes(precise: true);
                    action();
                    least = Math.Min(least, GC.GetTotalAllocatedBytes(precise: true) - before);
                }

                Assert.True(least == 0, $"A {call} of one sample on {threads} thread(s) allocated at least {least} bytes in the process.");
            }
        }
        finally
        {
            CpuBackend.MaxDegreeOfParallelism = Environment.ProcessorCount;
        }
    }

    [Fact]
    public void Products_inside_a_unit_of_parallel_work_allocate_nothing_even_the_first_time()
    {
        // The products of a forward pass that a worker thread takes whole run on that thread alone, the pool being
        // busy with the passes. They must not set up a parallel job of their own: a thread allocates one the first
        // time it runs a product of each kind, so a worker that took no pass while a call warmed up would allocate
        // in a later call. The epilogue below is of a kind no thread has run before.
        if (WorkerPool.Shared.MaxThreads < 2) return; // one core: there is no worker thread
        var work = new ProductsInUnits();
        work.Execute(-1); // compiles the product outside the measure
        WorkerPool.Shared.Run(work, 2);
        Assert.True(work.Allocated[0] == 0 && work.Allocated[1] == 0,
            $"The product allocated {work.Allocated[0]} bytes on the calling thread and {work.Allocated[1]} on the worker.");
        Assert.True(work.Threads[0] != work.Threads[1], "Both units ran on one thread.");
    }

    [Fact]
    public void The_count_sees_what_worker_threads_allocate()
    {
        // The measure the tests above rely on: bytes a unit of parallel work allocates on a worker thread count.
        if (WorkerPool.Shared.MaxThreads < 2) return; // one core: there is no worker thread
        var work = new AllocatingWork();
        var allocated = LeastAllocated(2, () => WorkerPool.Shared.Run(work, 2));
        // The caller allocated one array; the other was the worker's.
        Assert.True(allocated >= 2 * AllocatingWork.BytesPerUnit, $"Only {allocated} bytes were counted.");
    }

    /// <summary>
    /// Bytes allocated while <paramref name="action"/> ran on <paramref name="threads"/> threads, after one run to
    /// warm up, on the calling thread and on every thread of the worker pool together; the least of three runs.
    /// </summary>
    /// <remarks>
    /// <para>Each thread's own counter is read, not the whole process's (<see cref="GC.GetTotalAllocatedBytes(bool)"/>):
    /// threads of the test host allocate a steady trickle whatever the test does (1.7 KB per second measured with the
    /// test asleep), so a call that runs for seconds on a busy machine would be charged with kilobytes it did not
    /// allocate. The caller and the pool's workers are every thread a DeepGen call runs on.
    /// The workers' counters are read by <see cref="WorkerCounters"/>, run on the pool itself.</para>
    /// <para>The least of three runs: a thread of the pool could still allocate for the runtime now and then; code under
    /// test that allocates in its steady state does so in every run.</para>
    /// </remarks>
    internal static long LeastAllocated(int threads, Action action)
    {
        CpuBackend.MaxDegreeOfParallelism = threads;
        try
        {
            var counters = new WorkerCounters();
            action();
            counters.Read(); // reading warms up too
            var least = long.MaxValue;
            for (var run = 0; run < 3 && least > 0; run++)
            {
                var workersBefore = counters.Read();
                var callerBefore = GC.GetAllocatedBytesForCurrentThread();
                action();
                var caller = GC.GetAllocatedBytesForCurrentThread() - callerBefore;
                least = Math.Min(least, caller + counters.Read() - workersBefore);
            }

            return least;
        }
        finally
        {
            CpuBackend.MaxDegreeOfParallelism = Environment.ProcessorCount;
        }
    }

    /// <summary>
    /// Reads the allocation counters of every worker thread of the pool: one unit per thread, each of which waits in
    /// its unit until all have arrived, so every thread runs exactly one (a thread takes from another's share only
    /// once its own unit is done).
    /// </summary>
    private sealed class WorkerCounters : IParallelWork
    {
        private readonly long[] _bytes = new long[WorkerPool.Shared.MaxThreads];
        private int _arrived;

        public int UnitCount => _bytes.Length;

        /// <summary>The sum of the worker threads' counters (the caller's unit counts nothing).</summary>
        public long Read()
        {
            _arrived = 0;
            WorkerPool.Shared.Run(this, _bytes.Length);
            long sum = 0;
            for (var i = 1; i < _bytes.Length; i++) sum += _bytes[i];
            return sum;
        }

        public void Execute(int unit)
        {
            _bytes[unit] = GC.GetAllocatedBytesForCurrentThread();
            Interlocked.Increment(ref _arrived);
            var spinner = new SpinWait();
            var started = Environment.TickCount64;
            while (Volatile.Read(ref _arrived) < _bytes.Length)
            {
                if (Environment.TickCount64 - started > 60_000) throw new TimeoutException("A worker thread never took its unit (was the pool busy with another test?).");
                spinner.SpinOnce();
            }
        }
    }

    /// <summary>
    /// Two units, each of which waits for the other (so that the caller runs one and the worker the other) and then
    /// runs a product large enough to be shared between threads, counting the bytes its thread allocates meanwhile.
    /// Unit -1 runs the product alone, outside a parallel call.
    /// </summary>
    private sealed unsafe class ProductsInUnits : IParallelWork
    {
        private const int M = 100, N = 500, K = 784;
        private readonly float[] _a = TestData.Uniform(M * K, -1f, 1f, seed: 3);
        private readonly float[] _b = TestData.Uniform(K * N, -1f, 1f, seed: 4);
        private readonly float[][] _c = [new float[M * N], new float[M * N]];
        private int _arrived;

        public long[] Allocated { get; } = new long[2];

        public int[] Threads { get; } = new int[2];

        public int UnitCount => 2;

        public void Execute(int unit)
        {
            if (unit >= 0)
            {
                Interlocked.Increment(ref _arrived);
                var started = Environment.TickCount64;
                while (Volatile.Read(ref _arrived) < 2)
                {
                    if (Environment.TickCount64 - started > 60_000) throw new TimeoutException("The worker thread never took its unit.");
                    Thread.SpinWait(10);
                }
            }

            fixed (float* a = _a, b = _b, c = _c[Math.Max(unit, 0)])
            {
                var before = GC.GetAllocatedBytesForCurrentThread();
                Gemm.Multiply(new GemmShape(c, N, a, K, 1, b, N, M, N, K), default(FreshEpilogue));
                if (unit < 0) return;
                Allocated[unit] = GC.GetAllocatedBytesForCurrentThread() - before;
                Threads[unit] = Environment.CurrentManagedThreadId;
            }
        }
    }

    /// <summary>An epilogue that does nothing, of a kind only <see cref="ProductsInUnits"/> uses.</summary>
    private readonly unsafe struct FreshEpilogue : IGemmEpilogue
    {
        public void Apply(float* c, int ldc, int row, int rows, int column, int columns) { }
    }

    /// <summary>
    /// Two units, each of which allocates an array and then waits for the other, so that the caller runs one and the
    /// worker the other.
    /// </summary>
    private sealed class AllocatingWork : IParallelWork
    {
        public const int BytesPerUnit = 1024;

        private int _arrived;
        public object? Last;

        public int UnitCount => 2;

        public void Execute(int unit)
        {
            Last = new byte[BytesPerUnit];
            // Calls follow each other: the first of a call's two units to arrive waits for the second.
            var pair = (Interlocked.Increment(ref _arrived) + 1) / 2 * 2;
            var started = Environment.TickCount64;
            while (Volatile.Read(ref _arrived) < pair)
            {
                if (Environment.TickCount64 - started > 60_000) throw new TimeoutException("The worker thread never took its unit.");
                Thread.SpinWait(10);
            }
        }
    }
}

/// <summary>
/// Tests that change the process-wide thread setting, or count what the worker pool's threads allocate, run one at a
/// time and with no other test beside them: xunit runs a collection that disables parallelization after the parallel
/// ones, alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public class ThreadSettingsCollection
{
    public const string Name = "Thread settings";
}
