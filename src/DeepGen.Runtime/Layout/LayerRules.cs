using System;
using System.Collections.Generic;

namespace DeepGen.Layout;

// Written once, compiled into both the generator (its shape diagnostics and its buffer plan) and the runtime (which
// checks that a ModelArchitecture follows the plan), so the two can never disagree on a size or an offset.

/// <summary>The per-sample shape arithmetic of the window layers (convolution and pooling), with Keras's meaning.</summary>
internal static class WindowRules
{
    /// <summary>
    /// Outputs along one axis: <c>(input - kernel) / stride + 1</c> (rounded down) for valid padding, or
    /// <c>ceil(input / stride)</c> for same padding; 0 where a valid window does not fit.
    /// </summary>
    public static int Output(int input, int kernel, int stride, Padding padding) =>
        padding == Padding.Same ? (input + stride - 1) / stride
        : input < kernel ? 0 : (input - kernel) / stride + 1;

    /// <summary>Rows (or columns) of zero padding before the input: half the total, the odd one going after, as TensorFlow does.</summary>
    public static int PadBefore(int input, int kernel, int stride, Padding padding)
    {
        if (padding != Padding.Same) return 0;
        var total = Math.Max((Output(input, kernel, stride, padding) - 1) * stride + kernel - input, 0);
        return total / 2;
    }
}

/// <summary>What the buffer layout needs to know of one layer: its sizes, per sample where they scale with the batch.</summary>
internal readonly struct LayerFootprint
{
    public LayerFootprint(long outputs, long weights, long biases, long columns, bool keepsPreActivation, bool hasDropout, long kept = 0, long state = 0)
    {
        Kept = kept;
        State = state;
        Outputs = outputs;
        Weights = weights;
        Biases = biases;
        Columns = columns;
        KeepsPreActivation = keepsPreActivation;
        HasDropout = hasDropout;
    }

    /// <summary>Outputs per sample.</summary>
    public long Outputs { get; }

    /// <summary>Weights (0 for a layer without parameters).</summary>
    public long Weights { get; }

    /// <summary>Biases (0 without a bias).</summary>
    public long Biases { get; }

    /// <summary>Floats per sample of the unrolled input windows a convolution multiplies (im2col); 0 for other layers.</summary>
    public long Columns { get; }

    /// <summary>Whether training keeps the pre-activations (GELU, Swish).</summary>
    public bool KeepsPreActivation { get; }

    /// <summary>Whether a dropout follows the layer.</summary>
    public bool HasDropout { get; }

    /// <summary>Floats per sample a training pass keeps for the backward pass besides pre-activations (batch normalization's normalized values).</summary>
    public long Kept { get; }

    /// <summary>Floats of state the layer keeps outside the parameters, not trained (batch normalization's moving and batch statistics).</summary>
    public long State { get; }
}

/// <summary>Where one layer's numbers live: offsets in the parameter buffer, and per sample in the activation buffer; -1 for a section the layer has not.</summary>
internal readonly struct LayerOffsets
{
    public LayerOffsets(long weights, long bias, long output, long columns, long preActivation, long dropoutOutput, long dropoutMask, long kept = -1, long state = -1)
    {
        Kept = kept;
        State = state;
        Weights = weights;
        Bias = bias;
        Output = output;
        Columns = columns;
        PreActivation = preActivation;
        DropoutOutput = dropoutOutput;
        DropoutMask = dropoutMask;
    }

    public long Weights { get; }
    public long Bias { get; }
    public long Output { get; }
    public long Columns { get; }
    public long PreActivation { get; }
    public long DropoutOutput { get; }
    public long DropoutMask { get; }
    public long Kept { get; }
    public long State { get; }
}

/// <summary>
/// The buffer layout rule. Parameters: per layer, weights then bias, in layer order. Activations (per sample, times
/// the batch): every layer's outputs in layer order, then every convolution's unrolled windows in layer order, so a
/// model of dense layers alone has exactly its outputs there. Workspace, after the activations, training only: per
/// layer the values it keeps (batch normalization's normalized inputs), its pre-activations, then its dropout
/// outputs and mask. State (not per sample, not trained): per layer in order.
/// </summary>
internal static class BufferLayout
{
    /// <summary>Lays <paramref name="layers"/> out; sizes are longs so a caller can refuse a model too large for <c>int</c> offsets.</summary>
    public static LayerOffsets[] Lay(IReadOnlyList<LayerFootprint> layers, out long parameters, out long activationsPerSample, out long workspacePerSample) =>
        Lay(layers, out parameters, out activationsPerSample, out workspacePerSample, out _);

    /// <summary>As above, and <paramref name="state"/>, the floats of state every layer keeps together.</summary>
    public static LayerOffsets[] Lay(IReadOnlyList<LayerFootprint> layers, out long parameters, out long activationsPerSample, out long workspacePerSample, out long state)
    {
        state = 0;
        var weights = new long[layers.Count];
        var outputs = new long[layers.Count];
        var columns = new long[layers.Count];
        parameters = 0;
        long next = 0;
        for (var i = 0; i < layers.Count; i++)
        {
            weights[i] = parameters;
            parameters += layers[i].Weights + layers[i].Biases;
            outputs[i] = next;
            next += layers[i].Outputs;
        }

        for (var i = 0; i < layers.Count; i++)
        {
            columns[i] = layers[i].Columns > 0 ? next : -1;
            next += layers[i].Columns;
        }

        activationsPerSample = next;
        var offsets = new LayerOffsets[layers.Count];
        for (var i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            long preActivation = -1, dropoutOutput = -1, dropoutMask = -1, kept = -1, stateOffset = -1;
            if (layer.Kept > 0)
            {
                kept = next;
                next += layer.Kept;
            }

            if (layer.State > 0)
            {
                stateOffset = state;
                state += layer.State;
            }

            if (layer.KeepsPreActivation)
            {
                preActivation = next;
                next += layer.Outputs;
            }

            if (layer.HasDropout)
            {
                dropoutOutput = next;
                dropoutMask = next + layer.Outputs;
                next += 2 * layer.Outputs;
            }

            offsets[i] = new LayerOffsets(weights[i], weights[i] + layer.Weights, outputs[i], columns[i], preActivation, dropoutOutput, dropoutMask, kept, stateOffset);
        }

        workspacePerSample = next - activationsPerSample;
        return offsets;
    }
}

/// <summary>
/// Where a normalization layer's state lies within its part of the state buffer, for <c>features</c> features (the
/// last axis): the mean per feature, the variance per feature, then one count of the values per feature the
/// statistics came from (0: never adapted).
/// </summary>
internal static class NormalizationState
{
    /// <summary>Floats of state: two per feature and the count.</summary>
    public static int Size(int features) => 2 * features + 1;

    /// <summary>Offset of the means.</summary>
    public static int Mean(int features) => 0;

    /// <summary>Offset of the variances.</summary>
    public static int Variance(int features) => features;

    /// <summary>Offset of the count.</summary>
    public static int Count(int features) => 2 * features;
}
