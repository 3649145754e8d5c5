using DeepGen.Data;
using DeepGen.EndToEnd.Tests.Models;

namespace DeepGen.EndToEnd.Tests;

/// <summary>What Fit and Evaluate measure when given no metrics: accuracy for classifiers, the loss alone for a regression.</summary>
public class DefaultMetricsTests
{
    [Fact]
    public void A_regression_prints_and_reports_its_loss_alone()
    {
        var x = TestData.Uniform(64 * 3, -1f, 1f, seed: 5);
        var y = TestData.Uniform(64 * 2, 50f, 150f, seed: 6);
        var output = new StringWriter();
        var model = new Outer.NestedRegression(seed: 5);
        var history = model.Fit(x, y, epochs: 2, batchSize: 16, Loss.MeanSquaredError, new Sgd(0.001f), output: output, validationSplit: 0.25f);

        Assert.Equal(["loss", "val_loss"], history.Keys);
        Assert.DoesNotContain("accuracy", output.ToString());
        Assert.Matches(@"^3/3 ━{20} \d+s \d+(s|ms|us)/step - loss: [\d.e+-]+ - val_loss: [\d.e+-]+$", output.ToString().Split('\n')[1].TrimEnd());
        var result = model.Evaluate(x, y);
        Assert.Equal(["loss"], result.Names);
        Assert.Contains("measured no accuracy, only loss.", Assert.Throws<InvalidOperationException>(() => result.Accuracy).Message);
        Assert.Throws<InvalidOperationException>(() => model.Evaluate(x, y, loss: Loss.Huber).Accuracy);
        Assert.Throws<InvalidOperationException>(() => model.Evaluate(x, y, loss: Loss.MeanAbsoluteError).Accuracy);
    }

    [Fact]
    public void Regression_metrics_asked_for_agree_with_the_loss_and_a_naive_r2_of_the_predictions()
    {
        var x = TestData.Uniform(50 * 3, -1f, 1f, seed: 7);
        var y = TestData.Uniform(50 * 2, -2f, 2f, seed: 8);
        var model = new Outer.NestedRegression(seed: 7);
        var result = model.Evaluate(x, y, batchSize: 16, loss: Loss.MeanSquaredError, metrics: [new RootMeanSquaredError(), new R2Score()]);
        Assert.Equal(Math.Sqrt(result.Loss), result["root_mean_squared_error"], 1e-5);

        var predictions = model.Predict(x);
        double score = 0;
        for (var o = 0; o < 2; o++)
        {
            double mean = 0, residual = 0, total = 0;
            for (var s = 0; s < 50; s++) mean += y[s * 2 + o] / 50.0;
            for (var s = 0; s < 50; s++)
            {
                residual += Math.Pow(y[s * 2 + o] - predictions[s * 2 + o], 2);
                total += Math.Pow(y[s * 2 + o] - mean, 2);
            }

            score += (1 - residual / total) / 2;
        }

        Assert.Equal(score, result["r2_score"], 1e-5);
        Assert.Equal(["loss", "root_mean_squared_error", "r2_score"], result.Names);
    }

    [Fact]
    public void Classifiers_measure_accuracy_by_default_whatever_their_loss()
    {
        var (x, y) = TestData.Blobs(samples: 64, features: 20, classes: 4, seed: 9);
        foreach (var loss in new[] { Loss.CategoricalCrossEntropy, Loss.MeanSquaredError })
        {
            var model = new SmallClassifier(seed: 9); // a softmax over 4 units
            var history = model.Fit(x, y, epochs: 1, batchSize: 16, loss, new Sgd(0.05f), verbosity: Verbosity.Silent);
            Assert.Equal(["loss", "accuracy"], history.Keys);
            var (_, accuracy) = model.Evaluate(x, y);
            Assert.Equal(history.Epochs[0].Accuracy, history["accuracy"][0]);
            Assert.InRange(accuracy, 0f, 1f);
        }

        var labels = Labels.ToSparse(y, 4);
        var sparse = new SmallClassifier(seed: 9);
        Assert.Equal(["loss", "accuracy"], sparse.Fit(x, labels, 1, 16, Loss.SparseCategoricalCrossEntropy, new Sgd(0.05f), verbosity: Verbosity.Silent).Keys);

        var binary = new OddShapes(seed: 9); // one sigmoid unit
        var targets = TestData.Uniform(64, 0f, 1f, seed: 10).Select(v => v > 0.5f ? 1f : 0f).ToArray();
        var bx = TestData.Uniform(64 * 37, -1f, 1f, seed: 11);
        Assert.Equal(["loss", "accuracy"], binary.Fit(bx, targets, 1, 16, Loss.BinaryCrossEntropy, new Sgd(0.05f), verbosity: Verbosity.Silent).Keys);
        Assert.Equal(["loss"], new OddShapes(seed: 9).Fit(bx, targets, 1, 16, Loss.MeanSquaredError, new Sgd(0.05f), verbosity: Verbosity.Silent).Keys);
    }

    [Fact]
    public void A_confusion_matrix_of_a_models_predictions_counts_what_evaluate_calls_accuracy()
    {
        var (x, y) = TestData.Blobs(samples: 90, features: 20, classes: 4, seed: 12);
        var model = new SmallClassifier(seed: 12);
        model.Fit(x, y, epochs: 2, batchSize: 16, Loss.CategoricalCrossEntropy, new Sgd(0.05f), verbosity: Verbosity.Silent);
        var matrix = ConfusionMatrix.Compute(model.Predict(x), y, samples: 90);
        Assert.Equal(90, matrix.Total);
        Assert.Equal(model.Evaluate(x, y).Accuracy, matrix.Accuracy, 1e-6);
        for (var actual = 0; actual < 4; actual++)
        {
            long row = 0;
            for (var predicted = 0; predicted < 4; predicted++) row += matrix[actual, predicted];
            var expected = 0;
            for (var s = 0; s < 90; s++) expected += y[s * 4 + actual] == 1f ? 1 : 0;
            Assert.Equal(expected, row);
        }
    }
}
