namespace DeepGen.Onnx;

/// <summary>
/// The subset of onnx.proto (the ONNX IR, <c>onnx/onnx.proto</c>) that DeepGen's layers need: message field numbers
/// and enum values, by the names the schema gives them. Messages are written field by field with Google.Protobuf's
/// <c>CodedOutputStream</c>, so no protoc-generated classes (and no copy of the whole schema) are needed.
/// </summary>
/// <remarks>
/// Only what <see cref="OnnxExporter"/> writes and <see cref="BertOnnxWeights"/> reads is here. Field numbers are part of the wire format and never change
/// between ONNX versions, which is what makes a hand-written subset safe.
/// </remarks>
internal static class OnnxSchema
{
    /// <summary><c>message ModelProto</c>.</summary>
    public static class ModelProto
    {
        public const int IrVersion = 1, ProducerName = 2, ProducerVersion = 3, Domain = 4, ModelVersion = 5, DocString = 6, Graph = 7, OpsetImport = 8;
    }

    /// <summary><c>message OperatorSetIdProto</c>.</summary>
    public static class OperatorSetIdProto
    {
        public const int Domain = 1, Version = 2;
    }

    /// <summary><c>message GraphProto</c>.</summary>
    public static class GraphProto
    {
        public const int Node = 1, Name = 2, Initializer = 5, DocString = 10, Input = 11, Output = 12;
    }

    /// <summary><c>message NodeProto</c>.</summary>
    public static class NodeProto
    {
        public const int Input = 1, Output = 2, Name = 3, OpType = 4, Attribute = 5;
    }

    /// <summary><c>message AttributeProto</c> and its <c>AttributeType</c> enum.</summary>
    public static class AttributeProto
    {
        public const int Name = 1, F = 2, I = 3, Ints = 8, Type = 20;
        public const int TypeFloat = 1, TypeInt = 2, TypeInts = 7;
    }

    /// <summary><c>message TensorProto</c> and its <c>DataType</c> enum.</summary>
    public static class TensorProto
    {
        public const int Dims = 1, DataType = 2, Segment = 3, FloatData = 4, Name = 8, RawData = 9, ExternalData = 13, DataLocation = 14;
        public const int Float = 1, Int64 = 7, Float16 = 10, Double = 11, BFloat16 = 16;

        /// <summary><c>enum TensorProto.DataLocation</c>: <c>EXTERNAL</c> means the values are in another file.</summary>
        public const int LocationExternal = 1;
    }

    /// <summary><c>message ValueInfoProto</c>.</summary>
    public static class ValueInfoProto
    {
        public const int Name = 1, Type = 2;
    }

    /// <summary><c>message TypeProto</c>.</summary>
    public static class TypeProto
    {
        public const int TensorType = 1;

        /// <summary><c>message TypeProto.Tensor</c>.</summary>
        public static class Tensor
        {
            public const int ElemType = 1, Shape = 2;
        }
    }

    /// <summary><c>message TensorShapeProto</c>.</summary>
    public static class TensorShapeProto
    {
        public const int Dim = 1;

        /// <summary><c>message TensorShapeProto.Dimension</c>.</summary>
        public static class Dimension
        {
            public const int DimValue = 1, DimParam = 2;
        }
    }
}
