using System.Collections.Generic;
using DeepGen.Generator.Model;

namespace DeepGen.Generator.Planning;

/// <summary>A layer with every size and offset the generated code needs, all known at compile time.</summary>
internal sealed record LayerPlan(
    int Index,
    string Name,
    int Inputs,
    int Units,
    Activation Activation,
    int WeightsOffset,
    int BiasOffset,
    int OutputOffsetPerSample)
{
    /// <summary>The layer's options as written (bias, initializers, regularizers, dropout).</summary>
    public LayerSpec Spec { get; init; } = new(Name, Units, Activation);

    /// <summary>Per-sample offset of the pre-activations a training pass keeps (GELU, Swish); -1 when none.</summary>
    public int PreActivationOffsetPerSample { get; init; } = -1;

    /// <summary>Per-sample offset of the outputs after dropout; -1 without dropout.</summary>
    public int DropoutOutputOffsetPerSample { get; init; } = -1;

    /// <summary>Per-sample offset of the dropout mask; -1 without dropout.</summary>
    public int DropoutMaskOffsetPerSample { get; init; } = -1;

    public bool KeepsPreActivation => PreActivationOffsetPerSample >= 0;
    public bool HasDropout => Spec.DropoutRate is not null;
    public bool IsRegularized => Spec.L1 != 0 || Spec.L2 != 0;
    public int WeightCount => Inputs * Units;
    public int BiasCount => Spec.UseBias ? Units : 0;
    public int ParameterCount => WeightCount + BiasCount;

    /// <summary>Floating-point operations per sample in the forward pass: one multiply and one add per weight.</summary>
    public long ForwardFlops => 2L * Inputs * Units;
}

/// <summary>The model's buffer layout: parameters and gradients share one, activations and deltas another.</summary>
internal sealed record ModelPlan(
    ModelSpec Spec,
    EquatableArray<LayerPlan> Layers,
    int ParameterCount,
    int ActivationsPerSample)
{
    /// <summary>Floats per sample after the outputs: pre-activations, dropout outputs and masks, in layer order.</summary>
    public int WorkspacePerSample { get; init; }

    public int OutputSize => Layers[Layers.Count - 1].Units;

    public long ForwardFlopsPerSample
    {
        get
        {
            long total = 0;
            foreach (var layer in Layers) total += layer.ForwardFlops;
            return total;
        }
    }

    /// <summary>Forward, weight gradients for every layer, and input gradients for every layer but the first.</summary>
    public long TrainingFlopsPerSample
    {
        get
        {
            var total = 2 * ForwardFlopsPerSample;
            for (var i = 1; i < Layers.Count; i++) total += Layers[i].ForwardFlops;
            return total;
        }
    }
}

/// <summary>Lays the layers out in the flat buffers: per layer, weights <c>[in, out]</c> then bias, in layer order.</summary>
internal static class LayoutPlanner
{
    public static ModelPlan Plan(ModelSpec spec)
    {
        var layers = new List<LayerPlan>();
        int parameters = 0, activations = 0, inputs = spec.InputSize;
        for (var i = 0; i < spec.Layers.Count; i++)
        {
            var layer = spec.Layers[i];
            var plan = new LayerPlan(i, layer.Name, inputs, layer.Units, layer.Activation,
                WeightsOffset: parameters, BiasOffset: parameters + inputs * layer.Units, OutputOffsetPerSample: activations)
            {
                Spec = layer,
            };
            layers.Add(plan);
            parameters += plan.ParameterCount;
            activations += layer.Units;
            inputs = layer.Units;
        }

        // The training workspace follows every layer's outputs, so Evaluate and Predict, which never touch it, see
        // the same layout as before; a layer's sections go in the order pre-activations, dropout outputs, mask.
        var workspace = activations;
        for (var i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            if (ActivationFacts.NeedsPreActivation(layer.Activation))
            {
                layer = layer with { PreActivationOffsetPerSample = workspace };
                workspace += layer.Units;
            }

            if (layer.HasDropout)
            {
                layer = layer with { DropoutOutputOffsetPerSample = workspace, DropoutMaskOffsetPerSample = workspace + layer.Units };
                workspace += 2 * layer.Units;
            }

            layers[i] = layer;
        }

        return new ModelPlan(spec, layers.ToEquatableArray(), parameters, activations) { WorkspacePerSample = workspace - activations };
    }
}
