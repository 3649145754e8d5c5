// Keras's "Simple MNIST convnet" (keras.io/examples/vision/mnist_convnet), reproduced with a convnet DeepGen generated
// at build time: pixels scaled to 0–1, two 3×3 ReLU convolutions each followed by 2×2 max pooling, 50% dropout, a
// softmax over the ten digits; categorical cross-entropy, Adam (learning rate 0.001), batch 128, 15 epochs, the last
// 10% of the training images held out for validation. Reaches 99.1% test accuracy (seed 1), as Keras's run does.
using System.Globalization;
using DeepGen;
using DeepGen.Cpu;
using DeepGen.Data;
using DeepGen.Samples;
using DeepGen.Samples.Convnet;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
if (!Options.Parser.TryParseOrExplain(args, out var options, out var exitCode)) return exitCode;

if (options.Threads is { } threads) CpuBackend.MaxDegreeOfParallelism = threads;

if (!MnistSample.TryLoad(options.DataDirectory, out var data)) return 1;

// Scale the 0–255 pixels to 0–1 and one-hot the labels. An image stays a flat row of 784 floats, which the model
// reads as 28×28×1, channels last.
var xTrain = Rescaling.Rescale(data.TrainImages, 1f / 255f);
var xTest = Rescaling.Rescale(data.TestImages, 1f / 255f);
var yTrain = Labels.OneHot(data.TrainLabels, MnistData.ClassCount);
var yTest = Labels.OneHot(data.TestLabels, MnistData.ClassCount);

var model = new MnistConvnet(seed: options.Seed);
model.Summary();
Console.WriteLine(MnistSample.CpuDataLine(data));

// Keras's model.fit(x_train, y_train, batch_size=128, epochs=15, validation_split=0.1): the last 10% validate.
var history = model.Fit(xTrain, yTrain, options.Epochs, options.BatchSize, Loss.CategoricalCrossEntropy,
    new Adam(), seed: options.Seed, validationSplit: 0.1f);

// Evaluated at the training batch size, so the buffers Fit sized serve here too.
var (loss, accuracy) = model.Evaluate(xTest, yTest, batchSize: options.BatchSize);
Console.WriteLine($"Total loss = {loss}");
Console.WriteLine($"Accuracy of testing = {accuracy}");

// The median and the fastest epoch (validation included, as Keras times it): on a shared virtual machine single
// epochs can be slowed by neighbours. bench/convnet_vs_pytorch.py reads this line.
var seconds = history.Epochs.Select(e => e.Duration.TotalSeconds).Order().ToArray();
Console.WriteLine($"Epoch time: median {seconds[seconds.Length / 2]:0.000} s, fastest {seconds[0]:0.000} s");
return 0;
