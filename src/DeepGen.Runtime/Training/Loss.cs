using System.Numerics.Tensors;
using DeepGen.Cpu;

namespace DeepGen;

/// <summary>
/// A loss with Keras's semantics: a per-sample value reduced by the mean over the batch. Besides its value, a loss
/// writes the gradient of the batch mean with respect to the last layer's <em>pre-activation</em>, with the output
/// activation folded in (softmax + cross-entropy becomes <c>(p - y) / batch</c>).
/// </summary>
public abstract class Loss
{
    /// <summary>Mean squared error: per sample, the mean over outputs of <c>(p - y)²</c> (Keras's <c>mse</c>).</summary>
    public static Loss MeanSquaredError { get; } = new MeanSquaredErrorLoss();

    /// <summary>
    /// Categorical cross-entropy on probabilities: per sample <c>-Σ y log p</c>, with <c>p</c> renormalised to sum
    /// to one and clipped to <c>[1e-7, 1 - 1e-7]</c> as Keras does. Fused with a softmax output.
    /// </summary>
    public static Loss CategoricalCrossEntropy { get; } = new CategoricalCrossEntropyLoss();

    /// <summary>Mean absolute error: per sample, the mean over outputs of <c>|p - y|</c> (Keras's <c>mae</c>).</summary>
    public static Loss MeanAbsoluteError { get; } = new MeanAbsoluteErrorLoss();

    /// <summary>
    /// Huber loss with <c>delta = 1</c> (Keras's <c>Huber()</c>): per output <c>½x²</c> where <c>|x| ≤ δ</c>, else
    /// <c>δ|x| - ½δ²</c>, for <c>x = p - y</c>, averaged over outputs. <see cref="HuberLoss"/> takes another delta.
    /// </summary>
    public static Loss Huber { get; } = new HuberLoss();

    /// <summary>
    /// Binary cross-entropy on probabilities (Keras's <c>binary_crossentropy</c>): per output
    /// <c>-(y log(p + ε) + (1 - y) log(1 - p + ε))</c> with p clipped to <c>[ε, 1 - ε]</c>, ε = 1e-7, averaged over
    /// outputs. Fused with a sigmoid output as <c>(p - y) / (batch · units)</c>.
    /// </summary>
    public static Loss BinaryCrossEntropy { get; } = new BinaryCrossEntropyLoss();

    /// <summary>
    /// Categorical cross-entropy on integer labels (Keras's <c>sparse_categorical_crossentropy</c>): each sample's
    /// target is one float, the index of its class in <c>[0, outputs)</c>; the loss is then that of
    /// <see cref="CategoricalCrossEntropy"/> against the one-hot target. Fused with a softmax output.
    /// </summary>
    public static Loss SparseCategoricalCrossEntropy { get; } = new SparseCategoricalCrossEntropyLoss();

    /// <summary>The Keras name of the loss.</summary>
    public abstract string Name { get; }

    /// <summary>
    /// Floats of target per sample for a model of <paramref name="outputs"/> outputs: the output count for losses
    /// on dense targets (one-hot, regression), 1 for losses on a class index (sparse categorical cross-entropy).
    /// </summary>
    public virtual int TargetsPerSample(int outputs) => outputs;

    /// <summary>Sum over the batch of the per-sample losses (the caller divides by the sample count).</summary>
    public double Sum(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, int batch, int units)
    {
        if (this is BatchWeightedLoss weighted) return weighted.Inner.Sum(outputs, targets, weighted.WeightsOf(batch), batch, units);
        CheckShapes(outputs, targets, batch, units);
        return WeightedSum(outputs, targets, sampleWeights: [], batch, units);
    }

    /// <summary>
    /// Sum over the batch of the per-sample losses, each multiplied by its weight in <paramref name="sampleWeights"/>
    /// (one per sample, finite and at least 0): <c>Σ wᵢ lᵢ</c>. Divided by the sample count, this is Keras's loss with
    /// <c>sample_weight</c> (its default reduction <c>sum_over_batch_size</c>: the weighted sum over the batch size,
    /// not over the sum of the weights).
    /// </summary>
    public double Sum(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, ReadOnlySpan<float> sampleWeights, int batch, int units)
    {
        CheckShapes(outputs, targets, batch, units);
        CheckWeights(sampleWeights, batch);
        return WeightedSum(outputs, targets, sampleWeights, batch, units);
    }

    /// <summary>
    /// Writes into <paramref name="gradient"/> dL/dz of the batch-mean loss L, where z is the last layer's
    /// pre-activation and <paramref name="outputs"/> = activation(z). Returns the batch-mean loss.
    /// </summary>
    public float Gradient(
        Span<float> gradient, ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, int batch, int units,
        Activation outputActivation)
    {
        // Fit's stand-in for a loss with sample weights: the generated TrainStep calls this overload.
        if (this is BatchWeightedLoss weighted)
            return weighted.Inner.Gradient(gradient, outputs, targets, weighted.WeightsOf(batch), batch, units, outputActivation);
        CheckShapes(outputs, targets, batch, units);
        return WeightedGradient(gradient, outputs, targets, sampleWeights: [], batch, units, outputActivation);
    }

    /// <summary>
    /// As <see cref="Gradient(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, Activation)"/> for the
    /// weighted loss <c>L = Σ wᵢ lᵢ / batch</c> (Keras's <c>sample_weight</c> with its default reduction
    /// <c>sum_over_batch_size</c>): sample i's gradient is scaled by its weight <c>wᵢ</c>. Returns L. Weights of 1 give
    /// the unweighted overload's bits exactly.
    /// </summary>
    /// <param name="sampleWeights">One weight per sample, finite and at least 0.</param>
    public float Gradient(
        Span<float> gradient, ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, ReadOnlySpan<float> sampleWeights,
        int batch, int units, Activation outputActivation)
    {
        CheckShapes(outputs, targets, batch, units);
        CheckWeights(sampleWeights, batch);
        return WeightedGradient(gradient, outputs, targets, sampleWeights, batch, units, outputActivation);
    }

    // The weighted and unweighted overloads share these two loops; no weights (an empty span) means a weight of 1 for
    // every sample. weight · l and weight · (1 / batch) are exact for a weight of 1, so an unweighted call, or a sample
    // of weight 1, gives the bits of a loop without weights. The callers have checked the shapes and the weights.

    private double WeightedSum(
        ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, ReadOnlySpan<float> sampleWeights, int batch, int units)
    {
        var width = TargetsPerSample(units);
        var sum = 0.0;
        for (var row = 0; row < batch; row++)
        {
            var weight = sampleWeights.IsEmpty ? 1f : sampleWeights[row];
            sum += weight * SampleLoss(outputs.Slice(row * units, units), targets.Slice(row * width, width));
        }

        return sum;
    }

    private float WeightedGradient(
        Span<float> gradient, ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, ReadOnlySpan<float> sampleWeights,
        int batch, int units, Activation outputActivation)
    {
        if (gradient.Length != outputs.Length)
            throw new ArgumentException($"The gradient holds {gradient.Length} floats; {outputs.Length} are needed.", nameof(gradient));
        var width = TargetsPerSample(units);
        var sum = 0.0;
        var scale = 1f / batch;
        for (var row = 0; row < batch; row++)
        {
            var p = outputs.Slice(row * units, units);
            var y = targets.Slice(row * width, width);
            var g = gradient.Slice(row * units, units);
            var weight = sampleWeights.IsEmpty ? 1f : sampleWeights[row];
            sum += weight * SampleLoss(p, y);
            SampleGradient(g, p, y, weight * scale, outputActivation);
        }

        return (float)(sum / batch);
    }

    /// <summary>The loss of one sample.</summary>
    protected abstract double SampleLoss(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets);

    /// <summary>
    /// dL/dz for one sample, where L is this sample's loss times <paramref name="scale"/> (1 / batch). The default
    /// computes dL/dp with <see cref="OutputGradient"/>, then applies the activation's Jacobian.
    /// </summary>
    protected virtual void SampleGradient(
        Span<float> gradient, ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, float scale, Activation outputActivation)
    {
        OutputGradient(gradient, outputs, targets, scale);
        ApplyActivationJacobian(gradient, outputs, outputActivation);
    }

    /// <summary>dL/dp for one sample, L being its loss times <paramref name="scale"/>.</summary>
    protected abstract void OutputGradient(Span<float> gradient, ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, float scale);

    /// <summary>
    /// Turns dL/dp into dL/dz in place, for p = activation(z). GELU and Swish are refused: their derivative needs z,
    /// which the generated code applies itself.
    /// </summary>
    protected static void ApplyActivationJacobian(Span<float> gradient, ReadOnlySpan<float> outputs, Activation activation)
    {
        switch (activation)
        {
            case Activation.Linear: break;
            case Activation.Sigmoid: SigmoidActivation.Backward(gradient, outputs); break;
            case Activation.Tanh: TanhActivation.Backward(gradient, outputs); break;
            case Activation.Relu: ReluActivation.Backward(gradient, outputs); break;
            case Activation.LeakyRelu: LeakyReluActivation.Backward(gradient, outputs); break;
            case Activation.Elu: EluActivation.Backward(gradient, outputs); break;
            case Activation.Selu: SeluActivation.Backward(gradient, outputs); break;
            case Activation.Softplus: SoftplusActivation.Backward(gradient, outputs); break;
            case Activation.HardSigmoid: HardSigmoidActivation.Backward(gradient, outputs); break;
            case Activation.Gelu or Activation.Swish:
                // Not invertible: the generated TrainStep passes Linear here and applies the derivative itself from
                // the pre-activations it kept.
                throw new ArgumentException(
                    $"The {activation} derivative needs the layer's pre-activations, not its outputs; pass Activation.Linear and apply {activation}'s derivative to the result.",
                    nameof(activation));
            case Activation.Softmax:
                // dz_i = p_i (g_i - Σ_j g_j p_j)
                var dot = TensorPrimitives.Dot(gradient, outputs);
                for (var i = 0; i < gradient.Length; i++) gradient[i] = outputs[i] * (gradient[i] - dot);
                break;
            default: throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation.");
        }
    }

    /// <summary>
    /// Checks the values of the targets once their shape is right; throws <see cref="ArgumentException"/> naming the
    /// first bad one. The default accepts any value (the fit loop has already refused non-finite ones).
    /// </summary>
    protected virtual void CheckTargets(ReadOnlySpan<float> targets, int batch, int units)
    {
    }

    /// <summary>
    /// Checks the values of a whole target set, <c>[samples, TargetsPerSample(units)]</c>, before training or evaluating
    /// on it, and throws <see cref="ArgumentException"/> naming the first bad value by its sample (counted from 0 over
    /// the whole set, unlike the per-batch check) and target. The default accepts any finite value.
    /// </summary>
    internal virtual void CheckTargetValues(ReadOnlySpan<float> targets, int units, string name)
    {
    }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> when this loss cannot train a model of <paramref name="units"/> output
    /// units at all (cross-entropy over classes on one unit), naming the loss to use instead. The default accepts any.
    /// </summary>
    internal virtual void CheckOutputs(int units)
    {
    }

    /// <summary>The message for a categorical cross-entropy on one output unit: one renormalised probability is always 1.</summary>
    private protected string OneUnitMessage() =>
        $"{Name} on a model with one output unit always gives loss 0 and trains nothing: it renormalises the outputs of each sample to sum to 1, and one output is then always 1. " +
        "For two classes use Loss.BinaryCrossEntropy on the one sigmoid unit (targets 0 or 1), or give the model two softmax units with one-hot targets.";

    private static void CheckWeights(ReadOnlySpan<float> sampleWeights, int batch)
    {
        if (sampleWeights.Length != batch)
            throw new ArgumentException($"The sample weights hold {sampleWeights.Length} values; {batch} expected, one per sample.", nameof(sampleWeights));
        // Min is NaN if any weight is NaN; Max is infinite if any is. One vectorized pass each, a loop only to name the bad one.
        if (TensorPrimitives.Min(sampleWeights) >= 0f && float.IsFinite(TensorPrimitives.Max(sampleWeights))) return;
        for (var i = 0; i < sampleWeights.Length; i++)
            if (!(sampleWeights[i] >= 0f && float.IsFinite(sampleWeights[i])))
                throw new ArgumentException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"The weight of sample {i} is {sampleWeights[i]}; sample weights must be finite and at least 0."), nameof(sampleWeights));
    }

    private void CheckShapes(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, int batch, int units)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(units);
        if (outputs.Length != batch * units)
            throw new ArgumentException($"The outputs hold {outputs.Length} floats; {batch} samples × {units} outputs = {batch * units} expected.", nameof(outputs));
        var width = TargetsPerSample(units);
        if (targets.Length != batch * width)
            throw new ArgumentException($"The targets hold {targets.Length} floats; {batch} samples × {width} targets = {batch * width} expected by {Name}.", nameof(targets));
        CheckTargets(targets, batch, units);
    }

    /// <inheritdoc />
    public override string ToString() => Name;
}

internal sealed class MeanSquaredErrorLoss : Loss
{
    public override string Name => "mean_squared_error";

    protected override double SampleLoss(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets)
    {
        var sum = 0.0;
        for (var i = 0; i < outputs.Length; i++)
        {
            double difference = outputs[i] - targets[i];
            sum += difference * difference;
        }

        return sum / outputs.Length;
    }

    protected override void OutputGradient(Span<float> gradient, ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, float scale)
    {
        var factor = 2f * scale / outputs.Length;
        for (var i = 0; i < outputs.Length; i++) gradient[i] = factor * (outputs[i] - targets[i]);
    }
}

internal sealed class CategoricalCrossEntropyLoss : Loss
{
    private const float Epsilon = 1e-7f;

    public override string Name => "categorical_crossentropy";

    protected override double SampleLoss(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets)
    {
        double total = TensorPrimitives.Sum(outputs);
        var sum = 0.0;
        for (var i = 0; i < outputs.Length; i++)
        {
            if (targets[i] == 0f) continue;
            var p = Math.Clamp(outputs[i] / total, Epsilon, 1 - Epsilon);
            sum -= targets[i] * Math.Log(p);
        }

        return sum;
    }

    internal override void CheckOutputs(int units)
    {
        if (units == 1) throw new ArgumentException(OneUnitMessage(), "loss");
    }

    protected override void SampleGradient(
        Span<float> gradient, ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, float scale, Activation outputActivation)
    {
        if (outputActivation != Activation.Softmax)
        {
            base.SampleGradient(gradient, outputs, targets, scale, outputActivation);
            return;
        }

        // Softmax and cross-entropy fused: dz = (p Σy - y) / batch. Exact whenever no probability is clipped,
        // and numerically far better than multiplying -y/p by the softmax Jacobian.
        var targetSum = TensorPrimitives.Sum(targets);
        for (var i = 0; i < outputs.Length; i++) gradient[i] = scale * (outputs[i] * targetSum - targets[i]);
    }

    protected override void OutputGradient(Span<float> gradient, ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, float scale)
    {
        // L = -Σ y_j log q_j with q = p / S, S = Σ p, each q clipped (a clipped q has zero gradient).
        // dL/dp_k = (dL/dq_k - Σ_j dL/dq_j q_j) / S.
        double total = TensorPrimitives.Sum(outputs);
        var dot = 0.0;
        for (var i = 0; i < outputs.Length; i++)
        {
            var q = outputs[i] / total;
            var dq = q is > Epsilon and < 1 - Epsilon ? -targets[i] / q : 0.0;
            gradient[i] = (float)dq;
            dot += dq * q;
        }

        for (var i = 0; i < outputs.Length; i++) gradient[i] = (float)(scale * (gradient[i] - dot) / total);
    }
}
