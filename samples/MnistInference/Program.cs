// Inference with the MNIST model: load the weights the training sample saved (or seed a model), predict, and print
// the predicted classes, the accuracy and a digest of every output bit. The same program runs under the JIT
// (`dotnet run`) and as a NativeAOT binary (`dotnet publish -r linux-x64`); their outputs are meant to be compared.
using System.Globalization;
using DeepGen;
using DeepGen.Data;
using DeepGen.Samples.Mnist;
using DeepGen.Samples.MnistInference;
using DeepGen.Serialization;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
if (!InferenceOptions.Parser.TryParseOrExplain(args, out var options, out var exitCode)) return exitCode;

var model = new MnistMlp(seed: options.Seed);
if (options.WeightsPath is { } weights)
{
    try
    {
        model.Load(weights);
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
    {
        // InvalidModelFileException is an IOException: a file of another model, truncated or malformed.
        Console.Error.WriteLine(e is InvalidModelFileException ? e.Message : $"Could not read '{weights}': {e.Message}");
        return 1;
    }
}

float[] images;
byte[]? labels = null;
string source;
if (options.SyntheticCount is { } synthetic)
{
    images = SyntheticImages(synthetic, options.Seed);
    source = $"{synthetic} synthetic images (seed {options.Seed})";
}
else
{
    MnistData data;
    try
    {
        data = Mnist.Load(new MnistOptions { DataDirectory = options.DataDirectory, Log = Console.Error.WriteLine });
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
    {
        Console.Error.WriteLine($"Could not load MNIST: {e.Message}");
        return 1;
    }

    var count = Math.Min(options.Count ?? data.TestCount, data.TestCount);
    images = data.TestImages.AsSpan(0, count * MnistData.ImageSize).ToArray();
    labels = data.TestLabels.AsSpan(0, count).ToArray();
    source = $"the first {count} MNIST test images";
}

var samples = images.Length / MnistMlp.InputSize;
var predictions = new float[samples * MnistMlp.OutputSize];
model.Predict(images, predictions);

// A NativeAOT binary compiled everything ahead of time, so its JIT has compiled no method at all.
Console.WriteLine($"runtime: {(System.Runtime.JitInfo.GetCompiledMethodCount() > 0 ? "JIT" : "NativeAOT")}, {DeepGen.Cpu.CpuBackend.VectorBits}-bit vectors");
Console.WriteLine($"model: {model.Architecture.ModelName} {model.Architecture.Signature}, weights: {options.WeightsPath ?? $"seed {options.Seed}"}");
Console.WriteLine($"images: {source}");
var correct = 0;
for (var i = 0; i < samples; i++)
{
    var outputs = predictions.AsSpan(i * MnistMlp.OutputSize, MnistMlp.OutputSize);
    var predicted = ArgMax(outputs);
    if (labels is not null && predicted == labels[i]) correct++;
    if (!options.PrintOutputs) continue;
    // "R" prints the shortest text that parses back to the same float: equal lines mean equal bits.
    Console.WriteLine($"{i} {predicted} {string.Join(' ', outputs.ToArray().Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}");
}

Console.WriteLine($"predicted classes: {string.Concat(Enumerable.Range(0, Math.Min(samples, 40)).Select(i => ArgMax(predictions.AsSpan(i * 10, 10))))}{(samples > 40 ? "…" : "")}");
if (labels is not null) Console.WriteLine($"accuracy: {(double)correct / samples:0.0000} ({correct}/{samples})");
Console.WriteLine($"output digest: {Digest(predictions):x16}");
return 0;

static int ArgMax(ReadOnlySpan<float> values)
{
    var best = 0;
    for (var i = 1; i < values.Length; i++)
        if (values[i] > values[best]) best = i;
    return best;
}

// FNV-1a over the outputs' bits: one line that changes if any output changes in any bit.
static ulong Digest(ReadOnlySpan<float> values)
{
    var hash = 14695981039346656037UL;
    foreach (var value in values)
    {
        hash ^= (uint)BitConverter.SingleToInt32Bits(value);
        hash *= 1099511628211UL;
    }

    return hash;
}

// Pixel values 0–255 like MNIST's, from a seeded generator: a stand-in when the data set is not at hand.
static float[] SyntheticImages(int count, int seed)
{
    var random = new Random(seed);
    var images = new float[count * MnistMlp.InputSize];
    for (var i = 0; i < images.Length; i++) images[i] = random.Next(256);
    return images;
}
