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
/// The result of an evaluation (<see cref="SequentialModel.Evaluate"/>, <c>GpuModel.Evaluate</c>,
/// <see cref="SequenceModel.Evaluate"/>): the mean loss and every metric measured, by its Keras name, like Keras's
/// <c>model.evaluate(..., return_dict=True)</c>: <c>result["loss"]</c>, <c>result["r2_score"]</c>,
/// <see cref="TryGetValue"/>, <see cref="Metrics"/>. <see cref="Accuracy"/> and the deconstruction
/// <c>var (loss, accuracy) = …</c> work only when accuracy was measured and throw otherwise, never a silent NaN.
/// </summary>
public readonly struct EvaluationResult
{
    private const string LossKey = "loss";
    private const string AccuracyKey = "accuracy";

    // The only metric, held without a dictionary so that an evaluation with the default metrics allocates nothing.
    private readonly string? _name;
    private readonly float _value;
    private readonly KeyValuePair<string, float>[]? _entries;

    /// <summary>A result of the loss alone, or of the loss and each of <paramref name="metrics"/> in their order.</summary>
    /// <param name="loss">Mean loss over the samples.</param>
    /// <param name="metrics">Each metric's value by name; <c>loss</c> may not be one of the names.</param>
    public EvaluationResult(float loss, IEnumerable<KeyValuePair<string, float>>? metrics = null)
    {
        Loss = loss;
        if (metrics is null) return;
        var entries = metrics.ToArray();
        var seen = new HashSet<string>(StringComparer.Ordinal) { LossKey };
        foreach (var (name, _) in entries)
            if (name is null || !seen.Add(name))
                throw new ArgumentException(name is null ? "A metric has a null name." : $"The metric name '{name}' is repeated or clashes with the loss.", nameof(metrics));
        _entries = entries;
    }

    /// <summary>A result of the loss and one metric, without allocating.</summary>
    internal EvaluationResult(float loss, string name, float value)
    {
        Loss = loss;
        _name = name;
        _value = value;
    }

    /// <summary>Mean loss over the samples (with the weight penalties, as Keras reports it).</summary>
    public float Loss { get; }

    /// <summary>
    /// The accuracy measured (the metric named <c>accuracy</c>).
    /// </summary>
    /// <exception cref="InvalidOperationException">No <c>accuracy</c> was measured; the message names what was.</exception>
    public float Accuracy => TryGetValue(AccuracyKey, out var value)
        ? value
        : throw new InvalidOperationException(
            $"This evaluation measured no accuracy, only {Describe()}. Read a metric by name (result[\"name\"]), or pass metrics: [new Accuracy()] to Evaluate.");

    /// <summary>Each metric measured, by name (the loss is <see cref="Loss"/>, not in here; <see cref="Names"/> gives the order).</summary>
    public IReadOnlyDictionary<string, float> Metrics
    {
        get
        {
            var metrics = new Dictionary<string, float>(StringComparer.Ordinal);
            if (_name is not null) metrics.Add(_name, _value);
            foreach (var (name, value) in _entries ?? []) metrics.Add(name, value);
            return metrics;
        }
    }

    /// <summary>The names there are, in order: <c>loss</c>, then each metric.</summary>
    public IReadOnlyList<string> Names
    {
        get
        {
            var names = new List<string> { LossKey };
            if (_name is not null) names.Add(_name);
            foreach (var (name, _) in _entries ?? []) names.Add(name);
            return names;
        }
    }

    /// <summary>The value of <paramref name="name"/>: <c>loss</c> or a metric's name (<c>accuracy</c>, <c>r2_score</c>, …).</summary>
    /// <exception cref="KeyNotFoundException">Nothing of that name was measured; the message lists what was.</exception>
    public float this[string name] => TryGetValue(name, out var value)
        ? value
        : throw new KeyNotFoundException($"This evaluation measured no '{name}', only {Describe()}.");

    /// <summary>Whether <paramref name="name"/> (<c>loss</c> or a metric's name) was measured, and its value.</summary>
    public bool TryGetValue(string name, out float value)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name == LossKey)
        {
            value = Loss;
            return true;
        }

        if (name == _name)
        {
            value = _value;
            return true;
        }

        foreach (var entry in _entries ?? [])
        {
            if (entry.Key != name) continue;
            value = entry.Value;
            return true;
        }

        value = float.NaN;
        return false;
    }

    /// <summary>
    /// <c>var (loss, accuracy) = model.Evaluate(…)</c>, for a run that measured accuracy (a classifier with its
    /// default metrics, or metrics that include <see cref="DeepGen.Accuracy"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">No <c>accuracy</c> was measured; the message names what was.</exception>
    public void Deconstruct(out float loss, out float accuracy)
    {
        loss = Loss;
        accuracy = Accuracy;
    }

    /// <summary>Keras's way: <c>loss: 0.0831 - accuracy: 0.9329</c>, every figure with four decimals.</summary>
    public override string ToString()
    {
        var text = new System.Text.StringBuilder();
        foreach (var name in Names)
        {
            if (text.Length > 0) text.Append(" - ");
            text.Append(name).Append(": ").Append(this[name].ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    private string Describe() => string.Join(", ", Names);
}

/// <summary>How much <see cref="SequentialModel.Fit"/> prints, and in which form (Keras's <c>verbose</c>).</summary>
public enum Verbosity
{
    /// <summary>Nothing.</summary>
    Silent = 0,

    /// <summary>
    /// Keras 3's progress bar, counting steps (batches):
    /// <c>469/469 ━━━━━━━━━━━━━━━━━━━━ 3s 6ms/step - accuracy: 0.9311 - loss: 0.2190</c>, figures in name order,
    /// the <c>val_</c> ones last. It moves during the epoch on a terminal; when output is redirected, one line per epoch.
    /// </summary>
    ProgressBar = 1,

    /// <summary>Keras 3's <c>verbose=2</c>: one line per epoch, <c>469/469 - 3s - 6ms/step - accuracy: 0.9311 - loss: 0.2190</c>.</summary>
    OneLinePerEpoch = 2,

    /// <summary>
    /// Keras 2's progress bar, counting samples, the loss first and the metrics in their order:
    /// <c>60000/60000 [==============================] - 1s 15us/step - loss: 0.0094 - accuracy: 0.9453</c>. It moves
    /// during the epoch on a terminal; when output is redirected, one line per epoch.
    /// </summary>
    Keras2ProgressBar = 3,
}

/// <summary>Thrown when training produces a loss that is NaN or infinite (unless a <see cref="TerminateOnNaN"/> callback stops the run instead).</summary>
public sealed class TrainingDivergedException(string message) : ArithmeticException(message);
