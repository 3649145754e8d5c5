using System.Runtime.InteropServices;
using Google.Protobuf;

namespace DeepGen.Benchmarks;

/// <summary>
/// Writes a DeepGen model as an ONNX model (protobuf bytes), so ONNX Runtime can run the same network with the same
/// weights. Each dense layer becomes <c>MatMul → Add → activation</c> (opset 13); the weights go in as initializers
/// in <c>[inputs, units]</c> layout, which is exactly DeepGen's parameter layout, so they are copied as they are.
/// The input is float32 <c>"x"</c> of shape <c>[batch, inputs]</c> with a symbolic batch dimension; the output is
/// <c>"y"</c>, <c>[batch, units]</c>.
/// </summary>
/// <remarks>
/// Encoded field by field with <see cref="CodedOutputStream"/>, with field numbers from onnx.proto (ModelProto,
/// GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto, TypeProto, TensorShapeProto,
/// OperatorSetIdProto), so no generated ONNX classes are needed.
/// </remarks>
public static class OnnxExport
{
    public const string InputName = "x";
    public const string OutputName = "y";
    public const long IrVersion = 8;
    public const long Opset = 13;

    // onnx.proto field numbers.
    private static class ModelProto { public const int IrVersion = 1, ProducerName = 2, ProducerVersion = 3, Graph = 7, OpsetImport = 8; }
    private static class OperatorSetIdProto { public const int Domain = 1, Version = 2; }
    private static class GraphProto { public const int Node = 1, Name = 2, Initializer = 5, Input = 11, Output = 12; }
    private static class NodeProto { public const int Input = 1, Output = 2, Name = 3, OpType = 4, Attribute = 5; }
    private static class AttributeProto { public const int Name = 1, I = 3, Type = 20; public const int TypeInt = 2; }
    private static class TensorProto { public const int Dims = 1, DataType = 2, Name = 8, RawData = 9; public const int Float = 1; }
    private static class ValueInfoProto { public const int Name = 1, Type = 2; }
    private static class TypeProto { public const int TensorType = 1; }
    private static class TypeProtoTensor { public const int ElemType = 1, Shape = 2; }
    private static class TensorShapeProto { public const int Dim = 1; }
    private static class Dimension { public const int DimValue = 1, DimParam = 2; }

    /// <summary>The ONNX model of <paramref name="model"/> with its current weights.</summary>
    public static byte[] ToOnnx(SequentialModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var architecture = model.Architecture;
        var graph = new ProtoWriter().String(GraphProto.Name, architecture.ModelName);
        var current = InputName;
        var layers = model.Layers;
        for (var i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            var info = layer.Info;
            var prefix = info.Name;
            var last = i == layers.Count - 1;
            graph.Message(GraphProto.Initializer, FloatTensor(info.WeightsTensorName, [info.Inputs, info.Units], layer.Weights));
            graph.Message(GraphProto.Initializer, FloatTensor(info.BiasTensorName, [info.Units], layer.Bias));

            var product = prefix + ".matmul";
            var sum = prefix + ".add";
            graph.Message(GraphProto.Node, Node("MatMul", product, [current, info.WeightsTensorName], product));
            var output = last && info.Activation == Activation.Linear ? OutputName : sum;
            graph.Message(GraphProto.Node, Node("Add", sum, [product, info.BiasTensorName], output));
            if (info.Activation != Activation.Linear)
            {
                output = last ? OutputName : prefix + ".out";
                var activation = info.Activation switch
                {
                    Activation.Sigmoid => Node("Sigmoid", prefix + ".sigmoid", [sum], output),
                    Activation.Relu => Node("Relu", prefix + ".relu", [sum], output),
                    Activation.Tanh => Node("Tanh", prefix + ".tanh", [sum], output),
                    Activation.Softmax => Node("Softmax", prefix + ".softmax", [sum], output,
                        new ProtoWriter().String(AttributeProto.Name, "axis").Int64(AttributeProto.I, -1)
                            .Int32(AttributeProto.Type, AttributeProto.TypeInt)),
                    _ => throw new NotSupportedException($"No ONNX operator for {info.Activation}."),
                };
                graph.Message(GraphProto.Node, activation);
            }

            current = output;
        }

        graph.Message(GraphProto.Input, FloatMatrixValueInfo(InputName, architecture.InputSize));
        graph.Message(GraphProto.Output, FloatMatrixValueInfo(OutputName, architecture.OutputSize));

        return new ProtoWriter()
            .Int64(ModelProto.IrVersion, IrVersion)
            .String(ModelProto.ProducerName, "DeepGen.Benchmarks")
            .String(ModelProto.ProducerVersion, "1")
            .Message(ModelProto.Graph, graph)
            .Message(ModelProto.OpsetImport, new ProtoWriter().String(OperatorSetIdProto.Domain, "").Int64(OperatorSetIdProto.Version, Opset))
            .ToArray();
    }

    private static ProtoWriter Node(string opType, string name, string[] inputs, string output, ProtoWriter? attribute = null)
    {
        var node = new ProtoWriter();
        foreach (var input in inputs) node.String(NodeProto.Input, input);
        node.String(NodeProto.Output, output).String(NodeProto.Name, name).String(NodeProto.OpType, opType);
        if (attribute is not null) node.Message(NodeProto.Attribute, attribute);
        return node;
    }

    private static ProtoWriter FloatTensor(string name, long[] dims, ReadOnlySpan<float> values)
    {
        var tensor = new ProtoWriter();
        foreach (var dim in dims) tensor.Int64(TensorProto.Dims, dim);
        // raw_data is little-endian IEEE 754, as .NET floats are on every platform DeepGen runs on.
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX raw_data is little-endian.");
        return tensor.Int32(TensorProto.DataType, TensorProto.Float)
            .String(TensorProto.Name, name)
            .Bytes(TensorProto.RawData, MemoryMarshal.AsBytes(values));
    }

    /// <summary>A float32 <c>[batch, columns]</c> value, the batch dimension symbolic.</summary>
    private static ProtoWriter FloatMatrixValueInfo(string name, int columns)
    {
        var shape = new ProtoWriter()
            .Message(TensorShapeProto.Dim, new ProtoWriter().String(Dimension.DimParam, "batch"))
            .Message(TensorShapeProto.Dim, new ProtoWriter().Int64(Dimension.DimValue, columns));
        var tensorType = new ProtoWriter().Int32(TypeProtoTensor.ElemType, TensorProto.Float).Message(TypeProtoTensor.Shape, shape);
        return new ProtoWriter()
            .String(ValueInfoProto.Name, name)
            .Message(ValueInfoProto.Type, new ProtoWriter().Message(TypeProto.TensorType, tensorType));
    }

    /// <summary>One protobuf message being written; nested messages are written whole, then length-prefixed.</summary>
    private sealed class ProtoWriter
    {
        private readonly MemoryStream _stream = new();
        private readonly CodedOutputStream _output;

        public ProtoWriter() => _output = new CodedOutputStream(_stream, leaveOpen: true);

        public ProtoWriter Int64(int field, long value)
        {
            _output.WriteTag(field, WireFormat.WireType.Varint);
            _output.WriteInt64(value);
            return this;
        }

        public ProtoWriter Int32(int field, int value)
        {
            _output.WriteTag(field, WireFormat.WireType.Varint);
            _output.WriteInt32(value);
            return this;
        }

        public ProtoWriter String(int field, string value)
        {
            _output.WriteTag(field, WireFormat.WireType.LengthDelimited);
            _output.WriteString(value);
            return this;
        }

        public ProtoWriter Bytes(int field, ReadOnlySpan<byte> value)
        {
            _output.WriteTag(field, WireFormat.WireType.LengthDelimited);
            _output.WriteBytes(ByteString.CopyFrom(value));
            return this;
        }

        public ProtoWriter Message(int field, ProtoWriter message) => Bytes(field, message.ToArray());

        public byte[] ToArray()
        {
            _output.Flush();
            return _stream.ToArray();
        }
    }
}
