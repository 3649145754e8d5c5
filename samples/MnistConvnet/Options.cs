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
        return OptionPairs.TryRead(args, ref options, static (o, name, value) => name switch
        {
            "--epochs" when OptionPairs.PositiveInt(value) is { } n => o with { Epochs = n },
            "--batch-size" when OptionPairs.PositiveInt(value) is { } n => o with { BatchSize = n },
            "--threads" when OptionPairs.PositiveInt(value) is { } n => o with { Threads = n },
            "--seed" when OptionPairs.Int(value) is { } n => o with { Seed = n },
            "--data" => o with { DataDirectory = value },
            _ => null,
        }, out error);
    }
}
