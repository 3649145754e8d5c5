using DeepGen.Samples;

namespace DeepGen.Probes;

/// <summary>The options both probes take; defaults are the seed recipe's.</summary>
internal sealed record ProbeOptions
{
    public int Epochs { get; init; } = 5;
    public int BatchSize { get; init; } = 100;
    public int Seconds { get; init; } = 20;
    public float LearningRate { get; init; } = 0.1f;
    public int Seed { get; init; } = 1;
    public int? Threads { get; init; }
    public string? DataDirectory { get; init; }

    public static readonly OptionParser<ProbeOptions> EpochsParser =
        Common(new OptionParser<ProbeOptions>("dotnet run --project bench/DeepGen.Probes -c Release -- epochs",
                "Trains the seed recipe and prints the median and fastest epoch and the bytes allocated per training step.")
            .Int("--epochs", "epochs to train and time (default 5; the median absorbs the first, warm-up epoch)",
                (o, n) => o with { Epochs = n }, min: 1)
            .Int("--batch-size", "samples per training step (default 100)", (o, n) => o with { BatchSize = n }, min: 1));

    public static readonly OptionParser<ProbeOptions> SweepParser =
        Common(new OptionParser<ProbeOptions>("dotnet run --project bench/DeepGen.Probes -c Release -- sweep",
                "Trains the seed recipe for the same wall-clock time at batch sizes 1, 10, 100, 1000 and 10000, then tests each.")
            .Int("--seconds", "seconds of training per batch size (default 20)", (o, n) => o with { Seconds = n }, min: 1));

    private static OptionParser<ProbeOptions> Common(OptionParser<ProbeOptions> parser) => parser
        .Float("--learning-rate", "SGD step size (default 0.1)", (o, x) => o with { LearningRate = x }, above: 0)
        .Int("--seed", "seed of the weights and the shuffling (default 1)", (o, n) => o with { Seed = n })
        .Int("--threads", "threads for the matrix products (default: all cores)", (o, n) => o with { Threads = n }, min: 1)
        .String("--data", "DIR", "a folder holding the four MNIST IDX files (raw or .gz) instead of the download",
            (o, path) => o with { DataDirectory = path });
}
