using System.Collections.Generic;
using DeepGen.Generator.Model;
using DeepGen.Layout;

namespace DeepGen.Generator.Planning;

/// <summary>
/// A layer of a sequence model with where its parameters live and which stages of a pass it takes. Offsets are
/// constants; the activations are not, since the sequence length varies per call: the runtime carves them.
/// </summary>
internal sealed record SequenceLayerPlan(int Index, SequenceLayerSpec Spec, int ParametersOffset, int ParameterCount, int FirstStage)
{
    public string Name => Spec.Name;

    public SequenceLayerKind Kind => Spec.Kind;

    /// <summary>The last stage the layer takes (a transformer encoder takes one per encoder layer).</summary>
    public int LastStage => FirstStage + Spec.Stages - 1;

    /// <summary>An embedding's tables, by the layout rule shared with the runtime.</summary>
    public EmbeddingLayout Embedding(int vocabulary) => new(vocabulary, Spec.Units, Spec.Positions, Spec.TokenTypes);

    /// <summary>One encoder layer's parameters, by the layout rule shared with the runtime.</summary>
    public EncoderLayerLayout EncoderLayer => new(Spec.Units, Spec.FeedForward);

    /// <summary>A transformer encoder's features per attention head.</summary>
    public int HeadSize => Spec.Heads > 0 ? Spec.Units / Spec.Heads : 0;
}

/// <summary>A sequence model laid out: every layer's parameter offset and stages, and the model's totals.</summary>
internal sealed record SequenceModelPlan(SequenceModelSpec Spec, EquatableArray<SequenceLayerPlan> Layers, int ParameterCount)
{
    public SequenceLayerPlan Last => Layers[Layers.Count - 1];

    /// <summary>Floats the model writes per sequence (after pooling) or per token (without it).</summary>
    public int OutputSize => Last.Spec.Units;

    /// <summary>Whether the model ends with one vector per sequence rather than one per token.</summary>
    public bool IsPooled => !Last.Spec.PerToken;

    public int StageCount => Last.LastStage + 1;
}

/// <summary>
/// Lays a sequence model's parameters out one layer after another, each layer's by the rules of
/// <see cref="EmbeddingLayout"/> and <see cref="EncoderLayerLayout"/>, and numbers its stages: one per layer, except a
/// transformer encoder of L layers, which takes L in a row — the numbering the runtime's architecture uses.
/// </summary>
internal static class SequencePlanner
{
    public static SequenceModelPlan Plan(SequenceModelSpec spec)
    {
        var layers = new List<SequenceLayerPlan>();
        long offset = 0;
        var stage = 0;
        for (var i = 0; i < spec.Layers.Count; i++)
        {
            var layer = spec.Layers[i];
            var count = layer.ParameterCount(spec.Vocabulary);
            layers.Add(new SequenceLayerPlan(i, layer, (int)offset, (int)count, stage));
            offset += count;
            stage += layer.Stages;
        }

        return new SequenceModelPlan(spec, layers.ToEquatableArray(), (int)offset);
    }
}
