// The Keras "hello world" on MNIST, reproduced with a model DeepGen generated at build time:
// 784 raw pixels → Dense(500, sigmoid) → Dense(500, sigmoid) → Dense(10, softmax), MSE, SGD 0.1, batch 100, 20 epochs.
using System.Diagnostics;
using System.Globalization;
using DeepGen;
using DeepGen.Data;
using DeepGen.Samples.Mnist;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
if (!SampleOptions.TryParse(args, out var options, out var error))
{
    Console.Error.WriteLine(error);
    Console.Error.WriteLine(SampleOptions.Usage);
    return error is null ? 0 : 2;
}

if (options.Threads is { } threads) DeepGen.Cpu.CpuBackend.MaxDegreeOfParallelism = threads;

MnistData data;
try
{
    data = Mnist.Load(new MnistOptions { DataDirectory = options.DataDirectory, Log = Console.WriteLine });
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"Could not load MNIST: {e.Message}");
    return 1;
}

var yTrain = Labels.OneHot(data.TrainLabels, MnistData.ClassCount);
var yTest = Labels.OneHot(data.TestLabels, MnistData.ClassCount);
Console.WriteLine($"{data.TrainCount} training and {data.TestCount} test images; {DeepGen.Cpu.CpuBackend.VectorBits}-bit vectors, " +
                  $"{DeepGen.Cpu.CpuBackend.MaxDegreeOfParallelism} threads");

if (options.SweepSeconds is { } sweepSeconds)
{
    BatchSizeSweep.Run(data, yTrain, yTest, options, TimeSpan.FromSeconds(sweepSeconds));
    return 0;
}

var model = new MnistMlp(seed: options.Seed);
var optimizer = new Sgd(options.LearningRate);
if (options.Device != DeepGen.Gpu.DeviceKind.Cpu) return RunOnDevice(model, optimizer, data, yTrain, yTest, options);
var history = model.Fit(data.TrainImages, yTrain, options.Epochs, options.BatchSize,
    Loss.MeanSquaredError, optimizer, shuffle: true, seed: options.Seed, verbosity: Verbosity.Keras2ProgressBar);

var (loss, accuracy) = model.Evaluate(data.TestImages, yTest, batchSize: 32);
var predictions = model.Predict(data.TestImages);
Console.WriteLine($"Total loss = {loss}");
Console.WriteLine($"Accuracy of testing = {accuracy}");
Console.WriteLine($"First test image: predicted {ArgMax(predictions.AsSpan(0, 10))}, label {data.TestLabels[0]}");

// The median and the fastest epoch: on a shared virtual machine single epochs can be slowed by neighbours.
var seconds = history.Epochs.Select(e => e.Duration.TotalSeconds).Order().ToArray();
Console.WriteLine($"Epoch time: median {seconds[seconds.Length / 2]:0.000} s, fastest {seconds[0]:0.000} s; " +
                  $"bytes allocated per training step: {BytesPerStep(model, data, yTrain, optimizer, options.BatchSize)}");
if (options.SavePath is { } path)
{
    model.Save(path);
    Console.WriteLine($"Saved the weights to {path}");
}

return 0;

// The same model and recipe on an ILGPU device: train there, then evaluate there and save from the CPU model,
// which Fit filled with the trained weights.
static int RunOnDevice(MnistMlp model, Sgd optimizer, MnistData data, float[] yTrain, float[] yTest, SampleOptions options)
{
    DeepGen.Gpu.ComputeDevice device;
    try
    {
        device = DeepGen.Gpu.ComputeDevice.Open(options.Device);
    }
    catch (DeepGen.Gpu.DeviceNotFoundException e)
    {
        Console.Error.WriteLine(e.Message);
        return 1;
    }

    using (device)
    using (var gpu = model.ToDevice(device))
    {
        Console.WriteLine($"Device: {device}");
        var history = gpu.Fit(data.TrainImages, yTrain, options.Epochs, options.BatchSize,
            Loss.MeanSquaredError, optimizer, shuffle: true, seed: options.Seed);
        var (loss, accuracy) = gpu.Evaluate(data.TestImages, yTest, batchSize: 10_000);
        var started = Stopwatch.GetTimestamp();
        var predictions = gpu.Predict(data.TestImages, batchSize: 10_000);
        var predictTime = Stopwatch.GetElapsedTime(started);
        var cpuAccuracy = model.Evaluate(data.TestImages, yTest, batchSize: 1000).Accuracy;
        Console.WriteLine($"Total loss = {loss}");
        Console.WriteLine($"Accuracy of testing = {accuracy} (the same weights on the CPU: {cpuAccuracy})");
        Console.WriteLine($"First test image: predicted {ArgMax(predictions.AsSpan(0, 10))}, label {data.TestLabels[0]}");
        var seconds = history.Epochs.Select(e => e.Duration.TotalSeconds).Order().ToArray();
        Console.WriteLine($"Epoch time: median {seconds[seconds.Length / 2]:0.0000} s, fastest {seconds[0]:0.0000} s; " +
                          $"predict of {data.TestCount} images: {predictTime.TotalMilliseconds:0.00} ms");
    }

    if (options.SavePath is { } path)
    {
        model.Save(path);
        Console.WriteLine($"Saved the weights to {path}");
    }

    return 0;
}

static int ArgMax(ReadOnlySpan<float> values)
{
    var best = 0;
    for (var i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
    return best;
}

// Measured the way the tests assert it: steps after warm-up, on this thread.
static long BytesPerStep(MnistMlp model, MnistData data, float[] yTrain, Optimizer optimizer, int batchSize)
{
    var batch = Math.Min(batchSize, data.TrainCount);
    var x = data.TrainImages.AsSpan(0, batch * MnistMlp.InputSize);
    var y = yTrain.AsSpan(0, batch * MnistMlp.OutputSize);
    model.TrainStep(x, y, batch, Loss.MeanSquaredError, optimizer);
    var before = GC.GetAllocatedBytesForCurrentThread();
    const int steps = 10;
    for (var i = 0; i < steps; i++) model.TrainStep(x, y, batch, Loss.MeanSquaredError, optimizer);
    return (GC.GetAllocatedBytesForCurrentThread() - before) / steps;
}
