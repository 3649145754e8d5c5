using ILGPU;
using ILGPU.Runtime;

namespace DeepGen.Gpu;

/// <summary>The loss a GPU step computes; the loss kernel branches on it (uniformly for every thread).</summary>
public enum GpuLoss
{
    /// <summary><see cref="Loss.MeanSquaredError"/>.</summary>
    MeanSquaredError = 0,
    /// <summary><see cref="Loss.CategoricalCrossEntropy"/>: one-hot (or soft) targets, fused with a softmax output.</summary>
    CategoricalCrossEntropy = 1,
    /// <summary><see cref="Loss.MeanAbsoluteError"/>.</summary>
    MeanAbsoluteError = 2,
    /// <summary><see cref="HuberLoss"/>, its delta in <see cref="GpuBatch.HuberDelta"/>.</summary>
    Huber = 3,
    /// <summary><see cref="Loss.BinaryCrossEntropy"/>: targets in [0, 1], fused with a sigmoid output.</summary>
    BinaryCrossEntropy = 4,
    /// <summary>
    /// <see cref="Loss.SparseCategoricalCrossEntropy"/>: one target per sample, the class index, so the targets are
    /// <c>[samples, 1]</c>; fused with a softmax output.
    /// </summary>
    SparseCategoricalCrossEntropy = 5,
}

/// <summary>
/// Where the model's last layer lives, for the kernels that do not depend on the rest of its shape (the loss, the
/// prediction's softmax): its outputs are <c>Activations[Batch × OffsetPerSample ..]</c>, <c>[Batch, Units]</c>, and
/// its dLoss/d(pre-activation) goes to the same place in <c>Deltas</c>. The generated kernel set passes its own.
/// </summary>
/// <param name="OffsetPerSample">The layer's <see cref="LayerInfo.OutputOffsetPerSample"/>.</param>
/// <param name="Units">Outputs per sample.</param>
/// <param name="Activation">
/// The output activation the loss gradient is folded through; with <see cref="Activation.Softmax"/> the forward pass
/// leaves the pre-activations and the loss kernel applies the softmax itself.
/// </param>
public readonly record struct GpuOutputLayer(int OffsetPerSample, int Units, Activation Activation)
{
    /// <summary>
    /// The layer's <see cref="LayerInfo.PreActivationOffsetPerSample"/>: where the forward pass keeps the
    /// pre-activations, <c>[Batch, Units]</c> from <c>Batch × PreActivationOffsetPerSample</c>; needed (and only read)
    /// for <see cref="Activation.Gelu"/> and <see cref="Activation.Swish"/>, -1 otherwise.
    /// </summary>
    public int PreActivationOffsetPerSample { get; init; } = -1;

    /// <summary>The description of <paramref name="architecture"/>'s last layer.</summary>
    public static GpuOutputLayer Of(ModelArchitecture architecture)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        var last = architecture.Layers[^1];
        return new GpuOutputLayer(last.OutputOffsetPerSample, last.Units, last.Activation)
        {
            PreActivationOffsetPerSample = last.PreActivationOffsetPerSample,
        };
    }
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
    /// <summary>
    /// The whole data set's targets, <c>[samples, OutputSize]</c>, or <c>[samples, 1]</c> (class indices) for
    /// <see cref="GpuLoss.SparseCategoricalCrossEntropy"/>; uploaded once (empty for prediction).
    /// </summary>
    public ArrayView<float> Targets { get; init; }
    /// <summary>Sample indices: the epoch's shuffle, or 0, 1, 2, … .</summary>
    public ArrayView<int> Order { get; init; }
    /// <summary>Where this batch starts in <see cref="Order"/>.</summary>
    public int OrderOffset { get; init; }
    /// <summary>Samples in this batch.</summary>
    public int Batch { get; init; }
    /// <summary>
    /// Per sample of the batch: its loss at <c>[i]</c>, and at <c>[Batch + i]</c> what it adds to the default
    /// accuracy: 1 or 0 for a correct classification (<c>accuracy</c>), or, for binary cross-entropy on several
    /// outputs, the number of its outputs on the right side of 0.5 (<c>binary_accuracy</c>, whose divisor is
    /// samples × outputs); 0 where no accuracy is measured.
    /// </summary>
    public ArrayView<float> SampleResults { get; init; }
    /// <summary>Per step of the epoch: the batch's mean loss at <c>[2 s]</c> and its correct count (see <see cref="SampleResults"/>) at <c>[2 s + 1]</c>.</summary>
    public ArrayView<float> StepResults { get; init; }
    /// <summary>This step's index <c>s</c> in <see cref="StepResults"/>.</summary>
    public int StepIndex { get; init; }
    /// <summary>The plain SGD step fused into the weight and bias gradient kernels; 0 computes gradients only.</summary>
    public float LearningRate { get; init; }
    /// <summary>The loss to compute.</summary>
    public GpuLoss Loss { get; init; }
    /// <summary>
    /// <see cref="HuberLoss.Delta"/> when <see cref="Loss"/> is <see cref="GpuLoss.Huber"/>: positive and finite
    /// (there is no default: 0 is refused). Ignored by the other losses.
    /// </summary>
    public float HuberDelta { get; init; }

    /// <summary>
    /// Where a per-sample offset lands in the activation and delta buffers, laid out <c>[Batch × perSample]</c>: each
    /// layer's slice of <see cref="Batch"/> rows starts at <c>Batch · offsetPerSample</c>, as on the CPU.
    /// </summary>
    public long At(int offsetPerSample) => (long)Batch * offsetPerSample;
}

/// <summary>
/// The kernels the generator wrote for one model, loaded onto one accelerator. The generated subclass compiles each
/// kernel once in its constructor and launches them through typed delegates; this base adds the kernels that do not
/// depend on the model's shape: the loss (<see cref="Loss"/>), the prediction's softmax (<see cref="Softmax"/>) and
/// the step reduction (<see cref="ReduceStep"/>).
/// </summary>
public abstract class GpuKernelSet
{
    /// <summary>Threads per side of the square tile the generated matrix products use: a group is Tile × Tile threads.</summary>
    public const int Tile = 16;

    /// <summary>Threads per group of the one-dimensional kernels (per-row loss, bias gradients).</summary>
    public const int RowGroupSize = 64;

    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, int, int> _reduceStep;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, LossLaunch> _loss;
    private readonly Action<KernelConfig, ArrayView<float>, int, int, int>? _softmax;

    /// <param name="accelerator">Where the kernels run.</param>
    /// <param name="output">The model's last layer: where the loss and the softmax find its outputs.</param>
    protected GpuKernelSet(Accelerator accelerator, GpuOutputLayer output)
    {
        Accelerator = accelerator ?? throw new ArgumentNullException(nameof(accelerator));
        LossKernels.CheckOutput(output);
        Output = output;
        _reduceStep = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, int>(ReduceStepKernel);
        _loss = LossKernels.Load(accelerator, output.Activation);
        if (output.Activation == Activation.Softmax)
            _softmax = accelerator.LoadStreamKernel<ArrayView<float>, int, int, int>(LossKernels.SoftmaxKernel);
    }

    /// <summary>The accelerator the kernels were loaded onto.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>The model's last layer, as the loss and softmax kernels address it.</summary>
    internal GpuOutputLayer Output { get; }

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

    /// <summary>
    /// Launches the loss on the batch's outputs (after the forward pass; for a softmax output, its pre-activations,
    /// which this turns into probabilities in place): per sample, in one thread each, its loss into
    /// <see cref="GpuBatch.SampleResults"/><c>[i]</c>, what it adds to the default accuracy into <c>[Batch + i]</c>,
    /// and dLoss/d(pre-activation) of the batch-mean loss into <see cref="GpuBatch.Deltas"/> at the output's place,
    /// with the output activation folded in exactly as <see cref="DeepGen.Loss.Gradient(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, Activation)"/>
    /// folds it on the CPU (softmax with categorical and sparse cross-entropy, sigmoid with binary cross-entropy).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A Huber loss without a positive, finite <see cref="GpuBatch.HuberDelta"/>, or an unknown loss.</exception>
    protected void Loss(in GpuBatch batch)
    {
        var launch = LossKernels.Launch(batch, Output);
        _loss(RowGrid(batch.Batch), batch.Activations, batch.Deltas, batch.Targets, batch.Order, batch.SampleResults, launch);
    }

    /// <summary>
    /// Launches the prediction's softmax: each row of the last layer's outputs becomes its softmax, in place, stably
    /// (max subtracted), tiny probabilities flushed to 0 as on the CPU. Training does not need it: <see cref="Loss"/>
    /// applies the softmax itself.
    /// </summary>
    /// <exception cref="InvalidOperationException">The last layer is not a softmax.</exception>
    protected void Softmax(in GpuBatch batch)
    {
        if (_softmax is null)
            throw new InvalidOperationException($"The last layer's activation is {Output.Activation}, not Softmax: there is no softmax to apply.");
        _softmax(RowGrid(batch.Batch), batch.Activations, batch.Batch, Output.OffsetPerSample, Output.Units);
    }

    /// <summary>Launches the loss alone, for kernel tests.</summary>
    internal void LossForTests(in GpuBatch batch) => Loss(batch);

    /// <summary>Launches the prediction's softmax alone, for kernel tests.</summary>
    internal void SoftmaxForTests(in GpuBatch batch) => Softmax(batch);

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
