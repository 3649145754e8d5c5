namespace DeepGen.Text;

/// <summary>
/// Texts in, sentence embeddings out: tokenizes with a <see cref="BertTextTokenizer"/>, groups the texts into batches
/// of similar length (<see cref="TokenBatches"/>), runs a pooling <see cref="SequenceModel"/> on each batch and writes
/// every text's vector into the caller's span, in input order.
/// </summary>
/// <remarks>
/// For all-MiniLM-L6-v2 declared as a DeepGen model (mean pooling, then L2 normalization) the vectors are unit
/// length, and a dot product is their cosine similarity. Safe to use from many threads at once: the model's
/// predictions are, and the encoder keeps no state between calls.
/// </remarks>
public sealed class SentenceEncoder
{
    private readonly SequenceModel _model;
    private readonly BertTextTokenizer _tokenizer;

    /// <param name="model">A model that pools (one vector per sequence), with weights loaded.</param>
    /// <param name="tokenizer">The model's tokenizer; its <see cref="BertTextTokenizer.MaxSequence"/> may not exceed the model's.</param>
    /// <param name="batchSize">Texts per forward pass at most.</param>
    public SentenceEncoder(SequenceModel model, BertTextTokenizer tokenizer, int batchSize = 32)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (!model.Architecture.IsPooled)
            throw new ArgumentException($"{model.Architecture.Name} gives one vector per token; a sentence encoder needs a model that pools ([MeanPooling]).", nameof(model));
        if (tokenizer.MaxSequence > model.Architecture.MaxSequence)
            throw new ArgumentException(
                $"The tokenizer keeps up to {tokenizer.MaxSequence} tokens per text, more than {model.Architecture.Name} reads ({model.Architecture.MaxSequence}).", nameof(tokenizer));
        _model = model;
        _tokenizer = tokenizer;
        BatchSize = batchSize;
    }

    /// <summary>Floats per embedding.</summary>
    public int Dimensions => _model.Architecture.OutputSize;

    /// <summary>Tokens per text at most, <c>[CLS]</c> and <c>[SEP]</c> included: longer texts are truncated.</summary>
    public int MaxTokens => _tokenizer.MaxSequence;

    /// <summary>Texts per forward pass at most.</summary>
    public int BatchSize { get; }

    /// <summary>The model the encoder runs.</summary>
    public SequenceModel Model => _model;

    /// <summary>
    /// Writes the embedding of each text into <paramref name="embeddings"/>, <c>[texts.Count, Dimensions]</c>, in the
    /// order of <paramref name="texts"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A text is null, or the span's length is not <c>texts.Count × Dimensions</c>.</exception>
    public void Encode(IReadOnlyList<string> texts, Span<float> embeddings)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var dimensions = Dimensions;
        if (embeddings.Length != (long)texts.Count * dimensions)
            throw new ArgumentException($"'embeddings' holds {embeddings.Length} floats; {texts.Count} texts × {dimensions} = {(long)texts.Count * dimensions} expected.", nameof(embeddings));
        for (var i = 0; i < texts.Count; i++)
            if (texts[i] is null) throw new ArgumentException($"Text {i} is null.", nameof(texts));
        if (texts.Count == 0) return;

        var batches = TokenBatches.Create(_tokenizer, texts, BatchSize);
        var output = new float[Math.Min(BatchSize, texts.Count) * dimensions];
        foreach (var batch in batches)
        {
            var vectors = output.AsSpan(0, batch.Batch * dimensions);
            _model.Predict(new TokenBatch(batch.Ids.Span, batch.AttentionMask.Span, batch.TokenTypes.Span, batch.Batch, batch.Sequence), vectors);
            var indices = batch.TextIndices.Span;
            for (var row = 0; row < indices.Length; row++)
                vectors.Slice(row * dimensions, dimensions).CopyTo(embeddings.Slice(indices[row] * dimensions, dimensions));
        }
    }

    /// <summary>The embeddings of <paramref name="texts"/>, <c>[texts.Count, Dimensions]</c>, in a new array.</summary>
    public float[] Encode(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var embeddings = new float[(long)texts.Count * Dimensions];
        Encode(texts, embeddings);
        return embeddings;
    }

    /// <summary>The embedding of one text.</summary>
    public float[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Encode([text]);
    }
}
