using System.Globalization;
using System.Numerics.Tensors;

namespace DeepGen;

// The losses beyond mean squared error and categorical cross-entropy, each with Keras's reduction: the per-sample loss
// is the mean over outputs (the last axis) and the batch loss the mean of the per-sample losses.

internal sealed class MeanAbsoluteErrorLoss : Loss
{
    public override string Name => "mean_absolute_error";

    protected override double SampleLoss(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets)
    {
        var sum = 0.0;
        for (var i = 0; i < outputs.Length; i++) sum += Math.Abs((double)outputs[i] - targets[i]);
        return sum / outputs.Length;
    }

    protected override void OutputGradient(Span<float> gradient, ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, float scale)
    {
        // |x| has derivative sign(x), and 0 where p = y (as TensorFlow and PyTorch take it).
        var factor = scale / outputs.Length;
        for (var i = 0; i < outputs.Length; i++) gradient[i] = factor * MathF.Sign(outputs[i] - targets[i]);
    }
}

/// <summary>
/// The Huber loss (Keras's <c>Huber</c>): per output, <c>½x²</c> where <c>|x| ≤ delta</c> and
/// <c>delta·|x| - ½delta²</c> beyond, for <c>x = p - y</c>; the per-sample loss is the mean over outputs. Quadratic near
/// the target, linear far from it, so outliers pull less than with mean squared error.
/// </summary>
public sealed class HuberLoss : Loss
{
    /// <param name="delta">Where the loss turns from quadratic to linear; positive (Keras's default 1).</param>
    public HuberLoss(float delta = 1f)
    {
        if (!(delta > 0f) || !float.IsFinite(delta))
            throw new ArgumentOutOfRangeException(nameof(delta), delta, "The Huber loss's delta must be a positive, finite number.");
        Delta = delta;
    }

    /// <summary>Where the loss turns from quadratic to linear.</summary>
    public float Delta { get; }

    /// <inheritdoc />
    public override string Name => "huber";

    /// <inheritdoc />
    protected override double SampleLoss(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets)
    {
        double delta = Delta;
        var sum = 0.0;
        for (var i = 0; i < outputs.Length; i++)
        {
            var x = Math.Abs((double)outputs[i] - targets[i]);
            sum += x <= delta ? 0.5 * x * x : delta * x - 0.5 * delta * delta;
        }

        return sum / outputs.Length;
    }

    /// <inheritdoc />
    protected override void OutputGradient(Span<float> gradient, ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, float scale)
    {
        var factor = scale / outputs.Length;
        for (var i = 0; i < outputs.Length; i++) gradient[i] = factor * Math.Clamp(outputs[i] - targets[i], -Delta, Delta);
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"huber(delta {Delta})");
}

internal sealed class BinaryCrossEntropyLoss : Loss
{
    private const float Epsilon = 1e-7f;

    public override string Name => "binary_crossentropy";

    protected override void CheckTargets(ReadOnlySpan<float> targets, int batch, int units) => CheckProbabilities(targets, units, "The batch's targets hold");

    internal override void CheckTargetValues(ReadOnlySpan<float> targets, int units, string name) => CheckProbabilities(targets, units, $"'{name}' holds");

    /// <summary>Targets are probabilities: a value outside [0, 1] (or NaN) is refused, naming its sample and target.</summary>
    private void CheckProbabilities(ReadOnlySpan<float> targets, int units, string what)
    {
        // Two vectorized passes (NaN makes Min or Max NaN, and NaN fails both comparisons); a loop only to name the bad one.
        if (TensorPrimitives.Min(targets) >= 0f && TensorPrimitives.Max(targets) <= 1f) return;
        for (var i = 0; i < targets.Length; i++)
            if (!(targets[i] >= 0f && targets[i] <= 1f))
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{what} {targets[i]} at sample {i / units}, target {i % units}; {Name} needs targets in [0, 1] (a class 0 or 1, or a probability)."),
                    "y");
    }

    protected override double SampleLoss(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets)
    {
        // Keras: clip p to [ε, 1 - ε], then -(y log(p + ε) + (1 - y) log(1 - p + ε)), averaged over outputs.
        var sum = 0.0;
        for (var i = 0; i < outputs.Length; i++)
        {
            double p = Math.Clamp(outputs[i], Epsilon, 1 - Epsilon);
            double y = targets[i];
            sum -= y * Math.Log(p + Epsilon) + (1 - y) * Math.Log(1 - p + Epsilon);
        }

        return sum / outputs.Length;
    }

    protected override void SampleGradient(
        Span<float> gradient, ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, float scale, Activation outputActivation)
    {
        if (outputActivation != Activation.Sigmoid)
        {
            base.SampleGradient(gradient, outputs, targets, scale, outputActivation);
            return;
        }

        // Sigmoid and binary cross-entropy fused: dz = (p - y) / (batch · units), exact but for the clipping and the
        // ε inside the logarithms, and far better conditioned than -y/p times p(1 - p).
        var factor = scale / outputs.Length;
        for (var i = 0; i < outputs.Length; i++) gradient[i] = factor * (outputs[i] - targets[i]);
    }

    protected override void OutputGradient(Span<float> gradient, ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, float scale)
    {
        var factor = (double)scale / outputs.Length;
        for (var i = 0; i < outputs.Length; i++)
        {
            double p = outputs[i];
            double y = targets[i];
            // A clipped probability has zero gradient, as through Keras's clip.
            gradient[i] = p is > Epsilon and < 1 - Epsilon ? (float)(factor * ((1 - y) / (1 - p + Epsilon) - y / (p + Epsilon))) : 0f;
        }
    }
}

internal sealed class SparseCategoricalCrossEntropyLoss : Loss
{
    private const float Epsilon = 1e-7f;

    public override string Name => "sparse_categorical_crossentropy";

    public override int TargetsPerSample(int outputs) => 1;

    internal override void CheckOutputs(int units)
    {
        if (units == 1) throw new ArgumentException(OneUnitMessage(), "loss");
    }

    protected override void CheckTargets(ReadOnlySpan<float> targets, int batch, int units) => CheckLabels(targets, units, "", nameof(targets));

    internal override void CheckTargetValues(ReadOnlySpan<float> targets, int units, string name) => CheckLabels(targets, units, $" in '{name}'", name);

    private void CheckLabels(ReadOnlySpan<float> targets, int units, string where, string parameter)
    {
        for (var row = 0; row < targets.Length; row++)
        {
            var label = targets[row];
            if (!(label >= 0f && label < units) || label != MathF.Floor(label))
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Sample {row} has the label {label}{where}; {Name} needs a class index, a whole number in [0, {units}) for {units} outputs."),
                    parameter);
        }
    }

    protected override double SampleLoss(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets)
    {
        // As categorical cross-entropy against the one-hot target: renormalise, clip, -log of the true class.
        double total = TensorPrimitives.Sum(outputs);
        var q = Math.Clamp(outputs[(int)targets[0]] / total, Epsilon, 1 - Epsilon);
        return -Math.Log(q);
    }

    protected override void SampleGradient(
        Span<float> gradient, ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, float scale, Activation outputActivation)
    {
        if (outputActivation != Activation.Softmax)
        {
            base.SampleGradient(gradient, outputs, targets, scale, outputActivation);
            return;
        }

        // Softmax and cross-entropy fused: dz = (p - onehot(label)) / batch.
        var label = (int)targets[0];
        for (var i = 0; i < outputs.Length; i++) gradient[i] = scale * outputs[i];
        gradient[label] -= scale;
    }

    protected override void OutputGradient(Span<float> gradient, ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, float scale)
    {
        // L = -log q_c with q = p / S, S = Σ p: dL/dp_k = (δ_kc · (-1 / q_c) + 1) / S, or 0 when q_c is clipped.
        var label = (int)targets[0];
        double total = TensorPrimitives.Sum(outputs);
        var q = outputs[label] / total;
        if (q is not (> Epsilon and < 1 - Epsilon))
        {
            gradient.Clear();
            return;
        }

        for (var i = 0; i < outputs.Length; i++) gradient[i] = (float)(scale / total);
        gradient[label] = (float)(scale * (1 - 1 / q) / total);
    }
}
