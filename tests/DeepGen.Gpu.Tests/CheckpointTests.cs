namespace DeepGen.Gpu.Tests;

/// <summary>
/// Callbacks and resume on the device: a <see cref="BackupAndRestore"/> run cancelled after epoch 2 and resumed ends on
/// the bits of an uninterrupted device run; callbacks see the weights and optimizer state of each epoch's end, and what
/// they change goes back to the device; stopping from a batch or an epoch; <c>initialEpoch</c>.
/// </summary>
public sealed class CheckpointTests : IDisposable
{
    private const int Samples = 48;
    private const int BatchSize = 16;
    private const int Epochs = 4;

    private readonly ComputeDevice _device = TestDevice.Open();
    private readonly string _folder = Directory.CreateTempSubdirectory("deepgen-gpu-checkpoint-").FullName;

    public void Dispose()
    {
        _device.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    public static TheoryData<string> Configurations => ["adam-schedule", "nadam-clip-norm", "plain-sgd", "rmsprop-centered-momentum"];

    private static Optimizer Create(string name) => name switch
    {
        "adam-schedule" => new AdamW(0.01f, amsgrad: true) { Schedule = new ExponentialDecay(0.02f, decaySteps: 3, decayRate: 0.7f) },
        "nadam-clip-norm" => new Nadam(0.01f) { GlobalClipNorm = 0.05f },
        "plain-sgd" => new Sgd(0.3f),
        "rmsprop-centered-momentum" => new RmsProp(0.01f, momentum: 0.5f, centered: true),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "no such configuration"),
    };

    [Theory]
    [MemberData(nameof(Configurations))]
    public void AnInterruptedAndResumedRunEndsOnTheBitsOfAnUninterruptedOne(string name)
    {
        var (x, y) = Classification();
        var backup = Path.Combine(_folder, name + ".checkpoint");

        (AwkwardNet Model, Optimizer Optimizer) Train(BackupAndRestore? callback, IProgress<EpochResult>? progress, CancellationToken token)
        {
            var model = new AwkwardNet(seed: 6);
            var optimizer = Create(name);
            using var gpu = model.ToDevice(_device);
            gpu.Fit(x, y, Epochs, BatchSize, Loss.CategoricalCrossEntropy, optimizer, seed: 8, verbosity: Verbosity.Silent,
                progress: progress, callbacks: callback is null ? null : [callback], cancellationToken: token);
            return (model, optimizer);
        }

        var straight = Train(null, null, CancellationToken.None);
        using (var cancel = new CancellationTokenSource())
        {
            Assert.Throws<OperationCanceledException>(() => Train(new BackupAndRestore(backup),
                new SynchronousProgress(e => { if (e.Epoch == 2) cancel.Cancel(); }), cancel.Token));
        }

        Assert.True(File.Exists(backup));
        Assert.Equal(2, TrainingCheckpoint.Read(backup).Epoch);
        var restore = new BackupAndRestore(backup);
        var resumed = Train(restore, null, CancellationToken.None);

        Assert.Equal(2, restore.ResumedAfterEpoch);
        Assert.False(File.Exists(backup)); // deleted when the resumed run finished
        Bitwise.Assert(straight.Model.Parameters, resumed.Model.Parameters, $"{name}: parameters");
        Assert.Equal(straight.Optimizer.Iterations, resumed.Optimizer.Iterations);
        Assert.Equal(Epochs * Samples / BatchSize, resumed.Optimizer.Iterations);
        Assert.Equal(straight.Optimizer.State.Count, resumed.Optimizer.State.Count);
        for (var s = 0; s < straight.Optimizer.State.Count; s++)
            Bitwise.Assert(straight.Optimizer.State[s].Values, resumed.Optimizer.State[s].Values, $"{name}: {straight.Optimizer.State[s].Name}");
    }

    /// <summary>
    /// Dropout draws its masks from the CPU model's dropout stream, which the checkpoint saves: a resumed device run
    /// drops the units the uninterrupted one dropped, so it ends on the same bits.
    /// </summary>
    [Fact]
    public void AResumedRunWithDropoutEndsOnTheBitsOfAnUninterruptedOne()
    {
        var (x, y) = Classification();
        var backup = Path.Combine(_folder, "dropout.checkpoint");

        DropoutNet Train(BackupAndRestore? callback, IProgress<EpochResult>? progress, CancellationToken token)
        {
            var model = new DropoutNet(seed: 12);
            using var gpu = model.ToDevice(_device);
            gpu.Fit(x, y, Epochs, BatchSize, Loss.CategoricalCrossEntropy, new Adam(0.01f), seed: 5, verbosity: Verbosity.Silent,
                progress: progress, callbacks: callback is null ? null : [callback], cancellationToken: token);
            return model;
        }

        var straight = Train(null, null, CancellationToken.None);
        using (var cancel = new CancellationTokenSource())
        {
            Assert.Throws<OperationCanceledException>(() => Train(new BackupAndRestore(backup),
                new SynchronousProgress(e => { if (e.Epoch == 2) cancel.Cancel(); }), cancel.Token));
        }

        var resumed = Train(new BackupAndRestore(backup), null, CancellationToken.None);
        Bitwise.Assert(straight.Parameters, resumed.Parameters, "parameters");
        Assert.Equal(straight.TrainingRandomState, resumed.TrainingRandomState);
    }

    [Fact]
    public void CallbacksSeeEachEpochsWeightsAndStateAndTheirChangesGoBackToTheDevice()
    {
        var (x, y) = Classification();
        // One epoch, then the weights halved by hand, then the second epoch resumed with initialEpoch: the reference.
        var reference = new AwkwardNet(seed: 2);
        var referenceOptimizer = new Adam(0.01f);
        using (var gpu = reference.ToDevice(_device))
        {
            gpu.Fit(x, y, 1, BatchSize, Loss.CategoricalCrossEntropy, referenceOptimizer, seed: 4, verbosity: Verbosity.Silent);
            foreach (ref var parameter in reference.Parameters) parameter *= 0.5f;
            gpu.UploadParameters();
            gpu.Fit(x, y, 2, BatchSize, Loss.CategoricalCrossEntropy, referenceOptimizer, seed: 4, verbosity: Verbosity.Silent, initialEpoch: 1);
        }

        // The same run in one Fit, a callback halving the weights after epoch 1 and recording what it sees.
        var model = new AwkwardNet(seed: 2);
        var optimizer = new Adam(0.01f);
        var recorder = new Recorder(halveAfterEpoch: 1);
        History history;
        using (var gpu = model.ToDevice(_device))
            history = gpu.Fit(x, y, 2, BatchSize, Loss.CategoricalCrossEntropy, optimizer, seed: 4, verbosity: Verbosity.Silent, callbacks: [recorder]);

        Assert.Equal([1, 2], history.Epochs.Select(e => e.Epoch));
        Bitwise.Assert(reference.Parameters, model.Parameters, "parameters");
        Bitwise.Assert(referenceOptimizer.State[0].Values, optimizer.State[0].Values, "momentum");
        Bitwise.Assert(referenceOptimizer.State[1].Values, optimizer.State[1].Values, "velocity");
        // What the callback saw at the end of epoch 2 is the trained model, weights and state, as the CPU Fit shows it.
        Bitwise.Assert(model.Parameters, recorder.Parameters[^1], "parameters seen at the last epoch's end");
        Bitwise.Assert(optimizer.State[1].Values, recorder.Velocities[^1], "velocity seen at the last epoch's end");
        Assert.Equal([Samples / BatchSize, 2 * Samples / BatchSize], recorder.Iterations);
        Assert.Equal(["train begin", "epoch 1 begins", "epoch 1 ends", "epoch 2 begins", "epoch 2 ends", "train end"], recorder.Calls);
    }

    [Fact]
    public void ACallbackStopsTheRunAfterABatchOrAnEpochAsOnTheCpu()
    {
        var (x, y) = Classification();
        foreach (var (stopAtStep, stopAtEpoch) in new[] { (2, 0), (0, 2) })
        {
            var cpuStopper = new Stopper(stopAtStep, stopAtEpoch);
            var cpuOptimizer = new Sgd(0.2f, momentum: 0.9f);
            var cpu = new AwkwardNet(seed: 9);
            var cpuHistory = cpu.Fit(x, y, Epochs, BatchSize, Loss.CategoricalCrossEntropy, cpuOptimizer, seed: 1, verbosity: Verbosity.Silent, callbacks: [cpuStopper]);

            var stopper = new Stopper(stopAtStep, stopAtEpoch);
            var optimizer = new Sgd(0.2f, momentum: 0.9f);
            var model = new AwkwardNet(seed: 9);
            History history;
            using (var gpu = model.ToDevice(_device))
                history = gpu.Fit(x, y, Epochs, BatchSize, Loss.CategoricalCrossEntropy, optimizer, seed: 1, verbosity: Verbosity.Silent, callbacks: [stopper]);

            Assert.Equal(cpuOptimizer.Iterations, optimizer.Iterations);
            Assert.Equal(cpuHistory.Epochs.Select(e => (e.Epoch, e.Steps, e.Samples)), history.Epochs.Select(e => (e.Epoch, e.Steps, e.Samples)));
            Assert.Equal(cpuStopper.Losses.Count, stopper.Losses.Count);
            OwnMagnitude.Assert([.. cpuStopper.Losses], [.. stopper.Losses], "batch losses seen by OnBatchEnd");
            Close.Assert(cpu.Parameters, model.Parameters, OptimizerTests.TrajectoryTolerance, $"parameters after a stop at step {stopAtStep}, epoch {stopAtEpoch}");
            Assert.True(stopper.TrainEnded);
        }
    }

    [Fact]
    public void TerminateOnNaNStopsADivergingRunAfterTheBatchWithoutThrowing()
    {
        // A linear regression head, wide inputs and a rate far too high: the loss overflows float within a few steps.
        var x = Data.Uniform(Samples * WholeTiles.InputSize, 61, 100f);
        var y = Data.Uniform(Samples * WholeTiles.OutputSize, 62);
        var terminate = new TerminateOnNaN();
        History history;
        using (var gpu = new WholeTiles(seed: 1).ToDevice(_device))
            history = gpu.Fit(x, y, 50, BatchSize, Loss.MeanSquaredError, new Sgd(1e20f), verbosity: Verbosity.Silent, callbacks: [terminate]);

        Assert.InRange(terminate.TerminatedEpoch, 1, 49);
        Assert.Equal(history.Epochs.Count, terminate.TerminatedEpoch);
        Assert.False(float.IsFinite(history.Loss[^1]));
        Assert.InRange(history.Epochs[^1].Steps, 1, Samples / BatchSize - 1); // stopped after the batch, not at the epoch's end
        // Without the callback the divergence is an error, as on the CPU.
        using var again = new WholeTiles(seed: 1).ToDevice(_device);
        Assert.Throws<TrainingDivergedException>(() =>
            again.Fit(x, y, 50, BatchSize, Loss.MeanSquaredError, new Sgd(1e20f), verbosity: Verbosity.Silent));
    }

    [Fact]
    public void InitialEpochPastEpochsAndRepeatedCallbacksAreRefused()
    {
        var (x, y) = Classification();
        using var gpu = new AwkwardNet().ToDevice(_device);
        Assert.Throws<ArgumentOutOfRangeException>(() => gpu.Fit(x, y, 2, BatchSize, Loss.MeanSquaredError, new Adam(), initialEpoch: 3, verbosity: Verbosity.Silent));
        var recorder = new Recorder(halveAfterEpoch: 0);
        var error = Assert.Throws<ArgumentException>(() => gpu.Fit(x, y, 2, BatchSize, Loss.MeanSquaredError, new Adam(), callbacks: [recorder, recorder], verbosity: Verbosity.Silent));
        Assert.Contains("listed twice", error.Message, StringComparison.Ordinal);
    }

    private static (float[] X, float[] Y) Classification() =>
        (Data.Uniform(Samples * AwkwardNet.InputSize, 51, 2f), Data.OneHot(Samples, AwkwardNet.OutputSize, 52));

    /// <summary>Records the calls and what it sees at each epoch's end; halves the weights after one epoch.</summary>
    private sealed class Recorder(int halveAfterEpoch) : Callback
    {
        public List<string> Calls { get; } = [];
        public List<float[]> Parameters { get; } = [];
        public List<float[]> Velocities { get; } = [];
        public List<long> Iterations { get; } = [];

        public override void OnTrainBegin(TrainingContext context) => Calls.Add("train begin");

        public override void OnEpochBegin(TrainingContext context, int epoch) => Calls.Add($"epoch {epoch} begins");

        public override void OnEpochEnd(TrainingContext context, EpochResult result)
        {
            Calls.Add($"epoch {result.Epoch} ends");
            Parameters.Add(context.Model.Parameters.ToArray());
            Velocities.Add(context.Optimizer.State[1].Values.ToArray());
            Iterations.Add(context.Optimizer.Iterations);
            if (result.Epoch == halveAfterEpoch)
                foreach (ref var parameter in context.Model.Parameters) parameter *= 0.5f;
        }

        public override void OnTrainEnd(TrainingContext context) => Calls.Add("train end");
    }

    /// <summary>Stops the run after a given step of the first epoch, or at a given epoch's end; records the batch losses.</summary>
    private sealed class Stopper(int stopAtStep, int stopAtEpoch) : Callback
    {
        public List<float> Losses { get; } = [];
        public bool TrainEnded { get; private set; }

        public override void OnBatchEnd(TrainingContext context, int step, float loss)
        {
            Losses.Add(loss);
            if (context.Epoch == 1 && step == stopAtStep) context.StopTraining = true;
        }

        public override void OnEpochEnd(TrainingContext context, EpochResult result)
        {
            if (result.Epoch == stopAtEpoch) context.StopTraining = true;
        }

        public override void OnTrainEnd(TrainingContext context) => TrainEnded = true;
    }

    private sealed class SynchronousProgress(Action<EpochResult> report) : IProgress<EpochResult>
    {
        public void Report(EpochResult value) => report(value);
    }
}
