using DeepGen.Cpu;

namespace DeepGen.Runtime.Tests.Cpu;

public class WorkerPoolTests
{
    [Fact]
    public void Every_part_runs_exactly_once()
    {
        var pool = WorkerPool.Shared;
        for (var round = 0; round < 200; round++)
        {
            var work = new CountingWork(pool.MaxParts);
            pool.Run(work, pool.MaxParts);
            Assert.All(work.Counts, count => Assert.Equal(1, count));
        }
    }

    [Fact]
    public void A_failing_part_surfaces_as_an_exception_and_the_pool_keeps_working()
    {
        var pool = WorkerPool.Shared;
        if (pool.MaxParts < 2) return; // a single-core machine has no worker thread to fail
        var e = Assert.Throws<AggregateException>(() => pool.Run(new FailingWork(failingPart: 1), 2));
        Assert.IsType<InvalidOperationException>(e.InnerException);
        var work = new CountingWork(2);
        pool.Run(work, 2);
        Assert.Equal(new[] { 1, 1 }, work.Counts);
    }

    private sealed class CountingWork(int parts) : IParallelWork
    {
        public int[] Counts { get; } = new int[parts];
        public void Execute(int part, int parts) => Interlocked.Increment(ref Counts[part]);
    }

    private sealed class FailingWork(int failingPart) : IParallelWork
    {
        public void Execute(int part, int parts)
        {
            if (part == failingPart) throw new InvalidOperationException("boom");
        }
    }
}
