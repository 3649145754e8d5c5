namespace DeepGen;

/// <summary>How <see cref="F1Score"/> combines the per-class scores into one number (Keras's <c>average</c>).</summary>
public enum F1Average
{
    /// <summary>The plain mean of the per-class F1 scores: every class counts the same, however rare.</summary>
    Macro,

    /// <summary>One F1 from the true positives, false positives and false negatives summed over the classes.</summary>
    Micro,

    /// <summary>The per-class F1 scores weighted by each class's support (the sum of its targets).</summary>
    Weighted,
}

/// <summary>
/// Keras 3's <c>F1Score</c> (<c>f1_score</c>), streaming over everything seen since the last reset. Per class c it
/// counts, with a prediction p ∈ {0, 1} and a target y: true positives Σ p·y, false positives Σ p·(1 - y), false
/// negatives Σ (1 - p)·y and the support Σ y; then precision = TP / (TP + FP + ε), recall = TP / (TP + FN + ε) and
/// F1 = 2·precision·recall / (precision + recall + ε), with Keras's ε = 1e-7, combined as <see cref="Average"/> says.
/// <list type="bullet">
/// <item>Without a threshold a sample predicts the class(es) of its largest output (ties all count, as in Keras);
/// with one, every output above it predicts its class (multi-label).</item>
/// <item>A single output (a sigmoid) is binary: the score is that of the positive class, thresholded at 0.5 unless
/// told otherwise (Keras, without a threshold, would predict every sample positive).</item>
/// <item>Targets are one-hot (or multi-hot) rows, or, unlike Keras, a class index per sample.</item>
/// </list>
/// Keras's default <c>average=None</c> returns a vector; here <see cref="Metric.Result"/> is one number (macro by
/// default) and <see cref="PerClass"/> gives the vector.
/// </summary>
public sealed class F1Score : Metric
{
    private const double Epsilon = 1e-7;
    private double[] _truePositives = [];
    private double[] _falsePositives = [];
    private double[] _falseNegatives = [];
    private double[] _support = [];

    /// <param name="average">How the per-class scores are combined.</param>
    /// <param name="threshold">Outputs above it predict their class; null: the largest output predicts (0.5 for a single output). In (0, 1].</param>
    public F1Score(F1Average average = F1Average.Macro, float? threshold = null)
    {
        if (threshold is { } value && !(value > 0f && value <= 1f))
            throw new ArgumentOutOfRangeException(nameof(threshold), value, "The F1 threshold must be in (0, 1].");
        if (!Enum.IsDefined(average))
            throw new ArgumentOutOfRangeException(nameof(average), average, "Use F1Average.Macro, Micro or Weighted.");
        Average = average;
        Threshold = threshold;
    }

    /// <summary>How the per-class scores are combined.</summary>
    public F1Average Average { get; }

    /// <summary>Outputs above it predict their class; null: the largest output predicts.</summary>
    public float? Threshold { get; }

    /// <inheritdoc />
    public override string Name => "f1_score";

    /// <inheritdoc />
    public override void Reset()
    {
        Array.Clear(_truePositives);
        Array.Clear(_falsePositives);
        Array.Clear(_falseNegatives);
        Array.Clear(_support);
    }

    /// <inheritdoc />
    public override Metric Clone() => new F1Score(Average, Threshold);

    /// <summary>The F1 score of each class (one entry for a single binary output): Keras's <c>average=None</c>.</summary>
    public double[] PerClass()
    {
        var scores = new double[_truePositives.Length];
        for (var c = 0; c < scores.Length; c++) scores[c] = F1(_truePositives[c], _falsePositives[c], _falseNegatives[c]);
        return scores;
    }

    /// <inheritdoc />
    public override double Result()
    {
        var classes = _truePositives.Length;
        if (classes == 0) return 0;
        switch (Average)
        {
            case F1Average.Micro:
                double tp = 0, fp = 0, fn = 0;
                for (var c = 0; c < classes; c++)
                {
                    tp += _truePositives[c];
                    fp += _falsePositives[c];
                    fn += _falseNegatives[c];
                }

                return F1(tp, fp, fn);
            case F1Average.Weighted:
                double support = 0, weighted = 0;
                for (var c = 0; c < classes; c++) support += _support[c];
                for (var c = 0; c < classes; c++)
                    weighted += F1(_truePositives[c], _falsePositives[c], _falseNegatives[c]) * (_support[c] / (support + Epsilon));
                return weighted;
            default:
                double sum = 0;
                for (var c = 0; c < classes; c++) sum += F1(_truePositives[c], _falsePositives[c], _falseNegatives[c]);
                return sum / classes;
        }
    }

    private static double F1(double truePositives, double falsePositives, double falseNegatives)
    {
        var precision = truePositives / (truePositives + falsePositives + Epsilon);
        var recall = truePositives / (truePositives + falseNegatives + Epsilon);
        return 2 * precision * recall / (precision + recall + Epsilon);
    }

    /// <inheritdoc />
    protected override void UpdateBatch(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, int batch, int units, int width)
    {
        if (_truePositives.Length == 0)
        {
            _truePositives = new double[units];
            _falsePositives = new double[units];
            _falseNegatives = new double[units];
            _support = new double[units];
        }
        else if (_truePositives.Length != units)
        {
            throw new ArgumentException($"{Name} was counting {_truePositives.Length} classes and got {units} outputs per sample; use a new F1Score for another model.", nameof(outputs));
        }

        var sparse = width == 1 && units > 1;
        var threshold = Threshold ?? (units == 1 ? 0.5f : float.NaN);
        for (var row = 0; row < batch; row++)
        {
            var output = outputs.Slice(row * units, units);
            var largest = float.IsNaN(threshold) ? Max(output) : 0f;
            var label = sparse ? ClassIndex(targets[row], units, row) : -1;
            for (var c = 0; c < units; c++)
            {
                var predicted = float.IsNaN(threshold) ? output[c] == largest : output[c] > threshold;
                double actual = sparse ? (c == label ? 1 : 0) : targets[row * units + c];
                if (predicted)
                {
                    _truePositives[c] += actual;
                    _falsePositives[c] += 1 - actual;
                }
                else
                {
                    _falseNegatives[c] += actual;
                }

                _support[c] += actual;
            }
        }
    }

    private static float Max(ReadOnlySpan<float> values)
    {
        var max = values[0];
        foreach (var value in values)
            if (value > max) max = value;
        return max;
    }

    private int ClassIndex(float target, int units, int row)
    {
        var index = (int)target;
        if (index != target || index < 0 || index >= units)
            throw new ArgumentException($"{Name} got the class index {target} for sample {row} of the batch, which is not a whole number in [0, {units}).");
        return index;
    }
}
