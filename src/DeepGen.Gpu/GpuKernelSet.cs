using ILGPU;
using ILGPU.Runtime;

namespace DeepGen.Gpu;

/// <summary>The loss a GPU step computes; the generated loss kernel branches on it (uniformly for every thread).</summary>
public enum GpuLoss
{
    /// <summary><see cref="Loss.MeanSquaredError"/>.</summary>
    MeanSquaredError = 0,
    /// <summary><see cref="Loss.CategoricalCrossEntropy"/>.</summary>
    CategoricalCrossEntropy = 1,
}

/// <summary>
/// Everything one step's launches read and write, as device views: the generated kernels take their arguments from
/// here. The batch is the samples <c>Order[OrderOffset .. OrderOffset + Batch)</c> of the uploaded data set, so a
/// step sends nothing to the device but this struct's scalars.
/// </summary>
public readonly struct GpuBatch
{
    /// <summary>Weights and biases, the CPU model's flat layout.</summary>
    public ArrayView<float> Parameters { get; init; }
    /// <summary>Gradients of the last step, the parameter layout.</summary>
    public ArrayView<float> Gradients { get; init; }
    /// <summary>Every layer's outputs, <c>[Batch × ActivationsPerSample]</c>, as on the CPU.</summary>
    public ArrayView<float> Activations { get; init; }
    /// <summary>Every layer's dLoss/d(pre-activation), the activation layout.</summary>
    public ArrayView<float> Deltas { get; init; }
    /// <summary>The whole data set's inputs, <c>[samples, InputSize]</c>, uploaded once.</summary>
    public ArrayView<float> Inputs { get; init; }
    /// <summary>The whole data set's targets, <c>[samples, OutputSize]</c>, uploaded once (empty for prediction).</summary>
    public ArrayView<float> Targets { get; init; }
    /// <summary>Sample indices: the epoch's shuffle, or 0, 1, 2, … .</summary>
    public ArrayView<int> Order { get; init; }
    /// <summary>Where this batch starts in <see cref="Order"/>.</summary>
    public int OrderOffset { get; init; }
    /// <summary>Samples in this batch.</summary>
    public int Batch { get; init; }
    /// <summary>Per sample of the batch: its loss at <c>[i]</c> and 1 or 0 for a correct classification at <c>[Batch + i]</c>.</summary>
    public ArrayView<float> SampleResults { get; init; }
    /// <summary>Per step of the epoch: the batch's mean loss at <c>[2 s]</c> and its correct count at <c>[2 s + 1]</c>.</summary>
    public ArrayView<float> StepResults { get; init; }
    /// <summary>This step's index <c>s</c> in <see cref="StepResults"/>.</summary>
    public int StepIndex { get; init; }
    /// <summary>The plain SGD step fused into the weight and bias gradient kernels; 0 computes gradients only.</summary>
    public float LearningRate { get; init; }
    /// <summary>The loss to compute.</summary>
    public GpuLoss Loss { get; init; }

    /// <summary>
    /// Where a per-sample offset lands in the activation and delta buffers, laid out <c>[Batch × perSample]</c>: each
    /// layer's slice of <see cref="Batch"/> rows starts at <c>Batch · offsetPerSample</c>, as on the CPU.
    /// </summary>
    public long At(int offsetPerSample) => (long)Batch * offsetPerSample;
}

/// <summary>
/// The kernels the generator wrote for one model, loaded onto one accelerator. The generated subclass compiles each
/// kernel once in its constructor and launches them through typed delegates; this base adds the kernel that does not
/// depend on the model's shape.
/// </summary>
public abstract class GpuKernelSet
{
    /// <summary>Threads per side of the square tile the generated matrix products use: a group is Tile × Tile threads.</summary>
    public const int Tile = 16;

    /// <summary>Threads per group of the one-dimensional kernels (per-row loss, bias gradients).</summary>
    public const int RowGroupSize = 64;

    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, int, int> _reduceStep;

    /// <param name="accelerator">Where the kernels run.</param>
    protected GpuKernelSet(Accelerator accelerator)
    {
        Accelerator = accelerator ?? throw new ArgumentNullException(nameof(accelerator));
        _reduceStep = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, int>(ReduceStepKernel);
    }

    /// <summary>The accelerator the kernels were loaded onto.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>Every layer's forward pass, the output activation (softmax included) applied.</summary>
    public abstract void Forward(in GpuBatch batch);

    /// <summary>The forward pass, then the loss, its gradient and accuracy: the step's results land in <see cref="GpuBatch.StepResults"/>.</summary>
    public abstract void ForwardAndLoss(in GpuBatch batch);

    /// <summary>
    /// One training step: forward, loss, backward. Overwrites the gradients and, when
    /// <see cref="GpuBatch.LearningRate"/> is not 0, applies plain SGD to each weight as its gradient is computed.
    /// </summary>
    public abstract void TrainStep(in GpuBatch batch);

    /// <summary>Grid of <c>Tile × Tile</c> groups covering a <paramref name="rows"/> × <paramref name="columns"/> result.</summary>
    protected static KernelConfig TileGrid(int rows, int columns) =>
        new(new Index2D((columns + Tile - 1) / Tile, (rows + Tile - 1) / Tile), new Index2D(Tile, Tile));

    /// <summary>Groups of <see cref="RowGroupSize"/> threads covering <paramref name="count"/> items.</summary>
    protected static KernelConfig RowGrid(int count) =>
        new(new Index1D((count + RowGroupSize - 1) / RowGroupSize), new Index1D(RowGroupSize));

    /// <summary>Sums the batch's per-sample losses and correct flags into this step's slot, one thread, in sample order.</summary>
    protected void ReduceStep(in GpuBatch batch) =>
        _reduceStep(new KernelConfig(new Index1D(1), new Index1D(1)), batch.SampleResults, batch.StepResults, batch.Batch, batch.StepIndex);

    /// <summary>Launches the step reduction alone, for kernel tests.</summary>
    internal void ReduceStepForTests(in GpuBatch batch) => ReduceStep(batch);

    // A single thread in a fixed order: the sum is the same on every run and every device, with no float atomics.
    // A batch is at most a few thousand samples, so this is negligible beside the matrix products.
    private static void ReduceStepKernel(ArrayView<float> sampleResults, ArrayView<float> stepResults, int batch, int step)
    {
        var loss = 0f;
        var correct = 0f;
        for (var i = 0; i < batch; i++)
        {
            loss += sampleResults[i];
            correct += sampleResults[batch + i];
        }

        stepResults[2 * step] = loss / batch;
        stepResults[2 * step + 1] = correct;
    }
}
