using System.Globalization;
using DeepGen.Serialization;

namespace DeepGen;

/// <summary>
/// Keras's <c>EarlyStopping</c>: stops training once the monitored value has not improved by more than
/// <c>minDelta</c> for <c>patience</c> epochs, optionally putting back the weights of the best epoch.
/// </summary>
/// <remarks>
/// As in Keras 3: an epoch improves when it beats the best so far by more than min_delta; the wait counter restarts
/// only when it also beats <c>baseline</c> (when one is given); training stops when the wait reaches patience (never
/// after the run's first epoch); with <c>restoreBestWeights</c> the best epoch's weights are put back when training
/// ends, whether or not it stopped early. Unlike Keras, a monitored key the epoch did not log is an error, not a warning.
/// </remarks>
public sealed class EarlyStopping : Callback
{
    private readonly Monitor _monitor;
    private float[]? _bestWeights;
    private int _firstEpoch;
    private int _parameterCount;

    /// <param name="monitor">The log key to watch (<c>val_loss</c>, <c>accuracy</c>, …).</param>
    /// <param name="minDelta">The smallest change that counts as an improvement.</param>
    /// <param name="patience">Epochs without improvement before stopping.</param>
    /// <param name="mode">Whether the value should fall or rise; inferred from the name by default.</param>
    /// <param name="baseline">A value the monitored value must beat before the wait restarts; null for none.</param>
    /// <param name="restoreBestWeights">Put back the best epoch's weights when training ends.</param>
    /// <param name="startFromEpoch">Epochs (from the start of the run) to let pass before watching, for warm-up.</param>
    public EarlyStopping(string monitor = "val_loss", double minDelta = 0, int patience = 0, MonitorMode mode = MonitorMode.Auto,
        double? baseline = null, bool restoreBestWeights = false, int startFromEpoch = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(patience);
        ArgumentOutOfRangeException.ThrowIfNegative(startFromEpoch);
        if (baseline is { } b && !double.IsFinite(b)) throw new ArgumentOutOfRangeException(nameof(baseline), b, "The baseline must be finite.");
        _monitor = new Monitor(monitor, mode, minDelta, nameof(EarlyStopping));
        Patience = patience;
        Baseline = baseline;
        RestoreBestWeights = restoreBestWeights;
        StartFromEpoch = startFromEpoch;
    }

    /// <summary>Epochs without improvement before stopping.</summary>
    public int Patience { get; }

    /// <summary>The value to beat before the wait restarts, or null.</summary>
    public double? Baseline { get; }

    /// <summary>Whether the best epoch's weights are put back when training ends.</summary>
    public bool RestoreBestWeights { get; }

    /// <summary>Epochs to let pass before watching.</summary>
    public int StartFromEpoch { get; }

    /// <summary>Epochs since the last improvement.</summary>
    public int Wait { get; private set; }

    /// <summary>The best monitored value so far.</summary>
    public double Best { get; private set; }

    /// <summary>The epoch (from 1) of the best value; 0 before any.</summary>
    public int BestEpoch { get; private set; }

    /// <summary>The epoch (from 1) at which training was stopped; 0 when it was not.</summary>
    public int StoppedEpoch { get; private set; }

    /// <inheritdoc />
    public override void OnTrainBegin(TrainingContext context)
    {
        Wait = 0;
        StoppedEpoch = 0;
        Best = _monitor.Worst;
        BestEpoch = 0;
        _bestWeights = null;
        _firstEpoch = context.Epoch + 1;
        _parameterCount = context.Model.Architecture.ParameterCount;
    }

    /// <inheritdoc />
    public override void OnEpochEnd(TrainingContext context, EpochResult result)
    {
        var current = _monitor.Read(result);
        if (result.Epoch - 1 < StartFromEpoch) return;
        if (RestoreBestWeights && _bestWeights is null) _bestWeights = context.Model.Parameters.ToArray();

        Wait++;
        if (_monitor.IsImprovement(current, Best))
        {
            Best = current;
            BestEpoch = result.Epoch;
            if (RestoreBestWeights) context.Model.Parameters.CopyTo(_bestWeights);
            if (Baseline is not { } baseline || _monitor.IsImprovement(current, baseline)) Wait = 0;
            return;
        }

        if (Wait >= Patience && result.Epoch > _firstEpoch)
        {
            StoppedEpoch = result.Epoch;
            context.StopTraining = true;
        }
    }

    /// <inheritdoc />
    public override void OnTrainEnd(TrainingContext context)
    {
        if (StoppedEpoch > 0)
            context.Report(string.Create(CultureInfo.InvariantCulture, $"Epoch {StoppedEpoch}: early stopping"));
        if (RestoreBestWeights && _bestWeights is not null)
        {
            context.Report(string.Create(CultureInfo.InvariantCulture, $"Restoring model weights from the end of the best epoch: {BestEpoch}."));
            _bestWeights.CopyTo(context.Model.Parameters);
        }
    }

    /// <inheritdoc />
    public override CallbackState SaveState()
    {
        var state = new CallbackState();
        state.Values["wait"] = Wait;
        state.Values["best"] = Best;
        state.Values["best_epoch"] = BestEpoch;
        state.Values["first_epoch"] = _firstEpoch;
        if (_bestWeights is not null) state.Tensors["best_weights"] = _bestWeights;
        return state;
    }

    /// <inheritdoc />
    public override void LoadState(CallbackState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        // Everything checked before anything is taken, so a refused state changes nothing.
        var wait = state.Count("wait");
        var best = state.Value("best");
        var bestEpoch = state.Count("best_epoch");
        var firstEpoch = state.Count("first_epoch");
        float[]? bestWeights = null;
        if (state.Tensors.TryGetValue("best_weights", out var weights))
        {
            if (weights.Length != _parameterCount)
                throw new InvalidModelFileException(string.Create(CultureInfo.InvariantCulture,
                    $"The checkpoint's best weights hold {weights.Length} values; the model has {_parameterCount} parameters."));
            bestWeights = (float[])weights.Clone();
        }

        (Wait, Best, BestEpoch, _firstEpoch, _bestWeights) = (wait, best, bestEpoch, firstEpoch, bestWeights);
    }
}
