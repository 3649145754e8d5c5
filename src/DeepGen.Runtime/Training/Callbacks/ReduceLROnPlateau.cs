using System.Globalization;

namespace DeepGen;

/// <summary>
/// Keras's <c>ReduceLROnPlateau</c>: multiplies the learning rate by <c>factor</c> once the monitored value has not
/// improved by more than <c>minDelta</c> for <c>patience</c> epochs, never below <c>minLearningRate</c>, then waits
/// <c>cooldown</c> epochs before counting again.
/// </summary>
public sealed class ReduceLROnPlateau : Callback
{
    private readonly Monitor _monitor;

    /// <param name="monitor">The log key to watch.</param>
    /// <param name="factor">What the rate is multiplied by; in (0, 1).</param>
    /// <param name="patience">Epochs without improvement before reducing.</param>
    /// <param name="mode">Whether the value should fall or rise; inferred from the name by default.</param>
    /// <param name="minDelta">The smallest change that counts as an improvement (Keras's default 1e-4).</param>
    /// <param name="cooldown">Epochs after a reduction during which nothing is counted.</param>
    /// <param name="minLearningRate">The floor of the rate.</param>
    public ReduceLROnPlateau(string monitor = "val_loss", float factor = 0.1f, int patience = 10, MonitorMode mode = MonitorMode.Auto,
        double minDelta = 1e-4, int cooldown = 0, float minLearningRate = 0f)
    {
        if (!(factor > 0f && factor < 1f)) throw new ArgumentOutOfRangeException(nameof(factor), factor, "The factor must be in (0, 1): ReduceLROnPlateau does not increase the rate.");
        ArgumentOutOfRangeException.ThrowIfNegative(patience);
        ArgumentOutOfRangeException.ThrowIfNegative(cooldown);
        if (!(minLearningRate >= 0f) || !float.IsFinite(minLearningRate))
            throw new ArgumentOutOfRangeException(nameof(minLearningRate), minLearningRate, "The minimum learning rate must be a finite number, 0 or more.");
        _monitor = new Monitor(monitor, mode, minDelta, nameof(ReduceLROnPlateau));
        Factor = factor;
        Patience = patience;
        Cooldown = cooldown;
        MinLearningRate = minLearningRate;
    }

    /// <summary>What the rate is multiplied by.</summary>
    public float Factor { get; }

    /// <summary>Epochs without improvement before reducing.</summary>
    public int Patience { get; }

    /// <summary>Epochs after a reduction during which nothing is counted.</summary>
    public int Cooldown { get; }

    /// <summary>The floor of the rate.</summary>
    public float MinLearningRate { get; }

    /// <summary>Epochs since the last improvement.</summary>
    public int Wait { get; private set; }

    /// <summary>Cooldown epochs left.</summary>
    public int CooldownCounter { get; private set; }

    /// <summary>The best monitored value so far.</summary>
    public double Best { get; private set; }

    /// <inheritdoc />
    public override void OnTrainBegin(TrainingContext context)
    {
        Wait = 0;
        CooldownCounter = 0;
        Best = _monitor.Worst;
    }

    /// <inheritdoc />
    public override void OnEpochEnd(TrainingContext context, EpochResult result)
    {
        var current = _monitor.Read(result);
        if (CooldownCounter > 0)
        {
            CooldownCounter--;
            Wait = 0;
        }

        if (_monitor.IsImprovement(current, Best))
        {
            Best = current;
            Wait = 0;
        }
        else if (CooldownCounter <= 0 && ++Wait >= Patience)
        {
            var old = context.Optimizer.LearningRate;
            if (old > MinLearningRate)
            {
                var reduced = Math.Max(old * Factor, MinLearningRate);
                // A floor of 0 could underflow to 0, which no optimizer accepts: keep the smallest positive rate instead.
                context.Optimizer.LearningRate = reduced > 0f ? reduced : float.Epsilon;
                context.Report(string.Create(CultureInfo.InvariantCulture,
                    $"Epoch {result.Epoch}: ReduceLROnPlateau reducing learning rate to {context.Optimizer.LearningRate}."));
                CooldownCounter = Cooldown;
                Wait = 0;
            }
        }
    }

    /// <inheritdoc />
    public override CallbackState SaveState()
    {
        var state = new CallbackState();
        state.Values["wait"] = Wait;
        state.Values["cooldown_counter"] = CooldownCounter;
        state.Values["best"] = Best;
        return state;
    }

    /// <inheritdoc />
    public override void LoadState(CallbackState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        (Wait, CooldownCounter, Best) = (state.Count("wait"), state.Count("cooldown_counter"), state.Value("best"));
    }
}
