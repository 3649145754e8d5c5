namespace DeepGen.Samples.Tabular;

/// <summary>Which data set the sample learns.</summary>
internal enum TabularTask { Both, Cancer, Diabetes }

/// <summary>The sample's command line.</summary>
internal sealed record Options
{
    public TabularTask Task { get; init; } = TabularTask.Both;
    public int Epochs { get; init; } = 300;
    public int BatchSize { get; init; } = 32;
    public float LearningRate { get; init; } = 0.001f;
    public int Patience { get; init; } = 20;
    public int Seed { get; init; } = 1;
    public string DataDirectory { get; init; } = Path.Combine(AppContext.BaseDirectory, "data");
    public string OutputDirectory { get; init; } = ".";

    public static readonly OptionParser<Options> Parser =
        new OptionParser<Options>("dotnet run --project samples/Tabular -c Release --",
                "Learns two public tables from CSV files: breast cancer (binary classification) and diabetes (regression).")
            .Choice("--task", "which data set to learn (default both)",
                [("cancer", TabularTask.Cancer), ("diabetes", TabularTask.Diabetes), ("both", TabularTask.Both)], (o, t) => o with { Task = t })
            .Int("--epochs", "most passes over the training set (default 300; early stopping usually ends sooner)", (o, n) => o with { Epochs = n }, min: 1)
            .Int("--batch-size", "samples per training step (default 32)", (o, n) => o with { BatchSize = n }, min: 1)
            .Float("--learning-rate", "Adam step size (default 0.001)", (o, x) => o with { LearningRate = x }, above: 0)
            .Int("--patience", "epochs without a better validation loss before stopping (default 20)", (o, n) => o with { Patience = n }, min: 0)
            .Int("--seed", "seed of the split, the weights and the shuffling (default 1)", (o, n) => o with { Seed = n })
            .String("--data", "DIR", "the folder holding breast_cancer.csv and diabetes.csv (default: data/ beside the program)",
                (o, path) => o with { DataDirectory = path })
            .String("--output", "DIR", "where the history plots and saved weights go (default: the current folder)",
                (o, path) => o with { OutputDirectory = path });
}
