// samples/Mnist's Keras "hello world" on a GPU: the same model (MnistMlp), the same recipe and the same printed lines,
// trained and tested by the ILGPU kernels DeepGen generated beside the CPU code (docs/GPU.md). Then the speed: the
// epoch times and the time to predict the 10,000 test images on the device. `--probe allocations` measures the bytes a
// training step allocates instead (bench/gpu/run-device-check.sh runs both on a GPU machine).
using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using DeepGen;
using DeepGen.Data;
using DeepGen.Gpu;
using DeepGen.Samples;
using DeepGen.Samples.Mnist;
using DeepGen.Samples.MnistGpu;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
if (!Options.Parser.TryParseOrExplain(args, out var options, out var exitCode)) return exitCode;
if (options.Device == DeviceKind.IlgpuCpu)
{
    // Measured on a 2-core machine shared with other builds: one epoch of only 1,000 images (10 steps) did not finish
    // within 5 minutes, so even a one-epoch check of this sample is out of reach there.
    Console.Error.WriteLine("--device cpu (ILGPU's CPU accelerator, which runs the GPU kernels on simulated threads) is too slow " +
                            "for this recipe: on a shared 2-core machine one epoch of 1,000 images did not finish in 5 minutes. It exists to test " +
                            "the kernels without a GPU (tests/DeepGen.Gpu.Tests does, at small sizes). For training on the CPU, " +
                            "run samples/Mnist: the same model and recipe in the generated SIMD code.");
    return 2;
}

if (!MnistSample.TryLoad(options.DataDirectory, out var data)) return 1;

var yTrain = Labels.OneHot(data.TrainLabels, MnistData.ClassCount);
var yTest = Labels.OneHot(data.TestLabels, MnistData.ClassCount);

ComputeDevice device;
try
{
    device = ComputeDevice.Open(options.Device);
}
catch (DeviceNotFoundException e)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}

// The model lives on the CPU; ToDevice uploads its parameters once, and Fit copies the trained ones back into it.
var model = new MnistMlp(seed: options.Seed);
using (device)
using (var gpu = model.ToDevice(device))
{
    Console.WriteLine($"{data.TrainCount} training and {data.TestCount} test images; device {device}");
    if (options.Probe == Probe.Allocations)
    {
        AllocationProbe.Run(gpu, data.TrainImages, yTrain, options);
        return 0;
    }

    var history = gpu.Fit(data.TrainImages, yTrain, options.Epochs, options.BatchSize,
        Loss.MeanSquaredError, new Sgd(options.LearningRate), shuffle: true, seed: options.Seed);

    var (loss, accuracy) = gpu.Evaluate(data.TestImages, yTest, batchSize: 10_000);
    // The predict time: the median and the fastest of 11 calls after a warm-up, each one whole call (the images go up,
    // the forward pass runs, the outputs come back) into the same output array.
    var predictions = gpu.Predict(data.TestImages, batchSize: 10_000);
    var predictMilliseconds = new double[11];
    for (var run = 0; run < predictMilliseconds.Length; run++)
    {
        var started = Stopwatch.GetTimestamp();
        gpu.Predict(data.TestImages, predictions, batchSize: 10_000);
        predictMilliseconds[run] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    Array.Sort(predictMilliseconds);
    var cpuAccuracy = model.Evaluate(data.TestImages, yTest, batchSize: 1000).Accuracy;
    Console.WriteLine($"Total loss = {loss}");
    Console.WriteLine($"Accuracy of testing = {accuracy} (the same weights on the CPU: {cpuAccuracy})");
    Console.WriteLine($"First test image: predicted {TensorPrimitives.IndexOfMax(predictions.AsSpan(0, MnistData.ClassCount))}, " +
                      $"label {data.TestLabels[0]}");

    // The median and the fastest epoch: the first epoch also compiles the kernels.
    var seconds = history.Epochs.Select(e => e.Duration.TotalSeconds).Order().ToArray();
    Console.WriteLine($"Epoch time: median {seconds[seconds.Length / 2]:0.0000} s, fastest {seconds[0]:0.0000} s ({seconds.Length} epochs)");
    Console.WriteLine($"Predict time for {data.TestCount} images: median {predictMilliseconds[predictMilliseconds.Length / 2]:0.000} ms, " +
                      $"fastest {predictMilliseconds[0]:0.000} ms ({predictMilliseconds.Length} calls after a warm-up, upload and read-back included)");
}

if (options.SavePath is { } path)
{
    model.Save(path);
    Console.WriteLine($"Saved the weights to {path}");
}

return 0;
