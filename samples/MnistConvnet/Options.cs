namespace DeepGen.Samples.Convnet;

/// <summary>The sample's command line: the options of samples/Mnist that apply here. Defaults are the Keras recipe.</summary>
internal sealed record Options
{
    public int Epochs { get; init; } = 15;
    public int BatchSize { get; init; } = 128;
    public int? Threads { get; init; }
    public string? DataDirectory { get; init; }
    public int Seed { get; init; } = 1;

    public static readonly OptionParser<Options> Parser =
        new OptionParser<Options>("dotnet run --project samples/MnistConvnet -c Release --",
                "Trains Keras's \"Simple MNIST convnet\" (two 3×3 convolutions with max pooling, dropout, softmax) and tests it.")
            .Int("--epochs", "passes over the training set (default 15)", (o, n) => o with { Epochs = n }, min: 1)
            .Int("--batch-size", "samples per training step (default 128)", (o, n) => o with { BatchSize = n }, min: 1)
            .Int("--threads", "threads for the matrix products (default: all cores)", (o, n) => o with { Threads = n }, min: 1)
            .String("--data", "DIR", "a folder holding the four MNIST IDX files (raw or .gz) instead of the download",
                (o, path) => o with { DataDirectory = path })
            .Int("--seed", "seed of the weights, dropout and shuffling (default 1)", (o, n) => o with { Seed = n });
}
