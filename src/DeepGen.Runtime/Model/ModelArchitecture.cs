using System.Text;

namespace DeepGen;

/// <summary>One dense layer of a generated model: its shape and where its numbers live in the flat buffers.</summary>
/// <param name="Index">Position in the model, from 0.</param>
/// <param name="Name">The layer's name: the generated accessor and the prefix of its tensors in saved files.</param>
/// <param name="Inputs">Inputs per sample.</param>
/// <param name="Units">Outputs per sample.</param>
/// <param name="Activation">The activation applied to the outputs.</param>
/// <param name="WeightsOffset">Offset of the weights <c>[Inputs, Units]</c> in the parameter buffer.</param>
/// <param name="BiasOffset">Offset of the bias <c>[Units]</c> in the parameter buffer.</param>
/// <param name="OutputOffsetPerSample">Offset of the outputs in the activation buffer, per sample of the batch.</param>
public sealed record LayerInfo(
    int Index, string Name, int Inputs, int Units, Activation Activation,
    int WeightsOffset, int BiasOffset, int OutputOffsetPerSample)
{
    /// <summary>Weights and biases of the layer.</summary>
    public int ParameterCount => Inputs * Units + Units;

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
            parameters += layer.ParameterCount;
            activations += layer.Units;
            previousUnits = layer.Units;
        }

        ParameterCount = parameters;
        ActivationsPerSample = activations;
        Signature = BuildSignature(inputSize, layers);
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

    /// <summary>Floats of activations kept per sample of a batch: every layer's outputs.</summary>
    public int ActivationsPerSample { get; }

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
    /// record it, so a file written by another model is recognised as such.
    /// </summary>
    public string Signature { get; }

    private static string BuildSignature(int inputSize, IReadOnlyList<LayerInfo> layers)
    {
        var text = new StringBuilder().Append(inputSize);
        foreach (var layer in layers)
            text.Append('-').Append(layer.Units).Append('(').Append(layer.Activation.ToString().ToLowerInvariant()).Append(')');
        return text.ToString();
    }
}
