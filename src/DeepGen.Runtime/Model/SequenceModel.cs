using DeepGen.Inference;

namespace DeepGen;

/// <summary>
/// The base of every generated sequence model (token ids in: an embedding, transformer encoder layers, pooling):
/// owns the flat parameter and gradient buffers and supplies what does not depend on the shape: prediction, a
/// training step, fit, evaluate, save, load and the import of Hugging Face BERT weights. The generated subclass
/// supplies <see cref="Forward"/> and <see cref="Backward"/>, straight-line calls with its sizes as constants.
/// </summary>
/// <remarks>
/// The batch size and the sequence length vary per call, up to <see cref="SequenceArchitecture.MaxSequence"/>. <see cref="Predict(TokenBatch, Span{float})"/>
/// may run on many threads at once (each call rents its own buffers from a small pool, so a steady stream of calls
/// allocates nothing); training, evaluating and loading may not, and not while predictions run.
/// </remarks>
public abstract partial class SequenceModel
{
    private readonly float[] _parameters;
    private float[]? _gradients;
    private float[] _trainingMemory = [];
    private readonly InferenceWorkspacePool _inferenceMemory = new(InferenceWorkspacePool.DefaultCapacity);

    /// <summary>Keras's <c>Embedding</c> starts its table uniform in [-0.05, 0.05].</summary>
    private const float EmbeddingInitialSpread = 0.05f;

    /// <param name="architecture">The generated model's shape.</param>
    /// <param name="seed">
    /// Seed of the initial weights: embedding tables uniform in [-0.05, 0.05] (Keras), dense and encoder weights
    /// Glorot-uniform, biases 0, LayerNorm scales 1 and shifts 0.
    /// </param>
    protected SequenceModel(SequenceArchitecture architecture, int seed)
    {
        Architecture = architecture ?? throw new ArgumentNullException(nameof(architecture));
        _parameters = new float[architecture.ParameterCount];
        Initialize(_parameters, architecture, seed);
    }

    /// <summary>The model's shape and parameter layout.</summary>
    public SequenceArchitecture Architecture { get; }

    /// <summary>Every parameter in one flat buffer, laid out as <see cref="SequenceArchitecture.Tensors"/> lists. Writable.</summary>
    public Span<float> Parameters => _parameters;

    /// <summary>Gradients of the last training step, in the parameter layout (zeros before the first).</summary>
    public ReadOnlySpan<float> Gradients => GradientStorage();

    // The sizes (OutputSize, MaxSequence, Vocabulary) are the generated class's constants and Architecture's
    // properties; the base declares no members of those names, so the constants hide nothing.
    private int OutputWidth => Architecture.OutputSize;

    private int MaxSequenceLength => Architecture.MaxSequence;

    /// <summary>
    /// Runs every stage on <paramref name="pass"/>'s batch: in inference mode, or in training mode keeping what the
    /// backward pass reads. Each stage writes <see cref="SequencePass.Output"/> of its number.
    /// </summary>
    protected abstract void Forward(in SequencePass pass);

    /// <summary>
    /// Back-propagates from dLoss/d(outputs of the last stage), which the caller has written into
    /// <see cref="SequencePass.Gradient"/> of the last stage, and overwrites every parameter's gradient.
    /// </summary>
    protected abstract void Backward(in SequencePass pass);

    private float[] GradientStorage() => _gradients ??= new float[Architecture.ParameterCount];

    /// <summary>Floats of output for <paramref name="tokens"/>.</summary>
    private long OutputLength(in TokenBatch tokens) => (Architecture.IsPooled ? tokens.Batch : (long)tokens.Tokens) * OutputWidth;

    private void CheckSequence(in TokenBatch tokens)
    {
        if (tokens.Sequence > MaxSequenceLength)
            throw new ArgumentException($"The batch's sequences hold {tokens.Sequence} tokens; {Architecture.Name} takes at most {MaxSequenceLength} (its MaxSequence).", nameof(tokens));
    }

    /// <summary>
    /// Runs the model on a batch and writes its outputs into <paramref name="output"/>: <c>[batch, OutputSize]</c>
    /// for a model that pools (a sentence embedding per sequence), else <c>[batch × sequence, OutputSize]</c>.
    /// Allocation-free once the pool holds a buffer for this many tokens.
    /// </summary>
    public void Predict(TokenBatch tokens, Span<float> output)
    {
        CheckSequence(tokens);
        var expected = OutputLength(tokens);
        if (output.Length != expected)
            throw new ArgumentException($"'output' holds {output.Length} floats; {expected} expected ({(Architecture.IsPooled ? tokens.Batch + " sequences" : tokens.Tokens + " tokens")} × {OutputWidth}).", nameof(output));
        var buffers = new SequenceBuffers(Architecture, tokens.Batch, tokens.Sequence, training: false);
        var memory = _inferenceMemory.Rent(checked((int)buffers.Length));
        try
        {
            var pass = new SequencePass(tokens, _parameters, [], buffers, memory);
            Forward(pass);
            pass.Output(Architecture.StageCount - 1).CopyTo(output);
        }
        finally
        {
            _inferenceMemory.Return(memory);
        }
    }

    /// <summary>As <see cref="Predict(TokenBatch, Span{float})"/>, into a new array.</summary>
    public float[] Predict(TokenBatch tokens)
    {
        CheckSequence(tokens);
        var output = new float[OutputLength(tokens)];
        Predict(tokens, output);
        return output;
    }

    /// <summary>
    /// Keeps <paramref name="count"/> inference buffers for batches of up to <paramref name="batch"/> sequences of
    /// <paramref name="sequence"/> tokens, so that many concurrent predictions allocate nothing from the first on.
    /// </summary>
    public void ReserveInferenceBuffers(int count, int batch, int sequence)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sequence);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sequence, MaxSequenceLength);
        _inferenceMemory.Reserve(count, checked((int)new SequenceBuffers(Architecture, batch, sequence, training: false).Length));
    }

    /// <summary>
    /// One training step on a batch: forward, the loss and its gradient, backward, the optimizer's update. Returns the
    /// batch's mean loss. Allocation-free once buffers for this many tokens exist. The model must pool (one output
    /// vector per sequence), and <paramref name="targets"/> holds <c>[batch, targets per sample]</c>.
    /// </summary>
    public float TrainStep(TokenBatch tokens, ReadOnlySpan<float> targets, Loss loss, Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(optimizer);
        CheckSequence(tokens);
        if (!Architecture.IsPooled)
            throw new InvalidOperationException($"{Architecture.Name} ends with one vector per token; training needs one per sequence (end the model with [MeanPooling], then layers on the vector).");
        var width = loss.TargetsPerSample(OutputWidth);
        if (targets.Length != (long)tokens.Batch * width)
            throw new ArgumentException($"'targets' holds {targets.Length} floats; {tokens.Batch} sequences × {width} = {(long)tokens.Batch * width} expected.", nameof(targets));
        optimizer.Initialize(Architecture.ParameterCount);
        var buffers = new SequenceBuffers(Architecture, tokens.Batch, tokens.Sequence, training: true);
        if (_trainingMemory.Length < buffers.Length) _trainingMemory = new float[checked((int)buffers.Length)];
        var pass = new SequencePass(tokens, _parameters, GradientStorage(), buffers, _trainingMemory);
        Forward(pass);
        var last = Architecture.StageCount - 1;
        var lastLayer = Architecture.Layers[^1];
        var activation = lastLayer.Kind == SequenceLayerKind.Dense ? lastLayer.Activation : Activation.Linear;
        var value = loss.Gradient(pass.Gradient(last), pass.Output(last), targets, tokens.Batch, OutputWidth, activation);
        if (!float.IsFinite(value))
            throw new ArithmeticException($"The training loss became {value}; lower the learning rate or check the targets.");
        Backward(pass);
        optimizer.Step(_parameters, _gradients, appliedInBackward: false);
        return value;
    }

    private static void Initialize(Span<float> parameters, SequenceArchitecture architecture, int seed)
    {
        var random = new SeededRandom(seed);
        foreach (var layer in architecture.Layers)
        {
            var values = parameters.Slice(layer.ParametersOffset, layer.ParameterCount);
            switch (layer.Kind)
            {
                case SequenceLayerKind.Embedding:
                    foreach (ref var value in values) value = (random.NextSingle() * 2f - 1f) * EmbeddingInitialSpread;
                    break;
                case SequenceLayerKind.LayerNormalization:
                    values[..layer.Outputs].Fill(1f);
                    break;
                case SequenceLayerKind.Dense:
                    WeightInitialization.Fill(values[..(layer.Inputs * layer.Outputs)], Initializer.GlorotUniform, layer.Inputs, layer.Outputs, ref random);
                    break;
                case SequenceLayerKind.TransformerEncoder:
                    foreach (var tensor in layer.Tensors)
                    {
                        var slice = parameters.Slice(tensor.Offset, tensor.Length);
                        if (tensor.Shape.Length == 2)
                            WeightInitialization.Fill(slice, Initializer.GlorotUniform, tensor.Shape[0], tensor.Shape[1], ref random);
                        else if (tensor.Name.EndsWith(".gamma", StringComparison.Ordinal))
                            slice.Fill(1f);
                    }

                    break;
            }
        }
    }
}
