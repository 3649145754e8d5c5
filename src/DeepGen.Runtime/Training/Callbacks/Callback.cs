using System.Globalization;
using DeepGen.Serialization;

namespace DeepGen;

/// <summary>
/// Hooks into <see cref="SequentialModel.Fit"/>, with Keras's meaning: called when training begins and ends, when
/// each epoch begins and ends, and after each batch. A callback stops the run by setting
/// <see cref="TrainingContext.StopTraining"/> (Keras's <c>model.stop_training = True</c>): the run ends after the
/// current batch (from <see cref="OnBatchEnd"/>) or epoch (from <see cref="OnEpochEnd"/>), and
/// <see cref="OnTrainEnd"/> still runs. When Fit ends by an exception (cancellation, divergence) OnTrainEnd does not run.
/// </summary>
/// <remarks>
/// Epochs are numbered from 1, as <see cref="EpochResult.Epoch"/> and the progress line count them. A callback
/// instance keeps its state between the calls of one run and is reset by <see cref="OnTrainBegin"/>.
/// </remarks>
public abstract class Callback
{
    /// <summary>Training is about to start; reset per-run state here.</summary>
    public virtual void OnTrainBegin(TrainingContext context) { }

    /// <summary>Training has finished (normally or stopped by a callback).</summary>
    public virtual void OnTrainEnd(TrainingContext context) { }

    /// <summary>Epoch <paramref name="epoch"/> (from 1) is about to start.</summary>
    public virtual void OnEpochBegin(TrainingContext context, int epoch) { }

    /// <summary>An epoch has finished; <paramref name="result"/> holds its logs, validation included.</summary>
    public virtual void OnEpochEnd(TrainingContext context, EpochResult result) { }

    /// <summary>
    /// A training step has finished. Called on every step, so it must be cheap and should not allocate.
    /// </summary>
    /// <param name="step">The step within the epoch, from 1.</param>
    /// <param name="loss">The batch's mean loss (possibly NaN or infinite).</param>
    public virtual void OnBatchEnd(TrainingContext context, int step, float loss) { }

    /// <summary>
    /// The state a resumed run needs to carry on exactly (counters, best values, saved weights), or null when none.
    /// <see cref="TrainingCheckpoint"/> writes it; <see cref="LoadState"/> gets it back after <see cref="OnTrainBegin"/>.
    /// </summary>
    public virtual CallbackState? SaveState() => null;

    /// <summary>Restores what <see cref="SaveState"/> returned, when a run resumes from a checkpoint.</summary>
    public virtual void LoadState(CallbackState state) { }
}

/// <summary>A callback's saved state: named numbers and named float arrays.</summary>
public sealed class CallbackState
{
    /// <summary>Named numbers (counters, best values). Stored exactly.</summary>
    public Dictionary<string, double> Values { get; } = new(StringComparer.Ordinal);

    /// <summary>Named float arrays (for example saved weights).</summary>
    public Dictionary<string, float[]> Tensors { get; } = new(StringComparer.Ordinal);

    /// <summary>The number named <paramref name="name"/>; a clear error when the checkpoint lacks it.</summary>
    public double Value(string name) => Values.TryGetValue(name, out var value)
        ? value
        : throw new InvalidModelFileException($"The checkpoint's callback state has no value '{name}'; it holds: {string.Join(", ", Values.Keys)}.");

    /// <summary>The number named <paramref name="name"/> as a count (0 to <see cref="int.MaxValue"/>); a clear error when it is not one.</summary>
    internal int Count(string name)
    {
        var value = Value(name);
        if (!(value >= 0 && value <= int.MaxValue) || value != Math.Floor(value))
            throw new InvalidModelFileException(string.Create(CultureInfo.InvariantCulture,
                $"The checkpoint's callback value '{name}' is {value}, not a whole number from 0 to {int.MaxValue}."));
        return (int)value;
    }
}

/// <summary>What a <see cref="Callback"/> sees of a running <see cref="SequentialModel.Fit"/>.</summary>
public sealed class TrainingContext
{
    private readonly Func<RandomState> _shuffleState;

    internal TrainingContext(SequentialModel model, Optimizer optimizer, Loss loss, int epochs, History history,
        IReadOnlyList<Callback> callbacks, TextWriter output, Verbosity verbosity, Func<RandomState> shuffleState)
    {
        Model = model;
        Optimizer = optimizer;
        Loss = loss;
        Epochs = epochs;
        History = history;
        Callbacks = callbacks;
        Output = output;
        Verbosity = verbosity;
        _shuffleState = shuffleState;
    }

    /// <summary>The model being trained.</summary>
    public SequentialModel Model { get; }

    /// <summary>The optimizer; callbacks may change its <see cref="Optimizer.LearningRate"/>.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The loss being minimised.</summary>
    public Loss Loss { get; }

    /// <summary>The epoch the run ends at (Fit's <c>epochs</c>).</summary>
    public int Epochs { get; }

    /// <summary>The current epoch, from 1; during <see cref="Callback.OnTrainBegin"/> the last epoch already done (the initial epoch).</summary>
    public int Epoch { get; internal set; }

    /// <summary>The epochs finished so far in this run.</summary>
    public History History { get; }

    /// <summary>Every callback of the run, in order.</summary>
    public IReadOnlyList<Callback> Callbacks { get; }

    /// <summary>Where Fit prints; callbacks that report (Keras's <c>verbose</c>) write here when <see cref="Verbosity"/> is not silent.</summary>
    public TextWriter Output { get; }

    /// <summary>Fit's verbosity.</summary>
    public Verbosity Verbosity { get; }

    /// <summary>Set to stop training after the current batch or epoch (Keras's <c>model.stop_training</c>).</summary>
    public bool StopTraining { get; set; }

    /// <summary>The state of Fit's shuffling stream now, for checkpoints.</summary>
    public RandomState ShuffleState => _shuffleState();

    /// <summary>A checkpoint to resume from, set during <see cref="Callback.OnTrainBegin"/>; Fit applies it once every callback has begun.</summary>
    internal TrainingCheckpoint? PendingResume { get; private set; }

    /// <summary>
    /// The start of a Fit's epochs, shared by every Fit (the CPU's and the GPU's): runs each callback's
    /// <see cref="Callback.OnTrainBegin"/>; where one asked to resume, replays the shuffles of the epochs the checkpoint
    /// has done (so the order and the stream continue as in an uninterrupted run) and restores the weights, optimizer
    /// and callback states into the CPU model and optimizer. Returns the last epoch already done, from which the epoch
    /// loop continues; the caller then copies anything it keeps elsewhere (a device's buffers) from the model.
    /// </summary>
    internal int BeginTraining(int initialEpoch, bool shuffle, ref SeededRandom random, int[] order)
    {
        foreach (var callback in Callbacks) callback.OnTrainBegin(this);
        var startEpoch = initialEpoch;
        var checkpoint = PendingResume;
        if (checkpoint is not null)
        {
            if (checkpoint.Epoch > Epochs)
                throw new ArgumentOutOfRangeException("epochs", Epochs, $"The checkpoint '{checkpoint.Path}' is from epoch {checkpoint.Epoch}, past the {Epochs} epochs asked for.");
            startEpoch = checkpoint.Epoch;
        }

        if (shuffle)
            for (var epoch = 1; epoch <= startEpoch; epoch++) random.Shuffle(order);
        checkpoint?.Restore(Model, Optimizer, Callbacks, random.State);
        Epoch = CompletedEpoch = startEpoch;
        return startEpoch;
    }

    /// <summary>
    /// Asks Fit to resume from <paramref name="checkpoint"/>: once every callback's <see cref="Callback.OnTrainBegin"/>
    /// has run, Fit restores the weights, optimizer and callback states and continues after the checkpoint's epoch.
    /// Only valid during <see cref="Callback.OnTrainBegin"/>.
    /// </summary>
    public void ResumeFrom(TrainingCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        PendingResume = checkpoint;
    }

    /// <summary>
    /// Writes a checkpoint of the run as it stands after the last finished epoch (see <see cref="TrainingCheckpoint"/>).
    /// Called from <see cref="Callback.OnEpochEnd"/>, the write waits until every callback has seen the epoch, so
    /// the callback states it saves are those of the end of the epoch.
    /// </summary>
    public void SaveCheckpoint(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (InEpochEnd) _pendingSaves.Add(path);
        else TrainingCheckpoint.Save(path, this);
    }

    private readonly List<string> _pendingSaves = [];

    /// <summary>Whether the callbacks' OnEpochEnd calls are under way.</summary>
    internal bool InEpochEnd { get; set; }

    /// <summary>The last finished epoch (0 before any), which a checkpoint records.</summary>
    internal int CompletedEpoch { get; set; }

    /// <summary>Writes the checkpoints asked for during OnEpochEnd.</summary>
    internal void FlushPendingSaves()
    {
        foreach (var path in _pendingSaves) TrainingCheckpoint.Save(path, this);
        _pendingSaves.Clear();
    }

    /// <summary>Writes <paramref name="message"/> on its own line unless Fit is silent.</summary>
    public void Report(string message)
    {
        if (Verbosity == Verbosity.Silent) return;
        Output.WriteLine(message);
        Output.Flush();
    }
}

/// <summary>Which direction of a monitored value is an improvement.</summary>
public enum MonitorMode
{
    /// <summary>Inferred from the name, as Keras does: losses and errors should fall, accuracy, precision, recall and AUC rise.</summary>
    Auto,
    /// <summary>Lower is better.</summary>
    Min,
    /// <summary>Higher is better.</summary>
    Max,
}

/// <summary>A monitored log value and the comparisons Keras's monitoring callbacks make on it.</summary>
internal readonly struct Monitor
{
    public Monitor(string key, MonitorMode mode, double minDelta, string callback)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (!double.IsFinite(minDelta)) throw new ArgumentOutOfRangeException(nameof(minDelta), minDelta, "min_delta must be finite.");
        Key = key;
        Callback = callback;
        HigherIsBetter = mode switch
        {
            MonitorMode.Min => false,
            MonitorMode.Max => true,
            MonitorMode.Auto => Infer(key, callback),
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown monitor mode."),
        };
        // Keras keeps min_delta's magnitude and gives it the sign of the direction.
        MinDelta = Math.Abs(minDelta);
    }

    public string Key { get; }

    public string Callback { get; }

    public bool HigherIsBetter { get; }

    public double MinDelta { get; }

    /// <summary>The starting "best": the worst possible value.</summary>
    public double Worst => HigherIsBetter ? double.NegativeInfinity : double.PositiveInfinity;

    /// <summary>Whether <paramref name="current"/> beats <paramref name="reference"/> by more than min_delta.</summary>
    public bool IsImprovement(double current, double reference) =>
        HigherIsBetter ? current - MinDelta > reference : current + MinDelta < reference;

    /// <summary>The monitored value in <paramref name="result"/>; a clear error when the epoch did not log it.</summary>
    public double Read(EpochResult result) => result.Logs.TryGetValue(Key, out var value)
        ? value
        : throw new InvalidOperationException(
            $"{Callback} monitors '{Key}', which the epoch did not log. Logged: {string.Join(", ", result.Logs.Keys)}." +
            (Key.StartsWith("val_", StringComparison.Ordinal) ? " Validation values need validationSplit or validationData." : ""));

    private static bool Infer(string key, string callback)
    {
        var name = key.StartsWith("val_", StringComparison.Ordinal) ? key[4..] : key;
        if (name.Contains("loss", StringComparison.Ordinal) || name.Contains("error", StringComparison.Ordinal) || name is "mae" or "mse")
            return false;
        if (name.Contains("acc", StringComparison.Ordinal) || name is "precision" or "recall" or "auc")
            return true;
        throw new ArgumentException($"{callback} cannot tell whether '{key}' should rise or fall; pass mode: MonitorMode.Min or MonitorMode.Max.", nameof(key));
    }
}
