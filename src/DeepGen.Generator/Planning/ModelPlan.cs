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
    public int WeightCount => Inputs * Units;
    public int ParameterCount => WeightCount + Units;

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
                WeightsOffset: parameters, BiasOffset: parameters + inputs * layer.Units, OutputOffsetPerSample: activations);
            layers.Add(plan);
            parameters += plan.ParameterCount;
            activations += layer.Units;
            inputs = layer.Units;
        }

        return new ModelPlan(spec, layers.ToEquatableArray(), parameters, activations);
    }
}
