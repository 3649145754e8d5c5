using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

// ILGPU's CPU accelerator builds each kernel's launcher in a dynamic assembly of this name, which must see the
// internal argument structs (LossLaunch) of the kernels.
[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("ILGPURuntime")]

namespace DeepGen.Gpu;

/// <summary>What a sample adds to the default accuracy, as <c>DefaultMetrics</c> picks the metric on the CPU.</summary>
internal enum LossAccuracy
{
    /// <summary>No accuracy (a regression): 0.</summary>
    None = 0,
    /// <summary>Keras's accuracy on one output: 1 when the output and the target are on the same side of 0.5.</summary>
    Threshold = 1,
    /// <summary>Arg-max of the outputs against arg-max of the dense (one-hot) target: 1 or 0.</summary>
    ArgMax = 2,
    /// <summary>Arg-max of the outputs against the class index: 1 or 0.</summary>
    ArgMaxOfIndex = 3,
    /// <summary>Keras's binary accuracy on several outputs: how many of the sample's outputs are on their target's side of 0.5.</summary>
    CountPerOutput = 4,
}

/// <summary>The scalars of one loss launch: the batch, the loss, and where the last layer's numbers are.</summary>
internal readonly struct LossLaunch(
    int batch, int orderOffset, int loss, int accuracy, int activation, int units, int outputStart, int preActivationStart, float huberDelta)
{
    /// <summary>Samples in the batch.</summary>
    public readonly int Batch = batch;
    /// <summary>Where the batch starts in the order.</summary>
    public readonly int OrderOffset = orderOffset;
    /// <summary>A <see cref="GpuLoss"/>.</summary>
    public readonly int Loss = loss;
    /// <summary>A <see cref="LossAccuracy"/>.</summary>
    public readonly int Accuracy = accuracy;
    /// <summary>The output's <see cref="DeepGen.Activation"/>.</summary>
    public readonly int Activation = activation;
    /// <summary>Outputs per sample.</summary>
    public readonly int Units = units;
    /// <summary>Index of the batch's first output in the activation (and delta) buffer: batch × offset per sample.</summary>
    public readonly int OutputStart = outputStart;
    /// <summary>Index of the batch's first pre-activation, or -1 where none is kept.</summary>
    public readonly int PreActivationStart = preActivationStart;
    /// <summary>The Huber loss's delta.</summary>
    public readonly float HuberDelta = huberDelta;
}

/// <summary>
/// The loss kernel and the prediction's softmax, shared by every model: per sample (one thread each) the loss of
/// DeepGen.Loss (Training/Loss.cs, Losses.cs) with the same formula, the same clipping and the same precision
/// (double where the CPU computes in double), and its gradient with respect to the last layer's pre-activation
/// with the output activation folded in as the CPU folds it. The kernel is generic over the output activation, so
/// its derivative is compiled in; the loss is a launch argument, the same for every thread.
/// </summary>
/// <remarks>
/// The naive reference of these kernels is the CPU loss itself: LossKernelTests compares every loss and output
/// activation with it, value, gradient and correct count. Each thread sums its row in a fixed order: the same bits on
/// every run.
/// </remarks>
internal static class LossKernels
{
    /// <summary>Keras's clipping epsilon of the cross-entropies (the CPU losses' <c>Epsilon</c>).</summary>
    private const float Epsilon = 1e-7f;

    private const int Sigmoid = (int)DeepGen.Activation.Sigmoid;
    private const int Softmax = (int)DeepGen.Activation.Softmax;

    /// <summary>Refuses an output layer the kernels cannot address, naming the problem.</summary>
    public static void CheckOutput(GpuOutputLayer output)
    {
        if (output.Units <= 0)
            throw new ArgumentOutOfRangeException(nameof(output), output.Units, "The output layer needs at least one unit.");
        if (output.OffsetPerSample < 0)
            throw new ArgumentOutOfRangeException(nameof(output), output.OffsetPerSample, "The output layer's offset per sample cannot be negative.");
        if (!Enum.IsDefined(output.Activation))
            throw new ArgumentOutOfRangeException(nameof(output), output.Activation, "Unknown output activation.");
        if (ActivationFacts.NeedsPreActivation(output.Activation) && output.PreActivationOffsetPerSample < 0)
            throw new ArgumentException(
                $"A {output.Activation} output's derivative reads its pre-activations: give the output layer's PreActivationOffsetPerSample.", nameof(output));
    }

    /// <summary>Compiles the loss kernel for an output of <paramref name="activation"/>.</summary>
    public static Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, LossLaunch> Load(
        Accelerator accelerator, Activation activation) => activation switch
    {
        // A softmax output gets the row softmax and its Jacobian in the kernel; the per-element derivative is the identity.
        DeepGen.Activation.Linear or DeepGen.Activation.Softmax => Load<LinearActivation>(accelerator),
        DeepGen.Activation.Sigmoid => Load<SigmoidActivation>(accelerator),
        DeepGen.Activation.Relu => Load<ReluActivation>(accelerator),
        DeepGen.Activation.Tanh => Load<TanhActivation>(accelerator),
        DeepGen.Activation.LeakyRelu => Load<LeakyReluActivation>(accelerator),
        DeepGen.Activation.Elu => Load<EluActivation>(accelerator),
        DeepGen.Activation.Selu => Load<SeluActivation>(accelerator),
        DeepGen.Activation.Gelu => Load<GeluActivation>(accelerator),
        DeepGen.Activation.Softplus => Load<SoftplusActivation>(accelerator),
        DeepGen.Activation.Swish => Load<SwishActivation>(accelerator),
        DeepGen.Activation.HardSigmoid => Load<HardSigmoidActivation>(accelerator),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown output activation."),
    };

    private static Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, LossLaunch> Load<TActivation>(Accelerator accelerator)
        where TActivation : struct, IDeviceActivation =>
        accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, LossLaunch>(LossKernel<TActivation>);

    /// <summary>The launch arguments of <paramref name="batch"/>'s loss; checks the loss and its delta. Allocates nothing.</summary>
    public static LossLaunch Launch(in GpuBatch batch, GpuOutputLayer output)
    {
        if (!Enum.IsDefined(batch.Loss))
            throw new ArgumentOutOfRangeException(nameof(batch), batch.Loss, "Unknown GPU loss.");
        if (batch.Loss == GpuLoss.Huber && !(batch.HuberDelta > 0f && float.IsFinite(batch.HuberDelta)))
            throw new ArgumentOutOfRangeException(nameof(batch), batch.HuberDelta, "The Huber loss needs GpuBatch.HuberDelta, a positive, finite number (HuberLoss.Delta).");
        var preActivationStart = ActivationFacts.NeedsPreActivation(output.Activation) ? batch.Batch * output.PreActivationOffsetPerSample : -1;
        return new LossLaunch(batch.Batch, batch.OrderOffset, (int)batch.Loss, (int)AccuracyOf(batch.Loss, output.Units, output.Activation),
            (int)output.Activation, output.Units, batch.Batch * output.OffsetPerSample, preActivationStart, batch.HuberDelta);
    }

    /// <summary>
    /// The accuracy the CPU measures by default for this loss and output (<c>DefaultMetrics.Accuracy</c>): arg-max
    /// accuracy for the categorical cross-entropies, accuracy (one output) or binary accuracy (several) for binary
    /// cross-entropy, arg-max accuracy for any other loss on a softmax of two or more units, else none.
    /// </summary>
    public static LossAccuracy AccuracyOf(GpuLoss loss, int units, Activation activation) => loss switch
    {
        _ when units == 1 && loss is GpuLoss.CategoricalCrossEntropy or GpuLoss.SparseCategoricalCrossEntropy or GpuLoss.BinaryCrossEntropy => LossAccuracy.Threshold,
        GpuLoss.CategoricalCrossEntropy => LossAccuracy.ArgMax,
        GpuLoss.SparseCategoricalCrossEntropy => LossAccuracy.ArgMaxOfIndex,
        GpuLoss.BinaryCrossEntropy => LossAccuracy.CountPerOutput,
        _ => activation == DeepGen.Activation.Softmax && units >= 2 ? LossAccuracy.ArgMax : LossAccuracy.None,
    };

    /// <summary>Floats of target per sample: 1 (the class index) for sparse categorical cross-entropy, else one per output.</summary>
    public static int TargetWidth(GpuLoss loss, int units) => loss == GpuLoss.SparseCategoricalCrossEntropy ? 1 : units;

    // ---- Kernels ---------------------------------------------------------------------------------------------------

    /// <summary>
    /// One thread per sample: for a softmax output the softmax of its row first (in place), then its loss into
    /// <c>sampleResults[row]</c>, dLoss/d(pre-activation) of the batch-mean loss into its row of <c>deltas</c>, and
    /// its share of the default accuracy into <c>sampleResults[batch + row]</c>.
    /// </summary>
    internal static void LossKernel<TActivation>(
        ArrayView<float> activations, ArrayView<float> deltas, ArrayView<float> targets, ArrayView<int> order,
        ArrayView<float> sampleResults, LossLaunch launch)
        where TActivation : struct, IDeviceActivation
    {
        var row = Grid.GlobalIndex.X;
        if (row >= launch.Batch) return;
        var units = launch.Units;
        var output = launch.OutputStart + row * units;
        var target = (long)order[launch.OrderOffset + row] * TargetWidth((GpuLoss)launch.Loss, units);
        if (launch.Activation == Softmax) SoftmaxRow(activations, output, units);

        // The CPU's scale for a sample of weight 1: 1 / batch in float.
        var scale = 1f / launch.Batch;
        var fused = false;
        double loss;
        switch ((GpuLoss)launch.Loss)
        {
            case GpuLoss.MeanSquaredError:
                loss = MeanSquaredError(activations, deltas, targets, output, target, units, scale);
                break;
            case GpuLoss.MeanAbsoluteError:
                loss = MeanAbsoluteError(activations, deltas, targets, output, target, units, scale);
                break;
            case GpuLoss.Huber:
                loss = Huber(activations, deltas, targets, output, target, units, scale, launch.HuberDelta);
                break;
            case GpuLoss.BinaryCrossEntropy:
                fused = launch.Activation == Sigmoid;
                loss = BinaryCrossEntropy(activations, deltas, targets, output, target, units, scale, fused);
                break;
            case GpuLoss.CategoricalCrossEntropy:
                fused = launch.Activation == Softmax;
                loss = CategoricalCrossEntropy(activations, deltas, targets, output, target, units, scale, fused);
                break;
            default:
                fused = launch.Activation == Softmax;
                loss = SparseCategoricalCrossEntropy(activations, deltas, targets, output, target, units, scale, fused);
                break;
        }

        if (!fused)
        {
            if (launch.Activation == Softmax) SoftmaxJacobian(activations, deltas, output, units);
            else ActivationJacobian<TActivation>(activations, deltas, output, launch.PreActivationStart, row, units);
        }

        sampleResults[row] = (float)loss;
        sampleResults[launch.Batch + row] = Correct(activations, targets, output, target, units, (LossAccuracy)launch.Accuracy);
    }

    /// <summary>The prediction's softmax: one thread per row of the last layer's outputs, in place.</summary>
    internal static void SoftmaxKernel(ArrayView<float> activations, int batch, int offsetPerSample, int units)
    {
        var row = Grid.GlobalIndex.X;
        if (row >= batch) return;
        SoftmaxRow(activations, batch * offsetPerSample + row * units, units);
    }

    // ---- The losses: the CPU's SampleLoss and SampleGradient, one sample each ------------------------------------

    // Per output the mean of (p - y)², in double over float differences; dL/dp = 2 (p - y) / (batch · units).
    private static double MeanSquaredError(ArrayView<float> p, ArrayView<float> g, ArrayView<float> y, int output, long target, int units, float scale)
    {
        var factor = 2f * scale / units;
        var sum = 0.0;
        for (var j = 0; j < units; j++)
        {
            var difference = p[output + j] - y[target + j];
            sum += (double)difference * difference;
            g[output + j] = factor * difference;
        }

        return sum / units;
    }

    // Per output the mean of |p - y| in double; dL/dp = sign(p - y) / (batch · units), 0 where p = y.
    private static double MeanAbsoluteError(ArrayView<float> p, ArrayView<float> g, ArrayView<float> y, int output, long target, int units, float scale)
    {
        var factor = scale / units;
        var sum = 0.0;
        for (var j = 0; j < units; j++)
        {
            var pj = p[output + j];
            var yj = y[target + j];
            sum += XMath.Abs((double)pj - yj);
            var difference = pj - yj;
            g[output + j] = factor * (difference > 0f ? 1f : difference < 0f ? -1f : 0f);
        }

        return sum / units;
    }

    // Per output ½x² within delta, δ|x| - ½δ² beyond, in double; dL/dp = clamp(p - y, -δ, δ) / (batch · units).
    private static double Huber(ArrayView<float> p, ArrayView<float> g, ArrayView<float> y, int output, long target, int units, float scale, float delta)
    {
        var factor = scale / units;
        double d = delta;
        var sum = 0.0;
        for (var j = 0; j < units; j++)
        {
            var pj = p[output + j];
            var yj = y[target + j];
            var x = XMath.Abs((double)pj - yj);
            sum += x <= d ? 0.5 * x * x : d * x - 0.5 * d * d;
            var difference = pj - yj;
            g[output + j] = factor * (difference < -delta ? -delta : difference > delta ? delta : difference);
        }

        return sum / units;
    }

    // Keras: p clipped to [ε, 1 - ε], -(y log(p + ε) + (1 - y) log(1 - p + ε)) averaged over outputs, in double.
    // Fused with a sigmoid: dz = (p - y) / (batch · units). Otherwise dL/dp through the ε's, 0 where p was clipped.
    private static double BinaryCrossEntropy(ArrayView<float> p, ArrayView<float> g, ArrayView<float> y, int output, long target, int units, float scale, bool fused)
    {
        var sum = 0.0;
        var fusedFactor = scale / units;
        var factor = (double)scale / units;
        for (var j = 0; j < units; j++)
        {
            var raw = p[output + j];
            var yf = y[target + j];
            double clipped = raw < Epsilon ? Epsilon : raw > 1 - Epsilon ? 1 - Epsilon : raw;
            double yj = yf;
            sum -= yj * XMath.Log(clipped + Epsilon) + (1 - yj) * XMath.Log(1 - clipped + Epsilon);
            if (fused)
            {
                g[output + j] = fusedFactor * (raw - yf);
            }
            else
            {
                double pj = raw;
                g[output + j] = pj > Epsilon && pj < 1 - Epsilon ? (float)(factor * ((1 - yj) / (1 - pj + Epsilon) - yj / (pj + Epsilon))) : 0f;
            }
        }

        return sum / units;
    }

    // -Σ y log q with q = p / Σp clipped to [ε, 1 - ε], in double. Fused with a softmax: dz = (p Σy - y) / batch.
    // Otherwise dL/dp_k = (dL/dq_k - Σ_j dL/dq_j q_j) / Σp, a clipped q having zero gradient, rounded as the CPU rounds.
    private static double CategoricalCrossEntropy(ArrayView<float> p, ArrayView<float> g, ArrayView<float> y, int output, long target, int units, float scale, bool fused)
    {
        double total = RowSum(p, output, units);
        var sum = 0.0;
        for (var j = 0; j < units; j++)
        {
            var yj = y[target + j];
            if (yj == 0f) continue;
            var q = p[output + j] / total;
            q = q < Epsilon ? Epsilon : q > 1 - Epsilon ? 1 - Epsilon : q;
            sum -= yj * XMath.Log(q);
        }

        if (fused)
        {
            var targetSum = RowSum(y, target, units);
            for (var j = 0; j < units; j++) g[output + j] = scale * (p[output + j] * targetSum - y[target + j]);
            return sum;
        }

        var dot = 0.0;
        for (var j = 0; j < units; j++)
        {
            var q = p[output + j] / total;
            var dq = q > Epsilon && q < 1 - Epsilon ? -y[target + j] / q : 0.0;
            g[output + j] = (float)dq;
            dot += dq * q;
        }

        for (var j = 0; j < units; j++) g[output + j] = (float)(scale * (g[output + j] - dot) / total);
        return sum;
    }

    // As categorical cross-entropy against the one-hot target of the class index. Fused with a softmax:
    // dz = (p - onehot) / batch. Otherwise dL/dp_k = (δ_kc · (-1 / q_c) + 1) / Σp, or 0 when q_c is clipped.
    private static double SparseCategoricalCrossEntropy(ArrayView<float> p, ArrayView<float> g, ArrayView<float> y, int output, long target, int units, float scale, bool fused)
    {
        var labelValue = y[target];
        // Fit and Evaluate refuse a bad label before uploading; this only keeps a bad one from reading out of the row.
        if (!(labelValue >= 0f && labelValue < units))
        {
            for (var j = 0; j < units; j++) g[output + j] = 0f;
            return double.NaN;
        }

        var label = (int)labelValue;
        double total = RowSum(p, output, units);
        var q = p[output + label] / total;
        var clipped = q < Epsilon ? Epsilon : q > 1 - Epsilon ? 1 - Epsilon : q;
        var loss = -XMath.Log(clipped);
        if (fused)
        {
            for (var j = 0; j < units; j++) g[output + j] = scale * p[output + j];
            g[output + label] -= scale;
        }
        else if (q > Epsilon && q < 1 - Epsilon)
        {
            var each = (float)(scale / total);
            for (var j = 0; j < units; j++) g[output + j] = each;
            g[output + label] = (float)(scale * (1 - 1 / q) / total);
        }
        else
        {
            for (var j = 0; j < units; j++) g[output + j] = 0f;
        }

        return loss;
    }

    // ---- Pieces ----------------------------------------------------------------------------------------------------

    /// <summary>dL/dp into dL/dz through a softmax: <c>dz_i = p_i (g_i - Σ_j g_j p_j)</c>.</summary>
    private static void SoftmaxJacobian(ArrayView<float> p, ArrayView<float> g, int output, int units)
    {
        var dot = 0f;
        for (var j = 0; j < units; j++) dot += g[output + j] * p[output + j];
        for (var j = 0; j < units; j++) g[output + j] = p[output + j] * (g[output + j] - dot);
    }

    /// <summary>dL/dp into dL/dz through an element-wise activation, reading the pre-activation only where one is kept.</summary>
    private static void ActivationJacobian<TActivation>(ArrayView<float> activations, ArrayView<float> g, int output, int preActivationStart, int row, int units)
        where TActivation : struct, IDeviceActivation
    {
        var preActivation = preActivationStart + row * units;
        for (var j = 0; j < units; j++)
        {
            var z = preActivationStart >= 0 ? activations[preActivation + j] : 0f;
            g[output + j] = default(TActivation).Backward(g[output + j], activations[output + j], z);
        }
    }

    /// <summary>Softmax of one row in place, stably (max subtracted), probabilities below 2^-100 flushed to 0 as on the CPU.</summary>
    private static void SoftmaxRow(ArrayView<float> values, int start, int count)
    {
        var max = values[start];
        for (var j = 1; j < count; j++)
        {
            var value = values[start + j];
            if (value > max || DeviceMath.IsNaN(value)) max = value;
        }

        var sum = 0f;
        for (var j = 0; j < count; j++)
        {
            var e = DeviceMath.Exp(values[start + j] - max);
            values[start + j] = e;
            sum += e;
        }

        for (var j = 0; j < count; j++)
        {
            var probability = values[start + j] / sum;
            values[start + j] = probability < DeviceMath.FlushBelow ? 0f : probability;
        }
    }

    private static float RowSum(ArrayView<float> values, long start, int count)
    {
        var sum = 0f;
        for (var j = 0; j < count; j++) sum += values[start + j];
        return sum;
    }

    /// <summary>
    /// The index of the largest value, as <c>TensorPrimitives.IndexOfMax</c> finds it: the first of equal values,
    /// +0 above -0, and the first NaN if there is one.
    /// </summary>
    private static int IndexOfMax(ArrayView<float> values, long start, int count)
    {
        var best = 0;
        var max = values[start];
        if (DeviceMath.IsNaN(max)) return 0;
        for (var j = 1; j < count; j++)
        {
            var value = values[start + j];
            if (DeviceMath.IsNaN(value)) return j;
            if (value > max || (value == max && DeviceMath.IsNegative(max) && !DeviceMath.IsNegative(value)))
            {
                best = j;
                max = value;
            }
        }

        return best;
    }

    /// <summary>What the sample adds to the default accuracy (see <see cref="LossAccuracy"/>).</summary>
    private static float Correct(ArrayView<float> p, ArrayView<float> y, int output, long target, int units, LossAccuracy accuracy)
    {
        switch (accuracy)
        {
            case LossAccuracy.Threshold:
                return p[output] > 0.5f == y[target] > 0.5f ? 1f : 0f;
            case LossAccuracy.ArgMax:
                return IndexOfMax(p, output, units) == IndexOfMax(y, target, units) ? 1f : 0f;
            case LossAccuracy.ArgMaxOfIndex:
                return IndexOfMax(p, output, units) == y[target] ? 1f : 0f;
            case LossAccuracy.CountPerOutput:
                var count = 0;
                for (var j = 0; j < units; j++)
                    if (p[output + j] > 0.5f == y[target + j] > 0.5f) count++;
                return count;
            default:
                return 0f;
        }
    }
}
