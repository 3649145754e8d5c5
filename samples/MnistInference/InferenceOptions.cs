using System.Globalization;

namespace DeepGen.Samples.MnistInference;

/// <summary>The inference sample's command line.</summary>
internal sealed record InferenceOptions
{
    public const string Usage = """
        Usage: MnistInference [options]
          --weights FILE    weights saved by the training sample (samples/Mnist --save FILE); default: a seeded model
          --seed N          seed of the model's initial weights and of --synthetic images (default 1)
          --data DIR        a folder holding the MNIST IDX files (raw or .gz) instead of the cache or the download
          --count N         predict the first N test images (default: all 10,000)
          --synthetic N     predict N seeded random images instead of MNIST (no data set needed)
          --outputs true    print every image's outputs with round-trip precision
        """;

    public string? WeightsPath { get; init; }
    public int Seed { get; init; } = 1;
    public string? DataDirectory { get; init; }
    public int? Count { get; init; }
    public int? SyntheticCount { get; init; }
    public bool PrintOutputs { get; init; }

    /// <summary>Parses the arguments; on failure <paramref name="error"/> says which one and why (null for --help).</summary>
    public static bool TryParse(string[] args, out InferenceOptions options, out string? error)
    {
        options = new InferenceOptions();
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
                case "--weights": options = options with { WeightsPath = value }; break;
                case "--data": options = options with { DataDirectory = value }; break;
                case "--seed" when int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n): options = options with { Seed = n }; break;
                case "--count" when PositiveInt(value, out var n): options = options with { Count = n }; break;
                case "--synthetic" when PositiveInt(value, out var n): options = options with { SyntheticCount = n }; break;
                case "--outputs" when bool.TryParse(value, out var b): options = options with { PrintOutputs = b }; break;
                case "--outputs":
                    error = $"--outputs takes true or false, not '{value}'.";
                    return false;
                case "--seed" or "--count" or "--synthetic":
                    error = $"{name} takes a positive whole number, not '{value}'.";
                    return false;
                default:
                    error = $"Unknown option '{name}'.";
                    return false;
            }
        }

        return true;
    }

    private static bool PositiveInt(string text, out int value) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value) && value > 0;
}
