using System.Collections.ObjectModel;

namespace DeepGen;

/// <summary>What one epoch of <see cref="SequentialModel.Fit"/> measured.</summary>
/// <param name="Epoch">The epoch's number, from 1.</param>
/// <param name="Loss">Mean training loss over the epoch's samples, as Keras reports it.</param>
/// <param name="Accuracy">Training accuracy over the epoch's samples; NaN when the run's metrics have no <c>accuracy</c>.</param>
/// <param name="Duration">Wall-clock time of the epoch (validation included).</param>
/// <param name="Samples">Samples seen.</param>
/// <param name="Steps">Training steps (batches) taken.</param>
public sealed record EpochResult(int Epoch, float Loss, float Accuracy, TimeSpan Duration, int Samples, int Steps)
{
    private static readonly IReadOnlyDictionary<string, float> NoLogs = ReadOnlyDictionary<string, float>.Empty;

    /// <summary>
    /// Everything the epoch measured under Keras's keys, in report order: <c>loss</c>, each metric by name, then
    /// <c>val_loss</c> and <c>val_</c> + each metric name when there was validation data.
    /// </summary>
    public IReadOnlyDictionary<string, float> Logs { get; init; } = NoLogs;

    /// <summary>The optimizer's learning rate during the epoch.</summary>
    public float LearningRate { get; init; } = float.NaN;

    /// <summary>Mean loss on the validation data at the end of the epoch, or null without validation data.</summary>
    public float? ValidationLoss => Logs.TryGetValue("val_loss", out var value) ? value : null;

    /// <summary>Accuracy on the validation data at the end of the epoch, or null without validation data or accuracy.</summary>
    public float? ValidationAccuracy => Logs.TryGetValue("val_accuracy", out var value) ? value : null;
}

/// <summary>The per-epoch record of a training run, like Keras's <c>History</c>.</summary>
public sealed class History
{
    private readonly List<EpochResult> _epochs = [];
    private readonly List<string> _keys = [];

    /// <summary>An empty history, which Fit fills.</summary>
    public History()
    {
    }

    /// <summary>A history of the given epochs, for example read back from a log, to plot or inspect.</summary>
    public History(IEnumerable<EpochResult> epochs)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        foreach (var epoch in epochs) Add(epoch ?? throw new ArgumentException("The epochs hold a null entry.", nameof(epochs)));
    }

    /// <summary>Every finished epoch, in order.</summary>
    public IReadOnlyList<EpochResult> Epochs => _epochs;

    /// <summary>Training loss per epoch.</summary>
    public IReadOnlyList<float> Loss => _epochs.ConvertAll(e => e.Loss);

    /// <summary>Training accuracy per epoch.</summary>
    public IReadOnlyList<float> Accuracy => _epochs.ConvertAll(e => e.Accuracy);

    /// <summary>Validation loss per epoch; empty when the run had no validation data.</summary>
    public IReadOnlyList<float> ValidationLoss => Contains("val_loss") ? this["val_loss"] : [];

    /// <summary>Validation accuracy per epoch; empty when the run had no validation data or no accuracy metric.</summary>
    public IReadOnlyList<float> ValidationAccuracy => Contains("val_accuracy") ? this["val_accuracy"] : [];

    /// <summary>Every key any epoch logged (<c>loss</c>, metric names, <c>val_…</c>), in first-seen order: Keras's <c>history.history.keys()</c>.</summary>
    public IReadOnlyList<string> Keys => _keys;

    /// <summary>Whether any epoch logged <paramref name="key"/>.</summary>
    public bool Contains(string key) => _keys.Contains(key);

    /// <summary>The values of <paramref name="key"/> per epoch (NaN for an epoch that did not log it): Keras's <c>history.history[key]</c>.</summary>
    /// <exception cref="KeyNotFoundException">No epoch logged <paramref name="key"/>; the message lists the keys there are.</exception>
    public IReadOnlyList<float> this[string key]
    {
        get
        {
            if (!Contains(key))
                throw new KeyNotFoundException($"The history has no '{key}'. It holds: {string.Join(", ", _keys)}.");
            return _epochs.ConvertAll(e => e.Logs.TryGetValue(key, out var value) ? value : float.NaN);
        }
    }

    internal void Add(EpochResult epoch)
    {
        _epochs.Add(epoch);
        foreach (var key in epoch.Logs.Keys)
            if (!_keys.Contains(key)) _keys.Add(key);
    }
}

/// <summary>
/// The result of <see cref="SequentialModel.Evaluate"/>: mean loss and accuracy over the samples, and every metric
/// asked for under its name.
/// </summary>
/// <param name="Loss">Mean loss over the samples.</param>
/// <param name="Accuracy">Accuracy over the samples; NaN when metrics were given and none is <c>accuracy</c>.</param>
public readonly record struct EvaluationResult(float Loss, float Accuracy)
{
    /// <summary>Each metric asked for, by name; empty when Evaluate ran with its default metrics.</summary>
    public IReadOnlyDictionary<string, float> Metrics
    {
        get => _metrics ?? ReadOnlyDictionary<string, float>.Empty;
        init => _metrics = value;
    }

    private readonly IReadOnlyDictionary<string, float>? _metrics;
}

/// <summary>How much <see cref="SequentialModel.Fit"/> prints (Keras's <c>verbose</c>).</summary>
public enum Verbosity
{
    /// <summary>Nothing.</summary>
    Silent = 0,
    /// <summary>A progress bar that moves during the epoch on a terminal; one line per epoch when output is redirected.</summary>
    ProgressBar = 1,
    /// <summary>One line per epoch.</summary>
    OneLinePerEpoch = 2,
}

/// <summary>Thrown when training produces a loss that is NaN or infinite (unless a <see cref="TerminateOnNaN"/> callback stops the run instead).</summary>
public sealed class TrainingDivergedException(string message) : ArithmeticException(message);
