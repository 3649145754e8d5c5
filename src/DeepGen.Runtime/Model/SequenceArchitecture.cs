using DeepGen.Layout;

namespace DeepGen;

/// <summary>The kinds of layer a sequence model (token ids in) is built of.</summary>
public enum SequenceLayerKind
{
    /// <summary>Token ids to vectors: a token table, and optionally learned position and token-type tables, summed.</summary>
    Embedding,

    /// <summary>Normalization of each token's features to zero mean and unit variance, then a learned scale and shift.</summary>
    LayerNormalization,

    /// <summary>BERT's post-LayerNorm encoder layer, repeated: self-attention, add, LayerNorm, feed-forward, add, LayerNorm.</summary>
    TransformerEncoder,

    /// <summary>The mean over a sequence's tokens whose attention mask is 1: <c>[sequence, H] → [H]</c>.</summary>
    MeanPooling,

    /// <summary>Each vector divided by its Euclidean norm: <c>x / max(‖x‖, 1e-12)</c>.</summary>
    L2Normalize,

    /// <summary>A dense layer on the pooled vector.</summary>
    Dense,
}

/// <summary>One layer of a sequence model: its kind, its sizes and where its parameters live.</summary>
/// <param name="Index">Position in the model, from 0.</param>
/// <param name="Name">The layer's name, the prefix of its tensors' names.</param>
/// <param name="Kind">What the layer computes.</param>
/// <param name="Inputs">Features per token (for a per-token layer) or per sample (after pooling) it reads.</param>
/// <param name="Outputs">Features per token or per sample it writes.</param>
/// <param name="ParametersOffset">Where its parameters start in <see cref="SequenceModel.Parameters"/>.</param>
/// <param name="ParameterCount">How many floats of parameters it has.</param>
public sealed record SequenceLayerInfo(int Index, string Name, SequenceLayerKind Kind, int Inputs, int Outputs, int ParametersOffset, int ParameterCount)
{
    /// <summary>Embedding: rows of the token table.</summary>
    public int Vocabulary { get; init; }

    /// <summary>Embedding: rows of the learned position table (0: none).</summary>
    public int Positions { get; init; }

    /// <summary>Embedding: rows of the token-type table (0: none).</summary>
    public int TokenTypes { get; init; }

    /// <summary>LayerNormalization and TransformerEncoder: added to the variance before its square root.</summary>
    public float Epsilon { get; init; }

    /// <summary>TransformerEncoder: how many encoder layers, each with its own weights.</summary>
    public int Layers { get; init; }

    /// <summary>TransformerEncoder: attention heads; <see cref="Outputs"/> / heads features each.</summary>
    public int Heads { get; init; }

    /// <summary>TransformerEncoder: units of the feed-forward's inner layer.</summary>
    public int FeedForward { get; init; }

    /// <summary>TransformerEncoder: the feed-forward's activation; Dense: the layer's activation.</summary>
    public Activation Activation { get; init; }

    /// <summary>Dense: whether it adds a bias.</summary>
    public bool UseBias { get; init; } = true;

    /// <summary>Whether the layer works on every token (<c>[sequence, features]</c>) rather than on one vector per sample.</summary>
    public bool PerToken => Kind is SequenceLayerKind.Embedding or SequenceLayerKind.LayerNormalization or SequenceLayerKind.TransformerEncoder;

    /// <summary>Floats of parameters the layer should have, by the shared layout rule.</summary>
    internal long ExpectedParameterCount => Kind switch
    {
        SequenceLayerKind.Embedding => new EmbeddingLayout(Vocabulary, Outputs, Positions, TokenTypes).Parameters,
        SequenceLayerKind.LayerNormalization => 2L * Outputs,
        SequenceLayerKind.TransformerEncoder => Layers * new EncoderLayerLayout(Outputs, FeedForward).Parameters,
        SequenceLayerKind.Dense => (long)Inputs * Outputs + (UseBias ? Outputs : 0),
        _ => 0,
    };

    /// <summary>The layer's tensors in the parameter buffer, named <c>{Name}.{tensor}</c>, in layout order.</summary>
    public IReadOnlyList<ParameterTensor> Tensors
    {
        get
        {
            var list = new List<ParameterTensor>();
            void Add(string suffix, long offset, int[] shape) =>
                list.Add(new ParameterTensor($"{Name}.{suffix}", shape, checked(ParametersOffset + (int)offset), shape.Aggregate(1, (a, b) => checked(a * b))));
            switch (Kind)
            {
                case SequenceLayerKind.Embedding:
                    var embedding = new EmbeddingLayout(Vocabulary, Outputs, Positions, TokenTypes);
                    Add("tokens", embedding.Tokens, [Vocabulary, Outputs]);
                    if (Positions > 0) Add("positions", embedding.PositionTable, [Positions, Outputs]);
                    if (TokenTypes > 0) Add("token_types", embedding.TokenTypeTable, [TokenTypes, Outputs]);
                    break;
                case SequenceLayerKind.LayerNormalization:
                    Add("gamma", 0, [Outputs]);
                    Add("beta", Outputs, [Outputs]);
                    break;
                case SequenceLayerKind.TransformerEncoder:
                    var layout = new EncoderLayerLayout(Outputs, FeedForward);
                    for (var layer = 0; layer < Layers; layer++)
                        foreach (var (name, offset, shape) in layout.Tensors)
                            Add($"{layer}.{name}", layer * layout.Parameters + offset, shape);
                    break;
                case SequenceLayerKind.Dense:
                    Add("weights", 0, [Inputs, Outputs]);
                    if (UseBias) Add("bias", (long)Inputs * Outputs, [Outputs]);
                    break;
            }

            return list;
        }
    }
}

/// <summary>
/// The shape of a generated sequence model, as data: its vocabulary, longest sequence and layers. The generator emits
/// one static instance per model; the constructor checks that the layers follow each other and the parameter layout
/// rule, so a hand-written or corrupted architecture fails here, not inside a kernel.
/// </summary>
public sealed class SequenceArchitecture
{
    /// <param name="name">The model's class name.</param>
    /// <param name="vocabulary">Token ids run from 0 to <paramref name="vocabulary"/> - 1.</param>
    /// <param name="maxSequence">The longest sequence a call may pass.</param>
    /// <param name="layers">The layers, in order.</param>
    public SequenceArchitecture(string name, int vocabulary, int maxSequence, IReadOnlyList<SequenceLayerInfo> layers)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabulary);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSequence);
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count == 0) throw new ArgumentException("A sequence model needs at least one layer.", nameof(layers));
        Name = name;
        Vocabulary = vocabulary;
        MaxSequence = maxSequence;
        Layers = [.. layers];
        long offset = 0;
        var pooled = false;
        for (var i = 0; i < Layers.Count; i++)
        {
            var layer = Layers[i];
            if (layer.Index != i) throw new ArgumentException($"Layer '{layer.Name}' has index {layer.Index} at position {i}.", nameof(layers));
            if (i == 0 != (layer.Kind == SequenceLayerKind.Embedding))
                throw new ArgumentException($"A sequence model starts with its one Embedding layer; layer {i} '{layer.Name}' is a {layer.Kind}.", nameof(layers));
            if (layer.Kind == SequenceLayerKind.Embedding && layer.Vocabulary != vocabulary)
                throw new ArgumentException($"Embedding '{layer.Name}' has a vocabulary of {layer.Vocabulary}; the model's is {vocabulary}.", nameof(layers));
            if (layer.Kind == SequenceLayerKind.Embedding && layer.Positions > 0 && layer.Positions < maxSequence)
                throw new ArgumentException($"Embedding '{layer.Name}' has {layer.Positions} positions, fewer than the model's longest sequence {maxSequence}.", nameof(layers));
            if (layer.PerToken && pooled)
                throw new ArgumentException($"Layer '{layer.Name}' ({layer.Kind}) works on tokens but follows the pooling.", nameof(layers));
            if (!layer.PerToken && layer.Kind != SequenceLayerKind.MeanPooling && !pooled)
                throw new ArgumentException($"Layer '{layer.Name}' ({layer.Kind}) works on one vector per sample: put a MeanPooling before it.", nameof(layers));
            if (layer.Kind == SequenceLayerKind.MeanPooling) pooled = true;
            if (i > 0 && layer.Inputs != Layers[i - 1].Outputs)
                throw new ArgumentException($"Layer '{layer.Name}' reads {layer.Inputs} features, but '{Layers[i - 1].Name}' writes {Layers[i - 1].Outputs}.", nameof(layers));
            if (layer.Kind == SequenceLayerKind.TransformerEncoder && (layer.Heads <= 0 || layer.Outputs % layer.Heads != 0 || layer.Layers <= 0 || layer.FeedForward <= 0))
                throw new ArgumentException($"TransformerEncoder '{layer.Name}' needs a positive layer count, feed-forward size and a head count that divides {layer.Outputs}.", nameof(layers));
            if (layer.ParametersOffset != offset || layer.ParameterCount != layer.ExpectedParameterCount)
                throw new ArgumentException(
                    $"Layer '{layer.Name}' has parameters [{layer.ParametersOffset}, +{layer.ParameterCount}); the layout rule puts them at [{offset}, +{layer.ExpectedParameterCount}).", nameof(layers));
            offset += layer.ParameterCount;
        }

        if (offset > int.MaxValue) throw new ArgumentException($"The model has {offset} parameters, more than one buffer can hold.", nameof(layers));
        ParameterCount = (int)offset;
        Tensors = [.. Layers.SelectMany(layer => layer.Tensors)];
        var stages = new List<SequenceStage>();
        var firstStages = new int[Layers.Count];
        foreach (var layer in Layers)
        {
            firstStages[layer.Index] = stages.Count;
            var repeats = layer.Kind == SequenceLayerKind.TransformerEncoder ? layer.Layers : 1;
            for (var repeat = 0; repeat < repeats; repeat++) stages.Add(new SequenceStage(layer, repeat));
        }

        Stages = [.. stages];
        _firstStages = firstStages;
        // Kept rather than computed per call: a prediction carves its buffers from these without allocating.
        WidestTokenLayer = Layers.Where(layer => layer.PerToken).Max(layer => layer.Outputs);
        WidestSampleLayer = Layers.Where(layer => !layer.PerToken).Select(layer => layer.Outputs).DefaultIfEmpty(0).Max();
        FirstSampleStage = Array.FindIndex(Stages, stage => !stage.PerToken) is var first and >= 0 ? first : Stages.Length;
    }

    private readonly int[] _firstStages;

    /// <summary>
    /// The passes' steps in order: one per layer, except a transformer encoder, which is one per encoder layer. A
    /// stage's outputs are the next stage's inputs; the generated code names each by its number.
    /// </summary>
    internal SequenceStage[] Stages { get; }

    /// <summary>The first stage of layer <paramref name="layer"/>.</summary>
    public int FirstStage(int layer) => _firstStages[layer];

    /// <summary>Stages in all.</summary>
    public int StageCount => Stages.Length;

    /// <summary>The model's class name.</summary>
    public string Name { get; }

    /// <summary>Token ids run from 0 to this - 1.</summary>
    public int Vocabulary { get; }

    /// <summary>The longest sequence a call may pass.</summary>
    public int MaxSequence { get; }

    /// <summary>The layers, in order.</summary>
    public IReadOnlyList<SequenceLayerInfo> Layers { get; }

    /// <summary>Floats of parameters in all.</summary>
    public int ParameterCount { get; }

    /// <summary>Floats the model writes per sample: the last layer's outputs (per token if it is not pooled).</summary>
    public int OutputSize => Layers[^1].Outputs;

    /// <summary>Whether the model ends with one vector per sample (it pools) rather than one per token.</summary>
    public bool IsPooled => !Layers[^1].PerToken;

    /// <summary>Every parameter tensor, named <c>{layer}.{tensor}</c>, in layout order: what a saved file holds.</summary>
    public IReadOnlyList<ParameterTensor> Tensors { get; }

    /// <summary>The widest per-token layer (its features per token).</summary>
    internal int WidestTokenLayer { get; }

    /// <summary>The widest per-sample layer, or 0 when the model does not pool.</summary>
    internal int WidestSampleLayer { get; }

    /// <summary>The first stage after the pooling (the stage count when the model does not pool).</summary>
    internal int FirstSampleStage { get; }
}

/// <summary>One step of a pass: a layer, or one encoder layer of a transformer encoder.</summary>
internal readonly record struct SequenceStage(SequenceLayerInfo Layer, int Repeat)
{
    public bool PerToken => Layer.PerToken;

    public int Width => Layer.Outputs;
}
