using System.Runtime.InteropServices;
using static DeepGen.Onnx.OnnxSchema;

namespace DeepGen.Onnx;

/// <summary>
/// Writes a DeepGen model as an ONNX model, so ONNX Runtime (or any ONNX consumer) runs the same network with the
/// same weights. Each dense layer becomes <c>MatMul → Add → activation</c> with standard operators of opset 13; the
/// weights go in as float32 initializers in <c>[inputs, units]</c> layout, which is DeepGen's own parameter layout,
/// so they are copied as they are. The input is <see cref="InputName"/>, float32 <c>[batch, InputSize]</c> with a
/// symbolic batch dimension; the output is <see cref="OutputName"/>, <c>[batch, OutputSize]</c>.
/// </summary>
/// <remarks>
/// Activations map one to one: <see cref="Activation.Linear"/> adds no node, <see cref="Activation.Sigmoid"/>,
/// <see cref="Activation.Relu"/> and <see cref="Activation.Tanh"/> become the operators of the same name, and
/// <see cref="Activation.Softmax"/> becomes <c>Softmax</c> over the last axis (opset 13 semantics: per sample).
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
        var current = InputName;
        var layers = model.Layers;
        for (var i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            var info = layer.Info;
            var last = i == layers.Count - 1;
            graph.Message(GraphProto.Initializer, FloatTensor(info.WeightsTensorName, [info.Inputs, info.Units], layer.Weights));

            // output[batch, units] = activation(input[batch, inputs] · W[inputs, units] + b[units]); a dropout after
            // the layer is the identity at inference, so it adds nothing to the graph.
            var product = info.Name + ".matmul";
            var sum = info.Name + ".add";
            var layerOutput = last ? OutputName : info.Name + ".out";
            var preActivation = info.Activation == Activation.Linear ? layerOutput : sum;
            graph.Message(GraphProto.Node, Node("MatMul", product, [current, info.WeightsTensorName], info.UseBias ? product : preActivation));
            if (info.UseBias)
            {
                graph.Message(GraphProto.Initializer, FloatTensor(info.BiasTensorName, [info.Units], layer.Bias));
                graph.Message(GraphProto.Node, Node("Add", sum, [product, info.BiasTensorName], preActivation));
            }

            foreach (var node in ActivationNodes(info, preActivation, layerOutput)) graph.Message(GraphProto.Node, node);
            current = layerOutput;
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
