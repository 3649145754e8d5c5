using DeepGen.Gpu;

namespace DeepGen.Samples.MnistGpu;

/// <summary>The sample's command line: samples/Mnist's recipe options, and the device.</summary>
internal sealed record Options
{
    public DeviceKind Device { get; init; } = DeviceKind.Cuda;
    public int Epochs { get; init; } = 20;
    public int BatchSize { get; init; } = 100;
    public float LearningRate { get; init; } = 0.1f;
    public int Seed { get; init; } = 1;
    public string? SavePath { get; init; }
    public string? DataDirectory { get; init; }
    public Probe Probe { get; init; } = Probe.None;

    public static readonly OptionParser<Options> Parser =
        new OptionParser<Options>("dotnet run --project samples/MnistGpu -c Release --",
                "Trains and tests samples/Mnist's model and recipe on a GPU, with the ILGPU kernels DeepGen generated for it.")
            .Choice("--device", "cuda (default) or opencl; cpu (ILGPU's CPU accelerator) is refused with the reason: it is " +
                "far too slow for this recipe, run samples/Mnist for the CPU",
                [("cuda", DeviceKind.Cuda), ("opencl", DeviceKind.OpenCL), ("cpu", DeviceKind.IlgpuCpu)],
                (o, device) => o with { Device = device })
            .Int("--epochs", "passes over the training set (default 20)", (o, n) => o with { Epochs = n }, min: 1)
            .Int("--batch-size", "samples per training step (default 100)", (o, n) => o with { BatchSize = n }, min: 1)
            .Float("--learning-rate", "SGD step size (default 0.1)", (o, x) => o with { LearningRate = x }, above: 0)
            .Int("--seed", "seed of the weights and the shuffling (default 1)", (o, n) => o with { Seed = n })
            .String("--save", "FILE", "save the trained weights as safetensors", (o, path) => o with { SavePath = path })
            .String("--data", "DIR", "a folder holding the four MNIST IDX files (raw or .gz) instead of the download",
                (o, path) => o with { DataDirectory = path })
            .Choice("--probe", "allocations: instead of the recipe, measure the bytes a training step allocates on this thread " +
                "(bench/gpu/run-device-check.sh)", [("allocations", Probe.Allocations)], (o, probe) => o with { Probe = probe });
}

/// <summary>A measurement the sample makes instead of its recipe.</summary>
internal enum Probe
{
    /// <summary>Train the recipe (the default).</summary>
    None,
    /// <summary>Bytes allocated per training step of <see cref="GpuModel.Fit"/>, after warm-up.</summary>
    Allocations,
}
