using System.Runtime.InteropServices;
using static DeepGen.Onnx.OnnxSchema;

namespace DeepGen.Onnx;

/// <summary>
/// Writes a DeepGen model as an ONNX model, so ONNX Runtime (or any ONNX consumer) runs the same network with the
/// same weights, with standard operators of opset 13. The input is <see cref="InputName"/>, float32
/// <c>[batch, InputSize]</c> with a symbolic batch dimension, whatever the model's input shape; the output is
/// <see cref="OutputName"/>, <c>[batch, OutputSize]</c>: the flat per-sample values <c>Predict</c> takes and gives.
/// </summary>
/// <remarks>
/// <para>
/// A dense layer becomes <c>MatMul → Add → activation</c>; its weights go in as float32 initializers in
/// <c>[inputs, units]</c> layout, which is DeepGen's own parameter layout, so they are copied as they are.
/// </para>
/// <para>
/// DeepGen keeps images channels last (<c>[height, width, channels]</c> per sample, as Keras does); ONNX's
/// <c>Conv</c> and pooling operators take channels first (<c>[batch, channels, height, width]</c>). So before the
/// first window layer of a run the values are reshaped to <c>[batch, height, width, channels]</c> and transposed to
/// channels first, and they stay so through the following convolutions and poolings; before a <c>Flatten</c>, a
/// <c>Reshape</c>, a dense layer or the output they are transposed back, so every flat vector holds its values in
/// DeepGen's order. A convolution becomes <c>Conv</c> (weights transposed from Keras's <c>[kh, kw, in, out]</c> to
/// ONNX's <c>[out, in, kh, kw]</c>, the bias as <c>B</c>) and then its activation; max and average pooling become
/// <c>MaxPool</c> and <c>AveragePool</c> with <c>count_include_pad = 0</c>, so an average over a padded border
/// divides by the cells inside the input, as Keras's does; the global poolings become <c>GlobalAveragePool</c> and
/// <c>GlobalMaxPool</c> and a <c>Flatten</c> of their <c>[batch, channels, 1, 1]</c>. Same padding is written as
/// explicit <c>pads</c> by TensorFlow's rule (the total <c>max((out - 1) · stride + kernel - in, 0)</c>, half
/// before rounded down, the rest after) rather than as <c>auto_pad</c>. <c>Flatten</c> and <c>Reshape</c> layers
/// become <c>Reshape</c> with a constant shape.
/// </para>
/// <para>
/// A batch normalization becomes the inference form of <c>BatchNormalization</c> (inputs <c>X</c>, <c>scale</c> =
/// gamma, <c>B</c> = beta, <c>input_mean</c> and <c>input_var</c> = the moving statistics from
/// <see cref="SequentialModel.NonTrainableWeights"/>, attribute <c>epsilon</c>), which normalizes axis 1. DeepGen
/// normalizes the last axis, so an image is taken channels first (as a convolution or pooling leaves it anyway), a
/// vector <c>[batch, units]</c> as it is, and a matrix <c>[rows, columns]</c> as an image one pixel high, channels
/// first <c>[batch, columns, 1, rows]</c>.
/// </para>
/// <para>
/// A normalization (Keras's <c>Normalization</c>) becomes <c>Sub</c> of its mean and <c>Div</c> by
/// <c>Max(Sqrt(variance), 1e-7)</c>, with the adapted mean and variance as initializers, so the exported model scales
/// its inputs as <c>Predict</c> does; a model whose normalization was never adapted is refused.
/// </para>
/// <para>
/// Activations map one to one: <see cref="Activation.Linear"/> adds no node, <see cref="Activation.Sigmoid"/>,
/// <see cref="Activation.Relu"/> and <see cref="Activation.Tanh"/> become the operators of the same name, and
/// <see cref="Activation.Softmax"/> becomes <c>Softmax</c> over the last axis (opset 13 semantics: per sample).
/// A dropout is the identity at inference and adds nothing.
/// </para>
/// </remarks>
public static class OnnxExporter
{
    /// <summary>Name of the graph's input, float32 <c>[batch, InputSize]</c>.</summary>
    public const string InputName = "x";

    /// <summary>Name of the graph's output, float32 <c>[batch, OutputSize]</c>.</summary>
    public const string OutputName = "y";

    /// <summary>The ONNX IR version written (8: ONNX 1.10 and later, ONNX Runtime 1.10 and later).</summary>
    public const long IrVersion = 8;

    /// <summary>The default-domain operator set the graph is written against.</summary>
    public const long Opset = 13;

    /// <summary>Name of the symbolic batch dimension of the input and output.</summary>
    public const string BatchDimension = "batch";

    private const string ProducerName = "DeepGen";

    /// <summary>The ONNX model of <paramref name="model"/> with its current weights, as protobuf bytes.</summary>
    public static byte[] ToOnnx(SequentialModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("ONNX raw_data is little-endian; this machine is not.");
        var architecture = model.Architecture;
        var graph = new ProtoWriter()
            .String(GraphProto.Name, architecture.ModelName)
            .String(GraphProto.DocString, $"DeepGen model {architecture.ModelName}: {architecture.Signature}");
        var current = new Value(InputName, [architecture.InputSize], ChannelsFirst: false);
        var layers = model.Layers;
        for (var i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            var info = layer.Info;
            // Only a dense layer writes the graph's output itself; any other kind is flattened into it below.
            var layerOutput = i == layers.Count - 1 && info.Kind == LayerKind.Dense ? OutputName : info.Name + ".out";
            current = info.Kind switch
            {
                LayerKind.Dense => DenseNodes(graph, layer, ToChannelsLast(graph, current, [info.Inputs], info.Name + ".input"), layerOutput),
                LayerKind.Conv2D => ConvolutionNodes(graph, layer, ToChannelsFirst(graph, current, info.InputShape, info.Name), layerOutput),
                LayerKind.MaxPooling2D or LayerKind.AveragePooling2D =>
                    PoolingNodes(graph, info, ToChannelsFirst(graph, current, info.InputShape, info.Name), layerOutput),
                LayerKind.GlobalAveragePooling2D or LayerKind.GlobalMaxPooling2D =>
                    GlobalPoolingNodes(graph, info, ToChannelsFirst(graph, current, info.InputShape, info.Name), layerOutput),
                LayerKind.BatchNormalization =>
                    BatchNormalizationNodes(graph, model, layer, WithChannelsOnAxisOne(graph, current, info.InputShape, info.Name), layerOutput),
                LayerKind.Normalization => NormalizationNodes(graph, model, layer, current, layerOutput),
                LayerKind.Flatten or LayerKind.Reshape => ToChannelsLast(graph, current, Dimensions(info.OutputShape), layerOutput),
                _ => throw new NotSupportedException($"Layer '{info.Name}' is a {info.Kind}, which has no ONNX export yet."),
            };
        }

        if (current.Name != OutputName)
        {
            var flat = ToChannelsLast(graph, current, [architecture.OutputSize], OutputName);
            if (flat.Name != OutputName) graph.Message(GraphProto.Node, Node("Identity", OutputName, [flat.Name], OutputName));
        }

        graph.Message(GraphProto.Input, FloatMatrixValueInfo(InputName, architecture.InputSize));
        graph.Message(GraphProto.Output, FloatMatrixValueInfo(OutputName, architecture.OutputSize));

        return new ProtoWriter()
            .Int64(ModelProto.IrVersion, IrVersion)
            .String(ModelProto.ProducerName, ProducerName)
            .String(ModelProto.ProducerVersion, typeof(OnnxExporter).Assembly.GetName().Version?.ToString(3) ?? "0.0.0")
            .Message(ModelProto.Graph, graph)
            .Message(ModelProto.OpsetImport, new ProtoWriter().String(OperatorSetIdProto.Domain, "").Int64(OperatorSetIdProto.Version, Opset))
            .ToArray();
    }

    /// <summary>Writes the ONNX model of <paramref name="model"/> to <paramref name="stream"/>.</summary>
    public static void Export(SequentialModel model, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        stream.Write(ToOnnx(model));
    }

    /// <summary>
    /// Writes the ONNX model of <paramref name="model"/> to <paramref name="path"/> atomically: into a temporary file
    /// in the same folder, flushed to disk, then renamed over <paramref name="path"/>. A failure leaves any existing
    /// file untouched and no temporary file behind.
    /// </summary>
    public static void Export(SequentialModel model, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var bytes = ToOnnx(model); // built before the disk is touched
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"Cannot export '{path}': the folder '{folder}' does not exist.");
        var temporary = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>
    /// A tensor of the graph and the order of its values per sample: channels first (<c>[channels, height,
    /// width]</c>, ONNX's image order) or DeepGen's own order, channels last, in <paramref name="Dimensions"/>.
    /// </summary>
    /// <param name="Dimensions">The tensor's dimensions after the batch.</param>
    private readonly record struct Value(string Name, long[] Dimensions, bool ChannelsFirst);

    /// <summary>output[batch, units] = activation(input[batch, inputs] · W[inputs, units] + b[units]).</summary>
    private static Value DenseNodes(ProtoWriter graph, DenseLayer layer, Value input, string layerOutput)
    {
        var info = layer.Info;
        graph.Message(GraphProto.Initializer, FloatTensor(info.WeightsTensorName, [info.Inputs, info.Units], layer.Weights));
        var product = info.Name + ".matmul";
        var sum = info.Name + ".add";
        var preActivation = info.Activation == Activation.Linear ? layerOutput : sum;
        graph.Message(GraphProto.Node, Node("MatMul", product, [input.Name, info.WeightsTensorName], info.UseBias ? product : preActivation));
        if (info.UseBias)
        {
            graph.Message(GraphProto.Initializer, FloatTensor(info.BiasTensorName, [info.Units], layer.Bias));
            graph.Message(GraphProto.Node, Node("Add", sum, [product, info.BiasTensorName], preActivation));
        }

        foreach (var node in ActivationNodes(info, preActivation, layerOutput)) graph.Message(GraphProto.Node, node);
        return new Value(layerOutput, [info.Units], ChannelsFirst: false);
    }

    /// <summary>
    /// output[batch, filters, outH, outW] = activation(Conv(input[batch, in, h, w], W[filters, in, k, k]) + b[filters]),
    /// the weights transposed from DeepGen's (Keras's) <c>[k, k, in, filters]</c>.
    /// </summary>
    private static Value ConvolutionNodes(ProtoWriter graph, DenseLayer layer, Value input, string layerOutput)
    {
        var info = layer.Info;
        int k = info.KernelSize, inChannels = info.InputShape.Channels, filters = info.OutputShape.Channels;
        var keras = layer.Weights;
        var onnx = new float[keras.Length];
        for (var y = 0; y < k; y++)
            for (var x = 0; x < k; x++)
                for (var c = 0; c < inChannels; c++)
                    for (var f = 0; f < filters; f++)
                        onnx[((f * inChannels + c) * k + y) * k + x] = keras[((y * k + x) * inChannels + c) * filters + f];
        graph.Message(GraphProto.Initializer, FloatTensor(info.WeightsTensorName, [filters, inChannels, k, k], onnx));
        string[] inputs = [input.Name, info.WeightsTensorName];
        if (info.UseBias)
        {
            graph.Message(GraphProto.Initializer, FloatTensor(info.BiasTensorName, [filters], layer.Bias));
            inputs = [.. inputs, info.BiasTensorName];
        }

        var preActivation = info.Activation == Activation.Linear ? layerOutput : info.Name + ".conv";
        graph.Message(GraphProto.Node, Node("Conv", info.Name + ".conv", inputs, preActivation, WindowAttributes(info)));
        foreach (var node in ActivationNodes(info, preActivation, layerOutput)) graph.Message(GraphProto.Node, node);
        return new Value(layerOutput, ChannelsFirstDimensions(info.OutputShape), ChannelsFirst: true);
    }

    /// <summary>
    /// output[batch, c, outH, outW] = the largest value or the mean of each window of input[batch, c, h, w]; padded
    /// cells are never the largest and never counted in a mean (<c>count_include_pad = 0</c>), as in Keras.
    /// </summary>
    private static Value PoolingNodes(ProtoWriter graph, LayerInfo info, Value input, string layerOutput)
    {
        var node = info.Kind == LayerKind.MaxPooling2D
            ? Node("MaxPool", info.Name + ".pool", [input.Name], layerOutput, WindowAttributes(info))
            : Node("AveragePool", info.Name + ".pool", [input.Name], layerOutput, [.. WindowAttributes(info), IntAttribute("count_include_pad", 0)]);
        graph.Message(GraphProto.Node, node);
        return new Value(layerOutput, ChannelsFirstDimensions(info.OutputShape), ChannelsFirst: true);
    }

    /// <summary>output[batch, c] = the mean or the largest value of each channel of input[batch, c, h, w].</summary>
    private static Value GlobalPoolingNodes(ProtoWriter graph, LayerInfo info, Value input, string layerOutput)
    {
        var pooled = info.Name + ".pool";
        var op = info.Kind == LayerKind.GlobalMaxPooling2D ? "GlobalMaxPool" : "GlobalAveragePool";
        graph.Message(GraphProto.Node, Node(op, pooled, [input.Name], pooled));
        // [batch, c, 1, 1] → [batch, c]: with one pixel, channels first and channels last are the same order.
        graph.Message(GraphProto.Node, Node("Flatten", info.Name + ".flatten", [pooled], layerOutput, IntAttribute("axis", 1)));
        return new Value(layerOutput, [info.OutputShape.Channels], ChannelsFirst: false);
    }

    /// <summary>
    /// output = gamma[c] · (input − movingMean[c]) / sqrt(movingVariance[c] + epsilon) + beta[c], then the activation,
    /// for the channel c on axis 1 of <paramref name="input"/>; the output keeps the input's order and dimensions.
    /// </summary>
    private static Value BatchNormalizationNodes(ProtoWriter graph, SequentialModel model, DenseLayer layer, Value input, string layerOutput)
    {
        var info = layer.Info;
        long channels = info.OutputShape.Channels;
        graph.Message(GraphProto.Initializer, FloatTensor(info.WeightsTensorName, [channels], layer.Weights));
        graph.Message(GraphProto.Initializer, FloatTensor(info.BiasTensorName, [channels], layer.Bias));
        string[] inputs = [input.Name, info.WeightsTensorName, info.BiasTensorName];
        // The moving mean, then the moving variance: the order of ONNX's input_mean and input_var.
        foreach (var state in info.StateTensors)
        {
            graph.Message(GraphProto.Initializer, FloatTensor(state.Name, [channels], model.NonTrainableWeights.Slice(state.Offset, state.Length)));
            inputs = [.. inputs, state.Name];
        }

        var preActivation = info.Activation == Activation.Linear ? layerOutput : info.Name + ".batchnorm";
        graph.Message(GraphProto.Node, Node("BatchNormalization", info.Name + ".batchnorm", inputs, preActivation, FloatAttribute("epsilon", info.Epsilon)));
        foreach (var node in ActivationNodes(info, preActivation, layerOutput)) graph.Message(GraphProto.Node, node);
        return input with { Name = layerOutput };
    }

    /// <summary>
    /// Keras's Normalization, <c>(input − mean[c]) / max(√variance[c], ε)</c> for the feature c on the last axis of
    /// DeepGen's order (axis 1 of a channels-first value): <c>Sub</c>, then <c>Div</c> by <c>Max(Sqrt(variance), ε)</c>,
    /// the statistics from <see cref="SequentialModel.NonTrainableWeights"/> as initializers <c>{Name}.mean</c> and
    /// <c>{Name}.variance</c> (<c>[c]</c>, or <c>[c, 1, 1]</c> against a channels-first image) and ε = 1e-7 as
    /// <c>{Name}.epsilon</c>. The output keeps the input's order and dimensions.
    /// </summary>
    /// <exception cref="InvalidOperationException">The layer was never adapted: the export would serve unscaled inputs.</exception>
    private static Value NormalizationNodes(ProtoWriter graph, SequentialModel model, DenseLayer layer, Value current, string layerOutput)
    {
        var info = layer.Info;
        if (!layer.IsAdapted)
            throw new InvalidOperationException(
                $"Normalization layer '{info.Name}' of '{model.Architecture.ModelName}' has not been adapted, so the exported model would use the wrong scaling. Call Adapt (or Load weights saved after it) before exporting.");
        var input = current.ChannelsFirst ? current : ToChannelsLast(graph, current, Dimensions(info.InputShape), info.Name + ".input");
        long channels = info.OutputShape.Channels;
        long[] dims = input.ChannelsFirst ? [channels, 1, 1] : [channels];
        var (meanName, varianceName, epsilonName) = (info.Name + ".mean", info.Name + ".variance", info.Name + ".epsilon");
        var state = model.NonTrainableWeights.Slice(info.StateOffset);
        graph.Message(GraphProto.Initializer, FloatTensor(meanName, dims, state.Slice(0, (int)channels)));
        graph.Message(GraphProto.Initializer, FloatTensor(varianceName, dims, state.Slice((int)channels, (int)channels)));
        graph.Message(GraphProto.Initializer, FloatTensor(epsilonName, [], [Cpu.NormalizationKernels.Epsilon]));
        graph.Message(GraphProto.Node, Node("Sub", info.Name + ".centered", [input.Name, meanName], info.Name + ".centered"));
        graph.Message(GraphProto.Node, Node("Sqrt", info.Name + ".sqrt", [varianceName], info.Name + ".sqrt"));
        graph.Message(GraphProto.Node, Node("Max", info.Name + ".stddev", [info.Name + ".sqrt", epsilonName], info.Name + ".stddev"));
        graph.Message(GraphProto.Node, Node("Div", info.Name + ".divide", [info.Name + ".centered", info.Name + ".stddev"], layerOutput));
        return input with { Name = layerOutput };
    }

    /// <summary>
    /// <paramref name="value"/>, of the per-sample <paramref name="shape"/>, with its last (channel) axis on axis 1,
    /// the axis ONNX's <c>BatchNormalization</c> normalizes: a vector as it is, an image channels first, a matrix
    /// <c>[rows, columns]</c> as the image <c>(1, rows, columns)</c> channels first, <c>[batch, columns, 1, rows]</c>.
    /// </summary>
    private static Value WithChannelsOnAxisOne(ProtoWriter graph, Value value, TensorShape shape, string layerName) => shape.Rank switch
    {
        1 => ToChannelsLast(graph, value, [shape.Channels], layerName + ".input"),
        3 => ToChannelsFirst(graph, value, shape, layerName),
        _ => ToChannelsFirst(graph, value, new TensorShape(1, shape[0], shape[1]), layerName),
    };

    /// <summary>
    /// Kernel, strides and explicit pads (<c>[top, left, bottom, right]</c>) of a convolution or pooling window.
    /// Same padding follows TensorFlow: the total is <c>max((out - 1) · stride + kernel - in, 0)</c>, half of it before
    /// (rounded down), the rest after. ONNX's <c>auto_pad = SAME_UPPER</c> is specified to put the odd cell after as
    /// well, but explicit pads need no reader (or runtime) to interpret it; the tests check them against DeepGen.
    /// </summary>
    private static ProtoWriter[] WindowAttributes(LayerInfo info)
    {
        var (top, bottom) = Pads(info.InputShape.Height, info.OutputShape.Height, info);
        var (left, right) = Pads(info.InputShape.Width, info.OutputShape.Width, info);
        return
        [
            IntsAttribute("kernel_shape", info.KernelSize, info.KernelSize),
            IntsAttribute("strides", info.Strides, info.Strides),
            IntsAttribute("pads", top, left, bottom, right),
        ];
    }

    private static (long Before, long After) Pads(int input, int output, LayerInfo info)
    {
        if (info.Padding != Padding.Same) return (0, 0);
        var total = Math.Max((output - 1) * info.Strides + info.KernelSize - input, 0);
        return (total / 2, total - total / 2);
    }

    /// <summary>
    /// <paramref name="value"/> as channels first, <c>[batch, channels, height, width]</c> for the per-sample
    /// <paramref name="shape"/> (height, width, channels): reshaped to that shape channels last if it is not already,
    /// then transposed.
    /// </summary>
    private static Value ToChannelsFirst(ProtoWriter graph, Value value, TensorShape shape, string layerName)
    {
        if (value.ChannelsFirst) return value;
        var channelsLast = ToChannelsLast(graph, value, Dimensions(shape), layerName + ".nhwc");
        var transposed = layerName + ".nchw";
        graph.Message(GraphProto.Node, Node("Transpose", transposed, [channelsLast.Name], transposed, IntsAttribute("perm", 0, 3, 1, 2)));
        return new Value(transposed, ChannelsFirstDimensions(shape), ChannelsFirst: true);
    }

    /// <summary>
    /// <paramref name="value"/> in DeepGen's order with exactly <paramref name="dimensions"/> after the batch, named
    /// <paramref name="name"/> where a node is needed: transposed back to channels last if it is channels first, then
    /// reshaped if its dimensions differ. Returned unchanged where it already is so.
    /// </summary>
    private static Value ToChannelsLast(ProtoWriter graph, Value value, long[] dimensions, string name)
    {
        var current = value;
        var reshape = !dimensions.SequenceEqual(value.ChannelsFirst ? [value.Dimensions[1], value.Dimensions[2], value.Dimensions[0]] : value.Dimensions);
        if (value.ChannelsFirst)
        {
            var transposed = reshape ? name + ".nhwc" : name;
            graph.Message(GraphProto.Node, Node("Transpose", transposed, [value.Name], transposed, IntsAttribute("perm", 0, 2, 3, 1)));
            current = new Value(transposed, [value.Dimensions[1], value.Dimensions[2], value.Dimensions[0]], ChannelsFirst: false);
        }

        if (!reshape) return current;
        // 0 keeps the input's batch dimension, whatever its size (Reshape's allowzero is 0 by default).
        var shapeName = name + ".shape";
        graph.Message(GraphProto.Initializer, Int64Tensor(shapeName, [0, .. dimensions]));
        graph.Message(GraphProto.Node, Node("Reshape", name, [current.Name, shapeName], name));
        return new Value(name, dimensions, ChannelsFirst: false);
    }

    private static long[] Dimensions(TensorShape shape) => [.. shape.ToArray().Select(d => (long)d)];

    private static long[] ChannelsFirstDimensions(TensorShape shape) => [shape.Channels, shape.Height, shape.Width];

    /// <summary>The nodes of the layer's activation, each with the constants DeepGen's kernels use.</summary>
    private static ProtoWriter[] ActivationNodes(LayerInfo layer, string input, string output)
    {
        var name = layer.Name + "." + layer.Activation.ToString().ToLowerInvariant();
        return layer.Activation switch
        {
            Activation.Linear => [],
            Activation.Sigmoid => [Node("Sigmoid", name, [input], output)],
            Activation.Relu => [Node("Relu", name, [input], output)],
            Activation.Tanh => [Node("Tanh", name, [input], output)],
            // DeepGen's softmax normalises each sample's outputs: the last axis of [batch, units].
            Activation.Softmax => [Node("Softmax", name, [input], output, IntAttribute("axis", -1))],
            Activation.LeakyRelu => [Node("LeakyRelu", name, [input], output, FloatAttribute("alpha", Cpu.LeakyReluActivation.NegativeSlope))],
            Activation.Elu => [Node("Elu", name, [input], output, FloatAttribute("alpha", 1f))],
            Activation.Selu => [Node("Selu", name, [input], output,
                FloatAttribute("alpha", Cpu.SeluActivation.Alpha), FloatAttribute("gamma", Cpu.SeluActivation.Scale))],
            Activation.Softplus => [Node("Softplus", name, [input], output)],
            // Keras 3: relu6(x + 3) / 6 = clip(x / 6 + 1/2, 0, 1), ONNX's HardSigmoid with alpha 1/6 and beta 1/2.
            Activation.HardSigmoid => [Node("HardSigmoid", name, [input], output, FloatAttribute("alpha", 1f / 6f), FloatAttribute("beta", 0.5f))],
            // swish(x) = x · sigmoid(x): opset 13 has no single operator for it.
            Activation.Swish => [Node("Sigmoid", name + ".sigmoid", [input], name + ".gate"), Node("Mul", name, [input, name + ".gate"], output)],
            _ => throw new NotSupportedException(
                $"Layer '{layer.Name}' uses activation {layer.Activation}, which has no ONNX opset {Opset} export yet (GELU is an operator only from opset 20)."),
        };
    }

    private static ProtoWriter IntAttribute(string name, long value) =>
        new ProtoWriter().String(AttributeProto.Name, name).Int64(AttributeProto.I, value).Int32(AttributeProto.Type, AttributeProto.TypeInt);

    private static ProtoWriter IntsAttribute(string name, params long[] values)
    {
        var attribute = new ProtoWriter().String(AttributeProto.Name, name);
        foreach (var value in values) attribute.Int64(AttributeProto.Ints, value);
        return attribute.Int32(AttributeProto.Type, AttributeProto.TypeInts);
    }

    private static ProtoWriter FloatAttribute(string name, float value) =>
        new ProtoWriter().String(AttributeProto.Name, name).Float(AttributeProto.F, value).Int32(AttributeProto.Type, AttributeProto.TypeFloat);

    private static ProtoWriter Node(string opType, string name, string[] inputs, string output, params ProtoWriter[] attributes)
    {
        var node = new ProtoWriter();
        foreach (var input in inputs) node.String(NodeProto.Input, input);
        node.String(NodeProto.Output, output).String(NodeProto.Name, name).String(NodeProto.OpType, opType);
        foreach (var attribute in attributes) node.Message(NodeProto.Attribute, attribute);
        return node;
    }

    private static ProtoWriter FloatTensor(string name, long[] dims, ReadOnlySpan<float> values)
    {
        var tensor = new ProtoWriter();
        foreach (var dim in dims) tensor.Int64(TensorProto.Dims, dim);
        // raw_data is little-endian IEEE 754, as .NET floats are on every platform checked above.
        return tensor.Int32(TensorProto.DataType, TensorProto.Float)
            .String(TensorProto.Name, name)
            .Bytes(TensorProto.RawData, MemoryMarshal.AsBytes(values));
    }

    /// <summary>A 1-D int64 tensor, such as the shape operand of a <c>Reshape</c>.</summary>
    private static ProtoWriter Int64Tensor(string name, long[] values) =>
        new ProtoWriter()
            .Int64(TensorProto.Dims, values.Length)
            .Int32(TensorProto.DataType, TensorProto.Int64)
            .String(TensorProto.Name, name)
            .Bytes(TensorProto.RawData, MemoryMarshal.AsBytes(values.AsSpan()));

    /// <summary>A float32 <c>[batch, columns]</c> value, the batch dimension symbolic.</summary>
    private static ProtoWriter FloatMatrixValueInfo(string name, int columns)
    {
        var shape = new ProtoWriter()
            .Message(TensorShapeProto.Dim, new ProtoWriter().String(TensorShapeProto.Dimension.DimParam, BatchDimension))
            .Message(TensorShapeProto.Dim, new ProtoWriter().Int64(TensorShapeProto.Dimension.DimValue, columns));
        var tensorType = new ProtoWriter().Int32(TypeProto.Tensor.ElemType, TensorProto.Float).Message(TypeProto.Tensor.Shape, shape);
        return new ProtoWriter()
            .String(ValueInfoProto.Name, name)
            .Message(ValueInfoProto.Type, new ProtoWriter().Message(TypeProto.TensorType, tensorType));
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
