using DeepGen.Data;
using static DeepGen.Activation;

namespace DeepGen.EndToEnd.Tests;

/// <summary>A small binary classifier over the 30 breast-cancer features: one sigmoid unit, P(malignant).</summary>
[Model(Input = 30)]
[Dense(16, Relu)]
[Dense(1, Sigmoid)]
public partial class TabularCancerNet;

public sealed class TabularTests
{
    /// <summary>samples/Tabular/data, found by walking up from the test assembly to the folder holding DeepGen.sln.</summary>
    private static string SampleData()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "DeepGen.sln")))
                return Path.Combine(folder.FullName, "samples", "Tabular", "data");
        throw new DirectoryNotFoundException($"No DeepGen.sln above {AppContext.BaseDirectory}.");
    }

    [Fact]
    public void The_shipped_breast_cancer_csv_trains_past_the_majority_class_baseline()
    {
        var data = CsvDataset.Load(Path.Combine(SampleData(), "breast_cancer.csv"), "diagnosis");
        Assert.Equal(["benign", "malignant"], data.ClassNames);

        var split = DataSplit.Stratified(data.Features, data.Labels, data.FeatureCount, 1, validationFraction: 0.15f, testFraction: 0.2f, seed: 1);
        var malignant = split.TestY.Count(l => l == 1f);
        var majorityBaseline = Math.Max(malignant, split.TestY.Length - malignant) / (double)split.TestY.Length;

        var model = new TabularCancerNet(seed: 1);
        var untrained = model.Evaluate(split.TestX, split.TestY, loss: Loss.BinaryCrossEntropy);
        var history = model.Fit(split.TrainX, split.TrainY, epochs: 30, batchSize: 32, Loss.BinaryCrossEntropy, new Adam(0.001f), seed: 1,
            verbosity: Verbosity.Silent, validationData: (split.ValidationX, split.ValidationY));
        var test = model.Evaluate(split.TestX, split.TestY);

        Assert.True(history.ValidationLoss[^1] < history.ValidationLoss[0], $"validation loss {history.ValidationLoss[0]} → {history.ValidationLoss[^1]}");
        Assert.True(test.Loss < untrained.Loss, $"test loss {untrained.Loss} untrained, {test.Loss} trained");
        Assert.True(test.Accuracy > majorityBaseline + 0.05, $"test accuracy {test.Accuracy}, majority-class baseline {majorityBaseline}");
    }
}
