using ILGPU;
using ILGPU.Runtime;

namespace DeepGen.Gpu;

/// <summary>
/// Adds one layer's Keras <c>L1L2</c> weight penalty, <c>l1 · Σ|w| + l2 · Σw²</c>, to a step's loss on the device,
/// read before the step changes the weights, as the CPU's TrainStep does. One group sums the weights in double, each
/// thread a fixed stride, then halves the partial sums in a fixed pairing: the same bits on every run.
/// </summary>
public sealed class PenaltyKernel
{
    /// <summary>Threads of the one group.</summary>
    public const int GroupSize = 256;

    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, int, PenaltyLayer> _kernel;

    /// <param name="accelerator">Where the kernel runs.</param>
    public PenaltyKernel(Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        _kernel = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, PenaltyLayer>(Kernel);
    }

    /// <summary>Enqueues <c>StepResults[2 · StepIndex] += penalty</c> for the weights <c>[weightsOffset, weightsOffset + count)</c>.</summary>
    public void Launch(in GpuBatch batch, int weightsOffset, int count, float l1, float l2) =>
        _kernel(new KernelConfig(new Index1D(1), new Index1D(GroupSize)), batch.Parameters, batch.StepResults, batch.StepIndex,
            new PenaltyLayer(weightsOffset, count, l1, l2));

    private static void Kernel(ArrayView<float> parameters, ArrayView<float> stepResults, int step, PenaltyLayer layer)
    {
        var absolute = SharedMemory.Allocate<double>(GroupSize);
        var squares = SharedMemory.Allocate<double>(GroupSize);
        var thread = Group.IdxX;
        double a = 0, s = 0;
        for (var i = thread; i < layer.Count; i += GroupSize)
        {
            double w = parameters[layer.WeightsOffset + i];
            a += w < 0 ? -w : w;
            s += w * w;
        }

        absolute[thread] = a;
        squares[thread] = s;
        Group.Barrier();
        for (var half = GroupSize / 2; half > 0; half /= 2)
        {
            if (thread < half)
            {
                absolute[thread] += absolute[thread + half];
                squares[thread] += squares[thread + half];
            }

            Group.Barrier();
        }

        if (thread == 0) stepResults[2 * step] += (float)(layer.L1 * absolute[0] + layer.L2 * squares[0]);
    }
}

/// <summary>One layer's penalised weights and factors, as the penalty kernel reads them.</summary>
public readonly record struct PenaltyLayer(int WeightsOffset, int Count, float L1, float L2);
