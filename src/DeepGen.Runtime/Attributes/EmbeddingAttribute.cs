namespace DeepGen;

/// <summary>
/// Token ids to vectors, the first layer of a sequence model: each token's row of a learned table
/// <c>[Vocabulary, units]</c> (Keras's <c>Embedding(input_dim, output_dim)</c>, PyTorch's <c>nn.Embedding</c>), plus,
/// where asked for, a learned vector per position and per token type, as BERT's embeddings sum them:
/// <c>output[token] = tokens[id] + positions[index in its sequence] + token_types[type]</c>. The output is
/// <c>[sequence, units]</c> per sample.
/// </summary>
/// <remarks>
/// Tables start uniform in <c>[-0.05, 0.05]</c> (Keras's <c>uniform</c> initializer for embeddings). The token table
/// is the model's <see cref="ModelAttribute.Vocabulary"/> rows long. BERT's embedding LayerNorm is a separate
/// <see cref="LayerNormalizationAttribute"/> after this layer.
/// </remarks>
[global::System.AttributeUsage(global::System.AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class EmbeddingAttribute : global::System.Attribute
{
    /// <param name="units">Features per token: the width of every table (Keras's <c>output_dim</c>, BERT's hidden size).</param>
    public EmbeddingAttribute(int units)
    {
        Units = units;
    }

    /// <summary>Features per token: the width of every table (Keras's <c>output_dim</c>, BERT's hidden size).</summary>
    public int Units { get; }

    /// <summary>
    /// Rows of the learned position table (BERT's <c>position_embeddings</c>, <c>max_position_embeddings</c> rows): at
    /// least the model's <see cref="ModelAttribute.MaxSequence"/>, so every position has a vector. Default 0: no
    /// position table (a model that does not need word order, or a plain Keras <c>Embedding</c>).
    /// </summary>
    public int Positions { get; set; }

    /// <summary>
    /// Rows of the learned token-type table (BERT's <c>token_type_embeddings</c>, <c>type_vocab_size</c>, 2: sentence A
    /// and B). Default 0: no token-type table.
    /// </summary>
    public int TokenTypes { get; set; }

    /// <summary>The layer's name, the prefix of its generated constants and tensors; <c>Embedding{index}</c> by default.</summary>
    public string? Name { get; set; }
}
