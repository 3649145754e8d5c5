using System.Globalization;

namespace DeepGen.Samples.Tabular;

/// <summary>The sample's command line.</summary>
internal sealed record Options
{
    public const string Usage = """
        Usage: dotnet run --project samples/Tabular -c Release -- [options]
          --task cancer|diabetes|both   which data set to learn (default both)
          --epochs N          most passes over the training set (default 300; early stopping usually ends sooner)
          --batch-size N      samples per training step (default 32)
          --learning-rate X   Adam step size (default 0.001)
          --patience N        epochs without a better validation loss before stopping (default 20)
          --seed N            seed of the split, the weights and the shuffling (default 1)
          --data DIR          the folder holding breast_cancer.csv and diabetes.csv (default: data/ beside the program)
          --output DIR        where the history plots and saved weights go (default: the current folder)
        """;

    public string Task { get; init; } = "both";
    public int Epochs { get; init; } = 300;
    public int BatchSize { get; init; } = 32;
    public float LearningRate { get; init; } = 0.001f;
    public int Patience { get; init; } = 20;
    public int Seed { get; init; } = 1;
    public string DataDirectory { get; init; } = Path.Combine(AppContext.BaseDirectory, "data");
    public string OutputDirectory { get; init; } = ".";

    /// <summary>Parses the arguments; on failure <paramref name="error"/> says which one and why (null for --help).</summary>
    public static bool TryParse(string[] args, out Options options, out string? error)
    {
        options = new Options();
        return OptionPairs.TryRead(args, ref options, static (o, name, value) => name switch
        {
            "--task" when value is "cancer" or "diabetes" or "both" => o with { Task = value },
            "--epochs" when OptionPairs.PositiveInt(value) is { } n => o with { Epochs = n },
            "--batch-size" when OptionPairs.PositiveInt(value) is { } n => o with { BatchSize = n },
            "--patience" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) => o with { Patience = n },
            "--seed" when OptionPairs.Int(value) is { } n => o with { Seed = n },
            "--learning-rate" when float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && x > 0 && float.IsFinite(x)
                => o with { LearningRate = x },
            "--data" => o with { DataDirectory = value },
            "--output" => o with { OutputDirectory = value },
            _ => null,
        }, out error);
    }
}
