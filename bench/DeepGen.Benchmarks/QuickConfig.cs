using BenchmarkDotNet.Configs;
using Perfolizer.Horology;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace DeepGen.Benchmarks;

/// <summary>
/// The <c>--quick</c> mode: every benchmark, one launch, one warm-up and three measured iterations of 250 ms, run
/// in this process (no generated project to build), so the whole suite takes under two minutes on a 2-core machine.
/// Good for a first look and for ratios; use the default mode for numbers to keep.
/// </summary>
public static class QuickConfig
{
    public const string Flag = "--quick";

    public static IConfig Create() =>
        DefaultConfig.Instance.AddJob(
            Job.Default
                .WithLaunchCount(1)
                .WithWarmupCount(1)
                .WithIterationCount(3)
                .WithIterationTime(TimeInterval.FromMilliseconds(250))
                .WithToolchain(InProcessEmitToolchain.Instance)
                .WithId("Quick")
                .AsMutator()); // applies to every job, including the training class's own [SimpleJob]
}
