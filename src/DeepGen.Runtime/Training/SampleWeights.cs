using System.Diagnostics;
using System.Globalization;

namespace DeepGen;

/// <summary>
/// Fit's class and sample weights, with Keras's semantics: each sample's loss (and so its gradient) is multiplied by
/// its weight, and the batch loss is the weighted sum over the batch size (Keras's default reduction
/// <c>sum_over_batch_size</c>, <c>keras/src/losses/loss.py</c>, <c>reduce_values</c>). A class weight becomes the
/// sample weight of every sample of that class, as Keras's <c>class_weight_to_sample_weights</c> does
/// (<c>keras/src/trainers/data_adapters/data_adapter_utils.py</c>): the class is the argmax of a one-hot target, the
/// label of a sparse target, the rounded target of a one-unit binary target, and a class the dictionary leaves out
/// weighs 1.
/// </summary>
internal static class SampleWeights
{
    /// <summary>
    /// One weight per sample of <paramref name="y"/> (<paramref name="samples"/> of them), the class weight of its class
    /// times its sample weight; null when neither is given, so that Fit runs its unweighted path. Throws
    /// <see cref="ArgumentException"/> naming the bad argument, class or sample. The targets must have been checked.
    /// </summary>
    public static float[]? Build(
        Loss loss, int units, ReadOnlySpan<float> y, int samples,
        IReadOnlyDictionary<int, float>? classWeight, float[]? sampleWeight)
    {
        if (classWeight is null && sampleWeight is null) return null;
        var weights = new float[samples];
        if (sampleWeight is not null)
        {
            var span = sampleWeight.AsSpan();
            if (span.Length != samples)
                throw new ArgumentException(
                    $"'sampleWeight' holds {span.Length} weights but 'x' holds {samples} samples; give one weight per sample.", nameof(sampleWeight));
            for (var s = 0; s < samples; s++)
                if (!(span[s] >= 0f && float.IsFinite(span[s])))
                    throw new ArgumentException(Invariant($"'sampleWeight' gives sample {s} the weight {span[s]}; a weight must be finite and at least 0."), nameof(sampleWeight));
            span.CopyTo(weights);
        }
        else
        {
            weights.AsSpan().Fill(1f);
        }

        if (classWeight is not null) MultiplyByClassWeights(weights, loss, units, y, classWeight);
        return weights;
    }

    private static void MultiplyByClassWeights(Span<float> weights, Loss loss, int units, ReadOnlySpan<float> y, IReadOnlyDictionary<int, float> classWeight)
    {
        var classes = loss switch
        {
            CategoricalCrossEntropyLoss or SparseCategoricalCrossEntropyLoss => units,
            BinaryCrossEntropyLoss when units == 1 => 2,
            BinaryCrossEntropyLoss => throw new ArgumentException(
                $"'classWeight' weighs a sample by its one class, but {loss.Name} on {units} output units gives each sample {units} independent labels (multi-label). Give 'sampleWeight' instead, or use one sigmoid unit.",
                nameof(classWeight)),
            _ => throw new ArgumentException(
                $"'classWeight' needs a classification loss (categorical, sparse categorical or binary cross-entropy); {loss.Name} has no classes. Give 'sampleWeight' instead.",
                nameof(classWeight)),
        };

        // Every class's weight, checked once; a class the dictionary leaves out weighs 1, as in Keras.
        var byClass = new float[classes];
        byClass.AsSpan().Fill(1f);
        foreach (var (key, value) in classWeight)
        {
            if (key < 0 || key >= classes)
                throw new ArgumentException(Invariant(
                    $"'classWeight' weighs class {key}, but {loss.Name} on {units} output unit{(units == 1 ? "" : "s")} has the classes 0 to {classes - 1}."), nameof(classWeight));
            if (!(value >= 0f && float.IsFinite(value)))
                throw new ArgumentException(Invariant($"'classWeight' gives class {key} the weight {value}; a weight must be finite and at least 0."), nameof(classWeight));
            byClass[key] = value;
        }

        var width = loss.TargetsPerSample(units);
        for (var s = 0; s < weights.Length; s++)
            weights[s] *= byClass[ClassOf(loss, y.Slice(s * width, width))];
    }

    /// <summary>The class of one sample's (checked) targets.</summary>
    private static int ClassOf(Loss loss, ReadOnlySpan<float> targets)
    {
        switch (loss)
        {
            case SparseCategoricalCrossEntropyLoss:
                return (int)targets[0];
            case BinaryCrossEntropyLoss:
                // NumPy's round, half to even, as Keras rounds: 0.5 is class 0.
                return (int)MathF.Round(targets[0], MidpointRounding.ToEven);
            default:
                // NumPy's argmax: the first of equal largest values.
                var best = 0;
                for (var i = 1; i < targets.Length; i++)
                    if (targets[i] > targets[best]) best = i;
                return best;
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// The loss Fit hands to the generated training step when samples are weighted: the user's loss, plus the weights of
/// the batch about to be trained on. <see cref="Loss.Gradient(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, Activation)"/>
/// and <see cref="Loss.Sum(ReadOnlySpan{float}, ReadOnlySpan{float}, int, int)"/> recognise it and run the inner loss's
/// weighted overloads, so the generated code needs no second path. One per Fit, its buffer sized at the start.
/// </summary>
internal sealed class BatchWeightedLoss(Loss inner, int capacity) : Loss
{
    private readonly float[] _weights = new float[capacity];
    private int _count;

    /// <summary>The user's loss.</summary>
    public Loss Inner { get; } = inner;

    public override string Name => Inner.Name;

    public override int TargetsPerSample(int outputs) => Inner.TargetsPerSample(outputs);

    /// <summary>The buffer for the weights of the next batch of <paramref name="batch"/> samples, for the caller to fill.</summary>
    public Span<float> NextBatch(int batch)
    {
        _count = batch;
        return _weights.AsSpan(0, batch);
    }

    /// <summary>The weights of the current batch, which must have <paramref name="batch"/> samples.</summary>
    public ReadOnlySpan<float> WeightsOf(int batch) =>
        batch == _count
            ? _weights.AsSpan(0, batch)
            : throw new InvalidOperationException($"The weighted loss holds weights for {_count} samples, but a batch of {batch} asked for them.");

    // Never reached: Loss.Sum and Loss.Gradient hand a weighted loss to its inner loss before any per-sample call.
    protected override double SampleLoss(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets) =>
        throw new UnreachableException("A weighted loss computes through its inner loss.");

    protected override void OutputGradient(Span<float> gradient, ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, float scale) =>
        throw new UnreachableException("A weighted loss computes through its inner loss.");

    public override string ToString() => Inner.ToString();
}
