namespace DeepGen;

/// <summary>Keras's <c>mean_squared_error</c> metric: the mean of <c>(p - y)²</c> over every output of every sample.</summary>
public sealed class MeanSquaredError : Metric
{
    private SquaredErrors _errors;

    /// <inheritdoc />
    public override string Name => "mean_squared_error";

    /// <inheritdoc />
    public override bool HigherIsBetter => false;

    /// <inheritdoc />
    public override void Reset() => _errors = default;

    /// <inheritdoc />
    public override double Result() => _errors.Mean;

    /// <inheritdoc />
    public override Metric Clone() => new MeanSquaredError();

    /// <inheritdoc />
    protected override void UpdateBatch(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, int batch, int units, int width)
    {
        RequireDenseTargets(units, width);
        _errors.Add(outputs, targets);
    }
}

/// <summary>
/// Keras's <c>RootMeanSquaredError</c> (<c>root_mean_squared_error</c>): the square root of the mean of
/// <c>(p - y)²</c> over every output of every sample seen since the last reset, so it is in the targets' units.
/// It is the root of the epoch's mean, not the mean of per-batch roots.
/// </summary>
public sealed class RootMeanSquaredError : Metric
{
    private SquaredErrors _errors;

    /// <inheritdoc />
    public override string Name => "root_mean_squared_error";

    /// <inheritdoc />
    public override bool HigherIsBetter => false;

    /// <inheritdoc />
    public override void Reset() => _errors = default;

    /// <inheritdoc />
    public override double Result() => Math.Sqrt(_errors.Mean);

    /// <inheritdoc />
    public override Metric Clone() => new RootMeanSquaredError();

    /// <inheritdoc />
    protected override void UpdateBatch(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, int batch, int units, int width)
    {
        RequireDenseTargets(units, width);
        _errors.Add(outputs, targets);
    }
}

/// <summary>The running mean of <c>(p - y)²</c> that <see cref="MeanSquaredError"/> and <see cref="RootMeanSquaredError"/> keep; <c>default</c> is empty.</summary>
internal struct SquaredErrors
{
    private double _sum;
    private long _count;

    /// <summary>The mean so far, accumulated in double; 0 before any value.</summary>
    public readonly double Mean => _count == 0 ? 0 : _sum / _count;

    /// <summary>Adds <c>(p - y)²</c> of every output.</summary>
    public void Add(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets)
    {
        double sum = 0;
        for (var i = 0; i < outputs.Length; i++)
        {
            var error = (double)outputs[i] - targets[i];
            sum += error * error;
        }

        _sum += sum;
        _count += outputs.Length;
    }
}

/// <summary>How <see cref="R2Score"/> combines the scores of several outputs (Keras's <c>class_aggregation</c>).</summary>
public enum R2Aggregation
{
    /// <summary>The plain mean of the per-output scores (Keras's default, <c>"uniform_average"</c>).</summary>
    UniformAverage,

    /// <summary>The per-output scores weighted by each output's total sum of squares (<c>"variance_weighted_average"</c>).</summary>
    VarianceWeightedAverage,
}

/// <summary>
/// Keras 3's <c>R2Score</c> (<c>r2_score</c>), the coefficient of determination over everything seen since the last
/// reset: per output, <c>1 - SS_res / SS_tot</c> with <c>SS_res = Σ (y - p)²</c> and <c>SS_tot = Σ (y - ȳ)²</c>,
/// ȳ being the mean target of the whole epoch (not of a batch), then the outputs' scores combined as
/// <see cref="Aggregation"/> says. 1 is a perfect fit; 0 is no better than always predicting the mean; it can be
/// negative. As in Keras, an output whose targets are all equal (<c>SS_tot = 0</c>) scores 0 when its predictions
/// miss and NaN when they are exact, and NaN is the result before any update. Sums are kept in double
/// (the targets' spread by Welford's update, so a large mean does not cancel digits away).
/// </summary>
/// <param name="aggregation">How several outputs' scores are combined.</param>
public sealed class R2Score(R2Aggregation aggregation = R2Aggregation.UniformAverage) : Metric
{
    private double[] _mean = [];
    private double[] _spread = []; // Σ (y - ȳ)² so far, per output
    private double[] _residual = []; // Σ (y - p)² so far, per output
    private long _count;

    /// <summary>How several outputs' scores are combined.</summary>
    public R2Aggregation Aggregation { get; } = aggregation;

    /// <inheritdoc />
    public override string Name => "r2_score";

    /// <inheritdoc />
    public override void Reset()
    {
        Array.Clear(_mean);
        Array.Clear(_spread);
        Array.Clear(_residual);
        _count = 0;
    }

    /// <inheritdoc />
    public override Metric Clone() => new R2Score(Aggregation);

    /// <inheritdoc />
    public override double Result()
    {
        if (_count == 0) return double.NaN;
        double sum = 0, weights = 0;
        for (var o = 0; o < _mean.Length; o++)
        {
            var score = 1 - _residual[o] / _spread[o];
            if (double.IsInfinity(score)) score = 0; // Keras: a constant target that the predictions miss scores 0
            if (Aggregation == R2Aggregation.UniformAverage)
            {
                sum += score;
                weights += 1;
            }
            else
            {
                sum += _spread[o] * score;
                weights += _spread[o];
            }
        }

        return sum / weights;
    }

    /// <inheritdoc />
    protected override void UpdateBatch(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, int batch, int units, int width)
    {
        RequireDenseTargets(units, width);
        if (_mean.Length == 0)
        {
            _mean = new double[units];
            _spread = new double[units];
            _residual = new double[units];
        }
        else if (_mean.Length != units)
        {
            throw new ArgumentException($"{Name} was measuring {_mean.Length} outputs per sample and got {units}; use a new R2Score for another model.", nameof(outputs));
        }

        for (var row = 0; row < batch; row++)
        {
            _count++;
            for (var o = 0; o < units; o++)
            {
                double y = targets[row * units + o];
                var error = y - outputs[row * units + o];
                _residual[o] += error * error;
                var delta = y - _mean[o];
                _mean[o] += delta / _count;
                _spread[o] += delta * (y - _mean[o]);
            }
        }
    }
}
