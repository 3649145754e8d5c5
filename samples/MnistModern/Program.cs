// The modern MNIST recipe, as the Keras examples train it today: pixels scaled to 0–1, ReLU hidden layers with
// dropout, softmax with categorical cross-entropy, Adam, and early stopping on the validation loss (restoring the
// best weights). Reaches about 98% test accuracy and writes the training history as a plot.
using System.Globalization;
using DeepGen;
using DeepGen.Data;
using DeepGen.Plots;
using DeepGen.Samples;
using DeepGen.Samples.MnistModern;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
if (!Options.Parser.TryParseOrExplain(args, out var options, out var exitCode)) return exitCode;

if (!MnistSample.TryLoad(options.DataDirectory, out var data)) return 1;

// Scale the 0–255 pixels to 0–1 and one-hot the labels.
var xTrain = Rescaling.Rescale(data.TrainImages, 1f / 255f);
var xTest = Rescaling.Rescale(data.TestImages, 1f / 255f);
var yTrain = Labels.OneHot(data.TrainLabels, MnistData.ClassCount);
var yTest = Labels.OneHot(data.TestLabels, MnistData.ClassCount);

var model = new ModernMlp(seed: options.Seed);
model.Summary();

// The last 10% of the training images are held out for validation; training stops once the validation loss has not
// improved for `patience` epochs and goes back to the best epoch's weights.
var earlyStopping = new EarlyStopping(monitor: "val_loss", patience: options.Patience, restoreBestWeights: true);
var history = model.Fit(xTrain, yTrain, options.Epochs, options.BatchSize, Loss.CategoricalCrossEntropy,
    new Adam(options.LearningRate), seed: options.Seed, validationSplit: 0.1f, callbacks: [earlyStopping]);

var (loss, accuracy) = model.Evaluate(xTest, yTest, batchSize: 1000);
Console.WriteLine($"Trained {history.Epochs.Count} epochs; best validation loss at epoch {BestEpoch(history)}.");
Console.WriteLine($"Test loss = {loss:0.0000}");
Console.WriteLine($"Accuracy of testing = {accuracy:0.0000}");

history.SavePlot(options.PlotPath, title: "MNIST, modern recipe");
Console.WriteLine($"Wrote the training history to {Path.GetFullPath(options.PlotPath)}");
if (options.SavePath is { } path)
{
    model.Save(path);
    Console.WriteLine($"Saved the weights to {path}");
}

return 0;

static int BestEpoch(History history)
{
    var best = 0;
    for (var i = 1; i < history.Epochs.Count; i++)
        if (history.Epochs[i].ValidationLoss < history.Epochs[best].ValidationLoss) best = i;
    return history.Epochs[best].Epoch;
}
