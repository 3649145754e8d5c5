using System.Numerics.Tensors;

namespace DeepGen;

/// <summary>
/// The base of every generated model: owns the flat parameter, gradient and activation buffers and supplies what
/// does not depend on the shape — fit, evaluate, predict, save and load. The generated subclass supplies
/// <see cref="Forward(ReadOnlySpan{float}, Span{float}, int, bool)"/>, <see cref="Backward"/> and <see cref="TrainStep"/>, written for its exact sizes.
/// </summary>
/// <remarks>
/// Buffers are allocated when the model is created and grown the first time a larger batch is seen; after that a
/// training step, a prediction into a caller's span and an evaluation allocate nothing. Predict and Embed may run on
/// many threads at once (each call rents its own activation buffer); training, evaluating and loading may not, and
/// not while predictions run.
/// </remarks>
public abstract partial class SequentialModel
{
    private readonly float[] _parameters;
    private readonly float[] _state;
    private float[]? _gradients; // allocated by the first training step: see GradientStorage
    private float[] _activations = [];
    private float[] _deltas = [];
    private float[] _inputBatch = [];
    private float[] _targetBatch = [];
    private float[] _scratch = []; // backward-pass scratch, grown by the first training step of each larger batch
    private int _scratchBatch;
    private int _batchCapacity;
    private Loss? _lastLoss;
    private SeededRandom _dropoutRandom;

    /// <summary>
    /// Mixed into the model seed for the dropout stream, so masks never replay the numbers that drew the weights.
    /// </summary>
    private const long DropoutStreamSalt = 0x44726F706F7574L; // "Dropout"

    /// <param name="architecture">The generated model's shape.</param>
    /// <param name="seed">
    /// Seed of the weight initialisation (each layer's initializers, Glorot-uniform weights and zero biases unless
    /// the layer says otherwise) and of the dropout masks.
    /// </param>
    protected SequentialModel(ModelArchitecture architecture, int seed)
    {
        Architecture = architecture ?? throw new ArgumentNullException(nameof(architecture));
        _parameters = new float[architecture.ParameterCount];
        WeightInitialization.Initialize(_parameters, architecture, seed);
        _state = new float[architecture.StateCount];
        WeightInitialization.InitializeState(_state, architecture);
        _dropoutRandom = new SeededRandom(seed ^ DropoutStreamSalt);
    }

    /// <summary>The model's shape and buffer layout.</summary>
    public ModelArchitecture Architecture { get; }

    /// <summary>Every weight and bias in one flat buffer, laid out as <see cref="LayerInfo"/> describes. Writable.</summary>
    public Span<float> Parameters => _parameters;

    /// <summary>
    /// The state the layers keep outside the parameters and that no optimizer trains, laid out by each layer's
    /// <see cref="LayerInfo.StateOffset"/>: batch normalization's moving mean and variance (and its last training
    /// batch's statistics). Empty for a model without such layers. Writable; saved and loaded with the weights.
    /// </summary>
    public Span<float> NonTrainableWeights => _state;

    /// <summary>Gradients from the last training step, in the parameter layout (zeros before the first). Throws on a model loaded for inference.</summary>
    public ReadOnlySpan<float> Gradients => GradientStorage();

    /// <summary>The layers, in order.</summary>
    public IReadOnlyList<DenseLayer> Layers => [.. Architecture.Layers.Select(layer => new DenseLayer(this, layer))];

    /// <summary>The activation buffer with its training workspace, for tests that read a dropout mask.</summary>
    internal ReadOnlySpan<float> ActivationBuffer => _activations;

    /// <summary>The gradient buffer, for the generated backward pass to write.</summary>
    protected Span<float> GradientBuffer => GradientStorage();

    /// <summary>A view of layer <paramref name="index"/>.</summary>
    protected DenseLayer Layer(int index) => new(this, Architecture.Layers[index]);

    /// <summary>
    /// Runs the layers on <paramref name="batch"/> samples in inference mode (no dropout), as Evaluate and Predict do.
    /// <paramref name="activations"/> receives every layer's outputs, <c>[batch × ActivationsPerSample]</c>, layer
    /// after layer.
    /// </summary>
    protected void Forward(ReadOnlySpan<float> input, Span<float> activations, int batch) =>
        Forward(input, activations, batch, training: false);

    /// <summary>
    /// Runs the layers on <paramref name="batch"/> samples. <paramref name="activations"/> receives every layer's
    /// outputs, <c>[batch × ActivationsPerSample]</c>, layer after layer, and in training also the workspace the
    /// backward pass reads (<see cref="ModelArchitecture.WorkspacePerSample"/>: pre-activations, dropout outputs and
    /// masks). In training, dropout layers draw a new mask from <see cref="TrainingRandomState"/>'s stream.
    /// </summary>
    protected abstract void Forward(ReadOnlySpan<float> input, Span<float> activations, int batch, bool training);

    /// <summary>
    /// The sum of the layers' L1/L2 weight penalties, <c>Σ (l1 · Σ|w| + l2 · Σw²)</c>, at the current weights: what a
    /// training step adds to the loss it returns (Keras adds it to the evaluated loss too). Zero without regularizers;
    /// allocation-free.
    /// </summary>
    public float RegularizationPenalty()
    {
        var total = 0f;
        var layers = Architecture.Layers;
        for (var i = 0; i < layers.Count; i++) // an index loop: foreach over the interface would box its enumerator
            if (layers[i] is { IsRegularized: true } layer)
                total += Cpu.Regularization.Penalty(_parameters.AsSpan(layer.WeightsOffset, layer.WeightCount), layer.L1, layer.L2);
        return total;
    }

    /// <summary>
    /// Inverted dropout for a training pass: <c>mask[i]</c> is 0 with probability <paramref name="rate"/> and
    /// <c>1 / (1 - rate)</c> otherwise, and <c>output[i] = input[i] · mask[i]</c>. Draws one number per element from
    /// the model's dropout stream, in order, so the masks depend only on the seed and the steps taken.
    /// </summary>
    protected void ApplyDropout(Span<float> output, Span<float> mask, ReadOnlySpan<float> input, float rate)
    {
        if (output.Length != input.Length || mask.Length != input.Length)
            throw new ArgumentException($"Dropout over {input.Length} values needs an output and a mask of that length; got {output.Length} and {mask.Length}.");
        if (!(rate >= 0f && rate < 1f))
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "The dropout rate must be in [0, 1).");
        DrawDropoutMask(mask, rate);
        for (var i = 0; i < input.Length; i++) output[i] = input[i] * mask[i];
    }

    /// <summary>
    /// The next <paramref name="mask"/>.Length draws of the model's dropout stream as an inverted-dropout mask: 0 with
    /// probability <paramref name="rate"/>, <c>1 / (1 - rate)</c> otherwise. <see cref="ApplyDropout"/> uses it, and
    /// the GPU back end draws its masks here too, so a device run drops exactly the units the CPU run drops.
    /// </summary>
    internal void DrawDropoutMask(Span<float> mask, float rate)
    {
        var scale = 1f / (1f - rate);
        // Keras keeps a unit when its uniform draw is at least the rate.
        for (var i = 0; i < mask.Length; i++) mask[i] = _dropoutRandom.NextSingle() >= rate ? scale : 0f;
    }

    /// <summary>
    /// Back-propagates from the last layer's slice of <paramref name="deltas"/> (dLoss/d(pre-activation), written by
    /// the loss) and overwrites the gradient buffer. When <paramref name="learningRate"/> is not zero, each layer's
    /// weights also take the plain SGD step as their gradients are computed.
    /// </summary>
    protected abstract void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> activations, Span<float> deltas, Span<float> scratch, int batch, float learningRate);

    /// <summary>The learning rate to fuse into the backward pass: the optimizer's when it is plain SGD, else 0.</summary>
    protected static float FusedSgdLearningRate(Optimizer optimizer) => optimizer.FusedSgdLearningRate;

    /// <summary>
    /// One training step on a batch: forward, loss and its gradient, backward, parameter update. Returns the batch's
    /// mean loss. Allocation-free once buffers for <paramref name="batch"/> samples exist.
    /// </summary>
    /// <param name="input">The batch's inputs, <c>[batch, InputSize]</c>.</param>
    /// <param name="targets">The batch's targets, <c>[batch, OutputSize]</c>.</param>
    public abstract float TrainStep(ReadOnlySpan<float> input, ReadOnlySpan<float> targets, int batch, Loss loss, Optimizer optimizer);

    /// <summary>The buffers of a step on <paramref name="batch"/> samples, grown if this batch is the largest yet.</summary>
    protected StepBuffers Buffers(int batch)
    {
        EnsureCapacity(batch);
        var activations = batch * Architecture.ActivationsPerSample;
        var withWorkspace = batch * (Architecture.ActivationsPerSample + Architecture.WorkspacePerSample);
        return new StepBuffers(_activations.AsSpan(0, withWorkspace), _deltas.AsSpan(0, activations), _scratch);
    }

    /// <summary>Checks the arguments of a training step and returns its buffers.</summary>
    protected StepBuffers BeginTrainStep(ReadOnlySpan<float> input, ReadOnlySpan<float> targets, int batch, Loss loss, Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(optimizer);
        ThrowIfInferenceOnly();
        ThrowIfNotAdapted();
        CheckSamples(input, batch, Architecture.InputSize, "input");
        CheckSamples(targets, batch, loss.TargetsPerSample(Architecture.OutputSize), "targets");
        if (batch > _scratchBatch)
        {
            _scratch = new float[Architecture.BackwardScratchSize(batch)];
            _scratchBatch = batch;
        }

        return Buffers(batch);
    }

    private static void CheckSamples(ReadOnlySpan<float> values, int batch, int perSample, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        if (values.Length != (long)batch * perSample)
            throw new ArgumentException($"'{name}' holds {values.Length} floats; {batch} samples × {perSample} = {(long)batch * perSample} expected.", name);
    }

    private void EnsureCapacity(int batch)
    {
        if (batch <= _batchCapacity) return;
        var activations = checked(batch * Architecture.ActivationsPerSample);
        _activations = new float[checked(batch * (Architecture.ActivationsPerSample + Architecture.WorkspacePerSample))];
        _deltas = new float[activations];
        _inputBatch = new float[checked(batch * Architecture.InputSize)];
        _targetBatch = new float[checked(batch * Architecture.OutputSize)];
        _batchCapacity = batch;
    }

    private Span<float> OutputsOf(Span<float> activations, int batch) =>
        activations.Slice(batch * Architecture.Layers[^1].OutputOffsetPerSample, batch * Architecture.OutputSize);

    /// <summary>Samples in <paramref name="x"/>, which must hold a positive whole number of them.</summary>
    private int CountInputSamples(ReadOnlySpan<float> x)
    {
        var inputSize = Architecture.InputSize;
        if (x.Length == 0 || x.Length % inputSize != 0)
            throw new ArgumentException($"'x' holds {x.Length} floats, which is not a positive whole number of samples of {inputSize} inputs.", nameof(x));
        return x.Length / inputSize;
    }

    /// <summary>
    /// Samples in <paramref name="x"/> and <paramref name="y"/>, checked as Fit and Evaluate need them: whole samples
    /// of matching counts, every value finite, a loss that can train this model's outputs, and targets the loss accepts
    /// (each refusal names the sample and the feature or target). One vectorized pass over each array when all is well.
    /// </summary>
    private int CountSamples(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Loss loss)
    {
        loss.CheckOutputs(Architecture.OutputSize);
        var outputSize = loss.TargetsPerSample(Architecture.OutputSize);
        var samples = CountInputSamples(x);
        if (y.Length != (long)samples * outputSize)
            throw new ArgumentException($"'x' holds {samples} samples but 'y' holds {y.Length} floats, not {samples} × {outputSize} = {(long)samples * outputSize}.", nameof(y));
        CheckFinite(x, Architecture.InputSize, nameof(x), "feature");
        CheckFinite(y, outputSize, nameof(y), "target");
        loss.CheckTargetValues(y, Architecture.OutputSize, nameof(y));
        return samples;
    }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> naming the first NaN or infinity in <paramref name="values"/>,
    /// <c>[samples, width]</c>, by its sample and its <paramref name="item"/> (feature or target) within the sample.
    /// Allocation-free; one vectorized pass when every value is finite.
    /// </summary>
    internal static void CheckFinite(ReadOnlySpan<float> values, int width, string name, string item)
    {
        // MaxMagnitude is NaN if any value is NaN and infinite if any is infinite: one vectorized pass.
        if (float.IsFinite(TensorPrimitives.MaxMagnitude(values))) return;
        for (var i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i]))
                throw new ArgumentException($"'{name}' holds {values[i]} at sample {i / width}, {item} {i % width}; every value must be finite.", name);
    }

    private static unsafe void Gather(Span<float> destination, ReadOnlySpan<float> source, ReadOnlySpan<int> rows, int width)
    {
        // Checked here once; the copies below are then in bounds.
        var available = (uint)(source.Length / width);
        foreach (var row in rows)
            if ((uint)row >= available) throw new ArgumentOutOfRangeException(nameof(rows), $"Row {row} is outside the data.");
        if (destination.Length < (long)rows.Length * width) throw new ArgumentException("The batch buffer is too small.", nameof(destination));

        fixed (float* to = destination)
        fixed (float* from = source)
        fixed (int* order = rows)
        {
            var threads = Math.Min(Cpu.CpuBackend.MaxDegreeOfParallelism, Cpu.WorkerPool.Shared.MaxThreads);
            // A batch of training images is scattered over a data set far larger than the caches, so each row is a
            // wait on memory: two threads keep twice as many misses in flight (a tenth of a seed epoch was this copy).
            if (threads > 1 && (long)rows.Length * width >= GatherJob.ParallelFloats)
            {
                var job = GatherJob.ForThisThread;
                job.Set(to, from, order, rows.Length, width);
                Cpu.WorkerPool.Shared.Run(job, threads);
                job.Set(null, null, null, 0, 0);
                return;
            }

            for (var i = 0; i < rows.Length; i++)
                Buffer.MemoryCopy(from + (long)order[i] * width, to + (long)i * width, (long)width * sizeof(float), (long)width * sizeof(float));
        }
    }

    /// <summary>Rows of a gather, in units of <see cref="RowsPerUnit"/>.</summary>
    private sealed unsafe class GatherJob : Cpu.IParallelWork
    {
        public const long ParallelFloats = 16_384;
        private const int RowsPerUnit = 8;

        [ThreadStatic] private static GatherJob? _forThisThread;

        private float* _to;
        private float* _from;
        private int* _order;
        private int _rows;
        private int _width;

        public static GatherJob ForThisThread => _forThisThread ??= new GatherJob();

        public int UnitCount => (_rows + RowsPerUnit - 1) / RowsPerUnit;

        public void Set(float* to, float* from, int* order, int rows, int width)
        {
            _to = to;
            _from = from;
            _order = order;
            _rows = rows;
            _width = width;
        }

        public void Execute(int unit)
        {
            var bytes = (long)_width * sizeof(float);
            for (var i = unit * RowsPerUnit; i < Math.Min(_rows, (unit + 1) * RowsPerUnit); i++)
                Buffer.MemoryCopy(_from + (long)_order[i] * _width, _to + (long)i * _width, bytes, bytes);
        }
    }
}

/// <summary>The buffers of one step: every layer's outputs and workspace, every layer's deltas, and scratch for the backward pass.</summary>
public readonly ref struct StepBuffers(Span<float> activations, Span<float> deltas, Span<float> scratch)
{
    /// <summary>
    /// Every layer's outputs, <c>[batch × ActivationsPerSample]</c>, followed by the training workspace
    /// <c>[batch × WorkspacePerSample]</c>.
    /// </summary>
    public Span<float> Activations { get; } = activations;

    /// <summary>Every layer's dLoss/d(pre-activation), same layout as <see cref="Activations"/>.</summary>
    public Span<float> Deltas { get; } = deltas;

    /// <summary>Scratch for the backward pass (transposed operands of the input-gradient products).</summary>
    public Span<float> Scratch { get; } = scratch;
}
