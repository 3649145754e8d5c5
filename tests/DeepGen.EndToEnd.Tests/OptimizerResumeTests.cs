using DeepGen.EndToEnd.Tests.Models;
using DeepGen.Serialization;

namespace DeepGen.EndToEnd.Tests;

/// <summary>
/// Every stateful optimizer, on a model with dropout, with a constant rate or a learning-rate schedule, and with a
/// plateau callback that lowers the rate:
/// a run interrupted at an epoch boundary or in the middle of an epoch, then resumed from its
/// <see cref="BackupAndRestore"/> checkpoint, ends bit for bit where an uninterrupted run ends.
/// </summary>
/// <remarks>
/// Checkpoints are written at the end of each epoch. A run stopped in the middle of an epoch resumes from the last
/// finished epoch and trains the unfinished one again from its start, so it too must match the uninterrupted run.
/// </remarks>
public sealed class OptimizerResumeTests : IDisposable
{
    private const int Epochs = 4;
    private const int BatchSize = 16;
    private const int StepsPerEpoch = 6; // 90 training samples of 120, after the validation split

    private readonly string _folder = Directory.CreateTempSubdirectory("deepgen-optimizer-resume-").FullName;
    private readonly (float[] X, float[] Y) _data = TestData.Blobs(samples: 120, features: 12, classes: 3, seed: 31);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static TheoryData<string, bool, bool> Cases()
    {
        var data = new TheoryData<string, bool, bool>();
        foreach (var optimizer in Optimizers.Keys)
            foreach (var midEpoch in new[] { false, true })
                foreach (var schedule in new[] { false, true })
                    data.Add(optimizer, midEpoch, schedule);
        return data;
    }

    private static readonly Dictionary<string, Func<Optimizer>> Optimizers = new(StringComparer.Ordinal)
    {
        ["adam"] = () => new Adam(0.01f),
        ["adam amsgrad"] = () => new Adam(0.01f, amsgrad: true),
        ["adamw"] = () => new AdamW(0.01f, weightDecay: 0.01f),
        ["nadam"] = () => new Nadam(0.01f),
        ["rmsprop"] = () => new RmsProp(0.01f),
        ["rmsprop centered momentum"] = () => new RmsProp(0.01f, momentum: 0.5f, centered: true),
        ["adagrad"] = () => new Adagrad(0.05f),
        ["sgd momentum"] = () => new Sgd(0.05f, momentum: 0.9f),
        ["sgd nesterov"] = () => new Sgd(0.05f, momentum: 0.9f, nesterov: true),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_resumed_run_equals_an_uninterrupted_one_bitwise(string optimizerName, bool interruptMidEpoch, bool withSchedule)
    {
        Optimizer Create()
        {
            var optimizer = Optimizers[optimizerName]();
            if (withSchedule) optimizer.Schedule = new ExponentialDecay(optimizer.LearningRate, decaySteps: 5, decayRate: 0.7f);
            return optimizer;
        }

        var straightModel = new DropoutClassifier(seed: 2);
        var straightOptimizer = Create();
        var straight = Train(straightModel, straightOptimizer, backup: null, interrupter: null);

        // First attempt, stopped after epoch 2 or in the middle of epoch 3; its backup holds epoch 2.
        var path = Path.Combine(_folder, "backup.ckpt");
        var interruptedModel = new DropoutClassifier(seed: 2);
        var interruptedOptimizer = Create();
        var interrupter = new Interrupter(atEpoch: interruptMidEpoch ? 3 : 2, atStep: interruptMidEpoch ? 3 : StepsPerEpoch);
        Assert.Throws<OperationCanceledException>(() => Train(interruptedModel, interruptedOptimizer, path, interrupter));
        Assert.Equal(2, TrainingCheckpoint.Read(path).Epoch);

        // Second attempt: after an epoch boundary, a fresh process (other initial weights, a fresh optimizer); after a
        // mid-epoch stop, the same model and optimizer, which have moved on since the checkpoint.
        var resumedModel = interruptMidEpoch ? interruptedModel : new DropoutClassifier(seed: 777);
        var resumedOptimizer = interruptMidEpoch ? interruptedOptimizer : Create();
        var resumed = Train(resumedModel, resumedOptimizer, path, interrupter: null);

        Assert.Equal([3, 4], resumed.Epochs.Select(e => e.Epoch));
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(straight.Epochs[2 + i].Loss, resumed.Epochs[i].Loss);
            Assert.Equal(straight.Epochs[2 + i].ValidationLoss, resumed.Epochs[i].ValidationLoss);
            Assert.Equal(straight.Epochs[2 + i].LearningRate, resumed.Epochs[i].LearningRate);
        }

        Bitwise.AssertEqual(straightModel.Parameters.ToArray(), resumedModel.Parameters.ToArray());
        Assert.Equal(straightModel.TrainingRandomState, resumedModel.TrainingRandomState);
        Assert.Equal(straightOptimizer.Iterations, resumedOptimizer.Iterations);
        Assert.Equal(Epochs * StepsPerEpoch, resumedOptimizer.Iterations);
        Assert.Equal(straightOptimizer.LearningRate, resumedOptimizer.LearningRate);
        Assert.NotEmpty(straightOptimizer.State);
        Assert.Equal(straightOptimizer.State.Count, resumedOptimizer.State.Count);
        for (var s = 0; s < straightOptimizer.State.Count; s++)
            Bitwise.AssertEqual(straightOptimizer.State[s].Values, resumedOptimizer.State[s].Values);
        // The plateau callback lowered the rate (rescaled the schedule), so its state and the new rate had to survive the resume.
        Assert.NotEqual(withSchedule ? straightOptimizer.Schedule!.Rate(straightOptimizer.Iterations) : Create().LearningRate, straightOptimizer.LearningRate);
    }

    [Fact]
    public void A_checkpoint_written_where_the_schedule_gives_zero_resumes()
    {
        // The rate falls to zero after epoch 1, so the checkpoint of epoch 2 records a learning rate of 0.
        Optimizer Create() => new Adam(0.01f) { Schedule = new PiecewiseConstantDecay([StepsPerEpoch], [0.01f, 0f]) };
        var straightModel = new DropoutClassifier(seed: 4);
        Train(straightModel, Create(), backup: null, interrupter: null, withPlateau: false);

        var path = Path.Combine(_folder, "zero.ckpt");
        Assert.Throws<OperationCanceledException>(() =>
            Train(new DropoutClassifier(seed: 4), Create(), path, new Interrupter(atEpoch: 2, atStep: StepsPerEpoch), withPlateau: false));
        Assert.Equal(0f, TrainingCheckpoint.Read(path).LearningRate);

        var resumedModel = new DropoutClassifier(seed: 9);
        Train(resumedModel, Create(), path, interrupter: null, withPlateau: false);
        Bitwise.AssertEqual(straightModel.Parameters.ToArray(), resumedModel.Parameters.ToArray());
    }

    [Fact]
    public void A_model_without_biases_resumes_bitwise()
    {
        var straightModel = new NoBiasClassifier(seed: 5);
        Train(straightModel, new Adam(0.01f), backup: null, interrupter: null);

        var path = Path.Combine(_folder, "nobias.ckpt");
        Assert.Throws<OperationCanceledException>(() =>
            Train(new NoBiasClassifier(seed: 5), new Adam(0.01f), path, new Interrupter(atEpoch: 3, atStep: 2)));
        var checkpoint = SafeTensorsFile.Read(path);
        Assert.DoesNotContain(checkpoint.Tensors, t => t.Name.EndsWith(".bias", StringComparison.Ordinal));

        var resumedModel = new NoBiasClassifier(seed: 6);
        Train(resumedModel, new Adam(0.01f), path, interrupter: null);
        Bitwise.AssertEqual(straightModel.Parameters.ToArray(), resumedModel.Parameters.ToArray());
    }

    [Fact]
    public void Nadam_resumed_at_a_huge_iteration_count_takes_its_next_step_at_once()
    {
        // A checkpoint may carry any iteration count; Nadam recomputes its momentum product from it on resume.
        var optimizer = new Nadam(0.01f);
        optimizer.Initialize(8);
        optimizer.Iterations = long.MaxValue / 2;
        var parameters = new float[8];
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        optimizer.Step(parameters, [1f, -1f, 2f, -2f, 0.5f, -0.5f, 3f, -3f], appliedInBackward: false);
        Assert.True(System.Diagnostics.Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(5));
        Assert.All(parameters, p => Assert.True(float.IsFinite(p) && p != 0f));
    }

    private History Train(SequentialModel model, Optimizer optimizer, string? backup, Interrupter? interrupter, bool withPlateau = true)
    {
        var callbacks = new List<Callback>();
        if (backup is not null) callbacks.Add(new BackupAndRestore(backup));
        if (withPlateau)
        {
            // Reduces the rate after every epoch (no loss improves by 10), so the schedule's rescaling changes each epoch.
            callbacks.Add(new ReduceLROnPlateau("val_loss", factor: 0.5f, patience: 0, minDelta: 10));
            callbacks.Add(new EarlyStopping("val_loss", patience: 10, restoreBestWeights: true));
        }

        if (interrupter is not null) callbacks.Add(interrupter);
        return model.Fit(_data.X, _data.Y, epochs: Epochs, batchSize: BatchSize, Loss.CategoricalCrossEntropy, optimizer, seed: 8,
            verbosity: Verbosity.Silent, validationSplit: 0.25f, callbacks: callbacks, cancellationToken: interrupter?.Token ?? default);
    }

    /// <summary>
    /// Stops the run, as a kill would (no end-of-training work), after step <paramref name="atStep"/> of epoch
    /// <paramref name="atEpoch"/>. Fit checks the token before each step, so a stop after an epoch's last step still
    /// lets that epoch finish and write its checkpoint.
    /// </summary>
    private sealed class Interrupter(int atEpoch, int atStep) : Callback
    {
        private readonly CancellationTokenSource _cancel = new();
        private int _epoch;

        public CancellationToken Token => _cancel.Token;

        public override void OnEpochBegin(TrainingContext context, int epoch) => _epoch = epoch;

        public override void OnBatchEnd(TrainingContext context, int step, float loss)
        {
            if (_epoch == atEpoch && step == atStep) _cancel.Cancel();
        }
    }
}

/// <summary>Bit-for-bit comparison of float buffers, naming the first difference.</summary>
internal static class Bitwise
{
    public static void AssertEqual(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what = "Value")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what} {i} differs: {expected[i]:G9} expected, {actual[i]:G9} actual.");
    }
}
