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
        error = null;
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (name is "-h" or "--help") return false;
            if (i + 1 >= args.Length)
            {
                error = $"{name} needs a value.";
                return false;
            }

            var value = args[++i];
            switch (name)
            {
                case "--epochs" when PositiveInt(value) is { } n: options = options with { Epochs = n }; break;
                case "--batch-size" when PositiveInt(value) is { } n: options = options with { BatchSize = n }; break;
                case "--patience" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n): options = options with { Patience = n }; break;
                case "--seed" when int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n): options = options with { Seed = n }; break;
                case "--learning-rate" when float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && x > 0 && float.IsFinite(x):
                    options = options with { LearningRate = x };
                    break;
                case "--data": options = options with { DataDirectory = value }; break;
                case "--plot": options = options with { PlotPath = value }; break;
                case "--save": options = options with { SavePath = value }; break;
                default:
                    error = $"Unknown option or bad value: {name} {value}";
                    return false;
            }
        }

        return true;
    }

    private static int? PositiveInt(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : null;
}
