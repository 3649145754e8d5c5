using System.Globalization;
using DeepGen.EndToEnd.Tests.Models;

namespace DeepGen.EndToEnd.Tests;

/// <summary>Every callback, with Keras's meaning: scripted epoch logs for the exact rules, real runs for the wiring.</summary>
public sealed class CallbackTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deepgen-callbacks-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Early_stopping_waits_patience_epochs_without_improvement()
    {
        var (stopping, context) = Scripted(new EarlyStopping("val_loss", patience: 2), "val_loss", [1.0, 0.9, 0.95, 0.96, 0.97]);
        Assert.Equal(4, stopping.StoppedEpoch);
        Assert.Equal(2, stopping.BestEpoch);
        Assert.Equal(0.9, stopping.Best, 1e-6);
        Assert.True(context.StopTraining);
    }

    [Fact]
    public void Early_stopping_min_delta_mode_and_baseline_follow_keras()
    {
        // Improvements smaller than min_delta do not count.
        Assert.Equal(2, Scripted(new EarlyStopping("loss", minDelta: 0.5, patience: 1), "loss", [1.0, 0.8, 0.7, 0.6]).Callback.StoppedEpoch);
        Assert.Equal(0, Scripted(new EarlyStopping("loss", minDelta: 0.05, patience: 1), "loss", [1.0, 0.8, 0.7, 0.6]).Callback.StoppedEpoch);
        // Accuracy is maximised in auto mode; min mode would see every rise as a failure.
        Assert.Equal(0, Scripted(new EarlyStopping("val_accuracy", patience: 1), "val_accuracy", [0.5, 0.6, 0.7, 0.8]).Callback.StoppedEpoch);
        Assert.Equal(2, Scripted(new EarlyStopping("val_accuracy", patience: 1, mode: MonitorMode.Min), "val_accuracy", [0.5, 0.6, 0.7, 0.8]).Callback.StoppedEpoch);
        // With a baseline never beaten, the wait keeps growing through improvements and stops at the first non-improvement.
        Assert.Equal(4, Scripted(new EarlyStopping("loss", patience: 2, baseline: 1.0), "loss", [5, 4, 3, 3.5]).Callback.StoppedEpoch);
        Assert.Equal(0, Scripted(new EarlyStopping("loss", patience: 2), "loss", [5, 4, 3, 3.5]).Callback.StoppedEpoch);
        // Never after the run's first epoch, even with patience 0.
        Assert.Equal(2, Scripted(new EarlyStopping("loss", patience: 0), "loss", [1, 1]).Callback.StoppedEpoch);
    }

    [Fact]
    public void Early_stopping_in_fit_stops_and_restores_the_best_weights()
    {
        var (x, y) = TestData.Blobs(samples: 96, features: 20, classes: 4, seed: 31);
        var afterOneEpoch = new SmallClassifier(seed: 2);
        afterOneEpoch.Fit(x, y, 1, 16, Loss.CategoricalCrossEntropy, new Sgd(0.05f), seed: 3, verbosity: Verbosity.Silent);

        // No later epoch improves by 100, so epoch 1 stays best and training stops after epoch 3 (patience 2).
        var model = new SmallClassifier(seed: 2);
        var stopping = new EarlyStopping("loss", minDelta: 100, patience: 2, restoreBestWeights: true);
        var output = new StringWriter();
        var history = model.Fit(x, y, 10, 16, Loss.CategoricalCrossEntropy, new Sgd(0.05f), seed: 3, output: output,
            verbosity: Verbosity.OneLinePerEpoch, callbacks: [stopping]);

        Assert.Equal(3, history.Epochs.Count);
        Assert.Equal(3, stopping.StoppedEpoch);
        Assert.Equal(afterOneEpoch.Parameters.ToArray(), model.Parameters.ToArray());
        Assert.Contains("Epoch 3: early stopping", output.ToString());
        Assert.Contains("Restoring model weights from the end of the best epoch: 1.", output.ToString());

        var missing = Assert.Throws<InvalidOperationException>(() => new SmallClassifier().Fit(x, y, 2, 16, Loss.CategoricalCrossEntropy,
            new Sgd(0.05f), verbosity: Verbosity.Silent, callbacks: [new EarlyStopping("val_loss")]));
        Assert.Contains("monitors 'val_loss', which the epoch did not log", missing.Message);
        Assert.Contains("validationSplit or validationData", missing.Message);
    }

    [Fact]
    public void Model_checkpoint_saves_every_epoch_to_a_template_path_or_only_the_best()
    {
        var (x, y) = TestData.Blobs(samples: 64, features: 20, classes: 4, seed: 32);
        var every = new ModelCheckpoint(Path.Combine(_folder, "w-{epoch:02d}-{loss:.3f}.safetensors"), monitor: "loss");
        var model = new SmallClassifier(seed: 1);
        var history = model.Fit(x, y, 3, 16, Loss.CategoricalCrossEntropy, new Sgd(0.05f), verbosity: Verbosity.Silent, callbacks: [every]);

        Assert.Equal(3, every.SavedPaths.Count);
        for (var e = 0; e < 3; e++)
        {
            var expected = Path.Combine(_folder, string.Create(CultureInfo.InvariantCulture, $"w-{e + 1:00}-{history.Loss[e]:F3}.safetensors"));
            Assert.Equal(expected, every.SavedPaths[e]);
            Assert.True(File.Exists(expected));
        }

        var last = new SmallClassifier(seed: 9);
        last.Load(every.SavedPaths[^1]);
        Assert.Equal(model.Parameters.ToArray(), last.Parameters.ToArray());
        Assert.Empty(Directory.GetFiles(_folder, "*.tmp"));

        var best = new ModelCheckpoint(Path.Combine(_folder, "best-{epoch}.safetensors"), monitor: "val_loss", saveBestOnly: true);
        var (scripted, _) = Scripted(best, "val_loss", [1.0, 2.0, 0.5, 0.7], new SmallClassifier(seed: 1));
        Assert.Equal([Path.Combine(_folder, "best-1.safetensors"), Path.Combine(_folder, "best-3.safetensors")], scripted.SavedPaths);
        Assert.False(File.Exists(Path.Combine(_folder, "best-2.safetensors")));

        var unknown = Assert.Throws<FormatException>(() => ModelCheckpoint.FormatPath("w-{val_auc}.safetensors", Result(1, "loss", 0.5)));
        Assert.Contains("names 'val_auc'", unknown.Message);
    }

    [Fact]
    public void Learning_rate_scheduler_sets_the_rate_before_each_epoch_with_keras_zero_based_index()
    {
        var (x, y) = TestData.Blobs(samples: 32, features: 20, classes: 4, seed: 33);
        var optimizer = new Sgd(0.5f);
        var seen = new List<(int, float)>();
        var history = new SmallClassifier().Fit(x, y, 3, 16, Loss.CategoricalCrossEntropy, optimizer, verbosity: Verbosity.Silent,
            callbacks: [new LearningRateScheduler((index, rate) => { seen.Add((index, rate)); return 0.1f * (index + 1); })]);

        Assert.Equal([(0, 0.5f), (1, 0.1f), (2, 0.2f)], seen);
        Assert.Equal([0.1f, 0.2f, 0.1f * 3], history.Epochs.Select(e => e.LearningRate));
        Assert.Equal(0.1f * 3, optimizer.LearningRate);

        var bad = Assert.Throws<InvalidOperationException>(() => new SmallClassifier().Fit(x, y, 1, 16, Loss.CategoricalCrossEntropy, new Sgd(),
            verbosity: Verbosity.Silent, callbacks: [new LearningRateScheduler((_, _) => -1f)]));
        Assert.Contains("returned -1 for epoch index 0", bad.Message);
    }

    [Fact]
    public void Reduce_lr_on_plateau_follows_patience_cooldown_and_floor()
    {
        var optimizer = new Sgd(0.1f);
        var plateau = new ReduceLROnPlateau("val_loss", factor: 0.5f, patience: 1, cooldown: 2, minLearningRate: 0.02f);
        var rates = new List<float>();
        Scripted(plateau, "val_loss", [1, 1, 1, 1, 1, 1, 1], optimizer: optimizer, afterEach: () => rates.Add(optimizer.LearningRate));
        Assert.Equal([0.1f, 0.05f, 0.05f, 0.025f, 0.025f, 0.02f, 0.02f], rates);

        // An improvement (beyond min_delta) resets the wait.
        var second = new Sgd(0.1f);
        Scripted(new ReduceLROnPlateau("loss", factor: 0.5f, patience: 2), "loss", [1.0, 0.99999, 0.9, 0.9], optimizer: second);
        Assert.Equal(0.1f, second.LearningRate);

        Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceLROnPlateau(factor: 1.5f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceLROnPlateau(minLearningRate: -1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceLROnPlateau(patience: -1));
    }

    [Fact]
    public void Terminate_on_nan_stops_cleanly_where_fit_would_otherwise_throw()
    {
        var x = TestData.Uniform(64 * 3, -100f, 100f, seed: 5);
        var y = TestData.Uniform(64 * 2, -1f, 1f, seed: 6);
        var terminate = new TerminateOnNaN();
        var ended = new RecordingCallback();
        var output = new StringWriter();
        var history = new Outer.NestedRegression(seed: 5).Fit(x, y, epochs: 50, batchSize: 16, Loss.MeanSquaredError, new Sgd(10f),
            output: output, verbosity: Verbosity.OneLinePerEpoch, callbacks: [terminate, ended]);

        Assert.InRange(history.Epochs.Count, 1, 49);
        Assert.Equal(history.Epochs.Count, terminate.TerminatedEpoch);
        Assert.False(float.IsFinite(history.Loss[^1]));
        Assert.True(history.Epochs[^1].Steps <= 4);
        Assert.Contains("invalid loss", output.ToString());
        Assert.Equal(1, ended.TrainEnds);
    }

    [Fact]
    public void Csv_logger_writes_sorted_invariant_columns_and_appends_when_asked()
    {
        var (x, y) = TestData.Blobs(samples: 80, features: 20, classes: 4, seed: 34);
        var path = Path.Combine(_folder, "log.csv");
        var history = new SmallClassifier().Fit(x, y, 3, 16, Loss.CategoricalCrossEntropy, new Sgd(0.05f), verbosity: Verbosity.Silent,
            validationSplit: 0.25f, callbacks: [new CsvLogger(path)]);

        var lines = File.ReadAllLines(path);
        Assert.Equal("epoch,accuracy,loss,val_accuracy,val_loss", lines[0]);
        Assert.Equal(4, lines.Length);
        for (var e = 0; e < 3; e++)
        {
            var cells = lines[e + 1].Split(',');
            Assert.Equal(e.ToString(CultureInfo.InvariantCulture), cells[0]);
            Assert.Equal(history.Accuracy[e], float.Parse(cells[1], CultureInfo.InvariantCulture));
            Assert.Equal(history.Loss[e], float.Parse(cells[2], CultureInfo.InvariantCulture));
            Assert.Equal(history.ValidationLoss[e], float.Parse(cells[4], CultureInfo.InvariantCulture));
        }

        new SmallClassifier().Fit(x, y, 2, 16, Loss.CategoricalCrossEntropy, new Sgd(0.05f), verbosity: Verbosity.Silent,
            validationSplit: 0.25f, callbacks: [new CsvLogger(path, append: true)]);
        lines = File.ReadAllLines(path);
        Assert.Equal(6, lines.Length);
        Assert.Single(lines, l => l.StartsWith("epoch", StringComparison.Ordinal));

        new SmallClassifier().Fit(x, y, 1, 16, Loss.CategoricalCrossEntropy, new Sgd(0.05f), verbosity: Verbosity.Silent,
            callbacks: [new CsvLogger(path, separator: ';')]);
        lines = File.ReadAllLines(path); // not appending: the file is replaced
        Assert.Equal(2, lines.Length);
        Assert.Equal("epoch;accuracy;loss", lines[0]);
        Assert.StartsWith("0;", lines[1]);
    }

    [Fact]
    public void A_callback_sees_every_hook_in_order_and_can_stop_mid_epoch()
    {
        var (x, y) = TestData.Blobs(samples: 64, features: 20, classes: 4, seed: 35);
        var recorder = new RecordingCallback { StopAtStep = (2, 3) };
        var history = new SmallClassifier().Fit(x, y, 5, 16, Loss.CategoricalCrossEntropy, new Sgd(0.05f), verbosity: Verbosity.Silent, callbacks: [recorder]);

        Assert.Equal(["train begin", "epoch 1 begin", "batch 1", "batch 2", "batch 3", "batch 4", "epoch 1 end", "epoch 2 begin", "batch 1", "batch 2", "batch 3", "epoch 2 end", "train end"], recorder.Calls);
        Assert.Equal(2, history.Epochs.Count);
        Assert.Equal(48, history.Epochs[1].Samples);
        Assert.Equal(3, history.Epochs[1].Steps);
    }

    /// <summary>Runs <paramref name="callback"/> over scripted epochs that log <paramref name="key"/> with the given values.</summary>
    private static (T Callback, TrainingContext Context) Scripted<T>(T callback, string key, double[] values, SequentialModel? model = null,
        Optimizer? optimizer = null, Action? afterEach = null) where T : Callback
    {
        var context = new TrainingContext(model ?? new SmallClassifier(seed: 1), optimizer ?? new Sgd(0.1f), Loss.MeanSquaredError, values.Length,
            new History(), [callback], TextWriter.Null, Verbosity.Silent, () => default);
        callback.OnTrainBegin(context);
        for (var e = 1; e <= values.Length && !context.StopTraining; e++)
        {
            context.Epoch = e;
            callback.OnEpochBegin(context, e);
            callback.OnEpochEnd(context, Result(e, key, values[e - 1]));
            afterEach?.Invoke();
        }

        callback.OnTrainEnd(context);
        return (callback, context);
    }

    private static EpochResult Result(int epoch, string key, double value) =>
        new(epoch, 0f, 0f, TimeSpan.Zero, 1, 1) { Logs = new Dictionary<string, float> { ["loss"] = key == "loss" ? (float)value : 0f, [key] = (float)value } };

    private sealed class RecordingCallback : Callback
    {
        public List<string> Calls { get; } = [];

        public int TrainEnds { get; private set; }

        public (int Epoch, int Step)? StopAtStep { get; init; }

        public override void OnTrainBegin(TrainingContext context) => Calls.Add("train begin");

        public override void OnTrainEnd(TrainingContext context)
        {
            Calls.Add("train end");
            TrainEnds++;
        }

        public override void OnEpochBegin(TrainingContext context, int epoch) => Calls.Add($"epoch {epoch} begin");

        public override void OnEpochEnd(TrainingContext context, EpochResult result) => Calls.Add($"epoch {result.Epoch} end");

        public override void OnBatchEnd(TrainingContext context, int step, float loss)
        {
            Calls.Add($"batch {step}");
            if (StopAtStep == (context.Epoch, step)) context.StopTraining = true;
        }
    }
}
