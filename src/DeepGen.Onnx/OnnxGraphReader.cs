using static DeepGen.Onnx.OnnxSchema;

namespace DeepGen.Onnx;

/// <summary>One node of an ONNX graph: what an importer needs to follow values through it.</summary>
/// <param name="Index">Its position in the graph's node list (ONNX requires topological order).</param>
/// <param name="IntAttributes">Its integer attributes (<c>transB</c> of a <c>Gemm</c>, …); others are not read.</param>
internal sealed record OnnxNode(int Index, string Name, string OpType, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs,
    IReadOnlyDictionary<string, long> IntAttributes)
{
    /// <summary>How messages name it: its name, or its operator and first output where the exporter left it unnamed.</summary>
    public string Description => Name.Length > 0
        ? $"{OpType} node '{Name}'"
        : $"{OpType} node #{Index}" + (Outputs.Count > 0 ? $" (output '{Outputs[0]}')" : "");
}

/// <summary>One initializer of an ONNX graph, its values still as the file holds them.</summary>
/// <param name="DataType">The <c>TensorProto.DataType</c> value (1 = float).</param>
/// <param name="Data">
/// Little-endian element bytes: <c>raw_data</c>, or the packed <c>float_data</c> array, which protobuf writes as the
/// same little-endian floats. Empty where the values are elsewhere (see <see cref="UnpackedFloats"/>).
/// </param>
/// <param name="UnpackedFloats"><c>float_data</c> written element by element (legal protobuf, rare in practice).</param>
/// <param name="External">The values live in an external file (<c>data_location = EXTERNAL</c> or <c>external_data</c> given).</param>
/// <param name="Segmented">The tensor is one segment of a larger one (<c>segment</c> given).</param>
internal sealed record OnnxInitializer(string Name, long[] Dims, int DataType, ArraySegment<byte> Data, List<float>? UnpackedFloats,
    bool External, bool Segmented)
{
    public string ShapeText => "[" + string.Join(", ", Dims) + "]";

    public static string TypeName(int dataType) => dataType switch
    {
        TensorProto.Float => "float32",
        TensorProto.Int64 => "int64",
        TensorProto.Float16 => "float16",
        TensorProto.Double => "float64",
        TensorProto.BFloat16 => "bfloat16",
        _ => $"ONNX data type {dataType}",
    };
}

/// <summary>The nodes and initializers of an ONNX model's main graph.</summary>
internal sealed record OnnxGraph(IReadOnlyList<OnnxNode> Nodes, IReadOnlyList<OnnxInitializer> Initializers)
{
    /// <summary>
    /// Parses the <c>ModelProto</c> in <paramref name="model"/>. Only the fields an importer reads are decoded; the rest
    /// (value infos, doc strings, metadata) are skipped without being copied.
    /// </summary>
    public static OnnxGraph Parse(byte[] model)
    {
        ArraySegment<byte>? graph = null;
        var reader = new ProtoReader(model);
        while (reader.Next())
        {
            if (reader.Field == ModelProto.Graph) graph = reader.Bytes();
            else reader.Skip();
        }

        if (graph is null) throw new InvalidDataException("The model has no graph.");
        var nodes = new List<OnnxNode>();
        var initializers = new List<OnnxInitializer>();
        reader = new ProtoReader(graph.Value);
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case GraphProto.Node: nodes.Add(ParseNode(reader.Bytes(), nodes.Count)); break;
                case GraphProto.Initializer: initializers.Add(ParseTensor(reader.Bytes())); break;
                default: reader.Skip(); break;
            }
        }

        return new OnnxGraph(nodes, initializers);
    }

    private static OnnxNode ParseNode(ArraySegment<byte> message, int index)
    {
        var (name, opType) = ("", "");
        var inputs = new List<string>();
        var outputs = new List<string>();
        var attributes = new Dictionary<string, long>(StringComparer.Ordinal);
        var reader = new ProtoReader(message);
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case NodeProto.Input: inputs.Add(reader.String()); break;
                case NodeProto.Output: outputs.Add(reader.String()); break;
                case NodeProto.Name: name = reader.String(); break;
                case NodeProto.OpType: opType = reader.String(); break;
                case NodeProto.Attribute:
                    if (ParseIntAttribute(reader.Bytes()) is var (key, value)) attributes[key] = value;
                    break;
                default: reader.Skip(); break;
            }
        }

        return new OnnxNode(index, name, opType, inputs, outputs, attributes);
    }

    /// <summary>The attribute's name and value where it is an <c>INT</c> attribute; otherwise null.</summary>
    private static (string, long)? ParseIntAttribute(ArraySegment<byte> message)
    {
        string? name = null;
        long? value = null;
        long type = 0;
        var reader = new ProtoReader(message);
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case AttributeProto.Name: name = reader.String(); break;
                case AttributeProto.I: value = reader.Varint(); break;
                case AttributeProto.Type: type = reader.Varint(); break;
                default: reader.Skip(); break;
            }
        }

        // Exporters older than IR 2 leave out `type`; an attribute with an `i` value is then an INT attribute.
        return name is not null && value is { } v && type is 0 or AttributeProto.TypeInt ? (name, v) : null;
    }

    private static OnnxInitializer ParseTensor(ArraySegment<byte> message)
    {
        var dims = new List<long>();
        var (name, dataType, external, segmented) = ("", 0, false, false);
        ArraySegment<byte> data = default, packedFloats = default;
        List<float>? unpacked = null;
        var reader = new ProtoReader(message);
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case TensorProto.Dims: reader.Int64s(dims); break;
                case TensorProto.DataType: dataType = (int)reader.Varint(); break;
                case TensorProto.Name: name = reader.String(); break;
                case TensorProto.RawData: data = reader.Bytes(); break;
                case TensorProto.FloatData when reader.WireType == Google.Protobuf.WireFormat.WireType.LengthDelimited:
                    packedFloats = reader.Bytes();
                    break;
                case TensorProto.FloatData: (unpacked ??= []).Add(reader.Fixed32Float()); break;
                case TensorProto.ExternalData: external = true; reader.Skip(); break;
                case TensorProto.DataLocation: external |= reader.Varint() == TensorProto.LocationExternal; break;
                case TensorProto.Segment: segmented = true; reader.Skip(); break;
                default: reader.Skip(); break;
            }
        }

        return new OnnxInitializer(name, [.. dims], dataType, data.Count > 0 ? data : packedFloats, unpacked, external, segmented);
    }
}
