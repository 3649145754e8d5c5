// The Keras "hello world" on MNIST, in C#: 784 raw pixels → Dense(500, sigmoid) → Dense(500, sigmoid) →
// Dense(10, softmax) (the model is MnistMlp.cs; DeepGen generates its code at build time), MSE, SGD 0.1, batch 100,
// 20 epochs. The same recipe on a GPU is samples/MnistGpu; the batch-size sweep and the timings are bench/DeepGen.Probes.
using System.Globalization;
using System.Numerics.Tensors;
using DeepGen;
using DeepGen.Data;
using DeepGen.Samples;
using DeepGen.Samples.Mnist;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
if (!Options.Parser.TryParseOrExplain(args, out var options, out var exitCode)) return exitCode;
if (options.Threads is { } threads) DeepGen.Cpu.CpuBackend.MaxDegreeOfParallelism = threads;

// 1. The data: 60,000 training and 10,000 test images of 784 pixels (0–255), labels one-hot over 10 digits.
if (!MnistSample.TryLoad(options.DataDirectory, out var data)) return 1;

var yTrain = Labels.OneHot(data.TrainLabels, MnistData.ClassCount);
var yTest = Labels.OneHot(data.TestLabels, MnistData.ClassCount);
Console.WriteLine(MnistSample.CpuDataLine(data));

// 2. The model and 3. training: Glorot-uniform weights, zero biases, shuffled every epoch, one progress line each.
var model = new MnistMlp(seed: options.Seed);
model.Fit(data.TrainImages, yTrain, options.Epochs, options.BatchSize,
    Loss.MeanSquaredError, new Sgd(options.LearningRate), shuffle: true, seed: options.Seed,
    verbosity: Verbosity.Keras2ProgressBar);

// 4. Testing, printed as the Keras original prints it.
var (loss, accuracy) = model.Evaluate(data.TestImages, yTest, batchSize: 32);
Console.WriteLine($"Total loss = {loss}");
Console.WriteLine($"Accuracy of testing = {accuracy}");

// 5. One prediction, and the weights saved for samples/MnistInference or samples/EmbeddingService.
var predictions = model.Predict(data.TestImages);
var firstDigit = TensorPrimitives.IndexOfMax(predictions.AsSpan(0, MnistData.ClassCount));
Console.WriteLine($"First test image: predicted {firstDigit}, label {data.TestLabels[0]}");
if (options.SavePath is { } path)
{
    model.Save(path);
    Console.WriteLine($"Saved the weights to {path}");
}

return 0;
