using DeepGen.EndToEnd.Tests.Models;

namespace DeepGen.EndToEnd.Tests;

/// <summary>Validation, shuffling, metrics and progress output of Fit, and the arguments it refuses.</summary>
public class FitOptionsTests
{
    [Fact]
    public void Validation_split_holds_out_the_last_samples_and_matches_evaluate()
    {
        var (x, y) = TestData.Blobs(samples: 100, features: 20, classes: 4, seed: 41);
        var model = new SmallClassifier(seed: 1);
        var history = model.Fit(x, y, 2, 16, Loss.CategoricalCrossEntropy, new Sgd(0.05f), verbosity: Verbosity.Silent, validationSplit: 0.2f);

        Assert.Equal(["loss", "accuracy", "val_loss", "val_accuracy"], history.Keys);
        Assert.All(history.Epochs, e => Assert.Equal(80, e.Samples));
        // The last 20 samples, evaluated after the last epoch, are what the last epoch's validation saw.
        var held = model.Evaluate(x.AsSpan(80 * 20), y.AsSpan(80 * 4), batchSize: 16);
        Assert.Equal(held.Loss, history.ValidationLoss[^1], 1e-6);
        Assert.Equal(held.Accuracy, history.ValidationAccuracy[^1], 1e-6);
        Assert.Equal(history.ValidationLoss[^1], history.Epochs[^1].ValidationLoss);
        Assert.Equal(history["val_loss"], history.ValidationLoss);

        // Training on the first 80 alone, with the same seed, gives the same weights: the split takes the tail before shuffling.
        var alone = new SmallClassifier(seed: 1);
        alone.Fit(x.AsSpan(0, 80 * 20), y.AsSpan(0, 80 * 4), 2, 16, Loss.CategoricalCrossEntropy, new Sgd(0.05f), verbosity: Verbosity.Silent);
        Assert.Equal(alone.Parameters.ToArray(), model.Parameters.ToArray());
    }

    [Fact]
    public void Validation_data_is_evaluated_after_every_epoch_with_the_run_metrics()
    {
        var (x, y) = TestData.Blobs(samples: 96, features: 20, classes: 4, seed: 42);
        var (vx, vy) = TestData.Blobs(samples: 30, features: 20, classes: 4, seed: 43);
        var model = new SmallClassifier(seed: 2);
        var topK = new TopKCategoricalAccuracy(k: 2);
        var history = model.Fit(x, y, 2, 32, Loss.CategoricalCrossEntropy, new Sgd(0.05f), verbosity: Verbosity.Silent,
            validationData: (vx, vy), metrics: [topK, new CategoricalAccuracy()]);

        Assert.Equal(["loss", "top_k_categorical_accuracy", "categorical_accuracy", "val_loss", "val_top_k_categorical_accuracy", "val_categorical_accuracy"], history.Keys);
        Assert.All(history.Accuracy, a => Assert.True(float.IsNaN(a))); // no "accuracy" metric was asked for
        var evaluation = model.Evaluate(vx, vy, batchSize: 32, metrics: [new TopKCategoricalAccuracy(k: 2)]);
        Assert.Equal(evaluation.Loss, history.ValidationLoss[^1], 1e-6);
        Assert.Equal(evaluation.Metrics["top_k_categorical_accuracy"], history["val_top_k_categorical_accuracy"][^1], 1e-6);
        Assert.Equal((float)topK.Result(), history["top_k_categorical_accuracy"][^1]); // the passed instance measured training
    }

    [Fact]
    public void Without_shuffling_batches_follow_the_data_order()
    {
        var (x, y) = TestData.Blobs(samples: 48, features: 20, classes: 4, seed: 44);
        var fitted = new SmallClassifier(seed: 3);
        fitted.Fit(x, y, 1, 16, Loss.CategoricalCrossEntropy, new Sgd(0.05f), shuffle: false, verbosity: Verbosity.Silent);
        var stepped = new SmallClassifier(seed: 3);
        var sgd = new Sgd(0.05f);
        for (var b = 0; b < 3; b++)
            stepped.TrainStep(x.AsSpan(b * 16 * 20, 16 * 20), y.AsSpan(b * 16 * 4, 16 * 4), 16, Loss.CategoricalCrossEntropy, sgd);
        Assert.Equal(stepped.Parameters.ToArray(), fitted.Parameters.ToArray());

        var shuffled = new SmallClassifier(seed: 3);
        shuffled.Fit(x, y, 1, 16, Loss.CategoricalCrossEntropy, new Sgd(0.05f), shuffle: true, verbosity: Verbosity.Silent);
        Assert.NotEqual(stepped.Parameters.ToArray(), shuffled.Parameters.ToArray());
    }

    [Fact]
    public void Redirected_output_gets_one_line_per_epoch_with_the_validation_figures()
    {
        var (x, y) = TestData.Blobs(samples: 80, features: 20, classes: 4, seed: 45);
        var output = new StringWriter();
        new SmallClassifier(seed: 3).Fit(x, y, 2, 16, Loss.CategoricalCrossEntropy, new Sgd(0.1f), output: output, validationSplit: 0.2f);
        var text = output.ToString();
        Assert.DoesNotContain('\r', text);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.Matches(@"^4/4 ━{20} \d+s \d+(s|ms|us)/step - accuracy: \d\.\d{4} - loss: \d\.\d{4} - val_accuracy: \d\.\d{4} - val_loss: \d\.\d{4}$", lines[1]);
    }

    [Fact]
    public void On_a_terminal_the_bar_redraws_in_place_within_the_epoch()
    {
        var output = new StringWriter();
        var bar = new ProgressBar(output, Verbosity.Keras2ProgressBar, interactive: true, redrawInterval: TimeSpan.Zero);
        bar.BeginEpoch(1, 1);
        Assert.True(bar.ShouldRedraw());
        bar.Redraw(30, 120, TimeSpan.FromSeconds(1), [new("loss", 0.5), new("accuracy", 0.25)]);
        bar.EndEpoch(120, 120, TimeSpan.FromSeconds(4), [new("loss", 0.4), new("accuracy", 0.5), new("val_loss", 0.45)]);
        var text = output.ToString();
        Assert.Contains("\r 30/120 [======>.......................] - ETA: 3s - loss: 0.5000 - accuracy: 0.2500", text);
        Assert.Contains("\r120/120 [==============================] - 4s 33333us/step - loss: 0.4000 - accuracy: 0.5000 - val_loss: 0.4500\n", text.Replace("\r\n", "\n"));

        var throttled = new ProgressBar(new StringWriter(), Verbosity.ProgressBar, interactive: true, redrawInterval: TimeSpan.FromHours(1));
        throttled.BeginEpoch(1, 1);
        Assert.False(throttled.ShouldRedraw());
        Assert.False(new ProgressBar(new StringWriter(), Verbosity.OneLinePerEpoch, interactive: true).Interactive);
        Assert.False(ProgressBar.For(new StringWriter(), Verbosity.ProgressBar).Interactive); // a writer that is not the console
    }

    [Fact]
    public void On_a_terminal_the_keras_3_bar_redraws_in_place_in_colour_and_blanks_what_a_shorter_line_leaves()
    {
        var output = new StringWriter();
        // 120 samples in batches of 10: 12 steps.
        var bar = new ProgressBar(output, Verbosity.ProgressBar, interactive: true, redrawInterval: TimeSpan.Zero, batchSize: 10);
        bar.BeginEpoch(1, 1);
        bar.Redraw(30, 120, TimeSpan.FromSeconds(0.3), [new("loss", 0.5), new("accuracy", 0.25), new("auc", 0.123456)]);
        bar.Redraw(60, 120, TimeSpan.FromSeconds(0.6), [new("loss", 0.4), new("accuracy", 0.5)]);
        bar.EndEpoch(120, 120, TimeSpan.FromSeconds(1.2), [new("loss", 0.3), new("accuracy", 0.75), new("val_loss", 0.35), new("val_accuracy", 0.7)]);
        var text = output.ToString().Replace("\r\n", "\n");
        // 3 of 12 steps: 5 of 20 blocks green; 0.1 s a step, 0.9 s left.
        var first = " 3/12 \x1b[32m━━━━━\x1b[0m\x1b[37m━━━━━━━━━━━━━━━\x1b[0m 0s 100ms/step - accuracy: 0.2500 - auc: 0.1235 - loss: 0.5000";
        var second = " 6/12 \x1b[32m━━━━━━━━━━\x1b[0m\x1b[37m━━━━━━━━━━\x1b[0m 0s 100ms/step - accuracy: 0.5000 - loss: 0.4000";
        Assert.Contains("\r" + first, text);
        Assert.Contains("\r" + second + new string(' ', "auc: 0.1235 - ".Length), text); // blanks the longer line's tail
        Assert.EndsWith("\r12/12 ━━━━━━━━━━━━━━━━━━━━ 1s 100ms/step - accuracy: 0.7500 - loss: 0.3000 - val_accuracy: 0.7000 - val_loss: 0.3500\n", text);
        Assert.True(bar.Interactive);
        Assert.True(new ProgressBar(new StringWriter(), Verbosity.Keras2ProgressBar, interactive: true).Interactive);
    }

    [Fact]
    public void Bad_fit_arguments_are_refused_with_clear_messages()
    {
        var (x, y) = TestData.Blobs(samples: 10, features: 20, classes: 4, seed: 46);
        var model = new SmallClassifier(seed: 1);
        var sgd = new Sgd(0.1f);
        History Fit(int epochs = 1, int batchSize = 5, float split = 0f, (ReadOnlyMemory<float>, ReadOnlyMemory<float>)? data = null,
            int initialEpoch = 0, IReadOnlyList<Metric>? metrics = null, IReadOnlyList<Callback>? callbacks = null) =>
            model.Fit(x, y, epochs, batchSize, Loss.CategoricalCrossEntropy, sgd, verbosity: Verbosity.Silent, validationSplit: split,
                validationData: data, initialEpoch: initialEpoch, metrics: metrics, callbacks: callbacks);

        Assert.Contains("at least one epoch", Assert.Throws<ArgumentOutOfRangeException>(() => Fit(epochs: 0)).Message);
        Assert.Contains("at least 1", Assert.Throws<ArgumentOutOfRangeException>(() => Fit(batchSize: -3)).Message);
        foreach (var split in new[] { 1f, -0.1f, 1.5f, float.NaN })
            Assert.Contains("must be in (0, 1)", Assert.Throws<ArgumentOutOfRangeException>(() => Fit(split: split)).Message);
        Assert.Contains("leaves 0 for training", Assert.Throws<ArgumentException>(() =>
            model.Fit(x.AsSpan(0, 20), y.AsSpan(0, 4), 1, 5, Loss.CategoricalCrossEntropy, sgd, verbosity: Verbosity.Silent, validationSplit: 0.5f)).Message);
        Assert.Contains("not both", Assert.Throws<ArgumentException>(() => Fit(split: 0.2f, data: (x, y))).Message);
        Assert.Contains("validationData.X holds 10 samples but validationData.Y holds 36 floats",
            Assert.Throws<ArgumentException>(() => Fit(data: (x, y.AsMemory(0, 36)))).Message);
        var nan = (float[])x.Clone();
        nan[3 * 20 + 7] = float.NaN;
        Assert.Contains("'validationData.X' holds NaN at sample 3, feature 7", Assert.Throws<ArgumentException>(() => Fit(data: (nan, y))).Message);
        Assert.Contains("'x' holds NaN at sample 3, feature 7", Assert.Throws<ArgumentException>(() =>
            model.Fit(nan, y, 1, 5, Loss.CategoricalCrossEntropy, sgd, verbosity: Verbosity.Silent)).Message);
        Assert.Contains("'x' holds 10 samples but 'y' holds 36 floats", Assert.Throws<ArgumentException>(() =>
            model.Fit(x, y.AsSpan(0, 36), 1, 5, Loss.CategoricalCrossEntropy, sgd, verbosity: Verbosity.Silent)).Message);
        Assert.Contains("0 to 2", Assert.Throws<ArgumentOutOfRangeException>(() => Fit(epochs: 2, initialEpoch: 3)).Message);
        Assert.Contains("report as 'accuracy'", Assert.Throws<ArgumentException>(() => Fit(metrics: [new Accuracy(), new Accuracy()])).Message);
        var twice = new TerminateOnNaN();
        Assert.Contains("listed twice", Assert.Throws<ArgumentException>(() => Fit(callbacks: [twice, twice])).Message);
        Assert.Contains("positive, finite", Assert.Throws<ArgumentOutOfRangeException>(() => sgd.LearningRate = -0.5f).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(-1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EarlyStopping(patience: -1));
        Assert.Contains("cannot tell whether 'val_f1'", Assert.Throws<ArgumentException>(() => new EarlyStopping("val_f1")).Message);
    }
}
