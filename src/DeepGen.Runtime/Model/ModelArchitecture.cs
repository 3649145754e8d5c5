using System.Globalization;
using System.Text;

namespace DeepGen;

/// <summary>One dense layer of a generated model: its shape and where its numbers live in the flat buffers.</summary>
/// <param name="Index">Position in the model, from 0.</param>
/// <param name="Name">The layer's name: the generated accessor and the prefix of its tensors in saved files.</param>
/// <param name="Inputs">Inputs per sample.</param>
/// <param name="Units">Outputs per sample.</param>
/// <param name="Activation">The activation applied to the outputs.</param>
/// <param name="WeightsOffset">Offset of the weights <c>[Inputs, Units]</c> in the parameter buffer.</param>
/// <param name="BiasOffset">Offset of the bias <c>[Units]</c> in the parameter buffer (where it would be, without one).</param>
/// <param name="OutputOffsetPerSample">Offset of the outputs in the activation buffer, per sample of the batch.</param>
/// <remarks>
/// The options below the positional parameters default to a plain Keras <c>Dense</c>; the generator writes only the
/// ones a layer changes. Offsets of the extra activation-buffer sections are per sample (multiply by the batch) and
/// -1 where a layer has no such section.
/// </remarks>
public sealed record LayerInfo(
    int Index, string Name, int Inputs, int Units, Activation Activation,
    int WeightsOffset, int BiasOffset, int OutputOffsetPerSample)
{
    /// <summary>Whether the layer has a bias (Keras's <c>use_bias</c>).</summary>
    public bool UseBias { get; init; } = true;

    /// <summary>How the weights start.</summary>
    public Initializer KernelInitializer { get; init; } = Initializer.GlorotUniform;

    /// <summary>How the bias starts.</summary>
    public Initializer BiasInitializer { get; init; } = Initializer.Zeros;

    /// <summary>L1 penalty factor on the weights (0: none).</summary>
    public float L1 { get; init; }

    /// <summary>L2 penalty factor on the weights (0: none).</summary>
    public float L2 { get; init; }

    /// <summary>The rate of the <c>[Dropout]</c> that follows this layer, or null when none does.</summary>
    public float? DropoutRate { get; init; }

    /// <summary>Offset of the pre-activations kept in training (GELU, Swish), per sample; -1 when not kept.</summary>
    public int PreActivationOffsetPerSample { get; init; } = -1;

    /// <summary>Offset of the outputs after dropout, which the next layer reads in training, per sample; -1 without dropout.</summary>
    public int DropoutOutputOffsetPerSample { get; init; } = -1;

    /// <summary>Offset of the dropout mask (0 or <c>1 / (1 - rate)</c> per output), per sample; -1 without dropout.</summary>
    public int DropoutMaskOffsetPerSample { get; init; } = -1;

    /// <summary>Number of biases: <see cref="Units"/>, or 0 without a bias.</summary>
    public int BiasCount => UseBias ? Units : 0;

    /// <summary>Weights and biases of the layer.</summary>
    public int ParameterCount => Inputs * Units + BiasCount;

    /// <summary>Whether the weights carry an L1 or L2 penalty.</summary>
    public bool IsRegularized => L1 != 0f || L2 != 0f;

    /// <summary>Tensor name of the weights in saved files.</summary>
    public string WeightsTensorName => Name + ".kernel";

    /// <summary>Tensor name of the bias in saved files.</summary>
    public string BiasTensorName => Name + ".bias";
}

/// <summary>
/// The shape of a generated model, as data: what the runtime needs to batch, train, save and load it without
/// knowing the generated type. The generator emits one static instance per model.
/// </summary>
public sealed class ModelArchitecture
{
    public ModelArchitecture(string modelName, int inputSize, IReadOnlyList<LayerInfo> layers)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelName);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputSize);
        if (layers.Count == 0) throw new ArgumentException("A model needs at least one layer.", nameof(layers));

        ModelName = modelName;
        InputSize = inputSize;
        Layers = layers;
        var parameters = 0;
        var activations = 0;
        var previousUnits = inputSize;
        foreach (var layer in layers)
        {
            if (layer.Inputs != previousUnits || layer.WeightsOffset != parameters ||
                layer.BiasOffset != parameters + layer.Inputs * layer.Units || layer.OutputOffsetPerSample != activations)
                throw new ArgumentException($"Layer {layer.Index} ('{layer.Name}') does not follow the buffer layout of the layers before it.", nameof(layers));
            if (layer.DropoutRate is { } rate && !(rate >= 0f && rate < 1f))
                throw new ArgumentException($"Layer {layer.Index} ('{layer.Name}') is followed by a dropout rate of {rate}; it must be in [0, 1).", nameof(layers));
            if (!(layer.L1 >= 0f) || !(layer.L2 >= 0f) || !float.IsFinite(layer.L1) || !float.IsFinite(layer.L2))
                throw new ArgumentException($"Layer {layer.Index} ('{layer.Name}') has L1 = {layer.L1}, L2 = {layer.L2}; both must be finite and not negative.", nameof(layers));
            parameters += layer.ParameterCount;
            activations += layer.Units;
            previousUnits = layer.Units;
        }

        // The extra sections follow every layer's outputs, layer by layer: pre-activations, dropped outputs, mask.
        var workspace = activations;
        foreach (var layer in layers)
        {
            CheckSection(layer, "pre-activation", layer.PreActivationOffsetPerSample, ActivationFacts.NeedsPreActivation(layer.Activation), ref workspace);
            CheckSection(layer, "dropout output", layer.DropoutOutputOffsetPerSample, layer.DropoutRate is not null, ref workspace);
            CheckSection(layer, "dropout mask", layer.DropoutMaskOffsetPerSample, layer.DropoutRate is not null, ref workspace);
        }

        if (layers[^1].DropoutRate is not null)
            throw new ArgumentException("A dropout cannot follow the last layer: its outputs are the model's.", nameof(layers));

        ParameterCount = parameters;
        ActivationsPerSample = activations;
        WorkspacePerSample = workspace - activations;
        Signature = BuildSignature(inputSize, layers);
    }

    private static void CheckSection(LayerInfo layer, string what, int offset, bool expected, ref int next)
    {
        if (!expected)
        {
            if (offset != -1)
                throw new ArgumentException($"Layer {layer.Index} ('{layer.Name}') has a {what} section it does not need.", "layers");
            return;
        }

        if (offset != next)
            throw new ArgumentException($"Layer {layer.Index} ('{layer.Name}') puts its {what} section at {offset} per sample; the layout needs {next}.", "layers");
        next += layer.Units;
    }

    /// <summary>The model class's name.</summary>
    public string ModelName { get; }

    /// <summary>Inputs per sample.</summary>
    public int InputSize { get; }

    /// <summary>Outputs per sample: the last layer's units.</summary>
    public int OutputSize => Layers[^1].Units;

    /// <summary>The layers in order.</summary>
    public IReadOnlyList<LayerInfo> Layers { get; }

    /// <summary>Length of the parameter (and gradient) buffer.</summary>
    public int ParameterCount { get; }

    /// <summary>Floats of activations kept per sample of a batch: every layer's outputs. Deltas have the same size.</summary>
    public int ActivationsPerSample { get; }

    /// <summary>
    /// Floats per sample that a training pass keeps after the outputs in the activation buffer: pre-activations of
    /// GELU and Swish layers, and each dropout's outputs and mask. Zero for a model with none of them.
    /// </summary>
    public int WorkspacePerSample { get; }

    /// <summary>Floats of scratch the backward pass needs for a batch of <paramref name="batch"/> samples.</summary>
    public int BackwardScratchSize(int batch)
    {
        long size = 0;
        foreach (var layer in Layers)
            if (layer.Index > 0)
                size = Math.Max(size, Cpu.DenseKernels.InputGradientScratchSize(batch, layer.Inputs, layer.Units));
        return checked((int)size);
    }

    /// <summary>The activation of the last layer, which the loss's fused gradient needs.</summary>
    public Activation OutputActivation => Layers[^1].Activation;

    /// <summary>
    /// A one-line description of the shape, e.g. <c>784-500(sigmoid)-500(sigmoid)-10(softmax)</c>. Saved files
    /// record it, so a file written by another model is recognised as such. A layer without a bias adds
    /// <c>,nobias</c>; dropout, initializers and regularizers do not change the saved tensors and are left out.
    /// </summary>
    public string Signature { get; }

    private static string BuildSignature(int inputSize, IReadOnlyList<LayerInfo> layers)
    {
        var text = new StringBuilder().Append(inputSize.ToString(CultureInfo.InvariantCulture));
        foreach (var layer in layers)
        {
            text.Append('-').Append(layer.Units.ToString(CultureInfo.InvariantCulture)).Append('(').Append(layer.Activation.ToString().ToLowerInvariant());
            if (!layer.UseBias) text.Append(",nobias");
            text.Append(')');
        }

        return text.ToString();
    }
}
