using Xunit.Abstractions;
using DeepGen.Data;
using DeepGen.EndToEnd.Tests.Models;

namespace DeepGen.EndToEnd.Tests;

/// <summary>The seed recipe on the real MNIST, as the sample runs it: the curve Keras and PyTorch land on.</summary>
public class MnistAcceptanceTests(ITestOutputHelper output)
{
    [AcceptanceFact]
    [Trait("Category", "Acceptance")]
    public void Twenty_epochs_of_the_seed_recipe_reach_the_keras_accuracy()
    {
        var data = Mnist.Load(new MnistOptions { Log = output.WriteLine });
        var yTrain = Labels.OneHot(data.TrainLabels, MnistData.ClassCount);
        var yTest = Labels.OneHot(data.TestLabels, MnistData.ClassCount);
        var model = new SeedMlp(seed: 1);
        var log = new StringWriter();
        var history = model.Fit(data.TrainImages, yTrain, epochs: 20, batchSize: 100, Loss.MeanSquaredError, new Sgd(0.1f),
            seed: 1, verbosity: Verbosity.OneLinePerEpoch, output: log);
        output.WriteLine(log.ToString());
        var (loss, accuracy) = model.Evaluate(data.TestImages, yTest, batchSize: 32);
        output.WriteLine($"Total loss = {loss}; Accuracy of testing = {accuracy}");

        // Keras: epoch 1 loss 0.0831, epoch 20 loss 0.0095, test accuracy 0.9329; PyTorch on this machine 0.9324.
        Assert.InRange(history.Loss[0], 0.05f, 0.09f);
        Assert.InRange(history.Loss[^1], 0.006f, 0.013f);
        Assert.InRange(accuracy, 0.925f, 0.945f);
    }

    [AcceptanceFact]
    [Trait("Category", "Acceptance")]
    public void The_modern_recipe_reaches_98_percent()
    {
        // samples/MnistModern: pixels in 0–1, ReLU + dropout, softmax + cross-entropy, Adam, early stopping on val_loss.
        var data = Mnist.Load(new MnistOptions { Log = output.WriteLine });
        var xTrain = Rescaling.Rescale(data.TrainImages, 1f / 255f);
        var xTest = Rescaling.Rescale(data.TestImages, 1f / 255f);
        var yTrain = Labels.OneHot(data.TrainLabels, MnistData.ClassCount);
        var yTest = Labels.OneHot(data.TestLabels, MnistData.ClassCount);
        var model = new ModernMlp(seed: 1);
        var log = new StringWriter();
        var history = model.Fit(xTrain, yTrain, epochs: 30, batchSize: 128, Loss.CategoricalCrossEntropy, new Adam(0.001f),
            seed: 1, verbosity: Verbosity.OneLinePerEpoch, output: log, validationSplit: 0.1f,
            callbacks: [new EarlyStopping(monitor: "val_loss", patience: 5, restoreBestWeights: true)]);
        output.WriteLine(log.ToString());
        var (loss, accuracy) = model.Evaluate(xTest, yTest, batchSize: 1000);
        output.WriteLine($"Test loss = {loss}; Accuracy of testing = {accuracy}");

        Assert.True(history.Epochs.Count < 30, "Early stopping should end the run before the epoch limit.");
        Assert.InRange(accuracy, 0.98f, 1f);
    }

    [AcceptanceFact]
    [Trait("Category", "Acceptance")]
    public void The_keras_convnet_recipe_reaches_99_percent()
    {
        // samples/MnistConvnet, Keras's "Simple MNIST convnet": two 3×3 ReLU convolutions with 2×2 max pooling, dropout
        // 0.5, softmax; pixels in 0–1, categorical cross-entropy, Adam, batch 128, 15 epochs, validation split 0.1.
        // Keras reports 99.1–99.2% test accuracy.
        var data = Mnist.Load(new MnistOptions { Log = output.WriteLine });
        var xTrain = Rescaling.Rescale(data.TrainImages, 1f / 255f);
        var xTest = Rescaling.Rescale(data.TestImages, 1f / 255f);
        var yTrain = Labels.OneHot(data.TrainLabels, MnistData.ClassCount);
        var yTest = Labels.OneHot(data.TestLabels, MnistData.ClassCount);
        var model = new KerasMnistConvnet(seed: 1);
        var log = new StringWriter();
        var history = model.Fit(xTrain, yTrain, epochs: 15, batchSize: 128, Loss.CategoricalCrossEntropy, new Adam(0.001f),
            seed: 1, verbosity: Verbosity.OneLinePerEpoch, output: log, validationSplit: 0.1f);
        output.WriteLine(log.ToString());
        var (loss, accuracy) = model.Evaluate(xTest, yTest, batchSize: 1000);
        output.WriteLine($"Test loss = {loss}; Accuracy of testing = {accuracy}");

        Assert.Equal(15, history.Epochs.Count);
        Assert.InRange(accuracy, 0.990f, 1f);
    }
}
