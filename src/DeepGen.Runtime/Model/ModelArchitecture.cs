using System.Globalization;
using System.Text;

namespace DeepGen;

/// <summary>One layer of a generated model: its kind, shapes, and where its numbers live in the flat buffers.</summary>
/// <param name="Index">Position in the model, from 0.</param>
/// <param name="Name">The layer's name: the generated accessor and the prefix of its tensors in saved files.</param>
/// <param name="Inputs">Input values per sample (the element count of <see cref="InputShape"/>).</param>
/// <param name="Units">Output values per sample (the element count of <see cref="OutputShape"/>): a dense layer's units.</param>
/// <param name="Activation">The activation applied to the outputs.</param>
/// <param name="WeightsOffset">Offset of the weights in the parameter buffer (where they would be, for a layer without).</param>
/// <param name="BiasOffset">Offset of the bias in the parameter buffer (where it would be, without one).</param>
/// <param name="OutputOffsetPerSample">Offset of the outputs in the activation buffer, per sample of the batch.</param>
/// <remarks>
/// The options below the positional parameters default to a plain Keras <c>Dense</c> on a vector; the generator
/// writes only the ones a layer changes. Offsets of the extra activation-buffer sections are per sample (multiply by
/// the batch) and -1 where a layer has no such section.
/// </remarks>
public sealed record LayerInfo(
    int Index, string Name, int Inputs, int Units, Activation Activation,
    int WeightsOffset, int BiasOffset, int OutputOffsetPerSample)
{
    private readonly TensorShape _inputShape;
    private readonly TensorShape _outputShape;

    /// <summary>What the layer computes.</summary>
    public LayerKind Kind { get; init; } = LayerKind.Dense;

    /// <summary>The shape of one sample's input; a vector of <see cref="Inputs"/> unless set.</summary>
    public TensorShape InputShape { get => _inputShape.Rank == 0 ? new TensorShape(Inputs) : _inputShape; init => _inputShape = value; }

    /// <summary>The shape of one sample's output; a vector of <see cref="Units"/> unless set.</summary>
    public TensorShape OutputShape { get => _outputShape.Rank == 0 ? new TensorShape(Units) : _outputShape; init => _outputShape = value; }

    /// <summary>Height and width of a convolution's kernel or a pooling window; 0 for other kinds.</summary>
    public int KernelSize { get; init; }

    /// <summary>Step of a convolution or pooling window; 0 for other kinds.</summary>
    public int Strides { get; init; }

    /// <summary>Border handling of a convolution or pooling window.</summary>
    public Padding Padding { get; init; }

    /// <summary>Offset of a convolution's unrolled input windows (im2col) in the activation buffer, per sample; -1 for other kinds.</summary>
    public int ColumnsOffsetPerSample { get; init; } = -1;

    /// <summary>Batch normalization's weight of the old moving statistics in each update.</summary>
    public float Momentum { get; init; }

    /// <summary>Batch normalization's epsilon, added to the variance.</summary>
    public float Epsilon { get; init; }

    /// <summary>Offset of batch normalization's normalized inputs, kept in training for the backward pass, per sample; -1 for other kinds.</summary>
    public int NormalizedOffsetPerSample { get; init; } = -1;

    /// <summary>
    /// Offset of the layer's state in the model's state buffer (batch normalization: moving mean, moving variance,
    /// then the last training batch's mean and inverse standard deviation, each one per channel; normalization: mean
    /// and variance per feature, then the count of values they came from); -1 for other kinds.
    /// </summary>
    public int StateOffset { get; init; } = -1;

    /// <summary>
    /// Floats of state the layer keeps outside the parameters: four per channel for batch normalization, two per
    /// feature and one count for normalization (<see cref="Layout.NormalizationState"/>), else none.
    /// </summary>
    public int StateCount => Kind switch
    {
        LayerKind.BatchNormalization => 4 * OutputShape.Channels,
        LayerKind.Normalization => Layout.NormalizationState.Size(OutputShape.Channels),
        _ => 0,
    };

    /// <summary>Whether the layer adds a bias (Keras's <c>use_bias</c>); layers without parameters have none whatever this says.</summary>
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

    /// <summary>Whether the layer has weights: dense and convolution layers.</summary>
    public bool HasWeights => Kind is LayerKind.Dense or LayerKind.Conv2D or LayerKind.BatchNormalization;

    /// <summary>
    /// The shape of the weights as saved: <c>[inputs, units]</c> for a dense layer, Keras's
    /// <c>[kernel, kernel, inChannels, filters]</c> for a convolution; empty for a layer without weights.
    /// </summary>
    public int[] WeightsShape => Kind switch
    {
        LayerKind.Dense => [Inputs, Units],
        LayerKind.Conv2D => [KernelSize, KernelSize, InputShape.Channels, OutputShape.Channels],
        LayerKind.BatchNormalization => [OutputShape.Channels],
        _ => [],
    };

    /// <summary>Number of weights (0 for a layer without).</summary>
    public int WeightCount => Kind switch
    {
        LayerKind.Dense => Inputs * Units,
        LayerKind.Conv2D => KernelSize * KernelSize * InputShape.Channels * OutputShape.Channels,
        LayerKind.BatchNormalization => OutputShape.Channels,
        _ => 0,
    };

    /// <summary>Number of biases: one per unit of a dense layer or per filter of a convolution; 0 without a bias.</summary>
    public int BiasCount => !HasWeights || !UseBias ? 0 : Kind == LayerKind.Dense ? Units : OutputShape.Channels;

    /// <summary>Weights and biases of the layer.</summary>
    public int ParameterCount => WeightCount + BiasCount;

    /// <summary>Floats per sample of a convolution's unrolled input windows; 0 for other kinds.</summary>
    public int ColumnsPerSample => Kind == LayerKind.Conv2D
        ? OutputShape.Height * OutputShape.Width * KernelSize * KernelSize * InputShape.Channels
        : 0;

    /// <summary>Fan-in and fan-out of the weights, as Keras's initializers count them.</summary>
    public (int In, int Out) Fans => Kind == LayerKind.Conv2D
        ? (KernelSize * KernelSize * InputShape.Channels, KernelSize * KernelSize * OutputShape.Channels)
        : (Inputs, Units);

    /// <summary>Whether the weights carry an L1 or L2 penalty.</summary>
    public bool IsRegularized => L1 != 0f || L2 != 0f;

    /// <summary>Tensor name of the weights in saved files (batch normalization's <c>gamma</c>).</summary>
    public string WeightsTensorName => Name + (Kind == LayerKind.BatchNormalization ? ".gamma" : ".kernel");

    /// <summary>Tensor name of the bias in saved files (batch normalization's <c>beta</c>).</summary>
    public string BiasTensorName => Name + (Kind == LayerKind.BatchNormalization ? ".beta" : ".bias");

    /// <summary>
    /// The state tensors the layer saves besides its parameters, with their places in the model's state buffer:
    /// batch normalization's <c>{Name}.moving_mean</c> and <c>{Name}.moving_variance</c>; normalization's
    /// <c>{Name}.mean</c>, <c>{Name}.variance</c> (one per feature) and <c>{Name}.count</c> (<c>[1]</c>: the values per
    /// feature its statistics came from, 0 until adapted, as Keras keeps one); none for other kinds.
    /// </summary>
    public IReadOnlyList<ParameterTensor> StateTensors => Kind switch
    {
        LayerKind.BatchNormalization =>
        [
            new ParameterTensor(Name + ".moving_mean", [OutputShape.Channels], StateOffset, OutputShape.Channels) { IsState = true },
            new ParameterTensor(Name + ".moving_variance", [OutputShape.Channels], StateOffset + OutputShape.Channels, OutputShape.Channels) { IsState = true },
        ],
        LayerKind.Normalization =>
        [
            new ParameterTensor(Name + ".mean", [OutputShape.Channels], StateOffset + Layout.NormalizationState.Mean(OutputShape.Channels), OutputShape.Channels) { IsState = true },
            new ParameterTensor(Name + ".variance", [OutputShape.Channels], StateOffset + Layout.NormalizationState.Variance(OutputShape.Channels), OutputShape.Channels) { IsState = true },
            new ParameterTensor(Name + ".count", [1], StateOffset + Layout.NormalizationState.Count(OutputShape.Channels), 1) { IsState = true },
        ],
        _ => [],
    };

    /// <summary>Every tensor a saved file or checkpoint holds for the layer: <see cref="ParameterTensors"/>, then <see cref="StateTensors"/>.</summary>
    public IEnumerable<ParameterTensor> SavedTensors => ParameterTensors.Concat(StateTensors);

    /// <summary>The tensors the layer saves, weights then bias, with their shapes and places in the parameter buffer; none for a layer without weights.</summary>
    public IReadOnlyList<ParameterTensor> ParameterTensors
    {
        get
        {
            if (!HasWeights) return [];
            var weights = new ParameterTensor(WeightsTensorName, WeightsShape, WeightsOffset, WeightCount);
            return BiasCount == 0 ? [weights] : [weights, new ParameterTensor(BiasTensorName, [BiasCount], BiasOffset, BiasCount)];
        }
    }
}

/// <summary>One saved tensor of a layer: its name, shape, and where its values lie in the parameter buffer (or, for <see cref="IsState"/>, the state buffer).</summary>
public sealed record ParameterTensor(string Name, int[] Shape, int Offset, int Length)
{
    /// <summary>True for a tensor of the model's non-trainable state (<see cref="SequentialModel.NonTrainableWeights"/>), not of its parameters.</summary>
    public bool IsState { get; init; }
}

/// <summary>
/// The shape of a generated model, as data: what the runtime needs to batch, train, save and load it without
/// knowing the generated type. The generator emits one static instance per model.
/// </summary>
public sealed class ModelArchitecture
{
    /// <summary>A model on a vector input of <paramref name="inputSize"/> values.</summary>
    public ModelArchitecture(string modelName, int inputSize, IReadOnlyList<LayerInfo> layers)
        : this(modelName, new TensorShape(inputSize > 0 ? inputSize : throw new ArgumentOutOfRangeException(nameof(inputSize), inputSize, "The input size must be positive.")), layers)
    {
    }

    /// <summary>
    /// A model on inputs of <paramref name="inputShape"/>. Every layer must follow from the one before it by its
    /// kind's shape rule and lie where the buffer layout puts it (<see cref="Layout.BufferLayout"/>, the rule the
    /// generator plans with); anything else is refused with an <see cref="ArgumentException"/> naming the layer.
    /// </summary>
    public ModelArchitecture(string modelName, TensorShape inputShape, IReadOnlyList<LayerInfo> layers)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelName);
        if (inputShape.Rank == 0) throw new ArgumentException("The input shape is empty.", nameof(inputShape));
        if (layers.Count == 0) throw new ArgumentException("A model needs at least one layer.", nameof(layers));

        ModelName = modelName;
        InputShape = inputShape;
        Layers = layers;
        var previous = inputShape;
        var footprints = new List<Layout.LayerFootprint>(layers.Count);
        for (var i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            if (layer.Index != i) throw Invalid(layer, $"has index {layer.Index} at position {i}");
            if (layer.InputShape != previous || layer.Inputs != previous.ElementCount)
                throw Invalid(layer, $"takes {layer.InputShape} ({layer.Inputs} values), but the layer before it gives {previous}");
            if (layer.OutputShape.ElementCount != layer.Units)
                throw Invalid(layer, $"gives {layer.OutputShape} but {layer.Units} units");
            var expected = ExpectedOutput(layer);
            if (expected is { } shape && shape != layer.OutputShape)
                throw Invalid(layer, $"gives {layer.OutputShape}; a {layer.Kind} on {layer.InputShape} gives {shape}");
            if (layer.Activation == Activation.Softmax && i != layers.Count - 1)
                throw Invalid(layer, "applies softmax, which only the last layer may");
            if (!layer.HasWeights && (layer.Activation != Activation.Linear || layer.IsRegularized))
                throw Invalid(layer, $"is a {layer.Kind}, which has no activation or weights to regularize");
            if (layer.DropoutRate is { } rate && !(rate >= 0f && rate < 1f))
                throw Invalid(layer, $"is followed by a dropout rate of {rate}; it must be in [0, 1)");
            if (!(layer.L1 >= 0f) || !(layer.L2 >= 0f) || !float.IsFinite(layer.L1) || !float.IsFinite(layer.L2))
                throw Invalid(layer, $"has L1 = {layer.L1}, L2 = {layer.L2}; both must be finite and not negative");
            if (layer.Kind == LayerKind.BatchNormalization && !(layer.Momentum >= 0f && layer.Momentum <= 1f && layer.Epsilon > 0f && float.IsFinite(layer.Epsilon)))
                throw Invalid(layer, $"has momentum {layer.Momentum} and epsilon {layer.Epsilon}; the momentum must be in [0, 1] and epsilon positive");
            footprints.Add(new Layout.LayerFootprint(layer.Units, layer.WeightCount, layer.BiasCount, layer.ColumnsPerSample,
                ActivationFacts.NeedsPreActivation(layer.Activation), layer.DropoutRate is not null,
                kept: layer.Kind == LayerKind.BatchNormalization ? layer.Units : 0, state: layer.StateCount));
            previous = layer.OutputShape;
        }

        if (layers[^1].DropoutRate is not null)
            throw new ArgumentException("A dropout cannot follow the last layer: its outputs are the model's.", nameof(layers));

        var offsets = Layout.BufferLayout.Lay(footprints, out var parameters, out var activations, out var workspace, out var state);
        if (parameters > int.MaxValue || activations + workspace > int.MaxValue)
            throw new ArgumentException($"The model needs {parameters:N0} parameters and {activations + workspace:N0} values per sample; DeepGen indexes each buffer with an int.", nameof(layers));
        for (var i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            var at = offsets[i];
            Check(layer, "weights", layer.WeightsOffset, at.Weights);
            Check(layer, "bias", layer.BiasOffset, at.Bias);
            Check(layer, "output", layer.OutputOffsetPerSample, at.Output);
            Check(layer, "unrolled-window", layer.ColumnsOffsetPerSample, at.Columns);
            Check(layer, "pre-activation", layer.PreActivationOffsetPerSample, at.PreActivation);
            Check(layer, "dropout output", layer.DropoutOutputOffsetPerSample, at.DropoutOutput);
            Check(layer, "dropout mask", layer.DropoutMaskOffsetPerSample, at.DropoutMask);
            Check(layer, "normalized-input", layer.NormalizedOffsetPerSample, at.Kept);
            Check(layer, "state", layer.StateOffset, at.State);
        }

        ParameterCount = (int)parameters;
        ActivationsPerSample = (int)activations;
        WorkspacePerSample = (int)workspace;
        StateCount = (int)state;
        Signature = BuildSignature(inputShape, layers);
    }

    private static ArgumentException Invalid(LayerInfo layer, string problem) =>
        new($"Layer {layer.Index} ('{layer.Name}') {problem}.", "layers");

    private static void Check(LayerInfo layer, string what, int offset, long expected)
    {
        if (offset != expected)
            throw Invalid(layer, expected < 0
                ? $"has a {what} section it does not need"
                : $"puts its {what} section at {offset}; the buffer layout needs {expected}");
    }

    /// <summary>The output shape the layer's kind gives on its input shape; null where the input shape cannot take that kind.</summary>
    private static TensorShape? ExpectedOutput(LayerInfo layer)
    {
        var input = layer.InputShape;
        switch (layer.Kind)
        {
            case LayerKind.Dense:
                if (input.Rank != 1) throw Invalid(layer, $"is dense, on a {input} input: flatten it first");
                return new TensorShape(layer.Units);
            case LayerKind.Conv2D:
            case LayerKind.MaxPooling2D:
            case LayerKind.AveragePooling2D:
                if (input.Rank != 3) throw Invalid(layer, $"is a {layer.Kind}, which needs a (height, width, channels) input, not {input}");
                if (layer.KernelSize <= 0 || layer.Strides <= 0) throw Invalid(layer, $"has kernel {layer.KernelSize} and strides {layer.Strides}; both must be positive");
                var height = Layout.WindowRules.Output(input.Height, layer.KernelSize, layer.Strides, layer.Padding);
                var width = Layout.WindowRules.Output(input.Width, layer.KernelSize, layer.Strides, layer.Padding);
                if (height <= 0 || width <= 0) throw Invalid(layer, $"needs at least {layer.KernelSize}×{layer.KernelSize} input, gets {input.ToDimensionsText()}");
                return new TensorShape(height, width, layer.Kind == LayerKind.Conv2D ? layer.OutputShape.Channels : input.Channels);
            case LayerKind.GlobalAveragePooling2D:
            case LayerKind.GlobalMaxPooling2D:
                if (input.Rank != 3) throw Invalid(layer, $"is a {layer.Kind}, which needs a (height, width, channels) input, not {input}");
                return new TensorShape(input.Channels);
            case LayerKind.Flatten:
                return new TensorShape(input.ElementCount);
            case LayerKind.Reshape:
                return null; // any shape of the same element count, checked above
            case LayerKind.BatchNormalization:
            case LayerKind.Normalization:
                return input;
            default:
                throw Invalid(layer, $"has the unknown kind {(int)layer.Kind}");
        }
    }

    /// <summary>The model class's name.</summary>
    public string ModelName { get; }

    /// <summary>Input values per sample.</summary>
    public int InputSize => InputShape.ElementCount;

    /// <summary>The shape of one sample's input.</summary>
    public TensorShape InputShape { get; }

    /// <summary>Outputs per sample: the last layer's units.</summary>
    public int OutputSize => Layers[^1].Units;

    /// <summary>The layers in order.</summary>
    public IReadOnlyList<LayerInfo> Layers { get; }

    /// <summary>Floats of state the layers keep outside the parameters (batch normalization's statistics); 0 for most models.</summary>
    public int StateCount { get; }

    /// <summary>Length of the parameter (and gradient) buffer.</summary>
    public int ParameterCount { get; }

    /// <summary>Floats of activations kept per sample of a batch: every layer's outputs. Deltas have the same size.</summary>
    public int ActivationsPerSample { get; }

    /// <summary>
    /// Floats per sample that a training pass keeps after the outputs in the activation buffer: pre-activations of
    /// GELU and Swish layers, and each dropout's outputs and mask. Zero for a model with none of them.
    /// </summary>
    public int WorkspacePerSample { get; }

    /// <summary>
    /// The most samples an inference pass takes, whatever batch size a call asks for: as many as keep the pass's
    /// activations within 2 MiB, the size of a core's L2 cache, so each layer reads what the one before it wrote
    /// from cache rather than memory. A convolution's activations are large (the MNIST convnet's are 309 KiB a
    /// sample, its unrolled windows included: passes of 6 samples, where 256 would hold 79 MiB), a dense model's
    /// small (the seed network's 4 KiB: no limit below 256). A sample's outputs are the same bits whatever the pass
    /// holds. (No speed-up was measured apart from the buffer's size: the machine was shared when it was tried.)
    /// </summary>
    public int LargestInferencePass => Math.Max(1, InferencePassBytes / (ActivationsPerSample * sizeof(float)));

    private const int InferencePassBytes = 2 << 20;

    /// <summary>Floats of scratch the backward pass needs for a batch of <paramref name="batch"/> samples.</summary>
    public int BackwardScratchSize(int batch)
    {
        long size = 0;
        foreach (var layer in Layers)
            if (layer.Index > 0 && layer.Kind == LayerKind.Dense)
                size = Math.Max(size, Cpu.DenseKernels.InputGradientScratchSize(batch, layer.Inputs, layer.Units));
        return checked((int)size);
    }

    /// <summary>The activation of the last layer, which the loss's fused gradient needs.</summary>
    public Activation OutputActivation => Layers[^1].Activation;

    /// <summary>
    /// A one-line description of the shape, e.g. <c>784-500(sigmoid)-500(sigmoid)-10(softmax)</c>. Saved files
    /// record it, so a file written by another model is recognised as such. A layer without a bias adds
    /// <c>,nobias</c>; dropout, initializers and regularizers do not change the saved tensors and are left out. An
    /// image input is written <c>28x28x1</c>, and a layer of another kind than dense by its kind and window, e.g.
    /// <c>conv2d32k3s1valid(relu)</c>, <c>maxpooling2dk2s2valid</c>, <c>flatten</c>, <c>reshape7x7x16</c>.
    /// </summary>
    public string Signature { get; }

    private static string BuildSignature(TensorShape input, IReadOnlyList<LayerInfo> layers)
    {
        var text = new StringBuilder().Append(string.Join("x", input.ToArray()));
        foreach (var layer in layers)
        {
            text.Append('-');
            switch (layer.Kind)
            {
                case LayerKind.Dense:
                    text.Append(Invariant(layer.Units));
                    break;
                case LayerKind.Conv2D:
                    text.Append("conv2d").Append(Invariant(layer.OutputShape.Channels)).Append(Window(layer));
                    break;
                case LayerKind.MaxPooling2D or LayerKind.AveragePooling2D:
                    text.Append(layer.Kind.ToString().ToLowerInvariant()).Append(Window(layer));
                    continue;
                case LayerKind.Reshape:
                    text.Append("reshape").Append(string.Join("x", layer.OutputShape.ToArray()));
                    continue;
                case LayerKind.BatchNormalization:
                    text.Append("batchnormalization");
                    continue;
                case LayerKind.Normalization:
                    text.Append("normalization");
                    continue;
                default:
                    text.Append(layer.Kind.ToString().ToLowerInvariant());
                    continue;
            }

            text.Append('(').Append(layer.Activation.ToString().ToLowerInvariant());
            if (!layer.UseBias) text.Append(",nobias");
            text.Append(')');
        }

        return text.ToString();
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Window(LayerInfo layer) =>
        $"k{Invariant(layer.KernelSize)}s{Invariant(layer.Strides)}{layer.Padding.ToString().ToLowerInvariant()}";
}
