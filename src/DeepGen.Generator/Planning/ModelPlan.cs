using System.Collections.Generic;
using DeepGen.Generator.Model;
using DeepGen.Layout;

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

    /// <summary>Per-sample offset of a convolution's unrolled input windows (im2col); -1 for other kinds.</summary>
    public int ColumnsOffsetPerSample { get; init; } = -1;

    /// <summary>Per-sample offset of batch normalization's normalized inputs in the workspace; -1 for other kinds.</summary>
    public int NormalizedOffsetPerSample { get; init; } = -1;

    /// <summary>Offset of the layer's state (batch normalization's statistics) in the model's state buffer; -1 for other kinds.</summary>
    public int StateOffset { get; init; } = -1;

    public LayerKind Kind => Spec.Kind;
    public bool HasWeights => Kind is LayerKind.Dense or LayerKind.Conv2D or LayerKind.BatchNormalization;
    public bool IsBatchNormalization => Kind == LayerKind.BatchNormalization;
    public bool IsNormalization => Kind == LayerKind.Normalization;

    /// <summary>A normalization's features: the last axis of its input, one mean and variance each.</summary>
    public int Features => Spec.InputShape[Spec.InputShape.Count - 1];
    public bool IsConvolution => Kind == LayerKind.Conv2D;

    /// <summary>A convolution's input channels and the values of one window (kernel² · channels).</summary>
    public int InputChannels => Spec.InputShape[Spec.InputShape.Count - 1];
    public int PatchSize => Spec.KernelSize * Spec.KernelSize * InputChannels;

    /// <summary>Output pixels of a window layer (height · width).</summary>
    public int OutputPixels => Spec.OutputShape[0] * Spec.OutputShape[1];

    public bool KeepsPreActivation => PreActivationOffsetPerSample >= 0;
    public bool HasDropout => Spec.DropoutRate is not null;
    public bool IsRegularized => Spec.L1 != 0 || Spec.L2 != 0;
    public int WeightCount => Kind switch
    {
        LayerKind.Dense => Inputs * Units,
        LayerKind.Conv2D => PatchSize * Spec.Units,
        LayerKind.BatchNormalization => Spec.Units,
        _ => 0,
    };

    public int BiasCount => HasWeights && (Spec.UseBias || IsBatchNormalization) ? Spec.Units : 0;
    public int ParameterCount => WeightCount + BiasCount;

    /// <summary>
    /// Floating-point operations per sample in the forward pass: one multiply and one add per weight use (a
    /// convolution uses each weight once per output pixel); a pooling window's compares or adds, one per value read.
    /// </summary>
    public long ForwardFlops => Kind switch
    {
        LayerKind.Dense => 2L * Inputs * Units,
        LayerKind.Conv2D => 2L * OutputPixels * PatchSize * Spec.Units,
        LayerKind.MaxPooling2D or LayerKind.AveragePooling2D => (long)Units * Spec.KernelSize * Spec.KernelSize,
        LayerKind.GlobalAveragePooling2D or LayerKind.GlobalMaxPooling2D => Inputs,
        LayerKind.BatchNormalization => 2L * Units, // a multiply and an add per value, the statistics folded into them
        LayerKind.Normalization => 2L * Units,      // a subtraction and a division per value
        _ => 0,
    };

    /// <summary>FLOPs per sample of the backward pass: weight gradients, and input gradients unless it is the first layer.</summary>
    public long BackwardFlops => HasWeights ? (Index > 0 ? 2 : 1) * ForwardFlops : Index > 0 ? ForwardFlops : 0;
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
            var total = ForwardFlopsPerSample;
            foreach (var layer in Layers) total += layer.BackwardFlops;
            return total;
        }
    }

    /// <summary>Whether every layer is dense on a vector input: the model DeepGen compiled before layer kinds, whose generated code is kept as it was.</summary>
    public bool IsDenseOnly
    {
        get
        {
            if (Spec.InputShape.Count > 1) return false;
            foreach (var layer in Layers) if (layer.Kind != LayerKind.Dense) return false;
            return true;
        }
    }
}

/// <summary>
/// Lays the layers out in the flat buffers by the rule shared with the runtime (<see cref="BufferLayout"/>): per layer
/// weights then bias; every layer's outputs, then every convolution's unrolled windows; then the training workspace.
/// </summary>
internal static class LayoutPlanner
{
    public static ModelPlan Plan(ModelSpec spec)
    {
        var footprints = new List<LayerFootprint>();
        foreach (var layer in spec.Layers) footprints.Add(Parsing.ModelParser.Footprint(layer));
        var offsets = BufferLayout.Lay(footprints, out var parameters, out var activations, out var workspace);
        var layers = new List<LayerPlan>();
        for (var i = 0; i < spec.Layers.Count; i++)
        {
            var layer = spec.Layers[i];
            var at = offsets[i];
            layers.Add(new LayerPlan(i, layer.Name, (int)Parsing.ModelParser.Product(layer.InputShape), (int)footprints[i].Outputs, layer.Activation,
                WeightsOffset: (int)at.Weights, BiasOffset: (int)at.Bias, OutputOffsetPerSample: (int)at.Output)
            {
                Spec = layer,
                ColumnsOffsetPerSample = (int)at.Columns,
                PreActivationOffsetPerSample = (int)at.PreActivation,
                DropoutOutputOffsetPerSample = (int)at.DropoutOutput,
                DropoutMaskOffsetPerSample = (int)at.DropoutMask,
                NormalizedOffsetPerSample = (int)at.Kept,
                StateOffset = (int)at.State,
            });
        }

        return new ModelPlan(spec, layers.ToEquatableArray(), (int)parameters, (int)activations) { WorkspacePerSample = (int)workspace };
    }
}
