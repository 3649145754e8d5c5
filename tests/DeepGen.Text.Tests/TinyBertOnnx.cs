using DeepGen.Onnx;
using Google.Protobuf;

namespace DeepGen.Text.Tests;

/// <summary>
/// A small BERT-shaped ONNX graph written the way PyTorch's exporter writes one: named embeddings, biases and LayerNorm
/// parameters, anonymous numbered <c>[in, out]</c> MatMul weights, each MatMul feeding an Add with its named bias. The
/// graph holds only what the weight reader follows (no attention arithmetic), and tests break it on purpose.
/// </summary>
internal sealed class TinyBertOnnx
{
    public const int Hidden = 4, FeedForward = 6, Vocabulary = 11, Positions = 7, TokenTypes = 2;

    public List<Initializer> Initializers { get; } = [];

    public List<Node> Nodes { get; } = [];

    /// <summary>Write each tensor's dims as one packed field (proto3's default) instead of one field per dimension.</summary>
    public bool PackDims { get; init; }

    /// <summary>Distinct values everywhere, so a transposition or a swap shows.</summary>
    private float _next = 0.5f;

    public sealed record Initializer(string Name, long[] Dims, float[] Values)
    {
        public int DataType { get; init; } = 1;

        /// <summary>Write the values as <c>float_data</c> (packed) instead of <c>raw_data</c>.</summary>
        public bool AsFloatData { get; init; }

        /// <summary>Mark the values as external (<c>data_location = EXTERNAL</c>).</summary>
        public bool External { get; init; }
    }

    public sealed record Node(string OpType, string[] Inputs, string[] Outputs, string Name = "", long? TransB = null);

    public static TinyBertOnnx Create(int layers = 2, bool packDims = false)
    {
        var model = new TinyBertOnnx { PackDims = packDims };
        model.Add("embeddings.word_embeddings.weight", Vocabulary, Hidden);
        model.Add("embeddings.position_embeddings.weight", Positions, Hidden);
        model.Add("embeddings.token_type_embeddings.weight", TokenTypes, Hidden);
        model.Add("embeddings.LayerNorm.weight", Hidden);
        model.Add("embeddings.LayerNorm.bias", Hidden);
        model.Initializers.Add(new Initializer("embeddings.position_ids", [1, Positions], new float[Positions]) { DataType = 7 });
        var anonymous = 900;
        for (var layer = 0; layer < layers; layer++)
        {
            var prefix = $"encoder.layer.{layer}.";
            foreach (var (module, inputs, outputs) in new[]
                     {
                         ("attention.self.query", Hidden, Hidden), ("attention.self.key", Hidden, Hidden),
                         ("attention.self.value", Hidden, Hidden), ("attention.output.dense", Hidden, Hidden),
                         ("intermediate.dense", Hidden, FeedForward), ("output.dense", FeedForward, Hidden),
                     })
                model.Linear(prefix + module, (anonymous++).ToString(System.Globalization.CultureInfo.InvariantCulture), inputs, outputs);
            foreach (var norm in new[] { "attention.output.LayerNorm", "output.LayerNorm" })
            {
                model.Add(prefix + norm + ".weight", Hidden);
                model.Add(prefix + norm + ".bias", Hidden);
            }
        }

        return model;
    }

    public Initializer Add(string name, params long[] dims)
    {
        var count = (int)dims.Aggregate(1L, (a, d) => a * d);
        var values = new float[count];
        for (var i = 0; i < count; i++) values[i] = _next += 0.25f;
        var initializer = new Initializer(name, dims, values);
        Initializers.Add(initializer);
        return initializer;
    }

    /// <summary><c>MatMul(x, W) + b</c> with <c>W</c> anonymous, <c>[in, out]</c>, as the exporter writes <c>nn.Linear</c>.</summary>
    public void Linear(string module, string weightName, int inputs, int outputs)
    {
        Add(weightName, inputs, outputs);
        Add(module + ".bias", outputs);
        var product = "p" + weightName;
        Nodes.Add(new Node("MatMul", ["x", weightName], [product], "MatMul_" + weightName));
        // The exporter puts the bias first; the reader must take either order.
        Nodes.Add(new Node("Add", [module + ".bias", product], ["y" + weightName], "Add_" + weightName));
    }

    public Initializer this[string name] => Initializers.Single(i => i.Name == name);

    public void Replace(string name, Func<Initializer, Initializer> change)
    {
        var index = Initializers.FindIndex(i => i.Name == name);
        Initializers[index] = change(Initializers[index]);
    }

    public MemoryStream ToStream() => new(ToOnnx());

    public byte[] ToOnnx()
    {
        var graph = new ProtoWriter();
        foreach (var node in Nodes)
        {
            var n = new ProtoWriter();
            foreach (var input in node.Inputs) n.String(1, input);
            foreach (var output in node.Outputs) n.String(2, output);
            if (node.Name.Length > 0) n.String(3, node.Name);
            n.String(4, node.OpType);
            if (node.TransB is { } transB) n.Message(5, new ProtoWriter().String(1, "transB").Int64(3, transB).Int64(20, 2));
            graph.Message(1, n);
        }

        graph.String(2, "tiny-bert");
        foreach (var initializer in Initializers)
        {
            var t = new ProtoWriter();
            if (PackDims) t.Bytes(1, Packed(initializer.Dims));
            else foreach (var d in initializer.Dims) t.Int64(1, d);
            t.Int64(2, initializer.DataType);
            t.String(8, initializer.Name);
            var bytes = initializer.DataType == 7
                ? initializer.Values.SelectMany(v => BitConverter.GetBytes((long)v)).ToArray()
                : initializer.Values.SelectMany(BitConverter.GetBytes).ToArray();
            if (initializer.External)
            {
                t.Message(13, new ProtoWriter().String(1, "location").String(2, "weights.bin"));
                t.Int64(14, 1);
            }
            else if (initializer.AsFloatData) t.Bytes(4, bytes);
            else t.Bytes(9, bytes);
            graph.Message(5, t);
        }

        return new ProtoWriter().Int64(1, 7).String(2, "pytorch").Message(7, graph).Message(8, new ProtoWriter().Int64(2, 13)).ToArray();
    }

    private static byte[] Packed(long[] values)
    {
        var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        foreach (var value in values) output.WriteInt64(value);
        output.Flush();
        return stream.ToArray();
    }
}
