using DeepGen.EndToEnd.Tests.Models;
using DeepGen.Serialization;

namespace DeepGen.EndToEnd.Tests;

/// <summary>A run interrupted after 2 epochs and resumed from its checkpoint ends bit for bit where 4 straight epochs end.</summary>
public sealed class ResumeTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deepgen-resume-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Resuming_with_sgd_equals_an_uninterrupted_run_bitwise() =>
        AssertResumeEqualsStraight(() => new Sgd(0.05f), withPlateau: false);

    [Fact]
    public void Resuming_with_a_stateful_optimizer_and_callback_state_equals_an_uninterrupted_run_bitwise() =>
        AssertResumeEqualsStraight(() => new TestMomentum(0.02f, 0.9f), withPlateau: true);

    [Fact]
    public void Initial_epoch_replays_the_shuffles_so_a_continued_sgd_run_matches()
    {
        var (x, y) = TestData.Blobs(samples: 150, features: 20, classes: 4, seed: 11);
        var straight = new SmallClassifier(seed: 3);
        straight.Fit(x, y, epochs: 4, batchSize: 16, Loss.CategoricalCrossEntropy, new Sgd(0.05f), seed: 5, verbosity: Verbosity.Silent);

        var first = new SmallClassifier(seed: 3);
        first.Fit(x, y, epochs: 2, batchSize: 16, Loss.CategoricalCrossEntropy, new Sgd(0.05f), seed: 5, verbosity: Verbosity.Silent);
        var continued = new SmallClassifier(seed: 99);
        first.Parameters.CopyTo(continued.Parameters);
        var history = continued.Fit(x, y, epochs: 4, batchSize: 16, Loss.CategoricalCrossEntropy, new Sgd(0.05f), seed: 5,
            verbosity: Verbosity.Silent, initialEpoch: 2);

        Assert.Equal([3, 4], history.Epochs.Select(e => e.Epoch));
        AssertBitwiseEqual(straight.Parameters.ToArray(), continued.Parameters.ToArray());
    }

    [Fact]
    public void A_checkpoint_from_another_seed_model_or_optimizer_is_refused_clearly()
    {
        var (x, y) = TestData.Blobs(samples: 64, features: 20, classes: 4, seed: 12);
        var path = Path.Combine(_folder, "run.ckpt");
        using (var cancel = new CancellationTokenSource())
        {
            Assert.Throws<OperationCanceledException>(() => new SmallClassifier(seed: 1).Fit(x, y, epochs: 3, batchSize: 16,
                Loss.CategoricalCrossEntropy, new Sgd(0.05f), seed: 1, verbosity: Verbosity.Silent,
                callbacks: [new BackupAndRestore(path)], progress: new SynchronousProgress(_ => cancel.Cancel()), cancellationToken: cancel.Token));
        }

        Assert.Equal(1, TrainingCheckpoint.Read(path).Epoch);
        var seed = Assert.Throws<InvalidModelFileException>(() => new SmallClassifier(seed: 1).Fit(x, y, epochs: 3, batchSize: 16,
            Loss.CategoricalCrossEntropy, new Sgd(0.05f), seed: 2, verbosity: Verbosity.Silent, callbacks: [new BackupAndRestore(path)]));
        Assert.Contains("shuffled differently", seed.Message);
        var optimizer = Assert.Throws<InvalidModelFileException>(() => new SmallClassifier(seed: 1).Fit(x, y, epochs: 3, batchSize: 16,
            Loss.CategoricalCrossEntropy, new TestMomentum(0.05f, 0.9f), seed: 1, verbosity: Verbosity.Silent, callbacks: [new BackupAndRestore(path)]));
        Assert.Contains("DeepGen.Sgd optimizer", optimizer.Message);
        var model = Assert.Throws<InvalidModelFileException>(() => new OddShapes(seed: 1).Fit(new float[4 * 37], new float[4], epochs: 3, batchSize: 2,
            Loss.MeanSquaredError, new Sgd(0.05f), seed: 1, verbosity: Verbosity.Silent, callbacks: [new BackupAndRestore(path)]));
        Assert.Contains("not by 'OddShapes'", model.Message);

        new SmallClassifier(seed: 1).Save(Path.Combine(_folder, "weights.safetensors"));
        var weightsOnly = Assert.Throws<InvalidModelFileException>(() => TrainingCheckpoint.Read(Path.Combine(_folder, "weights.safetensors")));
        Assert.Contains("weights only", weightsOnly.Message);
    }

    [Fact]
    public void Backup_is_deleted_when_training_finishes_unless_asked_to_keep_it()
    {
        var (x, y) = TestData.Blobs(samples: 32, features: 20, classes: 4, seed: 13);
        var path = Path.Combine(_folder, "backup.ckpt");
        new SmallClassifier(seed: 1).Fit(x, y, 2, 16, Loss.CategoricalCrossEntropy, new Sgd(0.05f), verbosity: Verbosity.Silent, callbacks: [new BackupAndRestore(path)]);
        Assert.False(File.Exists(path));
        new SmallClassifier(seed: 1).Fit(x, y, 2, 16, Loss.CategoricalCrossEntropy, new Sgd(0.05f), verbosity: Verbosity.Silent,
            callbacks: [new BackupAndRestore(path, deleteOnTrainEnd: false)]);
        var checkpoint = TrainingCheckpoint.Read(path);
        Assert.Equal(2, checkpoint.Epoch);
        Assert.Equal(4, checkpoint.Iterations);
        Assert.Equal("SmallClassifier", checkpoint.ModelName);
        Assert.Null(checkpoint.ModelRandomState);
        Assert.Empty(Directory.GetFiles(_folder, "*.tmp"));
    }

    private void AssertResumeEqualsStraight(Func<Optimizer> createOptimizer, bool withPlateau)
    {
        var (x, y) = TestData.Blobs(samples: 200, features: 20, classes: 4, seed: 21);
        Callback[] Callbacks(string? backup) =>
        [
            .. backup is null ? Array.Empty<Callback>() : [new BackupAndRestore(backup)],
            .. withPlateau ? [new ReduceLROnPlateau("val_loss", factor: 0.5f, patience: 0, minDelta: 1.0), new EarlyStopping("val_loss", patience: 10, restoreBestWeights: true)] : Array.Empty<Callback>(),
        ];

        History Train(SequentialModel model, Optimizer optimizer, string? backup, IProgress<EpochResult>? progress = null, CancellationToken token = default) =>
            model.Fit(x, y, epochs: 4, batchSize: 16, Loss.CategoricalCrossEntropy, optimizer, seed: 7, verbosity: Verbosity.Silent,
                validationSplit: 0.25f, callbacks: Callbacks(backup), progress: progress, cancellationToken: token);

        var straightModel = new SmallClassifier(seed: 1);
        var straightOptimizer = createOptimizer();
        var straight = Train(straightModel, straightOptimizer, backup: null);
        Assert.Equal(4, straight.Epochs.Count);

        // First attempt: killed (cancelled) after epoch 2, leaving its backup behind.
        var path = Path.Combine(_folder, "backup.ckpt");
        using var cancel = new CancellationTokenSource();
        Assert.Throws<OperationCanceledException>(() => Train(new SmallClassifier(seed: 1), createOptimizer(), path,
            new SynchronousProgress(e => { if (e.Epoch == 2) cancel.Cancel(); }), cancel.Token));
        Assert.Equal(2, TrainingCheckpoint.Read(path).Epoch);

        // Second attempt: a fresh model (other initial weights) and a fresh optimizer pick up from the backup.
        var resumedModel = new SmallClassifier(seed: 12345);
        var resumedOptimizer = createOptimizer();
        var resumed = Train(resumedModel, resumedOptimizer, path);

        Assert.Equal([3, 4], resumed.Epochs.Select(e => e.Epoch));
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(straight.Epochs[2 + i].Loss, resumed.Epochs[i].Loss);
            Assert.Equal(straight.Epochs[2 + i].ValidationLoss, resumed.Epochs[i].ValidationLoss);
            Assert.Equal(straight.Epochs[2 + i].LearningRate, resumed.Epochs[i].LearningRate);
        }

        AssertBitwiseEqual(straightModel.Parameters.ToArray(), resumedModel.Parameters.ToArray());
        Assert.Equal(straightOptimizer.Iterations, resumedOptimizer.Iterations);
        Assert.Equal(straightOptimizer.LearningRate, resumedOptimizer.LearningRate);
        Assert.Equal(straightOptimizer.State.Count, resumedOptimizer.State.Count);
        for (var s = 0; s < straightOptimizer.State.Count; s++)
            AssertBitwiseEqual(straightOptimizer.State[s].Values, resumedOptimizer.State[s].Values);
        if (withPlateau)
        {
            Assert.Single(straightOptimizer.State);
            Assert.NotEqual(0.02f, straightOptimizer.LearningRate); // the plateau callback did act, so its state mattered
        }

        Assert.False(File.Exists(path)); // a run that finished deletes its backup
    }

    private static void AssertBitwiseEqual(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"Value {i} differs: {expected[i]:G9} uninterrupted, {actual[i]:G9} resumed.");
    }
}

/// <summary>
/// SGD with classical momentum and a step size that decays with the iteration count, written against the
/// <see cref="Optimizer"/> contract for tests: it has per-parameter state and depends on <see cref="Optimizer.Iterations"/>,
/// so a resume that lost either would drift.
/// </summary>
internal sealed class TestMomentum(float learningRate, float momentum) : Optimizer(learningRate)
{
    private float[] _velocity = [];

    public override IReadOnlyList<OptimizerState> State => _velocity.Length == 0 ? [] : [new OptimizerState("velocity", _velocity)];

    public override void Initialize(int parameterCount)
    {
        base.Initialize(parameterCount);
        if (_velocity.Length != parameterCount) _velocity = new float[parameterCount];
    }

    public override void Update(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        var rate = LearningRate / (1f + 0.01f * Iterations);
        for (var i = 0; i < parameters.Length; i++)
        {
            _velocity[i] = momentum * _velocity[i] - rate * gradients[i];
            parameters[i] += _velocity[i];
        }
    }
}

internal sealed class SynchronousProgress(Action<EpochResult> report) : IProgress<EpochResult>
{
    public void Report(EpochResult value) => report(value);
}
