namespace DeepGen;

/// <summary>
/// A batch of token sequences, as a sequence model reads it: <see cref="Batch"/> sequences of <see cref="Sequence"/>
/// tokens each, row-major (<c>[batch, sequence]</c>), padded at the end of the shorter ones.
/// </summary>
/// <remarks>
/// The spans are the caller's; nothing is copied. Checked once when a model receives the batch: lengths, the mask's
/// values, and that every sequence has at least one token (the ids themselves are checked against the vocabulary
/// by the embedding, which names the sample and position of a bad one).
/// </remarks>
public readonly ref struct TokenBatch
{
    /// <param name="ids">Token ids, <c>[batch, sequence]</c>.</param>
    /// <param name="attentionMask">1 for a real token, 0 for padding, <c>[batch, sequence]</c>; empty: every token is real.</param>
    /// <param name="tokenTypes">Token types (BERT's segment ids), <c>[batch, sequence]</c>; empty: all 0.</param>
    /// <param name="batch">Sequences in the batch.</param>
    /// <param name="sequence">Tokens per sequence, padding included.</param>
    public TokenBatch(ReadOnlySpan<int> ids, ReadOnlySpan<int> attentionMask, ReadOnlySpan<int> tokenTypes, int batch, int sequence)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sequence);
        var tokens = (long)batch * sequence;
        if (ids.Length != tokens)
            throw new ArgumentException($"'ids' holds {ids.Length} token ids; {batch} sequences × {sequence} tokens = {tokens} expected.", nameof(ids));
        if (!attentionMask.IsEmpty && attentionMask.Length != tokens)
            throw new ArgumentException($"'attentionMask' holds {attentionMask.Length} values; {tokens} expected (one per token), or none.", nameof(attentionMask));
        if (!tokenTypes.IsEmpty && tokenTypes.Length != tokens)
            throw new ArgumentException($"'tokenTypes' holds {tokenTypes.Length} values; {tokens} expected (one per token), or none.", nameof(tokenTypes));
        for (var sample = 0; sample < batch && !attentionMask.IsEmpty; sample++)
        {
            var row = attentionMask.Slice(sample * sequence, sequence);
            var real = 0;
            for (var position = 0; position < sequence; position++)
            {
                var value = row[position];
                if (value is not (0 or 1))
                    throw new ArgumentException($"'attentionMask' holds {value} at sample {sample}, position {position}; only 0 (padding) and 1 (token) are allowed.", nameof(attentionMask));
                real += value;
            }

            if (real == 0)
                throw new ArgumentException($"Sample {sample} has no token: its attention mask is all 0.", nameof(attentionMask));
        }

        Ids = ids;
        AttentionMask = attentionMask;
        TokenTypes = tokenTypes;
        Batch = batch;
        Sequence = sequence;
    }

    /// <summary>A batch whose tokens are all real and of type 0.</summary>
    public TokenBatch(ReadOnlySpan<int> ids, int batch, int sequence) : this(ids, [], [], batch, sequence)
    {
    }

    /// <summary>Token ids, <c>[batch, sequence]</c>.</summary>
    public ReadOnlySpan<int> Ids { get; }

    /// <summary>1 for a real token, 0 for padding; empty when every token is real.</summary>
    public ReadOnlySpan<int> AttentionMask { get; }

    /// <summary>Token types; empty when all are 0.</summary>
    public ReadOnlySpan<int> TokenTypes { get; }

    /// <summary>Sequences in the batch.</summary>
    public int Batch { get; }

    /// <summary>Tokens per sequence, padding included.</summary>
    public int Sequence { get; }

    /// <summary><see cref="Batch"/> × <see cref="Sequence"/>.</summary>
    public int Tokens => Batch * Sequence;
}
