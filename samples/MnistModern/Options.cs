namespace DeepGen.Samples.MnistModern;

/// <summary>The sample's command line. Defaults are the modern recipe.</summary>
internal sealed record Options
{
    public int Epochs { get; init; } = 30;
    public int BatchSize { get; init; } = 128;
    public float LearningRate { get; init; } = 0.001f;
    public int Patience { get; init; } = 5;
    public string? DataDirectory { get; init; }
    public int Seed { get; init; } = 1;
    public string PlotPath { get; init; } = "mnist-modern-history.png";
    public string? SavePath { get; init; }

    public static readonly OptionParser<Options> Parser =
        new OptionParser<Options>("dotnet run --project samples/MnistModern -c Release --",
                "Trains an MLP the modern way (0-1 pixels, ReLU + dropout, softmax + cross-entropy, Adam, early stopping).")
            .Int("--epochs", "most passes over the training set (default 30; early stopping usually ends sooner)",
                (o, n) => o with { Epochs = n }, min: 1)
            .Int("--batch-size", "samples per training step (default 128)", (o, n) => o with { BatchSize = n }, min: 1)
            .Float("--learning-rate", "Adam step size (default 0.001)", (o, x) => o with { LearningRate = x }, above: 0)
            .Int("--patience", "epochs without a better validation loss before stopping (default 5)",
                (o, n) => o with { Patience = n }, min: 0)
            .String("--data", "DIR", "a folder holding the four MNIST IDX files (raw or .gz) instead of the download",
                (o, path) => o with { DataDirectory = path })
            .Int("--seed", "seed of the weights, dropout and shuffling (default 1)", (o, n) => o with { Seed = n })
            .String("--plot", "FILE", "where to write the history plot, .png or .svg (default mnist-modern-history.png)",
                (o, path) => o with { PlotPath = path })
            .String("--save", "FILE", "save the trained weights as safetensors", (o, path) => o with { SavePath = path });
}
