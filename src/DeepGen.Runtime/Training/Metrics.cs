using System.Numerics.Tensors;

namespace DeepGen;

/// <summary>
/// A training metric, Keras style: a stateful object that accumulates over batches (<see cref="Update"/>) and reports
/// over everything seen since the last <see cref="Reset"/> (<see cref="Result"/>). Updates allocate nothing, so a
/// metric can run on every training step. <c>Fit</c> and <c>Evaluate</c> take them through their <c>metrics</c>
/// argument; a metric reports under its <see cref="Name"/>, with <c>val_</c> in front on validation data.
/// </summary>
public abstract class Metric
{
    /// <summary>The key the metric reports under, as Keras names it (<c>accuracy</c>, <c>precision</c>, …).</summary>
    public abstract string Name { get; }

    /// <summary>Whether a larger value is better; monitoring callbacks in <c>auto</c> mode follow it.</summary>
    public virtual bool HigherIsBetter => true;

    /// <summary>Forgets everything accumulated.</summary>
    public abstract void Reset();

    /// <summary>
    /// Accumulates one batch: <paramref name="outputs"/> <c>[batch, units]</c> and <paramref name="targets"/>
    /// <c>[batch, width]</c>, where width is units for dense targets or 1 for a class index.
    /// </summary>
    public void Update(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, int batch)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        if (outputs.Length == 0 || outputs.Length % batch != 0)
            throw new ArgumentException($"The outputs hold {outputs.Length} floats, not a whole number of values for {batch} samples.", nameof(outputs));
        if (targets.Length == 0 || targets.Length % batch != 0)
            throw new ArgumentException($"The targets hold {targets.Length} floats, not a whole number of values for {batch} samples.", nameof(targets));
        var units = outputs.Length / batch;
        var width = targets.Length / batch;
        if (width != units && width != 1)
            throw new ArgumentException($"{Name} got {width} targets per sample for {units} outputs; give {units} (dense) or 1 (a class index).", nameof(targets));
        UpdateBatch(outputs, targets, batch, units, width);
    }

    /// <summary>The metric over everything since the last <see cref="Reset"/>; 0 (or NaN where undefined) before any update.</summary>
    public abstract double Result();

    /// <summary>A new metric of the same kind and settings, with nothing accumulated (for validation beside training).</summary>
    public abstract Metric Clone();

    /// <summary>Accumulates one batch whose shapes <see cref="Update"/> has checked.</summary>
    protected abstract void UpdateBatch(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, int batch, int units, int width);

    /// <summary>Throws unless the targets are dense (one per output), for metrics that make no sense on a class index.</summary>
    protected void RequireDenseTargets(int units, int width)
    {
        if (width != units)
            throw new ArgumentException($"{Name} needs one target per output ({units}), not a class index.");
    }

    /// <summary>
    /// The metric a Keras name stands for: <c>accuracy</c>/<c>acc</c>, <c>binary_accuracy</c>,
    /// <c>categorical_accuracy</c>, <c>sparse_categorical_accuracy</c>, <c>top_k_categorical_accuracy</c>,
    /// <c>sparse_top_k_categorical_accuracy</c> (k = 5), <c>precision</c>, <c>recall</c>, <c>auc</c>,
    /// <c>mae</c>/<c>mean_absolute_error</c>, <c>mse</c>/<c>mean_squared_error</c>,
    /// <c>rmse</c>/<c>root_mean_squared_error</c>, <c>r2_score</c> and <c>f1_score</c> (macro average).
    /// </summary>
    public static Metric FromName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return name switch
        {
            "accuracy" or "acc" => new Accuracy(),
            "binary_accuracy" => new BinaryAccuracy(),
            "categorical_accuracy" => new CategoricalAccuracy(),
            "sparse_categorical_accuracy" => new SparseCategoricalAccuracy(),
            "top_k_categorical_accuracy" => new TopKCategoricalAccuracy(),
            "sparse_top_k_categorical_accuracy" => new SparseTopKCategoricalAccuracy(),
            "precision" => new Precision(),
            "recall" => new Recall(),
            "auc" => new Auc(),
            "mae" or "mean_absolute_error" => new MeanAbsoluteError(),
            "mse" or "mean_squared_error" => new MeanSquaredError(),
            "rmse" or "root_mean_squared_error" => new RootMeanSquaredError(),
            "r2_score" => new R2Score(),
            "f1_score" => new F1Score(),
            _ => throw new ArgumentException(
                $"'{name}' is not a metric DeepGen knows. Known: accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy, top_k_categorical_accuracy, sparse_top_k_categorical_accuracy, precision, recall, auc, mean_absolute_error, mean_squared_error, root_mean_squared_error, r2_score, f1_score.",
                nameof(name)),
        };
    }

    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>A metric that is the fraction of samples judged correct.</summary>
public abstract class SampleFractionMetric : Metric
{
    private long _correct;
    private long _count;

    /// <inheritdoc />
    public override void Reset()
    {
        _correct = 0;
        _count = 0;
    }

    /// <inheritdoc />
    public override double Result() => _count == 0 ? 0 : (double)_correct / _count;

    /// <inheritdoc />
    protected sealed override void UpdateBatch(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, int batch, int units, int width)
    {
        for (var row = 0; row < batch; row++)
            if (IsCorrect(outputs.Slice(row * units, units), targets.Slice(row * width, width)))
                _correct++;
        _count += batch;
    }

    /// <summary>Whether one sample counts as correct.</summary>
    protected abstract bool IsCorrect(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets);

    /// <summary>The class index a sparse target holds, checked to be a whole number within range.</summary>
    protected int ClassIndex(float target, int units)
    {
        var index = (int)target;
        if (index != target || index < 0 || index >= units)
            throw new ArgumentException($"{Name} got the class index {target}, which is not a whole number in [0, {units}).");
        return index;
    }
}

/// <summary>
/// Keras's <c>"accuracy"</c>, resolved from the shapes as Keras resolves it: binary (threshold 0.5) for one output,
/// sparse (arg-max against a class index) for one target and several outputs, categorical (arg-max against arg-max)
/// otherwise.
/// </summary>
public sealed class Accuracy : SampleFractionMetric
{
    /// <inheritdoc />
    public override string Name => "accuracy";

    /// <inheritdoc />
    public override Metric Clone() => new Accuracy();

    /// <inheritdoc />
    protected override bool IsCorrect(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets)
    {
        if (outputs.Length == 1) return outputs[0] > 0.5f == targets[0] > 0.5f;
        if (targets.Length == 1) return TensorPrimitives.IndexOfMax(outputs) == ClassIndex(targets[0], outputs.Length);
        return TensorPrimitives.IndexOfMax(outputs) == TensorPrimitives.IndexOfMax(targets);
    }
}

/// <summary>Keras's <c>binary_accuracy</c>: the fraction of outputs on the same side of the threshold as their target.</summary>
/// <param name="threshold">Outputs above it count as 1.</param>
public sealed class BinaryAccuracy(float threshold = 0.5f) : Metric
{
    private long _correct;
    private long _count;

    /// <inheritdoc />
    public override string Name => "binary_accuracy";

    /// <summary>Outputs above it count as 1.</summary>
    public float Threshold { get; } = threshold;

    /// <inheritdoc />
    public override void Reset()
    {
        _correct = 0;
        _count = 0;
    }

    /// <inheritdoc />
    public override double Result() => _count == 0 ? 0 : (double)_correct / _count;

    /// <inheritdoc />
    public override Metric Clone() => new BinaryAccuracy(Threshold);

    /// <inheritdoc />
    protected override void UpdateBatch(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, int batch, int units, int width)
    {
        RequireDenseTargets(units, width);
        // Keras averages per sample over the outputs, then over samples; every sample has as many outputs, so this
        // is the plain mean over all outputs.
        for (var i = 0; i < outputs.Length; i++)
            if (outputs[i] > Threshold == targets[i] > Threshold) _correct++;
        _count += outputs.Length;
    }
}

/// <summary>Keras's <c>categorical_accuracy</c>: the arg-max of the outputs equals the arg-max of the one-hot target.</summary>
public sealed class CategoricalAccuracy : SampleFractionMetric
{
    /// <inheritdoc />
    public override string Name => "categorical_accuracy";

    /// <inheritdoc />
    public override Metric Clone() => new CategoricalAccuracy();

    /// <inheritdoc />
    protected override bool IsCorrect(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets)
    {
        if (targets.Length != outputs.Length)
            throw new ArgumentException($"{Name} needs one-hot targets; use sparse_categorical_accuracy for class indices.");
        return TensorPrimitives.IndexOfMax(outputs) == TensorPrimitives.IndexOfMax(targets);
    }
}

/// <summary>Keras's <c>sparse_categorical_accuracy</c>: the arg-max of the outputs equals the class index.</summary>
public sealed class SparseCategoricalAccuracy : SampleFractionMetric
{
    /// <inheritdoc />
    public override string Name => "sparse_categorical_accuracy";

    /// <inheritdoc />
    public override Metric Clone() => new SparseCategoricalAccuracy();

    /// <inheritdoc />
    protected override bool IsCorrect(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets)
    {
        if (targets.Length != 1)
            throw new ArgumentException($"{Name} needs a class index per sample; use categorical_accuracy for one-hot targets.");
        return TensorPrimitives.IndexOfMax(outputs) == ClassIndex(targets[0], outputs.Length);
    }
}

/// <summary>
/// Keras's <c>top_k_categorical_accuracy</c>: the target class (arg-max of the one-hot target) is among the
/// <paramref name="k"/> largest outputs. As in <c>tf.math.in_top_k</c>, outputs tied with the target's count in its favour.
/// </summary>
public sealed class TopKCategoricalAccuracy(int k = 5) : SampleFractionMetric
{
    /// <summary>How many of the largest outputs count.</summary>
    public int K { get; } = k > 0 ? k : throw new ArgumentOutOfRangeException(nameof(k), k, "k must be positive.");

    /// <inheritdoc />
    public override string Name => "top_k_categorical_accuracy";

    /// <inheritdoc />
    public override Metric Clone() => new TopKCategoricalAccuracy(K);

    /// <inheritdoc />
    protected override bool IsCorrect(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets)
    {
        if (targets.Length != outputs.Length)
            throw new ArgumentException($"{Name} needs one-hot targets; use sparse_top_k_categorical_accuracy for class indices.");
        return TopK.Contains(outputs, TensorPrimitives.IndexOfMax(targets), K);
    }
}

/// <summary>Keras's <c>sparse_top_k_categorical_accuracy</c>: the class index is among the <paramref name="k"/> largest outputs.</summary>
public sealed class SparseTopKCategoricalAccuracy(int k = 5) : SampleFractionMetric
{
    /// <summary>How many of the largest outputs count.</summary>
    public int K { get; } = k > 0 ? k : throw new ArgumentOutOfRangeException(nameof(k), k, "k must be positive.");

    /// <inheritdoc />
    public override string Name => "sparse_top_k_categorical_accuracy";

    /// <inheritdoc />
    public override Metric Clone() => new SparseTopKCategoricalAccuracy(K);

    /// <inheritdoc />
    protected override bool IsCorrect(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets)
    {
        if (targets.Length != 1)
            throw new ArgumentException($"{Name} needs a class index per sample; use top_k_categorical_accuracy for one-hot targets.");
        return TopK.Contains(outputs, ClassIndex(targets[0], outputs.Length), K);
    }
}

internal static class TopK
{
    /// <summary>Whether fewer than <paramref name="k"/> outputs are strictly larger than the one at <paramref name="index"/>.</summary>
    public static bool Contains(ReadOnlySpan<float> outputs, int index, int k)
    {
        var value = outputs[index];
        var larger = 0;
        foreach (var output in outputs)
            if (output > value && ++larger >= k) return false;
        return true;
    }
}

/// <summary>
/// Counts over every output thresholded on its own (outputs flattened, as Keras does by default): true positives,
/// false positives and false negatives, from which <see cref="Precision"/> and <see cref="Recall"/> take their ratio.
/// </summary>
public abstract class ThresholdCountMetric(float threshold) : Metric
{
    /// <summary>Outputs above it are predicted positive.</summary>
    public float Threshold { get; } = threshold;

    protected long TruePositives { get; private set; }

    protected long FalsePositives { get; private set; }

    protected long FalseNegatives { get; private set; }

    /// <inheritdoc />
    public override void Reset() => (TruePositives, FalsePositives, FalseNegatives) = (0, 0, 0);

    /// <summary><paramref name="part"/> / (<paramref name="part"/> + <paramref name="other"/>), or 0 when both are 0.</summary>
    protected static double Ratio(long part, long other) => part + other == 0 ? 0 : (double)part / (part + other);

    /// <inheritdoc />
    protected override void UpdateBatch(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, int batch, int units, int width)
    {
        RequireDenseTargets(units, width);
        for (var i = 0; i < outputs.Length; i++)
        {
            var predicted = outputs[i] > Threshold;
            var actual = targets[i] > 0.5f;
            if (predicted && actual) TruePositives++;
            else if (predicted) FalsePositives++;
            else if (actual) FalseNegatives++;
        }
    }
}

/// <summary>
/// Keras's <c>Precision</c>: true positives / (true positives + false positives), every output thresholded at
/// <paramref name="threshold"/> and counted on its own. 0 when nothing was predicted positive.
/// </summary>
public sealed class Precision(float threshold = 0.5f) : ThresholdCountMetric(threshold)
{
    /// <inheritdoc />
    public override string Name => "precision";

    /// <inheritdoc />
    public override double Result() => Ratio(TruePositives, FalsePositives);

    /// <inheritdoc />
    public override Metric Clone() => new Precision(Threshold);
}

/// <summary>
/// Keras's <c>Recall</c>: true positives / (true positives + false negatives), every output thresholded at
/// <paramref name="threshold"/> and counted on its own. 0 when there were no positive targets.
/// </summary>
public sealed class Recall(float threshold = 0.5f) : ThresholdCountMetric(threshold)
{
    /// <inheritdoc />
    public override string Name => "recall";

    /// <inheritdoc />
    public override double Result() => Ratio(TruePositives, FalseNegatives);

    /// <inheritdoc />
    public override Metric Clone() => new Recall(Threshold);
}

/// <summary>
/// Keras's <c>AUC</c> (ROC curve, interpolation summation): Keras's approximation, not the exact area. Confusion
/// counts are kept at a fixed number of evenly spaced thresholds (200 by default: 0 - ε, 1/199, …,
/// 198/199, 1 + ε), an output above a threshold counting as positive; the area is the trapezoidal sum over the
/// resulting (false-positive rate, true-positive rate) points. Outputs are flattened, so it is meant for binary
/// outputs (one sigmoid unit, or independent sigmoid units).
/// </summary>
public sealed class Auc : Metric
{
    private const float Epsilon = 1e-7f;
    private readonly float[] _thresholds;
    private readonly long[] _truePositives;
    private readonly long[] _falsePositives;
    private long _positives;
    private long _negatives;

    /// <param name="thresholds">Number of thresholds; more is closer to the exact area. At least 3.</param>
    public Auc(int thresholds = 200)
    {
        if (thresholds < 3) throw new ArgumentOutOfRangeException(nameof(thresholds), thresholds, "AUC needs at least 3 thresholds.");
        _thresholds = new float[thresholds];
        _thresholds[0] = -Epsilon;
        for (var i = 1; i < thresholds - 1; i++) _thresholds[i] = (float)i / (thresholds - 1);
        _thresholds[^1] = 1 + Epsilon;
        _truePositives = new long[thresholds];
        _falsePositives = new long[thresholds];
    }

    /// <summary>Number of thresholds.</summary>
    public int Thresholds => _thresholds.Length;

    /// <inheritdoc />
    public override string Name => "auc";

    /// <inheritdoc />
    public override void Reset()
    {
        Array.Clear(_truePositives);
        Array.Clear(_falsePositives);
        _positives = 0;
        _negatives = 0;
    }

    /// <inheritdoc />
    public override Metric Clone() => new Auc(Thresholds);

    /// <inheritdoc />
    protected override void UpdateBatch(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, int batch, int units, int width)
    {
        RequireDenseTargets(units, width);
        for (var i = 0; i < outputs.Length; i++)
        {
            var positive = targets[i] > 0.5f;
            if (positive) _positives++;
            else _negatives++;
            var counts = positive ? _truePositives : _falsePositives;
            // Thresholds ascend, so the output is above a prefix of them: find its end by binary search.
            var above = CountThresholdsBelow(outputs[i]);
            for (var t = 0; t < above; t++) counts[t]++;
        }
    }

    /// <inheritdoc />
    public override double Result()
    {
        // Trapezoids between consecutive thresholds; rates with a zero denominator are 0, as Keras's divide_no_nan.
        var area = 0.0;
        for (var t = 0; t < _thresholds.Length - 1; t++)
        {
            var x0 = Rate(_falsePositives[t], _negatives);
            var x1 = Rate(_falsePositives[t + 1], _negatives);
            var y0 = Rate(_truePositives[t], _positives);
            var y1 = Rate(_truePositives[t + 1], _positives);
            area += (x0 - x1) * (y0 + y1) / 2;
        }

        return area;
    }

    private static double Rate(long count, long total) => total == 0 ? 0 : (double)count / total;

    /// <summary>Number of thresholds strictly below <paramref name="value"/>.</summary>
    private int CountThresholdsBelow(float value)
    {
        int low = 0, high = _thresholds.Length;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (_thresholds[middle] < value) low = middle + 1;
            else high = middle;
        }

        return low;
    }
}

/// <summary>Keras's <c>mean_absolute_error</c> metric: the mean of <c>|p - y|</c> over every output of every sample.</summary>
public sealed class MeanAbsoluteError : Metric
{
    private double _sum;
    private long _count;

    /// <inheritdoc />
    public override string Name => "mean_absolute_error";

    /// <inheritdoc />
    public override bool HigherIsBetter => false;

    /// <inheritdoc />
    public override void Reset()
    {
        _sum = 0;
        _count = 0;
    }

    /// <inheritdoc />
    public override double Result() => _count == 0 ? 0 : _sum / _count;

    /// <inheritdoc />
    public override Metric Clone() => new MeanAbsoluteError();

    /// <inheritdoc />
    protected override void UpdateBatch(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, int batch, int units, int width)
    {
        RequireDenseTargets(units, width);
        for (var i = 0; i < outputs.Length; i++) _sum += Math.Abs((double)outputs[i] - targets[i]);
        _count += outputs.Length;
    }
}
