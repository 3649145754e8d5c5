using System.Globalization;
using System.Text;

namespace DeepGen;

/// <summary>
/// A confusion matrix: how many samples of each actual class (rows) were predicted as each class (columns), the
/// layout of scikit-learn's <c>confusion_matrix</c> and TensorFlow's <c>tf.math.confusion_matrix</c>. It is not a
/// <see cref="Metric"/> (it is a table, not a number): build one from a model's outputs with <see cref="Compute"/>
/// (<c>ConfusionMatrix.Compute(model.Predict(xTest), yTest, samples)</c>), or fill it batch by batch with <see cref="Update"/>.
/// <list type="bullet">
/// <item>Several outputs: the predicted class is the arg-max of the outputs (the first on a tie); the actual class is
/// the arg-max of a one-hot target row, or the class index when there is one target per sample.</item>
/// <item>One output (a sigmoid): two classes, 0 and 1, the output predicting 1 above <see cref="Threshold"/> and the
/// target being 1 above 0.5.</item>
/// </list>
/// </summary>
public sealed class ConfusionMatrix
{
    private readonly long[] _counts;

    /// <summary>An empty matrix for <paramref name="classes"/> classes (2 for a single sigmoid output).</summary>
    /// <param name="classes">Number of classes, at least 2.</param>
    /// <param name="threshold">For a single output: above it, the prediction is class 1.</param>
    public ConfusionMatrix(int classes, float threshold = 0.5f)
    {
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), classes, "A confusion matrix needs at least 2 classes (2 for a single sigmoid output).");
        Classes = classes;
        Threshold = threshold;
        _counts = new long[classes * classes];
    }

    /// <summary>Number of classes: rows and columns.</summary>
    public int Classes { get; }

    /// <summary>For a single output: above it, the prediction is class 1.</summary>
    public float Threshold { get; }

    /// <summary>Samples counted.</summary>
    public long Total { get; private set; }

    /// <summary>Samples of class <paramref name="actual"/> predicted as <paramref name="predicted"/>.</summary>
    public long this[int actual, int predicted]
    {
        get
        {
            if ((uint)actual >= (uint)Classes) throw new ArgumentOutOfRangeException(nameof(actual), actual, $"Classes are 0 to {Classes - 1}.");
            if ((uint)predicted >= (uint)Classes) throw new ArgumentOutOfRangeException(nameof(predicted), predicted, $"Classes are 0 to {Classes - 1}.");
            return _counts[actual * Classes + predicted];
        }
    }

    /// <summary>The fraction of samples on the diagonal (predicted as their class); 0 before any sample.</summary>
    public double Accuracy
    {
        get
        {
            long correct = 0;
            for (var c = 0; c < Classes; c++) correct += _counts[c * Classes + c];
            return Total == 0 ? 0 : (double)correct / Total;
        }
    }

    /// <summary>The counts as a <c>[actual, predicted]</c> array (a copy).</summary>
    public long[,] ToArray()
    {
        var array = new long[Classes, Classes];
        for (var a = 0; a < Classes; a++)
            for (var p = 0; p < Classes; p++) array[a, p] = _counts[a * Classes + p];
        return array;
    }

    /// <summary>
    /// The confusion matrix of <paramref name="outputs"/> <c>[samples, units]</c> against <paramref name="targets"/>
    /// (<c>[samples, units]</c> one-hot, or <c>[samples, 1]</c> class indices) for <paramref name="samples"/> samples:
    /// <c>units</c> classes, or 2 for a single output.
    /// </summary>
    public static ConfusionMatrix Compute(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, int samples, float threshold = 0.5f)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(samples);
        if (outputs.Length == 0 || outputs.Length % samples != 0)
            throw new ArgumentException($"The outputs hold {outputs.Length} floats, not a whole number of values for {samples} samples.", nameof(outputs));
        var units = outputs.Length / samples;
        var matrix = new ConfusionMatrix(Math.Max(units, 2), threshold);
        matrix.Update(outputs, targets, samples);
        return matrix;
    }

    /// <summary>Counts one batch: <paramref name="outputs"/> <c>[batch, units]</c>, <paramref name="targets"/> <c>[batch, units]</c> or <c>[batch, 1]</c>.</summary>
    public void Update(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, int batch)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        if (outputs.Length == 0 || outputs.Length % batch != 0)
            throw new ArgumentException($"The outputs hold {outputs.Length} floats, not a whole number of values for {batch} samples.", nameof(outputs));
        var units = outputs.Length / batch;
        if (units == 1 ? Classes != 2 : units != Classes)
            throw new ArgumentException($"The matrix has {Classes} classes but the outputs hold {units} per sample; give {Classes} (or 1 for a 2-class sigmoid).", nameof(outputs));
        if (targets.Length != batch * units && targets.Length != batch)
            throw new ArgumentException($"The targets hold {targets.Length} floats for {batch} samples: give {units} per sample (one-hot) or 1 (a class index).", nameof(targets));
        var width = targets.Length / batch;
        for (var row = 0; row < batch; row++)
        {
            var output = outputs.Slice(row * units, units);
            var target = targets.Slice(row * width, width);
            int predicted, actual;
            if (units == 1)
            {
                predicted = output[0] > Threshold ? 1 : 0;
                actual = target[0] > 0.5f ? 1 : 0;
            }
            else
            {
                predicted = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(output);
                actual = width == 1 ? ClassIndex(target[0], row) : System.Numerics.Tensors.TensorPrimitives.IndexOfMax(target);
            }

            _counts[actual * Classes + predicted]++;
        }

        Total += batch;
    }

    private int ClassIndex(float target, int row)
    {
        var index = (int)target;
        if (index != target || index < 0 || index >= Classes)
            throw new ArgumentException($"Sample {row} has the class index {target}, which is not a whole number in [0, {Classes}).", "targets");
        return index;
    }

    /// <summary>The table, rows the actual classes and columns the predicted ones, with their labels.</summary>
    public override string ToString()
    {
        var width = Math.Max(Classes - 1, 0).ToString(CultureInfo.InvariantCulture).Length;
        for (var i = 0; i < _counts.Length; i++) width = Math.Max(width, _counts[i].ToString(CultureInfo.InvariantCulture).Length);
        var label = "actual \\ predicted";
        var text = new StringBuilder();
        text.Append(label);
        for (var p = 0; p < Classes; p++) text.Append(' ').Append(p.ToString(CultureInfo.InvariantCulture).PadLeft(width));
        text.Append('\n');
        for (var a = 0; a < Classes; a++)
        {
            text.Append(a.ToString(CultureInfo.InvariantCulture).PadLeft(label.Length));
            for (var p = 0; p < Classes; p++) text.Append(' ').Append(_counts[a * Classes + p].ToString(CultureInfo.InvariantCulture).PadLeft(width));
            text.Append('\n');
        }

        return text.ToString();
    }
}
