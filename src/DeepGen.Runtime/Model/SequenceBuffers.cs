namespace DeepGen;

/// <summary>
/// The layout of one pass's memory for a batch of <c>batch × sequence</c> tokens: computed from the architecture on
/// each call (a walk over a dozen stages, nothing allocated), since the sequence length changes from call to call.
/// </summary>
/// <remarks>
/// Training, in stage order: each stage's outputs (<c>[tokens, width]</c>, or <c>[batch, width]</c> after the
/// pooling), then what it keeps (LayerNormalization: normalized inputs and inverse deviations; an encoder layer: its
/// <see cref="Cpu.EncoderShape.KeptFloats"/>); then two gradient buffers the backward pass takes turns with, then
/// backward scratch. Inference: two token buffers and two vector buffers that stages take turns with, then the
/// largest encoder layer's scratch.
/// </remarks>
internal readonly struct SequenceBuffers
{
    private readonly SequenceArchitecture _architecture;
    private readonly int _batch;
    private readonly int _sequence;

    public SequenceBuffers(SequenceArchitecture architecture, int batch, int sequence, bool training)
    {
        _architecture = architecture;
        _batch = batch;
        _sequence = sequence;
        Training = training;
    }

    public bool Training { get; }

    private long Tokens => (long)_batch * _sequence;

    private long Rows(in SequenceStage stage) => stage.PerToken ? Tokens : _batch;

    private static Cpu.EncoderShape Encoder(SequenceLayerInfo layer) =>
        new(layer.Outputs, layer.Heads, layer.FeedForward, layer.Activation, layer.Epsilon);

    private long OwnKept(in SequenceStage stage) => stage.Layer.Kind switch
    {
        SequenceLayerKind.LayerNormalization => Tokens * stage.Width + Tokens,
        SequenceLayerKind.TransformerEncoder => Encoder(stage.Layer).KeptFloats(_batch, _sequence),
        _ => 0,
    };

    /// <summary>Floats of the largest stage output: the size of each buffer that stages take turns with.</summary>
    private long LargestOutput
    {
        get
        {
            long largest = 0;
            foreach (var stage in _architecture.Stages) largest = Math.Max(largest, Rows(stage) * stage.Width);
            return largest;
        }
    }

    private long TokenBuffer => Tokens * _architecture.WidestTokenLayer;

    private long SampleBuffer => (long)_batch * _architecture.WidestSampleLayer;

    private long InferenceScratch
    {
        get
        {
            long largest = 0;
            // Index loops: foreach over the IReadOnlyList would box its enumerator on every call.
            var layers = _architecture.Layers;
            for (var i = 0; i < layers.Count; i++)
                if (layers[i].Kind == SequenceLayerKind.TransformerEncoder)
                    largest = Math.Max(largest, Encoder(layers[i]).InferenceScratchFloats(_batch, _sequence));
            return largest;
        }
    }

    private long BackwardScratchLength
    {
        get
        {
            long largest = 0;
            var layers = _architecture.Layers;
            for (var i = 0; i < layers.Count; i++)
                largest = Math.Max(largest, layers[i].Kind switch
                {
                    SequenceLayerKind.TransformerEncoder => Encoder(layers[i]).BackwardScratchFloats(_batch, _sequence),
                    SequenceLayerKind.Dense => Cpu.DenseKernels.InputGradientScratchSize(_batch, layers[i].Inputs, layers[i].Outputs),
                    _ => 0,
                });
            return largest;
        }
    }

    /// <summary>Where the training layout's gradient buffers start: after every stage's outputs and kept values.</summary>
    private long KeptEnd
    {
        get
        {
            long next = 0;
            foreach (var stage in _architecture.Stages) next += Rows(stage) * stage.Width + OwnKept(stage);
            return next;
        }
    }

    /// <summary>Floats the pass needs in all.</summary>
    public long Length => Training
        ? KeptEnd + 2 * LargestOutput + BackwardScratchLength
        : 2 * TokenBuffer + 2 * SampleBuffer + InferenceScratch;

    private long TrainingOutputOffset(int stageIndex)
    {
        long next = 0;
        var stages = _architecture.Stages;
        for (var i = 0; i < stageIndex; i++) next += Rows(stages[i]) * stages[i].Width + OwnKept(stages[i]);
        return next;
    }

    private static Span<float> Slice(Span<float> memory, long offset, long length) => memory.Slice(checked((int)offset), checked((int)length));

    public Span<float> Output(Span<float> memory, int stageIndex)
    {
        var stage = _architecture.Stages[stageIndex];
        var length = Rows(stage) * stage.Width;
        if (Training) return Slice(memory, TrainingOutputOffset(stageIndex), length);
        if (stage.PerToken) return Slice(memory, stageIndex % 2 == 0 ? 0 : TokenBuffer, length);
        var sampleIndex = stageIndex - FirstSampleStage;
        return Slice(memory, 2 * TokenBuffer + (sampleIndex % 2 == 0 ? 0 : SampleBuffer), length);
    }

    private int FirstSampleStage => _architecture.FirstSampleStage;

    public Span<float> Normalized(Span<float> memory, int stageIndex)
    {
        var stage = RequireKind(stageIndex, SequenceLayerKind.LayerNormalization);
        if (!Training) return [];
        return Slice(memory, TrainingOutputOffset(stageIndex) + Tokens * stage.Width, Tokens * stage.Width);
    }

    public Span<float> InverseStd(Span<float> memory, int stageIndex)
    {
        var stage = RequireKind(stageIndex, SequenceLayerKind.LayerNormalization);
        if (!Training) return [];
        return Slice(memory, TrainingOutputOffset(stageIndex) + 2 * Tokens * stage.Width, Tokens);
    }

    public Span<float> Kept(Span<float> memory, int stageIndex)
    {
        var stage = RequireKind(stageIndex, SequenceLayerKind.TransformerEncoder);
        if (Training) return Slice(memory, TrainingOutputOffset(stageIndex) + Tokens * stage.Width, OwnKept(stage));
        return Slice(memory, 2 * TokenBuffer + 2 * SampleBuffer, Encoder(stage.Layer).InferenceScratchFloats(_batch, _sequence));
    }

    public Span<float> Gradient(Span<float> memory, int stageIndex)
    {
        RequireTraining();
        var stage = _architecture.Stages[stageIndex];
        // Stage s reads dLoss/d(its outputs) from one buffer and writes dLoss/d(its inputs), the previous stage's
        // outputs, into the other: the two take turns down the stages.
        var buffer = (_architecture.StageCount - 1 - stageIndex) % 2;
        return Slice(memory, KeptEnd + buffer * LargestOutput, Rows(stage) * stage.Width);
    }

    public Span<float> BackwardScratch(Span<float> memory)
    {
        RequireTraining();
        return Slice(memory, KeptEnd + 2 * LargestOutput, BackwardScratchLength);
    }

    private SequenceStage RequireKind(int stageIndex, SequenceLayerKind kind)
    {
        var stage = _architecture.Stages[stageIndex];
        if (stage.Layer.Kind != kind)
            throw new InvalidOperationException($"Stage {stageIndex} is layer '{stage.Layer.Name}', a {stage.Layer.Kind}, not a {kind}.");
        return stage;
    }

    private void RequireTraining()
    {
        if (!Training) throw new InvalidOperationException("Gradients and backward scratch exist in a training pass only.");
    }
}
