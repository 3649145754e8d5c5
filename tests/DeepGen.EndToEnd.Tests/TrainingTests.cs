using DeepGen.EndToEnd.Tests.Models;

namespace DeepGen.EndToEnd.Tests;

public class TrainingTests
{
    [Fact]
    public void Loss_falls_and_a_separable_problem_is_learned()
    {
        var (x, y) = TestData.Blobs(samples: 800, features: 20, classes: 4, seed: 1);
        var model = new SmallClassifier(seed: 1);
        var history = model.Fit(x, y, epochs: 10, batchSize: 32, Loss.CategoricalCrossEntropy, new Sgd(0.05f), verbosity: Verbosity.Silent);

        Assert.Equal(10, history.Epochs.Count);
        Assert.True(history.Loss[^1] < history.Loss[0] / 4, $"Loss went from {history.Loss[0]} to {history.Loss[^1]}.");
        var (loss, accuracy) = model.Evaluate(x, y);
        Assert.True(accuracy > 0.95f, $"Accuracy {accuracy}.");
        Assert.Equal(history.Loss[^1], loss, 0.05);
    }

    [Fact]
    public void Evaluate_and_predict_agree()
    {
        var (x, y) = TestData.Blobs(samples: 90, features: 20, classes: 4, seed: 2);
        var model = new SmallClassifier(seed: 2);
        var predictions = model.Predict(x, batchSize: 7);
        var expectedLoss = 0.0;
        var correct = 0;
        for (var s = 0; s < 90; s++)
        {
            var p = predictions.AsSpan(s * 4, 4);
            var t = y.AsSpan(s * 4, 4);
            for (var c = 0; c < 4; c++) expectedLoss -= t[c] * Math.Log(Math.Clamp(p[c], 1e-7, 1 - 1e-7));
            if (IndexOfMax(p) == IndexOfMax(t)) correct++;
        }

        var (loss, accuracy) = model.Evaluate(x, y, batchSize: 16, Loss.CategoricalCrossEntropy);
        Assert.Equal(expectedLoss / 90, loss, 1e-5);
        Assert.Equal(correct / 90f, accuracy, 1e-6);
    }

    [Fact]
    public void Fit_prints_a_keras_3_line_per_epoch_by_default_and_the_keras_2_line_when_asked()
    {
        var (x, y) = TestData.Blobs(samples: 64, features: 20, classes: 4, seed: 3);
        var output = new StringWriter();
        new SmallClassifier(seed: 3).Fit(x, y, epochs: 2, batchSize: 16, Loss.CategoricalCrossEntropy, new Sgd(0.1f), output: output);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("Epoch 1/2", lines[0].TrimEnd());
        Assert.Matches(@"^4/4 ━{20} \d+s \d+(s|ms|us)/step - accuracy: \d\.\d{4} - loss: \d\.\d{4}$", lines[1].TrimEnd());
        Assert.Equal("Epoch 2/2", lines[2].TrimEnd());

        var keras2 = new StringWriter();
        new SmallClassifier(seed: 3).Fit(x, y, epochs: 1, batchSize: 16, Loss.CategoricalCrossEntropy, new Sgd(0.1f), output: keras2, verbosity: Verbosity.Keras2ProgressBar);
        lines = keras2.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^64/64 \[={30}\] - \d+s \d+us/step - loss: \d\.\d{4} - accuracy: \d\.\d{4}$", lines[1].TrimEnd());

        var epochLines = new StringWriter();
        new SmallClassifier(seed: 3).Fit(x, y, epochs: 1, batchSize: 16, Loss.CategoricalCrossEntropy, new Sgd(0.1f), output: epochLines, verbosity: Verbosity.OneLinePerEpoch);
        lines = epochLines.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^4/4 - \d+s - \d+(s|ms|us)/step - accuracy: \d\.\d{4} - loss: \d\.\d{4}$", lines[1].TrimEnd());
    }

    [Fact]
    public void Progress_reports_every_epoch_and_cancellation_stops_between_steps()
    {
        var (x, y) = TestData.Blobs(samples: 64, features: 20, classes: 4, seed: 4);
        var model = new SmallClassifier(seed: 4);
        using var cancellation = new CancellationTokenSource();
        var seen = new List<int>();
        var progress = new SynchronousProgress(e => { seen.Add(e.Epoch); if (e.Epoch == 2) cancellation.Cancel(); });
        Assert.Throws<OperationCanceledException>(() => model.Fit(x, y, epochs: 5, batchSize: 16, Loss.CategoricalCrossEntropy,
            new Sgd(0.1f), verbosity: Verbosity.Silent, progress: progress, cancellationToken: cancellation.Token));
        Assert.Equal([1, 2], seen);
    }

    [Fact]
    public void Bad_arguments_are_refused_with_clear_messages()
    {
        var model = new SmallClassifier(seed: 1);
        var x = new float[10 * 20];
        var y = new float[10 * 4];
        var sgd = new Sgd(0.1f);

        var e = Assert.Throws<ArgumentException>(() => model.Fit(x, new float[9 * 4], 1, 5, Loss.MeanSquaredError, sgd, verbosity: Verbosity.Silent));
        Assert.Contains("'x' holds 10 samples", e.Message);
        e = Assert.Throws<ArgumentException>(() => model.Fit(new float[19], y, 1, 5, Loss.MeanSquaredError, sgd, verbosity: Verbosity.Silent));
        Assert.Contains("not a positive whole number of samples of 20 inputs", e.Message);
        x[6 * 20 + 13] = float.NaN;
        e = Assert.Throws<ArgumentException>(() => model.Fit(x, y, 1, 5, Loss.MeanSquaredError, sgd, verbosity: Verbosity.Silent));
        Assert.Contains("'x' holds NaN at sample 6, feature 13", e.Message);
        x[6 * 20 + 13] = 0f;
        y[8 * 4 + 2] = float.PositiveInfinity;
        e = Assert.Throws<ArgumentException>(() => model.Fit(x, y, 1, 5, Loss.MeanSquaredError, sgd, verbosity: Verbosity.Silent));
        Assert.Contains("'y' holds Infinity at sample 8, target 2", e.Message);
        y[8 * 4 + 2] = 0f;
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Fit(new float[200], y, 0, 5, Loss.MeanSquaredError, sgd));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Fit(new float[200], y, 1, 0, Loss.MeanSquaredError, sgd));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(-1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(float.NaN));
        e = Assert.Throws<ArgumentException>(() => model.Predict(new float[20], new float[3]));
        Assert.Contains("'predictions' holds 3 floats", e.Message);
        e = Assert.Throws<ArgumentException>(() => model.TrainStep(new float[40], new float[4], 2, Loss.MeanSquaredError, sgd));
        Assert.Contains("'targets' holds 4 floats; 2 samples × 4 = 8 expected", e.Message);
        var evaluateFirst = Assert.Throws<InvalidOperationException>(() => new SmallClassifier().Evaluate(new float[20], new float[4]));
        Assert.Contains("Evaluate needs a loss", evaluateFirst.Message);
    }

    [Fact]
    public void A_diverging_run_stops_with_a_clear_exception()
    {
        // Linear regression with a learning rate far too large: every step overshoots more, until the loss overflows.
        var x = TestData.Uniform(64 * 3, -100f, 100f, seed: 5);
        var y = TestData.Uniform(64 * 2, -1f, 1f, seed: 6);
        var e = Assert.Throws<TrainingDivergedException>(() => new Outer.NestedRegression(seed: 5).Fit(x, y, epochs: 50, batchSize: 16,
            Loss.MeanSquaredError, new Sgd(10f), verbosity: Verbosity.Silent));
        Assert.Contains("mean_squared_error loss became", e.Message);
        Assert.Contains("Lower the learning rate", e.Message);
    }

    [Fact]
    public void Named_layers_expose_their_weights_and_nested_models_work()
    {
        var model = new OddShapes(seed: 1);
        Assert.Equal(37 * 45, model.Wide.Weights.Length);
        Assert.Equal(29, model.Narrow.Bias.Length);
        Assert.Equal("Score", model.Score.Name);
        Assert.Equal(OddShapes.ParameterCount, model.Parameters.Length);
        Assert.Equal("37-45(tanh)-29(relu)-1(sigmoid)", model.Architecture.Signature);
        model.Wide.Weights[0] = 42f;
        Assert.Equal(42f, model.Parameters[OddShapes.WideWeightsOffset]);

        var nested = new Outer.NestedRegression(seed: 1);
        Assert.Equal(2, nested.Predict(new float[] { 1, 2, 3 }).Length);
    }

    [Fact]
    public void Initial_weights_are_glorot_uniform_and_biases_zero()
    {
        var model = new SeedMlp(seed: 9);
        var limit = MathF.Sqrt(6f / (784 + 500));
        var weights = model.Dense0.Weights;
        Assert.All(weights.ToArray(), w => Assert.InRange(w, -limit, limit));
        var mean = weights.ToArray().Average();
        var variance = weights.ToArray().Select(w => (w - mean) * (w - mean)).Average();
        Assert.InRange(mean, -0.001, 0.001);
        Assert.InRange(variance, 0.95 * limit * limit / 3, 1.05 * limit * limit / 3); // U(-a, a) has variance a²/3
        Assert.All(model.Dense0.Bias.ToArray(), b => Assert.Equal(0f, b));
        Assert.NotEqual(new SeedMlp(seed: 9).Dense1.Weights[5], new SeedMlp(seed: 10).Dense1.Weights[5]);
    }

    private static int IndexOfMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    private sealed class SynchronousProgress(Action<EpochResult> report) : IProgress<EpochResult>
    {
        public void Report(EpochResult value) => report(value);
    }
}
