using System.Globalization;

namespace DeepGen.Samples.Mnist;

/// <summary>The sample's command line. Defaults are the seed's recipe.</summary>
internal sealed record SampleOptions
{
    public const string Usage = """
        Usage: dotnet run --project samples/Mnist -c Release -- [options]
          --epochs N          passes over the training set (default 20)
          --batch-size N      samples per training step (default 100)
          --learning-rate X   SGD step size (default 0.1)
          --data DIR          a folder holding the four MNIST IDX files (raw or .gz) instead of the download
          --seed N            seed of the weights and the shuffling (default 1)
          --threads N         threads for the matrix products (default: all cores)
          --save FILE         save the trained weights as safetensors
          --device NAME       cpu (default: the generated SIMD code), cuda, opencl, or ilgpu-cpu (kernel tests only)
          --sweep SECONDS     instead of the seed run: train each batch size 1, 10, 100, 1000, 10000 for SECONDS
                              and print seconds per epoch and test accuracy
        """;

    public int Epochs { get; init; } = 20;
    public int BatchSize { get; init; } = 100;
    public float LearningRate { get; init; } = 0.1f;
    public string? DataDirectory { get; init; }
    public int Seed { get; init; } = 1;
    public string? SavePath { get; init; }
    public int? Threads { get; init; }
    public int? SweepSeconds { get; init; }
    public DeepGen.Gpu.DeviceKind Device { get; init; } = DeepGen.Gpu.DeviceKind.Cpu;

    /// <summary>Parses the arguments; on failure <paramref name="error"/> says which one and why (null for --help).</summary>
    public static bool TryParse(string[] args, out SampleOptions options, out string? error)
    {
        options = new SampleOptions();
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
                case "--epochs" when PositiveInt(value, out var n): options = options with { Epochs = n }; break;
                case "--batch-size" when PositiveInt(value, out var n): options = options with { BatchSize = n }; break;
                case "--sweep" when PositiveInt(value, out var n): options = options with { SweepSeconds = n }; break;
                case "--threads" when PositiveInt(value, out var n): options = options with { Threads = n }; break;
                case "--seed" when int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n): options = options with { Seed = n }; break;
                case "--learning-rate" when float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && x > 0 && float.IsFinite(x):
                    options = options with { LearningRate = x };
                    break;
                case "--data": options = options with { DataDirectory = value }; break;
                case "--save": options = options with { SavePath = value }; break;
                case "--device" when DeepGen.Gpu.DeviceKinds.TryParse(value, out var device): options = options with { Device = device }; break;
                case "--device":
                    error = $"--device takes one of {string.Join(", ", DeepGen.Gpu.DeviceKinds.Names)}, not '{value}'.";
                    return false;
                case "--epochs" or "--batch-size" or "--seed" or "--learning-rate" or "--threads" or "--sweep":
                    error = $"{name} takes a positive number, not '{value}'.";
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
