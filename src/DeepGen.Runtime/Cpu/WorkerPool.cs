using System.Diagnostics;

namespace DeepGen.Cpu;

/// <summary>
/// Work cut into independent units, each run exactly once. Units are ordered by the data they touch: the pool hands
/// each thread a contiguous share of them, the same share on every call, so data a thread wrote in one call is
/// what it reads or writes in the next (see <see cref="WorkerPool"/>).
/// </summary>
internal interface IParallelWork
{
    int UnitCount { get; }

    void Execute(int unit);
}

/// <summary>
/// Persistent worker threads that claim units of work from a shared counter. Nothing is allocated per call — no
/// tasks, closures or queues — so a training step stays allocation-free.
/// </summary>
/// <remarks>
/// <para>Each thread first claims units from its own contiguous share (thread <c>t</c> of <c>T</c> owns units
/// <c>[t·U/T, (t+1)·U/T)</c>; the caller is thread 0), then steals what is left of the others' shares. The shares
/// give affinity: consecutive products of a training step order their units by the same features (a layer's
/// weight columns, its outputs), so each core keeps finding its own half of the weights and activations in its own
/// cache. Cache lines that move between cores were the largest cost of a two-thread training step on the
/// reference machine: with units handed out first come, first served, the weight-gradient products ran no faster
/// on two threads than on one. Stealing keeps the old robustness: a worker that wakes late, or is preempted by the
/// host, simply takes fewer units instead of holding everyone up. The kernels never split a summation across
/// units, so who computes a unit changes speed, never bits.</para>
/// <para>Workers spin for a short while after each call before they sleep: a training step is a quick succession
/// of parallel products, and waking a sleeping thread costs tens of microseconds to milliseconds on a virtual
/// machine. BLAS libraries spin the same way.</para>
/// <para>Only one parallel call runs at a time. A caller that finds the pool busy runs every unit itself.</para>
/// </remarks>
internal sealed class WorkerPool
{
    private static readonly Lazy<WorkerPool> SharedPool = new(() => new WorkerPool(Environment.ProcessorCount - 1));

    /// <summary>How long an idle worker spins before it sleeps.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 500; // 2 ms

    private readonly Worker[] _workers;
    private readonly Share[] _shares;
    private IParallelWork? _work;
    private int _helpers;
    private int _generation;
    private int _done;
    private int _busy;
    private Exception? _failure;
    private long _unitsRunByWorkers;

    private WorkerPool(int workerCount)
    {
        _workers = new Worker[Math.Max(0, workerCount)];
        _shares = new Share[_workers.Length + 1];
        for (var i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Worker();
            var index = i;
            new Thread(() => WorkerLoop(index)) { IsBackground = true, Name = $"DeepGen worker {i + 1}" }.Start();
        }
    }

    public static WorkerPool Shared => SharedPool.Value;

    /// <summary>
    /// True on the pool's own worker threads. Work that a worker runs (a unit, or a whole forward pass) never gets the
    /// pool to itself: the call that handed it the work holds the pool until every unit is done.
    /// </summary>
    public static bool IsWorkerThread => t_isWorker;

    [ThreadStatic]
    private static bool t_isWorker;

    /// <summary>Threads a parallel call may use, the caller's included.</summary>
    public int MaxThreads => _workers.Length + 1;

    /// <summary>
    /// Units that worker threads (not callers) have run since the process started: lets a test prove that a run meant
    /// to use several threads really did.
    /// </summary>
    public long UnitsRunByWorkers => Interlocked.Read(ref _unitsRunByWorkers);

    /// <summary>Runs every unit of <paramref name="work"/> on at most <paramref name="threads"/> threads, the caller's included.</summary>
    public void Run(IParallelWork work, int threads)
    {
        var units = work.UnitCount;
        threads = Math.Clamp(threads, 1, MaxThreads);
        if (threads == 1 || units <= 1 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            for (var unit = 0; unit < units; unit++) work.Execute(unit);
            return;
        }

        try
        {
            var generation = _generation + 1;
            _work = work;
            _helpers = threads - 1;
            _failure = null;
            Volatile.Write(ref _done, 0);
            for (var thread = 0; thread < threads; thread++)
            {
                // Claims first, then the end: a worker still holding the previous generation's claims may read the new
                // end, but its compare-and-swap on the claims it read then fails.
                Volatile.Write(ref _shares[thread].Claims, ((long)generation << 32) | (uint)((long)thread * units / threads));
                Volatile.Write(ref _shares[thread].End, (int)((long)(thread + 1) * units / threads));
            }

            Volatile.Write(ref _generation, generation); // publishes everything above to the workers
            for (var worker = 0; worker < threads - 1; worker++) _workers[worker].WakeIfSleeping();

            ClaimAndRun(generation, work, 0, threads);
            // Only units some worker has claimed are waited for, and a unit is short.
            while (Volatile.Read(ref _done) < units) Thread.SpinWait(2);

            if (_failure is { } failure) throw new AggregateException("A DeepGen worker thread failed.", failure);
        }
        finally
        {
            _work = null;
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>
    /// Claims units of this generation's work, from this thread's own share first and then from the others', until
    /// none are left; a stale generation claims nothing.
    /// </summary>
    private void ClaimAndRun(int generation, IParallelWork work, int thread, int threads)
    {
        for (var offset = 0; offset < threads; offset++)
        {
            ref var share = ref _shares[(thread + offset) % threads];
            while (true)
            {
                var claims = Volatile.Read(ref share.Claims);
                var unit = (int)(claims & 0xFFFF_FFFF);
                if ((int)(claims >> 32) != generation) return;
                if (unit >= Volatile.Read(ref share.End)) break;
                if (Interlocked.CompareExchange(ref share.Claims, claims + 1, claims) != claims) continue;
                try
                {
                    work.Execute(unit);
                }
                catch (Exception exception)
                {
                    Interlocked.CompareExchange(ref _failure, exception, null);
                }
                finally
                {
                    // Counted before the unit is reported done, so a caller that returned sees it.
                    if (thread != 0) Interlocked.Increment(ref _unitsRunByWorkers);
                    Interlocked.Increment(ref _done);
                }
            }
        }
    }

    private void WorkerLoop(int index)
    {
        t_isWorker = true;
        var worker = _workers[index];
        var seen = 0;
        while (true)
        {
            seen = WaitForGeneration(worker, seen);
            var work = Volatile.Read(ref _work);
            // A call may use fewer threads than there are workers; the others sit this one out.
            var helpers = Volatile.Read(ref _helpers);
            if (work is null || index >= helpers) continue;
            ClaimAndRun(seen, work, index + 1, helpers + 1);
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
                // Short spins: the worker sees new work within a fraction of a microsecond, which shows at batch 1,
                // where a product takes 10 µs (64 iterations per check cost about 2 µs per prediction).
                Thread.SpinWait(4);
                continue;
            }

            worker.Sleep(this, seen);
            started = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>
    /// One thread's share of a call's units: the next unit to claim (generation in the high 32 bits, unit in the
    /// low 32) and the end of the share. Padded to its own cache lines, so claims do not contend with each other.
    /// </summary>
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Explicit, Size = 128)]
    private struct Share
    {
        [System.Runtime.InteropServices.FieldOffset(64)] public long Claims;
        [System.Runtime.InteropServices.FieldOffset(72)] public int End;
    }

    /// <summary>One worker's sleep and wake-up, free of lost wake-ups.</summary>
    private sealed class Worker
    {
        private readonly SemaphoreSlim _wake = new(0);
        private int _sleeping;

        public void Sleep(WorkerPool pool, int seen)
        {
            Volatile.Write(ref _sleeping, 1);
            if (Volatile.Read(ref pool._generation) != seen)
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
