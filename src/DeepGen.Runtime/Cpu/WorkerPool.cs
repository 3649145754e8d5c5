using System.Diagnostics;

namespace DeepGen.Cpu;

/// <summary>A piece of work split into <c>parts</c> independent parts, each run once.</summary>
internal interface IParallelWork
{
    void Execute(int part, int parts);
}

/// <summary>
/// Persistent worker threads with static partitions. A parallel call hands every worker one part and runs part 0
/// itself: no tasks, closures or queues are allocated per call, so a training step stays allocation-free.
/// </summary>
/// <remarks>
/// <para>Workers spin for a short while after each call before they sleep. A training step is a quick succession
/// of parallel products, and waking a sleeping thread costs milliseconds on some virtual machines (measured: a
/// 0.7 ms product took 3 ms on two threads when workers slept between calls), so BLAS libraries spin the same way.</para>
/// <para>Only one parallel call runs at a time. A second caller that finds the pool busy runs all the parts itself,
/// in order; because the kernels never split a summation across parts, that gives the same bits, only slower.</para>
/// </remarks>
internal sealed class WorkerPool
{
    private static readonly Lazy<WorkerPool> SharedPool = new(() => new WorkerPool(Environment.ProcessorCount - 1));

    /// <summary>How long an idle worker spins before it sleeps.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 500; // 2 ms

    private readonly Worker[] _workers;
    private IParallelWork? _work;
    private int _parts;
    private int _generation;
    private int _pending;
    private int _busy;
    private Exception? _failure;

    private WorkerPool(int workerCount)
    {
        _workers = new Worker[Math.Max(0, workerCount)];
        for (var i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Worker();
            var index = i;
            new Thread(() => WorkerLoop(index)) { IsBackground = true, Name = $"DeepGen worker {i + 1}" }.Start();
        }
    }

    public static WorkerPool Shared => SharedPool.Value;

    /// <summary>Threads a parallel call may use, the caller's included.</summary>
    public int MaxParts => _workers.Length + 1;

    public void Run(IParallelWork work, int parts)
    {
        parts = Math.Clamp(parts, 1, MaxParts);
        if (parts == 1 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            for (var part = 0; part < parts; part++) work.Execute(part, parts);
            return;
        }

        try
        {
            _work = work;
            _parts = parts;
            _failure = null;
            Volatile.Write(ref _pending, parts - 1);
            Interlocked.Increment(ref _generation);
            for (var worker = 0; worker < parts - 1; worker++) _workers[worker].WakeIfSleeping();
            try
            {
                work.Execute(0, parts);
            }
            finally
            {
                // The caller's part is about as long as the workers', so the wait is short: spin, never yield.
                while (Volatile.Read(ref _pending) != 0) Thread.SpinWait(16);
            }

            if (_failure is { } failure) throw new AggregateException("A DeepGen worker thread failed.", failure);
        }
        finally
        {
            _work = null;
            Volatile.Write(ref _busy, 0);
        }
    }

    private void WorkerLoop(int index)
    {
        var worker = _workers[index];
        var seen = 0;
        while (true)
        {
            seen = WaitForGeneration(worker, seen);
            // A call may use fewer parts than there are workers; the others sit this one out.
            if (index + 1 >= _parts) continue;
            try
            {
                _work!.Execute(index + 1, _parts);
            }
            catch (Exception exception)
            {
                Interlocked.CompareExchange(ref _failure, exception, null);
            }
            finally
            {
                Interlocked.Decrement(ref _pending);
            }
        }
    }

    private int WaitForGeneration(Worker worker, int seen)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var generation = Volatile.Read(ref _generation);
            if (generation != seen) return generation;
            if (Stopwatch.GetTimestamp() - started < SpinTicks)
            {
                Thread.SpinWait(64);
                continue;
            }

            worker.Sleep(() => Volatile.Read(ref _generation) != seen);
            started = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>One worker's sleep and wake-up, free of lost wake-ups.</summary>
    private sealed class Worker
    {
        private readonly SemaphoreSlim _wake = new(0);
        private int _sleeping;

        public void Sleep(Func<bool> workArrived)
        {
            Volatile.Write(ref _sleeping, 1);
            if (workArrived())
            {
                // Work came while we were getting ready to sleep. If the caller already took our flag, it also
                // released the semaphore: consume that release so the next sleep does not return at once.
                if (Interlocked.Exchange(ref _sleeping, 0) == 0) _wake.Wait();
                return;
            }

            _wake.Wait();
        }

        public void WakeIfSleeping()
        {
            if (Interlocked.Exchange(ref _sleeping, 0) == 1) _wake.Release();
        }
    }
}
