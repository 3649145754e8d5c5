using System.Globalization;

namespace DeepGen.Samples.Convnet;

/// <summary>The sample's command line: the options of samples/Mnist that apply here. Defaults are the Keras recipe.</summary>
internal sealed record Options
{
    public const string Usage = """
        Usage: dotnet run --project samples/MnistConvnet -c Release -- [options]
          --epochs N          passes over the training set (default 15)
          --batch-size N      samples per training step (default 128)
          --threads N         threads for the matrix products (default: all cores)
          --data DIR          a folder holding the four MNIST IDX files (raw or .gz) instead of the download
          --seed N            seed of the weights, dropout and shuffling (default 1)
        """;

    public int Epochs { get; init; } = 15;
    public int BatchSize { get; init; } = 128;
    public int? Threads { get; init; }
    public string? DataDirectory { get; init; }
    public int Seed { get; init; } = 1;

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
                case "--threads" when PositiveInt(value) is { } n: options = options with { Threads = n }; break;
                case "--seed" when int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n): options = options with { Seed = n }; break;
                case "--data": options = options with { DataDirectory = value }; break;
                case "--epochs" or "--batch-size" or "--threads" or "--seed":
                    error = $"{name} takes a positive number, not '{value}'.";
                    return false;
                default:
                    error = $"Unknown option '{name}'.";
                    return false;
            }
        }

        return true;
    }

    private static int? PositiveInt(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : null;
}
