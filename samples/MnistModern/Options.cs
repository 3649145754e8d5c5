using System.Globalization;

namespace DeepGen.Samples.MnistModern;

/// <summary>The sample's command line. Defaults are the modern recipe.</summary>
internal sealed record Options
{
    public const string Usage = """
        Usage: dotnet run --project samples/MnistModern -c Release -- [options]
          --epochs N          most passes over the training set (default 30; early stopping usually ends sooner)
          --batch-size N      samples per training step (default 128)
          --learning-rate X   Adam step size (default 0.001)
          --patience N        epochs without a better validation loss before stopping (default 5)
          --data DIR          a folder holding the four MNIST IDX files (raw or .gz) instead of the download
          --seed N            seed of the weights, dropout and shuffling (default 1)
          --plot FILE         where to write the history plot, .png or .svg (default mnist-modern-history.png)
          --save FILE         save the trained weights as safetensors
        """;

    public int Epochs { get; init; } = 30;
    public int BatchSize { get; init; } = 128;
    public float LearningRate { get; init; } = 0.001f;
    public int Patience { get; init; } = 5;
    public string? DataDirectory { get; init; }
    public int Seed { get; init; } = 1;
    public string PlotPath { get; init; } = "mnist-modern-history.png";
    public string? SavePath { get; init; }

    /// <summary>Parses the arguments; on failure <paramref name="error"/> says which one and why (null for --help).</summary>
    public static bool TryParse(string[] args, out Options options, out string? error)
    {
        options = new Options();
        return OptionPairs.TryRead(args, ref options, static (o, name, value) => name switch
        {
            "--epochs" when OptionPairs.PositiveInt(value) is { } n => o with { Epochs = n },
            "--batch-size" when OptionPairs.PositiveInt(value) is { } n => o with { BatchSize = n },
            "--patience" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) => o with { Patience = n },
            "--seed" when OptionPairs.Int(value) is { } n => o with { Seed = n },
            "--learning-rate" when float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && x > 0 && float.IsFinite(x)
                => o with { LearningRate = x },
            "--data" => o with { DataDirectory = value },
            "--plot" => o with { PlotPath = value },
            "--save" => o with { SavePath = value },
            _ => null,
        }, out error);
    }
}
