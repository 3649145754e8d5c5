using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using DeepGen.Serialization;
using static DeepGen.Onnx.OnnxSchema;

namespace DeepGen.Onnx;

/// <summary>
/// Reads the weights of a BERT encoder exported to ONNX from PyTorch (Hugging Face's <c>BertModel</c>, as in the
/// all-MiniLM-L6-v2 <c>model.onnx</c>) and returns them as the Hugging Face state dict would hold them: the same
/// names (<c>embeddings.word_embeddings.weight</c>, <c>encoder.layer.0.attention.self.query.weight</c>, …) and
/// PyTorch's layout, so one loader takes both this and <c>HuggingFaceSafeTensors.Read</c>.
/// </summary>
/// <remarks>
/// <para>
/// The PyTorch exporter keeps the names of the tensors that go into the graph as they are (biases, embeddings,
/// LayerNorm parameters), but it folds each <c>nn.Linear</c>'s transposition into the weight: the graph computes
/// <c>MatMul(x, W) + b</c> with <c>W</c> an anonymous initializer (<c>927</c>) already in <c>[in, out]</c> layout.
/// Such a weight is named by following the graph: the <c>MatMul</c> that takes it as its second input feeds an
/// <c>Add</c> whose other input is a named bias, <c>encoder.layer.0.attention.self.query.bias</c>, so the weight is
/// <c>encoder.layer.0.attention.self.query.weight</c>. It is transposed back to PyTorch's <c>[out, in]</c>. A
/// <c>Gemm</c>'s weight (the pooler's) is named by its bias input the same way and transposed unless the node says
/// <c>transB = 1</c>, in which case it is stored as <c>[out, in]</c> already.
/// </para>
/// <para>
/// What comes back: every float32 parameter of the encoder, and the pooler's (<c>pooler.dense.weight</c> and
/// <c>.bias</c>) where the graph has them, since Hugging Face's state dict has them too. Integer initializers
/// (shape constants, <c>embeddings.position_ids</c>) and float scalars (constants of the graph's arithmetic) are
/// part of the computation, not weights, and are left out. A leading <c>bert.</c> (a task model's encoder) is
/// removed from every name.
/// </para>
/// <para>
/// Checked before anything is returned, each failure an <see cref="InvalidModelFileException"/> naming the
/// initializer, and the node where one is involved: a linear weight whose name cannot be found from the graph, two
/// initializers with the same parameter name, a float initializer that is no BERT parameter, a parameter that is
/// not float32, values kept in an external file (not read here), a missing parameter of some layer, and any shape
/// that does not fit the rest (a weight against its bias, each against the hidden size of the word embeddings).
/// </para>
/// </remarks>
public static partial class BertOnnxWeights
{
    private const string WeightSuffix = ".weight";
    private const string BiasSuffix = ".bias";
    private const string TaskModelPrefix = "bert.";

    /// <summary>The weights of the BERT model in the ONNX file at <paramref name="path"/>; see <see cref="BertOnnxWeights"/>.</summary>
    /// <exception cref="InvalidModelFileException">The file is no ONNX model of a BERT encoder; the message names the tensor and node.</exception>
    public static IReadOnlyDictionary<string, NamedTensor> Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = File.OpenRead(path);
        return Read(stream, $"'{path}'");
    }

    /// <summary>The weights of the BERT model in an ONNX stream, read from its position to its end; see <see cref="BertOnnxWeights"/>.</summary>
    /// <exception cref="InvalidModelFileException">The bytes are no ONNX model of a BERT encoder; the message names the tensor and node.</exception>
    public static IReadOnlyDictionary<string, NamedTensor> Read(Stream onnx) => Read(onnx, "the ONNX model");

    private static IReadOnlyDictionary<string, NamedTensor> Read(Stream onnx, string source)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("ONNX tensor data is little-endian; this machine is not.");
        OnnxGraph graph;
        try
        {
            graph = OnnxGraph.Parse(ReadAll(onnx, source));
        }
        catch (InvalidDataException e)
        {
            throw new InvalidModelFileException($"{source} is not a valid ONNX model: {e.Message}", e);
        }

        return new Importer(graph, source).Run();
    }

    private static byte[] ReadAll(Stream stream, string source)
    {
        if (stream.CanSeek)
        {
            var remaining = stream.Length - stream.Position;
            if (remaining > Array.MaxLength)
                throw new InvalidModelFileException($"{source} holds {remaining:N0} bytes; a single ONNX protobuf holds at most 2 GB (larger models keep their weights as external data, which is not read here).");
            var bytes = new byte[remaining];
            stream.ReadExactly(bytes);
            return bytes;
        }

        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>The parameter names of Hugging Face's <c>BertModel</c>, after a <c>bert.</c> prefix is removed.</summary>
    [GeneratedRegex(@"^(?:embeddings\.(?:word_embeddings|position_embeddings|token_type_embeddings)\.weight" +
                    @"|embeddings\.LayerNorm\.(?:weight|bias)" +
                    @"|encoder\.layer\.(?<layer>0|[1-9][0-9]{0,4})\.(?:attention\.self\.(?:query|key|value)|attention\.output\.dense|attention\.output\.LayerNorm|intermediate\.dense|output\.dense|output\.LayerNorm)\.(?:weight|bias)" +
                    @"|pooler\.dense\.(?:weight|bias))$", RegexOptions.CultureInvariant)]
    private static partial Regex BertParameterName();

    /// <summary>The name with a task model's <c>bert.</c> removed, where it is a BERT parameter's; otherwise null.</summary>
    private static string? ParameterName(string name)
    {
        var stripped = name.StartsWith(TaskModelPrefix, StringComparison.Ordinal) ? name[TaskModelPrefix.Length..] : name;
        return BertParameterName().IsMatch(stripped) ? stripped : null;
    }

    /// <summary>One import: the graph's indexes and what has been named so far.</summary>
    private sealed class Importer(OnnxGraph graph, string source)
    {
        private readonly Dictionary<string, OnnxInitializer> _initializers = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<(OnnxNode Node, int Input)>> _consumers = new(StringComparer.Ordinal);
        private readonly Dictionary<string, NamedTensor> _weights = new(StringComparer.Ordinal);
        // For messages: which initializer each parameter came from.
        private readonly Dictionary<string, OnnxInitializer> _origins = new(StringComparer.Ordinal);

        public IReadOnlyDictionary<string, NamedTensor> Run()
        {
            foreach (var initializer in graph.Initializers)
                if (!_initializers.TryAdd(initializer.Name, initializer))
                    throw Invalid($"two initializers are named '{initializer.Name}'");
            foreach (var node in graph.Nodes)
                for (var i = 0; i < node.Inputs.Count; i++)
                {
                    if (!_consumers.TryGetValue(node.Inputs[i], out var list)) _consumers[node.Inputs[i]] = list = [];
                    list.Add((node, i));
                }

            foreach (var initializer in graph.Initializers) Import(initializer);
            CheckComplete();
            CheckShapes();
            return _weights;
        }

        private void Import(OnnxInitializer initializer)
        {
            var uses = _consumers.GetValueOrDefault(initializer.Name) ?? [];
            var linear = uses.FirstOrDefault(u => u.Input == 1 && u.Node.OpType is "MatMul" or "Gemm");
            var ownName = ParameterName(initializer.Name);
            if (linear.Node is { } node)
            {
                var (name, transpose) = LinearWeight(initializer, node, ownName);
                Add(name, initializer, transpose);
                return;
            }

            if (ownName is not null)
            {
                Add(ownName, initializer, transpose: false);
                return;
            }

            // Not a parameter: integer constants (shapes, indices, position ids) and float scalars belong to the
            // graph's arithmetic. A larger float tensor under an unknown name is a weight this reader would drop.
            if (initializer.DataType != TensorProto.Float || ElementCount(initializer) <= 1) return;
            var user = uses.Count > 0 ? $", used by {uses[0].Node.Description}" : ", used by no node";
            throw Invalid($"initializer '{initializer.Name}' {initializer.ShapeText}{user}, is no parameter of a BERT encoder (neither a Hugging Face BERT name nor the weight of a MatMul or Gemm)");
        }

        /// <summary>The Hugging Face name of a MatMul's or Gemm's weight, and whether it must be transposed to <c>[out, in]</c>.</summary>
        private (string Name, bool Transpose) LinearWeight(OnnxInitializer initializer, OnnxNode node, string? ownName)
        {
            if (initializer.Dims.Length != 2)
                throw Invalid($"initializer '{initializer.Name}' {initializer.ShapeText} is the weight of {node.Description} but is not a matrix");
            var bias = node.OpType == "Gemm" ? GemmBias(node) : MatMulBias(initializer, node);
            var transpose = node.OpType == "MatMul" || node.IntAttributes.GetValueOrDefault("transB") == 0;
            if (bias is null)
            {
                if (ownName is not null && ownName.EndsWith(WeightSuffix, StringComparison.Ordinal)) return (ownName, transpose);
                throw Invalid($"initializer '{initializer.Name}' {initializer.ShapeText} is the weight of {node.Description}, but no Add takes that node's output together with a named bias, so it cannot be named");
            }

            var derived = bias[..^BiasSuffix.Length] + WeightSuffix;
            if (ownName is not null && ownName != derived)
                throw Invalid($"initializer '{initializer.Name}' is the weight of {node.Description}, whose bias is '{bias}', so it should be '{derived}'");
            return (derived, transpose);
        }

        /// <summary>The parameter name of the bias added to the MatMul's output; null where there is none.</summary>
        private string? MatMulBias(OnnxInitializer initializer, OnnxNode node)
        {
            string? found = null;
            foreach (var output in node.Outputs)
            foreach (var (consumer, input) in _consumers.GetValueOrDefault(output) ?? [])
            {
                if (consumer.OpType != "Add" || consumer.Inputs.Count != 2) continue;
                var other = consumer.Inputs[1 - input];
                if (!_initializers.ContainsKey(other) || ParameterName(other) is not { } bias || !bias.EndsWith(BiasSuffix, StringComparison.Ordinal))
                    continue;
                if (found is not null && found != bias)
                    throw Invalid($"initializer '{initializer.Name}' is the weight of {node.Description}, whose output is added to two biases, '{found}' and '{bias}'");
                found = bias;
            }

            return found;
        }

        private string? GemmBias(OnnxNode node) =>
            node.Inputs.Count > 2 && _initializers.ContainsKey(node.Inputs[2]) && ParameterName(node.Inputs[2]) is { } bias &&
            bias.EndsWith(BiasSuffix, StringComparison.Ordinal)
                ? bias
                : null;

        private void Add(string name, OnnxInitializer initializer, bool transpose)
        {
            if (_origins.TryGetValue(name, out var first))
                throw Invalid($"initializers '{first.Name}' and '{initializer.Name}' are both '{name}'");
            var values = Values(initializer, name);
            var shape = initializer.Dims.Select(d => (int)d).ToArray();
            if (transpose)
            {
                values = Transposed(values, shape[0], shape[1]);
                shape = [shape[1], shape[0]];
            }

            _weights[name] = new NamedTensor(name, shape, values);
            _origins[name] = initializer;
        }

        /// <summary>The values of a float32 initializer, row-major in its own shape.</summary>
        private float[] Values(OnnxInitializer initializer, string name)
        {
            var what = initializer.Name == name ? $"'{name}'" : $"'{name}' (initializer '{initializer.Name}')";
            if (initializer.External)
                throw Invalid($"{what} keeps its values in an external data file, which is not read here; save the model with its weights inside (onnx.save_model(model, path, save_as_external_data=False))");
            if (initializer.Segmented) throw Invalid($"{what} is stored in segments, which are not read here");
            if (initializer.DataType != TensorProto.Float)
                throw Invalid($"{what} is {OnnxInitializer.TypeName(initializer.DataType)}; only float32 weights are read");
            var count = ElementCount(initializer);
            if (count > Array.MaxLength) throw Invalid($"{what} has shape {initializer.ShapeText}, too large to hold");
            var values = new float[count];
            if (initializer.UnpackedFloats is { } unpacked && initializer.Data.Count == 0)
            {
                if (unpacked.Count != count)
                    throw Invalid($"{what} has shape {initializer.ShapeText} ({count:N0} values) but holds {unpacked.Count:N0} values");
                unpacked.CopyTo(values);
                return values;
            }

            if (initializer.Data.Count != count * sizeof(float))
                throw Invalid($"{what} has shape {initializer.ShapeText} ({count:N0} values) but holds {initializer.Data.Count / (double)sizeof(float):N0} values");
            MemoryMarshal.Cast<byte, float>(initializer.Data.AsSpan()).CopyTo(values);
            return values;
        }

        /// <summary>The number of values the shape holds; <see cref="long.MaxValue"/> where a dimension is negative or the count passes any array's size.</summary>
        private static long ElementCount(OnnxInitializer initializer)
        {
            if (initializer.Dims.Contains(0)) return 0;
            long count = 1;
            foreach (var d in initializer.Dims)
            {
                if (d < 0 || d > Array.MaxLength / count) return long.MaxValue;
                count *= d;
            }

            return count;
        }

        private static float[] Transposed(float[] values, int rows, int columns)
        {
            var result = new float[values.Length];
            for (var r = 0; r < rows; r++)
            {
                var row = values.AsSpan(r * columns, columns);
                for (var c = 0; c < columns; c++) result[c * rows + r] = row[c];
            }

            return result;
        }

        /// <summary>Every layer from 0 to the highest present has all its parameters, and so do the embeddings.</summary>
        private void CheckComplete()
        {
            _layers = _weights.Keys.Select(k => BertParameterName().Match(k).Groups["layer"])
                .Where(g => g.Success).Select(g => int.Parse(g.Value, System.Globalization.CultureInfo.InvariantCulture) + 1)
                .DefaultIfEmpty(0).Max();
            _pooler = _weights.ContainsKey("pooler.dense.weight") || _weights.ContainsKey("pooler.dense.bias");
            var missing = ExpectedNames(_layers, _pooler).Where(n => !_weights.ContainsKey(n)).ToList();
            if (missing.Count > 0)
                throw Invalid($"{missing.Count} parameter(s) of a {_layers}-layer BERT encoder are missing: {string.Join(", ", missing.Take(8).Select(n => $"'{n}'"))}{(missing.Count > 8 ? ", …" : "")}");
        }

        private int _layers;
        private bool _pooler;

        /// <summary>The shapes agree: each weight with its bias, everything with the hidden size of the word embeddings.</summary>
        private void CheckShapes()
        {
            var hidden = Matrix("embeddings.word_embeddings.weight", rows: null, columns: null)[1];
            Matrix("embeddings.position_embeddings.weight", rows: null, columns: hidden);
            Matrix("embeddings.token_type_embeddings.weight", rows: null, columns: hidden);
            LayerNorm("embeddings.LayerNorm", hidden);
            for (var layer = 0; layer < _layers; layer++)
            {
                var prefix = $"encoder.layer.{layer}.";
                foreach (var projection in (string[])["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"])
                    Linear(prefix + projection, outputs: hidden, inputs: hidden);
                LayerNorm(prefix + "attention.output.LayerNorm", hidden);
                var feedForward = Linear(prefix + "intermediate.dense", outputs: null, inputs: hidden);
                Linear(prefix + "output.dense", outputs: hidden, inputs: feedForward);
                LayerNorm(prefix + "output.LayerNorm", hidden);
            }

            if (_pooler) Linear("pooler.dense", outputs: hidden, inputs: hidden);
        }

        /// <summary>Checks a linear layer's weight (PyTorch's <c>[out, in]</c>) and its bias <c>[out]</c>; returns <c>out</c>.</summary>
        private int Linear(string module, int? outputs, int inputs)
        {
            var rows = Matrix(module + WeightSuffix, outputs, inputs)[0];
            Check(module + BiasSuffix, [rows]);
            return rows;
        }

        private void LayerNorm(string module, int hidden)
        {
            Check(module + WeightSuffix, [hidden]);
            Check(module + BiasSuffix, [hidden]);
        }

        private int[] Matrix(string name, int? rows, int? columns)
        {
            var shape = _weights[name].Shape;
            Check(name, [rows ?? (shape.Length == 2 ? shape[0] : -1), columns ?? (shape.Length == 2 ? shape[1] : -1)]);
            return shape;
        }

        /// <summary>Throws, naming the tensor and the initializer it came from, unless it has shape <paramref name="expected"/>.</summary>
        private void Check(string name, int[] expected)
        {
            var tensor = _weights[name];
            if (tensor.Shape.AsSpan().SequenceEqual(expected)) return;
            var origin = _origins[name];
            var from = origin.Name == name ? "" : $" (initializer '{origin.Name}', {origin.ShapeText} in the graph)";
            var wanted = "[" + string.Join(", ", expected.Select(d => d < 0 ? "any" : d.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";
            throw Invalid($"'{name}'{from} has shape {tensor.ShapeText} but {wanted} was expected" +
                          (expected.Length == 2 && name.EndsWith(WeightSuffix, StringComparison.Ordinal) && !name.StartsWith("embeddings.", StringComparison.Ordinal)
                              ? " (PyTorch layout, [out, in])"
                              : ""));
        }

        private InvalidModelFileException Invalid(string problem) => new($"{source} is not a BERT encoder DeepGen can read: {problem}.");
    }

    /// <summary>The Hugging Face names of all parameters of a BERT encoder with <paramref name="layers"/> layers.</summary>
    internal static IEnumerable<string> ExpectedNames(int layers, bool pooler)
    {
        yield return "embeddings.word_embeddings.weight";
        yield return "embeddings.position_embeddings.weight";
        yield return "embeddings.token_type_embeddings.weight";
        yield return "embeddings.LayerNorm.weight";
        yield return "embeddings.LayerNorm.bias";
        string[] modules =
        [
            "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
            "attention.output.LayerNorm", "intermediate.dense", "output.dense", "output.LayerNorm",
        ];
        for (var layer = 0; layer < layers; layer++)
            foreach (var module in modules)
            {
                yield return $"encoder.layer.{layer}.{module}.weight";
                yield return $"encoder.layer.{layer}.{module}.bias";
            }

        if (!pooler) yield break;
        yield return "pooler.dense.weight";
        yield return "pooler.dense.bias";
    }
}
