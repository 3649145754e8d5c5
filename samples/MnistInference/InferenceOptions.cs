namespace DeepGen.Samples.MnistInference;

/// <summary>The inference sample's command line.</summary>
internal sealed record InferenceOptions
{
    public string? WeightsPath { get; init; }
    public int Seed { get; init; } = 1;
    public string? DataDirectory { get; init; }
    public int? Count { get; init; }
    public int? SyntheticCount { get; init; }
    public bool PrintOutputs { get; init; }

    public static readonly OptionParser<InferenceOptions> Parser =
        new OptionParser<InferenceOptions>("MnistInference",
                "Predicts MNIST digits with the MNIST sample's model, under the JIT or as a NativeAOT binary.")
            .String("--weights", "FILE", "weights saved by the training sample (samples/Mnist --save FILE); default: a seeded model",
                (o, path) => o with { WeightsPath = path })
            .Int("--seed", "seed of the model's initial weights and of --synthetic images (default 1)", (o, n) => o with { Seed = n })
            .String("--data", "DIR", "a folder holding the MNIST IDX files (raw or .gz) instead of the cache or the download",
                (o, path) => o with { DataDirectory = path })
            .Int("--count", "predict the first N test images (default: all 10,000)", (o, n) => o with { Count = n }, min: 1)
            .Int("--synthetic", "predict N seeded random images instead of MNIST (no data set needed)",
                (o, n) => o with { SyntheticCount = n }, min: 1)
            .Choice("--outputs", "true: print every image's outputs with round-trip precision (default false)",
                [("true", true), ("false", false)], (o, print) => o with { PrintOutputs = print });
}
