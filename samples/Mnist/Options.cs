namespace DeepGen.Samples.Mnist;

/// <summary>The sample's command line. Defaults are the seed's recipe.</summary>
internal sealed record Options
{
    public int Epochs { get; init; } = 20;
    public int BatchSize { get; init; } = 100;
    public float LearningRate { get; init; } = 0.1f;
    public int Seed { get; init; } = 1;
    public int? Threads { get; init; }
    public string? SavePath { get; init; }
    public string? DataDirectory { get; init; }

    public static readonly OptionParser<Options> Parser =
        new OptionParser<Options>("dotnet run --project samples/Mnist -c Release --",
                "Trains the Keras \"hello world\" on MNIST (784 → 500 sigmoid → 500 sigmoid → 10 softmax, MSE, SGD) and tests it.")
            .Int("--epochs", "passes over the training set (default 20)", (o, n) => o with { Epochs = n }, min: 1)
            .Int("--batch-size", "samples per training step (default 100)", (o, n) => o with { BatchSize = n }, min: 1)
            .Float("--learning-rate", "SGD step size (default 0.1)", (o, x) => o with { LearningRate = x }, above: 0)
            .Int("--seed", "seed of the weights and the shuffling (default 1)", (o, n) => o with { Seed = n })
            .Int("--threads", "threads for the matrix products (default: all cores)", (o, n) => o with { Threads = n }, min: 1)
            .String("--save", "FILE", "save the trained weights as safetensors", (o, path) => o with { SavePath = path })
            .String("--data", "DIR", "a folder holding the four MNIST IDX files (raw or .gz) instead of the download",
                (o, path) => o with { DataDirectory = path });
}
