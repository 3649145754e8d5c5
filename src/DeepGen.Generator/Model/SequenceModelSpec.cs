using DeepGen.Layout;

namespace DeepGen.Generator.Model;

// A sequence model (token ids in) has its own spec beside ModelSpec: its layers have other options, its shapes are
// [sequence, features] with the sequence length left to each call, and its generated class derives from another
// base. The same contract holds: immutable records of plain values, compared by value, so an unchanged model caches.

/// <summary>The layer kinds of a sequence model, named as the runtime's <c>DeepGen.SequenceLayerKind</c> names them.</summary>
internal enum SequenceLayerKind
{
    Embedding,
    LayerNormalization,
    TransformerEncoder,
    MeanPooling,
    L2Normalize,
    Dense,
}

/// <summary>
/// One layer of a sequence model as the user wrote it, with its name resolved and its widths worked out:
/// <see cref="Inputs"/> and <see cref="Units"/> are features per token before the pooling and per sequence after it
/// (an embedding reads token ids, so its <see cref="Inputs"/> is 0).
/// </summary>
internal sealed record SequenceLayerSpec(SequenceLayerKind Kind, string Name, int Inputs, int Units)
{
    /// <summary>Embedding: rows of the learned position table; 0 when it has none.</summary>
    public int Positions { get; init; }

    /// <summary>Embedding: rows of the learned token-type table; 0 when it has none.</summary>
    public int TokenTypes { get; init; }

    /// <summary>TransformerEncoder: how many encoder layers, each with its own weights.</summary>
    public int Layers { get; init; }

    /// <summary>TransformerEncoder: attention heads, each of <see cref="Units"/> / heads features.</summary>
    public int Heads { get; init; }

    /// <summary>TransformerEncoder: units of the feed-forward's inner layer.</summary>
    public int FeedForward { get; init; }

    /// <summary>TransformerEncoder: the feed-forward's activation; Dense: the layer's activation.</summary>
    public Activation Activation { get; init; }

    /// <summary>LayerNormalization and TransformerEncoder: added to the variance before its square root.</summary>
    public float Epsilon { get; init; }

    /// <summary>Dense: whether it adds a bias.</summary>
    public bool UseBias { get; init; } = true;

    /// <summary>Whether the layer works on every token rather than on one vector per sequence.</summary>
    public bool PerToken => Kind is SequenceLayerKind.Embedding or SequenceLayerKind.LayerNormalization or SequenceLayerKind.TransformerEncoder;

    /// <summary>
    /// Steps of a pass the layer takes: one, except a transformer encoder, which takes one per encoder layer. The runtime
    /// numbers stages the same way (<c>SequenceArchitecture.FirstStage</c>).
    /// </summary>
    public int Stages => Kind == SequenceLayerKind.TransformerEncoder ? Layers : 1;

    /// <summary>
    /// Floats of parameters, by the layout rule shared with the runtime (<see cref="EmbeddingLayout"/>,
    /// <see cref="EncoderLayerLayout"/>). Exact only for a model <see cref="ApproximateParameterCount"/> keeps below
    /// <c>int.MaxValue</c>; the layouts' arithmetic can overflow beyond that.
    /// </summary>
    public long ParameterCount(int vocabulary) => Kind switch
    {
        SequenceLayerKind.Embedding => new EmbeddingLayout(vocabulary, Units, Positions, TokenTypes).Parameters,
        SequenceLayerKind.LayerNormalization => 2L * Units,
        SequenceLayerKind.TransformerEncoder => Layers * new EncoderLayerLayout(Units, FeedForward).Parameters,
        SequenceLayerKind.Dense => (long)Inputs * Units + (UseBias ? Units : 0),
        _ => 0,
    };

    /// <summary>
    /// The same count in doubles, which cannot overflow for any sizes an attribute can hold: the parser refuses a
    /// model whose parameters this puts past <c>int.MaxValue</c> before anything counts them exactly.
    /// </summary>
    public double ApproximateParameterCount(int vocabulary)
    {
        double units = Units;
        return Kind switch
        {
            SequenceLayerKind.Embedding => ((double)vocabulary + Positions + TokenTypes) * units,
            SequenceLayerKind.LayerNormalization => 2 * units,
            // Four [H, H] projections, two [H, F] / [F, H] feed-forward weights, nine H-sized vectors and b1 [F].
            SequenceLayerKind.TransformerEncoder => (double)Layers * (4 * units * units + 2 * units * FeedForward + 9 * units + FeedForward),
            SequenceLayerKind.Dense => (double)Inputs * units + (UseBias ? units : 0),
            _ => 0,
        };
    }
}

/// <summary>A valid sequence model, ready to be planned and emitted.</summary>
internal sealed record SequenceModelSpec(
    string? Namespace,
    EquatableArray<ContainingTypeSpec> ContainingTypes,
    string ClassName,
    int Vocabulary,
    int MaxSequence,
    EquatableArray<SequenceLayerSpec> Layers)
{
    /// <summary>The name of the generated file, made by the same rule as a dense or image model's (<see cref="ModelSpec.HintName"/>).</summary>
    public string HintName => ModelSpec.HintNameOf(Namespace, ContainingTypes, ClassName);
}
