using DeepGen.Cpu;

namespace DeepGen.Runtime.Tests.Cpu;

public class WorkerPoolTests
{
    [Fact]
    public void Every_unit_runs_exactly_once()
    {
        var pool = WorkerPool.Shared;
        foreach (var units in new[] { 2, 3, 8, 57 })
        {
            for (var round = 0; round < 100; round++)
            {
                var work = new CountingWork(units);
                pool.Run(work, pool.MaxThreads);
                Assert.All(work.Counts, count => Assert.Equal(1, count));
            }
        }
    }

    [Fact]
    public void A_failing_unit_surfaces_as_an_exception_and_the_pool_keeps_working()
    {
        var pool = WorkerPool.Shared;
        if (pool.MaxThreads < 2) return; // one core: there is no worker thread
        // A unit that fails on a worker surfaces wrapped in an AggregateException; when the pool is busy (another
        // thread's call holds it) every unit runs on the caller and the failure surfaces as it was thrown. Either
        // way it surfaces (seen once in a loaded run: the busy-pool path).
        var e = Record.Exception(() => pool.Run(new FailingWork(units: 16, failingUnit: 5), 2));
        Assert.IsType<InvalidOperationException>(e is AggregateException aggregate ? aggregate.InnerException : e);
        var work = new CountingWork(4);
        pool.Run(work, 2);
        Assert.Equal(new[] { 1, 1, 1, 1 }, work.Counts);
    }

    private sealed class CountingWork(int units) : IParallelWork
    {
        public int[] Counts { get; } = new int[units];
        public int UnitCount => units;
        public void Execute(int unit) => Interlocked.Increment(ref Counts[unit]);
    }

    private sealed class FailingWork(int units, int failingUnit) : IParallelWork
    {
        public int UnitCount => units;

        public void Execute(int unit)
        {
            if (unit == failingUnit) throw new InvalidOperationException("boom");
        }
    }
}
