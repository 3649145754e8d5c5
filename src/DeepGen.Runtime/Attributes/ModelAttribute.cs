namespace DeepGen;

/// <summary>
/// Marks a <c>partial class</c> as a DeepGen model. The build generates its forward pass, backward pass and
/// training step for exactly the shape given here and by the layer attributes
/// that follow (<see cref="DenseAttribute"/>, <see cref="Conv2DAttribute"/>, pooling, <see cref="FlattenAttribute"/>, …).
/// </summary>
/// <remarks>
/// A model reads either floats (<see cref="Input"/> or <see cref="InputShape"/>) or token ids (<see cref="Vocabulary"/>
/// and <see cref="MaxSequence"/>, both given): the latter is a sequence model, which starts with an
/// <see cref="EmbeddingAttribute"/> and may go on with <see cref="LayerNormalizationAttribute"/>,
/// <see cref="TransformerEncoderAttribute"/>, <see cref="MeanPoolingAttribute"/>, <see cref="L2NormalizeAttribute"/>
/// and, after the pooling, <see cref="DenseAttribute"/>.
/// </remarks>
[global::System.AttributeUsage(global::System.AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class ModelAttribute : global::System.Attribute
{
    /// <summary>Number of input features per sample (for MNIST, <c>28 * 28</c>): a vector input.</summary>
    public int Input { get; set; }

    /// <summary>
    /// The per-sample input shape, one to three dimensions, channels last as Keras orders them (an MNIST image for a
    /// convolution: <c>new[] { 28, 28, 1 }</c>). Give this or <see cref="Input"/>. Samples are still passed as flat
    /// spans of floats, row-major in this shape.
    /// </summary>
    public int[]? InputShape { get; set; }

    /// <summary>
    /// For a sequence model (token ids in): the number of distinct token ids, so ids run from 0 to
    /// <c>Vocabulary - 1</c> (Keras's <c>Embedding(input_dim=…)</c>, PyTorch's <c>nn.Embedding(num_embeddings, …)</c>;
    /// 30522 for BERT's WordPiece vocabulary). Give it with <see cref="MaxSequence"/>, and neither
    /// <see cref="Input"/> nor <see cref="InputShape"/>. Default 0: not a sequence model.
    /// </summary>
    public int Vocabulary { get; set; }

    /// <summary>
    /// For a sequence model: the longest sequence of tokens one call may pass (BERT's <c>max_position_embeddings</c>,
    /// 512). Each call passes its own length, from 1 up to this, as it passes its own batch size. Give it with
    /// <see cref="Vocabulary"/>. Default 0: not a sequence model.
    /// </summary>
    public int MaxSequence { get; set; }
}
