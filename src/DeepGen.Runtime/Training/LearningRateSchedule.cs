using System.Globalization;

namespace DeepGen;

/// <summary>
/// A learning rate as a function of the optimizer's step count, as Keras's <c>LearningRateSchedule</c>: attach one
/// to any optimizer through <see cref="Optimizer.Schedule"/> and each update uses <c>Rate(optimizer.Iterations)</c>,
/// the number of updates already applied (0 for the first).
/// </summary>
public abstract class LearningRateSchedule
{
    /// <summary>The learning rate of the update that follows <paramref name="iteration"/> completed updates.</summary>
    public abstract float Rate(long iteration);

    /// <summary>Checks a rate a schedule starts from or reaches, which must be a positive, finite number.</summary>
    private protected static float PositiveRate(float value, string name)
    {
        if (!(value > 0f) || !float.IsFinite(value))
            throw new ArgumentOutOfRangeException(name, value, $"'{name}' must be a positive, finite learning rate.");
        return value;
    }

    /// <summary>Checks a rate that may also be zero (the start of a warm-up, a step of a piecewise schedule).</summary>
    private protected static float NonNegativeRate(float value, string name)
    {
        if (!(value >= 0f) || !float.IsFinite(value))
            throw new ArgumentOutOfRangeException(name, value, $"'{name}' must be zero or a positive, finite learning rate.");
        return value;
    }

    private protected static long PositiveSteps(long value, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, name);
        return value;
    }
}

/// <summary>
/// Keras's <c>ExponentialDecay</c>: <c>initialLearningRate · decayRate^(iteration / decaySteps)</c>, the exponent
/// rounded down with <c>staircase</c> (step decay: the rate drops by <c>decayRate</c> every <c>decaySteps</c> updates).
/// </summary>
public sealed class ExponentialDecay : LearningRateSchedule
{
    /// <param name="initialLearningRate">The rate of the first update.</param>
    /// <param name="decaySteps">Updates over which the rate is multiplied by <paramref name="decayRate"/>.</param>
    /// <param name="decayRate">The factor per <paramref name="decaySteps"/> updates; positive.</param>
    /// <param name="staircase">Whether the rate changes in steps rather than smoothly.</param>
    public ExponentialDecay(float initialLearningRate, long decaySteps, float decayRate, bool staircase = false)
    {
        InitialLearningRate = PositiveRate(initialLearningRate, nameof(initialLearningRate));
        DecaySteps = PositiveSteps(decaySteps, nameof(decaySteps));
        if (!(decayRate > 0f) || !float.IsFinite(decayRate))
            throw new ArgumentOutOfRangeException(nameof(decayRate), decayRate, "'decayRate' must be a positive, finite number.");
        DecayRate = decayRate;
        Staircase = staircase;
    }

    /// <summary>The rate of the first update.</summary>
    public float InitialLearningRate { get; }

    /// <summary>Updates over which the rate is multiplied by <see cref="DecayRate"/>.</summary>
    public long DecaySteps { get; }

    /// <summary>The factor per <see cref="DecaySteps"/> updates.</summary>
    public float DecayRate { get; }

    /// <summary>Whether the rate changes in steps.</summary>
    public bool Staircase { get; }

    /// <inheritdoc />
    public override float Rate(long iteration)
    {
        var exponent = (double)iteration / DecaySteps;
        if (Staircase) exponent = Math.Floor(exponent);
        return (float)(InitialLearningRate * Math.Pow(DecayRate, exponent));
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"ExponentialDecay({InitialLearningRate} · {DecayRate}^(t / {DecaySteps}){(Staircase ? ", staircase" : "")})");
}

/// <summary>
/// Keras's <c>PiecewiseConstantDecay</c>: <c>values[0]</c> while <c>iteration ≤ boundaries[0]</c>, <c>values[i]</c>
/// while <c>boundaries[i-1] &lt; iteration ≤ boundaries[i]</c>, and the last value after the last boundary.
/// </summary>
public sealed class PiecewiseConstantDecay : LearningRateSchedule
{
    private readonly long[] _boundaries;
    private readonly float[] _values;

    /// <param name="boundaries">Strictly increasing iteration counts where the rate changes.</param>
    /// <param name="values">One more rate than boundaries, each zero or positive.</param>
    public PiecewiseConstantDecay(IReadOnlyList<long> boundaries, IReadOnlyList<float> values)
    {
        ArgumentNullException.ThrowIfNull(boundaries);
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count != boundaries.Count + 1)
            throw new ArgumentException($"{boundaries.Count} boundaries need {boundaries.Count + 1} values, not {values.Count}.", nameof(values));
        for (var i = 1; i < boundaries.Count; i++)
            if (boundaries[i] <= boundaries[i - 1])
                throw new ArgumentException($"The boundaries must increase strictly; {boundaries[i]} follows {boundaries[i - 1]}.", nameof(boundaries));
        _boundaries = [.. boundaries];
        _values = new float[values.Count];
        for (var i = 0; i < _values.Length; i++) _values[i] = NonNegativeRate(values[i], nameof(values));
    }

    /// <summary>The iteration counts where the rate changes.</summary>
    public IReadOnlyList<long> Boundaries => _boundaries;

    /// <summary>The rate of each piece.</summary>
    public IReadOnlyList<float> Values => _values;

    /// <inheritdoc />
    public override float Rate(long iteration)
    {
        for (var i = 0; i < _boundaries.Length; i++)
            if (iteration <= _boundaries[i]) return _values[i];
        return _values[^1];
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"PiecewiseConstantDecay(boundaries [{string.Join(", ", _boundaries)}], values [{string.Join(", ", _values.Select(v => v.ToString(CultureInfo.InvariantCulture)))}])");
}

/// <summary>
/// Keras's <c>CosineDecay</c> (Loshchilov and Hutter's SGDR without restarts), with its optional linear warm-up.
/// Without warm-up: <c>initial · ((1 - α) · ½(1 + cos(π · min(t, decaySteps) / decaySteps)) + α)</c>. With
/// <c>warmupTarget</c>: the rate rises linearly from <c>initial</c> to <c>warmupTarget</c> over
/// <c>warmupSteps</c> updates, then decays from <c>warmupTarget</c> as above over <c>decaySteps</c> more.
/// </summary>
public sealed class CosineDecay : LearningRateSchedule
{
    /// <param name="initialLearningRate">The first rate (the warm-up's start when there is one).</param>
    /// <param name="decaySteps">Updates over which the rate decays.</param>
    /// <param name="alpha">The final rate as a fraction of the decay's start, in [0, 1].</param>
    /// <param name="warmupTarget">The rate at the end of the warm-up; null for none.</param>
    /// <param name="warmupSteps">Updates of warm-up; needs <paramref name="warmupTarget"/> when positive.</param>
    public CosineDecay(float initialLearningRate, long decaySteps, float alpha = 0f, float? warmupTarget = null, long warmupSteps = 0)
    {
        InitialLearningRate = warmupTarget is null
            ? PositiveRate(initialLearningRate, nameof(initialLearningRate))
            : NonNegativeRate(initialLearningRate, nameof(initialLearningRate));
        DecaySteps = PositiveSteps(decaySteps, nameof(decaySteps));
        if (!(alpha >= 0f && alpha <= 1f))
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "'alpha' must lie in [0, 1].");
        Alpha = alpha;
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        if (warmupTarget is { } target) WarmupTarget = PositiveRate(target, nameof(warmupTarget));
        else if (warmupSteps > 0)
            throw new ArgumentException("A warm-up needs 'warmupTarget', the rate it rises to.", nameof(warmupTarget));
        WarmupSteps = warmupSteps;
    }

    /// <summary>The first rate.</summary>
    public float InitialLearningRate { get; }

    /// <summary>Updates over which the rate decays.</summary>
    public long DecaySteps { get; }

    /// <summary>The final rate as a fraction of the decay's start.</summary>
    public float Alpha { get; }

    /// <summary>The rate at the end of the warm-up; null for none.</summary>
    public float? WarmupTarget { get; }

    /// <summary>Updates of warm-up.</summary>
    public long WarmupSteps { get; }

    /// <inheritdoc />
    public override float Rate(long iteration)
    {
        if (WarmupTarget is not { } target) return Decay(Math.Min(iteration, DecaySteps), InitialLearningRate);
        var t = Math.Min(iteration, DecaySteps + WarmupSteps);
        return t < WarmupSteps
            ? (float)(InitialLearningRate + (target - (double)InitialLearningRate) * t / WarmupSteps)
            : Decay(t - WarmupSteps, target);
    }

    private float Decay(long t, float from)
    {
        var cosine = 0.5 * (1 + Math.Cos(Math.PI * t / DecaySteps));
        return (float)(from * ((1 - Alpha) * cosine + Alpha));
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"CosineDecay(initial {InitialLearningRate}, decay steps {DecaySteps}, alpha {Alpha}{(WarmupTarget is { } w ? $", warm-up to {w} over {WarmupSteps}" : "")})");
}

/// <summary>
/// A linear warm-up in front of any schedule (or a constant rate): for the first <c>warmupSteps</c> updates the rate
/// rises linearly from <c>initialLearningRate</c> to the following schedule's first rate, which then runs from its own
/// iteration 0: <c>rate(t) = after(t - warmupSteps)</c>.
/// </summary>
public sealed class LinearWarmup : LearningRateSchedule
{
    /// <param name="after">The schedule that follows the warm-up.</param>
    /// <param name="warmupSteps">Updates of warm-up; positive.</param>
    /// <param name="initialLearningRate">The rate of the first update; zero or positive.</param>
    public LinearWarmup(LearningRateSchedule after, long warmupSteps, float initialLearningRate = 0f)
    {
        ArgumentNullException.ThrowIfNull(after);
        After = after;
        WarmupSteps = PositiveSteps(warmupSteps, nameof(warmupSteps));
        InitialLearningRate = NonNegativeRate(initialLearningRate, nameof(initialLearningRate));
    }

    /// <param name="targetLearningRate">The constant rate after the warm-up.</param>
    /// <param name="warmupSteps">Updates of warm-up; positive.</param>
    /// <param name="initialLearningRate">The rate of the first update; zero or positive.</param>
    public LinearWarmup(float targetLearningRate, long warmupSteps, float initialLearningRate = 0f)
        : this(new PiecewiseConstantDecay([], [PositiveRate(targetLearningRate, nameof(targetLearningRate))]), warmupSteps, initialLearningRate)
    {
    }

    /// <summary>The schedule that follows the warm-up.</summary>
    public LearningRateSchedule After { get; }

    /// <summary>Updates of warm-up.</summary>
    public long WarmupSteps { get; }

    /// <summary>The rate of the first update.</summary>
    public float InitialLearningRate { get; }

    /// <inheritdoc />
    public override float Rate(long iteration)
    {
        if (iteration >= WarmupSteps) return After.Rate(iteration - WarmupSteps);
        var target = After.Rate(0);
        return (float)(InitialLearningRate + (target - (double)InitialLearningRate) * iteration / WarmupSteps);
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"LinearWarmup(from {InitialLearningRate} over {WarmupSteps} steps, then {After})");
}
