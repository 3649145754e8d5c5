using DeepGen.Layout;

namespace DeepGen.Cpu;

/// <summary>
/// The sizes of one BERT-style (post-LayerNorm) transformer encoder layer, and the buffer sizes its kernels need for
/// a call of <c>batch</c> samples of <c>sequence</c> tokens each (tokens = batch · sequence rows of H features).
/// </summary>
/// <remarks>
/// The buffer sizes depend on <see cref="WorkerPool"/>'s thread count (one attention scratch block per thread), which
/// is fixed for the process, so a size computed once for the largest batch and sequence serves every smaller call.
/// </remarks>
public readonly struct EncoderShape
{
    /// <summary>Query rows of one attention score block in inference: the block is <c>[QueryTile, sequence]</c>.</summary>
    internal const int QueryTile = 16;

    /// <param name="hidden">H, features per token; a multiple of <paramref name="heads"/>.</param>
    /// <param name="heads">A, attention heads.</param>
    /// <param name="feedForward">F, units of the feed-forward's inner layer.</param>
    /// <param name="activation">The feed-forward's activation: <see cref="Activation.Gelu"/> (exact erf form) or <see cref="Activation.Relu"/>.</param>
    /// <param name="epsilon">Added to the variance in both layer normalizations (BERT: 1e-12).</param>
    public EncoderShape(int hidden, int heads, int feedForward, Activation activation, float epsilon)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hidden);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(heads);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(feedForward);
        if (hidden % heads != 0)
            throw new ArgumentException($"The hidden size {hidden} is not a multiple of the {heads} attention heads.", nameof(heads));
        if (activation is not (Activation.Gelu or Activation.Relu))
            throw new ArgumentException($"A transformer encoder's feed-forward activation must be Gelu or Relu, not {activation}.", nameof(activation));
        if (!(epsilon >= 0f) || float.IsInfinity(epsilon))
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "The layer normalization epsilon must be finite and not negative.");
        Hidden = hidden;
        Heads = heads;
        FeedForward = feedForward;
        Activation = activation;
        Epsilon = epsilon;
    }

    /// <summary>H: features per token.</summary>
    public int Hidden { get; }

    /// <summary>A: attention heads.</summary>
    public int Heads { get; }

    /// <summary>F: units of the feed-forward's inner layer.</summary>
    public int FeedForward { get; }

    /// <summary>The feed-forward's activation (Gelu or Relu).</summary>
    public Activation Activation { get; }

    /// <summary>The layer normalizations' epsilon.</summary>
    public float Epsilon { get; }

    /// <summary>H / A: features per head.</summary>
    public int HeadSize => Hidden / Heads;

    /// <summary>Where each parameter tensor lies in one layer's slice.</summary>
    internal EncoderLayerLayout Layout => new(Hidden, FeedForward);

    /// <summary>Floats of parameters (and of gradients) per layer.</summary>
    public long ParametersPerLayer => Layout.Parameters;

    /// <summary>
    /// Floats one layer's training forward pass writes into its <c>kept</c> buffer for the backward pass: the query, key
    /// and value projections, the attention probabilities <c>[batch, heads, sequence, sequence]</c>, the attention
    /// context, both normalizations' normalized values and inverse deviations, the first normalization's output, the
    /// feed-forward's activations (and its pre-activations for GELU), plus a small attention scratch block per thread.
    /// </summary>
    public long KeptFloats(int batch, int sequence) => new KeptLayout(this, batch, sequence).Total;

    /// <summary>Floats of scratch one layer's inference forward pass needs (its <c>kept</c> buffer when not training).</summary>
    public long InferenceScratchFloats(int batch, int sequence) => new InferenceLayout(this, batch, sequence).Total;

    /// <summary>Floats of scratch one layer's backward pass needs.</summary>
    public long BackwardScratchFloats(int batch, int sequence) => new BackwardLayout(this, batch, sequence).Total;

    internal void Validate()
    {
        if (Hidden <= 0 || Heads <= 0 || FeedForward <= 0 || Hidden % Heads != 0 || Activation is not (Activation.Gelu or Activation.Relu))
            throw new ArgumentException("The encoder shape is not initialized: construct it with its sizes.", "s");
    }

    /// <summary>Attention scratch blocks: one per thread that may run a unit of attention work.</summary>
    internal static int ScratchSlots => WorkerPool.Shared.MaxThreads;

    /// <summary>Offsets into the training forward's <c>kept</c> buffer.</summary>
    internal readonly struct KeptLayout
    {
        public KeptLayout(in EncoderShape s, int batch, int sequence)
        {
            long tokens = (long)batch * sequence, th = tokens * s.Hidden, tf = tokens * s.FeedForward;
            Query = 0;
            Key = th;
            Value = 2 * th;
            Probabilities = 3 * th;
            Context = Probabilities + (long)batch * s.Heads * sequence * sequence;
            Normalized1 = Context + th;
            InverseStd1 = Normalized1 + th;
            Attended = InverseStd1 + tokens;
            PreActivations = Attended + th;
            Activations = PreActivations + (s.Activation == Activation.Gelu ? tf : 0);
            Normalized2 = Activations + tf;
            InverseStd2 = Normalized2 + th;
            SlotFloats = (long)s.HeadSize * sequence;
            Slots = InverseStd2 + tokens;
            Total = Slots + ScratchSlots * SlotFloats;
        }

        public long Query { get; }
        public long Key { get; }
        public long Value { get; }
        public long Probabilities { get; }
        public long Context { get; }
        /// <summary>The first normalization's normalized values; the attention output's projection before it.</summary>
        public long Normalized1 { get; }
        public long InverseStd1 { get; }
        /// <summary>h: the first normalization's output, the feed-forward's input.</summary>
        public long Attended { get; }
        public long PreActivations { get; }
        public long Activations { get; }
        /// <summary>The second normalization's normalized values; the feed-forward's output before it.</summary>
        public long Normalized2 { get; }
        public long InverseStd2 { get; }
        public long Slots { get; }
        public long SlotFloats { get; }
        public long Total { get; }
    }

    /// <summary>Offsets into the inference forward's scratch; later stages reuse the buffers of finished ones.</summary>
    internal readonly struct InferenceLayout
    {
        public InferenceLayout(in EncoderShape s, int batch, int sequence)
        {
            long tokens = (long)batch * sequence, th = tokens * s.Hidden;
            Query = 0;
            Key = th;
            Value = 2 * th;
            Context = 3 * th;
            Activations = 4 * th;
            Slots = Activations + tokens * s.FeedForward;
            SlotFloats = (long)(s.HeadSize + Math.Min(QueryTile, sequence)) * sequence;
            Total = Slots + ScratchSlots * SlotFloats;
        }

        public long Query { get; }
        public long Key { get; }
        public long Value { get; }
        public long Context { get; }
        public long Activations { get; }
        public long Slots { get; }
        public long SlotFloats { get; }
        public long Total { get; }
    }

    /// <summary>Offsets into the backward pass's scratch.</summary>
    internal readonly struct BackwardLayout
    {
        public BackwardLayout(in EncoderShape s, int batch, int sequence)
        {
            long tokens = (long)batch * sequence, th = tokens * s.Hidden, h = s.Hidden;
            OutputSum = 0;
            ActivationGradient = th;
            AttendedGradient = ActivationGradient + tokens * s.FeedForward;
            AttentionSum = AttendedGradient + th;
            ContextGradient = AttentionSum + th;
            ProjectionGradients = ContextGradient + th;
            TransposedWeights = ProjectionGradients + 3 * th;
            BiasSums = TransposedWeights + Math.Max((long)s.FeedForward * h, 3 * h * h);
            Slots = BiasSums + 3 * h;
            SlotFloats = (long)(s.HeadSize + sequence) * sequence;
            Total = Slots + ScratchSlots * SlotFloats;
        }

        /// <summary>dL/d(h + g), the second normalization's input gradient.</summary>
        public long OutputSum { get; }
        public long ActivationGradient { get; }
        public long AttendedGradient { get; }
        /// <summary>dL/d(x + a), the first normalization's input gradient.</summary>
        public long AttentionSum { get; }
        public long ContextGradient { get; }
        /// <summary>dQ, dK, dV side by side: <c>[tokens, 3H]</c>.</summary>
        public long ProjectionGradients { get; }
        public long TransposedWeights { get; }
        public long BiasSums { get; }
        public long Slots { get; }
        public long SlotFloats { get; }
        public long Total { get; }
    }
}
