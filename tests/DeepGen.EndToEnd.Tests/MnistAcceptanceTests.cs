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
}
