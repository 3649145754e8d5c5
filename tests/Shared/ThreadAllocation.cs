namespace DeepGen.Tests.Shared;

/// <summary>Bytes a piece of code allocates on the calling thread, measured so that only the code is charged.</summary>
internal static class ThreadAllocation
{
    /// <summary>
    /// The least bytes allocated on this thread over three runs of <paramref name="action"/> (stopping at a run that
    /// allocates nothing). The caller warms it up first.
    /// </summary>
    /// <remarks>
    /// The runtime may allocate on a thread once now and then, outside the code under test (seen in CI: a few
    /// kilobytes, once in many runs, in a window around calls that allocate nothing in every other run). Code that
    /// allocates on every call does so in each of the three runs, so the least of them still catches it.
    /// </remarks>
    public static long Least(Action action)
    {
        var least = long.MaxValue;
        for (var run = 0; run < 3 && least > 0; run++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            action();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return least;
    }
}
