namespace DeepGen;

/// <summary>
/// What the generated forward and backward passes of a <see cref="SequenceModel"/> see of one call: the batch, the
/// parameters and gradients, and each stage's buffers, carved from one rented span by <see cref="SequenceBuffers"/>.
/// </summary>
/// <remarks>
/// Stages are numbered as <see cref="SequenceArchitecture.FirstStage"/> says: one per layer, one per encoder layer.
/// In inference, stages take turns between two token buffers (and two vector buffers after the pooling), so a
/// 6-layer encoder needs the memory of two layers' outputs and one layer's scratch; in training every stage keeps
/// its outputs and what its backward pass reads.
/// </remarks>
public readonly ref struct SequencePass
{
    private readonly SequenceBuffers _buffers;
    private readonly Span<float> _memory;

    internal SequencePass(TokenBatch tokens, Span<float> parameters, Span<float> gradients, SequenceBuffers buffers, Span<float> memory)
    {
        Tokens = tokens;
        Parameters = parameters;
        Gradients = gradients;
        _buffers = buffers;
        _memory = memory;
    }

    /// <summary>The batch of token sequences.</summary>
    public TokenBatch Tokens { get; }

    /// <summary>Token ids, <c>[batch, sequence]</c>.</summary>
    public ReadOnlySpan<int> Ids => Tokens.Ids;

    /// <summary>1 for a token, 0 for padding; empty when all are tokens.</summary>
    public ReadOnlySpan<int> Mask => Tokens.AttentionMask;

    /// <summary>Token types; empty when all are 0.</summary>
    public ReadOnlySpan<int> TokenTypes => Tokens.TokenTypes;

    /// <summary>Sequences in the batch.</summary>
    public int Batch => Tokens.Batch;

    /// <summary>Tokens per sequence, padding included.</summary>
    public int Sequence => Tokens.Sequence;

    /// <summary>Whether this is a training pass (every stage keeps what its backward pass reads).</summary>
    public bool Training => _buffers.Training;

    /// <summary>The model's parameters.</summary>
    public Span<float> Parameters { get; }

    /// <summary>The model's gradients (training only), overwritten by the backward pass.</summary>
    public Span<float> Gradients { get; }

    /// <summary>The outputs of stage <paramref name="stage"/>: <c>[tokens, width]</c>, or <c>[batch, width]</c> after the pooling.</summary>
    public Span<float> Output(int stage) => _buffers.Output(_memory, stage);

    /// <summary>A LayerNormalization stage's normalized inputs <c>[tokens, width]</c> (training; empty in inference).</summary>
    public Span<float> Normalized(int stage) => _buffers.Normalized(_memory, stage);

    /// <summary>A LayerNormalization stage's <c>1 / sqrt(variance + epsilon)</c> per token (training; empty in inference).</summary>
    public Span<float> InverseStd(int stage) => _buffers.InverseStd(_memory, stage);

    /// <summary>An encoder stage's kept values in training, or the scratch it works in for inference.</summary>
    public Span<float> Kept(int stage) => _buffers.Kept(_memory, stage);

    /// <summary>dLoss/d(outputs of stage <paramref name="stage"/>), in the backward pass (training only).</summary>
    public Span<float> Gradient(int stage) => _buffers.Gradient(_memory, stage);

    /// <summary>Scratch for a backward stage (training only).</summary>
    public Span<float> Scratch => _buffers.BackwardScratch(_memory);
}
