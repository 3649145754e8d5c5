namespace DeepGen;

/// <summary>
/// <see cref="Layers"/> transformer encoder layers in a row, each with its own weights: BERT's post-LayerNorm block
/// (PyTorch's <c>nn.TransformerEncoderLayer(norm_first=False)</c>, Keras Hub's <c>TransformerEncoder</c>):
/// <c>h = LayerNorm(x + attention(x))</c>, then <c>y = LayerNorm(h + W2 · activation(W1 · h + b1) + b2)</c>, where
/// attention is multi-head self-attention over the sequence with padding tokens (attention mask 0) masked out. The
/// width of its input (the embedding's units) is kept.
/// </summary>
/// <remarks>
/// Weights start Glorot-uniform, biases at 0, LayerNorm scales at 1. There is no dropout: the layer computes what a
/// trained model computes in inference.
/// </remarks>
[global::System.AttributeUsage(global::System.AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class TransformerEncoderAttribute : global::System.Attribute
{
    /// <summary>How many encoder layers, each with its own weights (BERT's <c>num_hidden_layers</c>). Default 1.</summary>
    public int Layers { get; set; } = 1;

    /// <summary>
    /// Attention heads (BERT's <c>num_attention_heads</c>, PyTorch's <c>nhead</c>); required. Each head attends with
    /// <c>units / Heads</c> features, so it must divide the input's width.
    /// </summary>
    public int Heads { get; set; }

    /// <summary>Units of the feed-forward's inner layer (BERT's <c>intermediate_size</c>, PyTorch's <c>dim_feedforward</c>); required.</summary>
    public int FeedForward { get; set; }

    /// <summary>
    /// The feed-forward's activation: <see cref="Activation.Gelu"/> (the exact erf form, as BERT uses; the default) or
    /// <see cref="Activation.Relu"/> (PyTorch's default).
    /// </summary>
    public Activation Activation { get; set; } = Activation.Gelu;

    /// <summary>
    /// Added to the variance in both LayerNorms of each layer; must be positive. Default 1e-5, PyTorch's default; BERT
    /// checkpoints use 1e-12.
    /// </summary>
    public float Epsilon { get; set; } = 1e-5f;

    /// <summary>The layer's name, the prefix of its generated constants and tensors; <c>TransformerEncoder{index}</c> by default.</summary>
    public string? Name { get; set; }
}
