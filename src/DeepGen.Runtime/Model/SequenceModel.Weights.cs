using DeepGen.Serialization;
using System.Globalization;

namespace DeepGen;

public abstract partial class SequenceModel
{
    /// <summary>
    /// Tensors a Hugging Face BERT checkpoint may hold that a sentence encoder does not use: the pooler (a dense layer
    /// on the [CLS] token, which mean pooling replaces) and the position-id buffer. Anything else unknown is an error.
    /// </summary>
    private static readonly string[] UnusedBertTensorPrefixes = ["pooler.", "embeddings.position_ids"];

    /// <summary>
    /// Loads a BERT state dict in Hugging Face's names and PyTorch's layout (what a <c>model.safetensors</c> holds,
    /// or what <c>DeepGen.Onnx.BertOnnxWeights</c> reads from an ONNX export): <c>embeddings.word_embeddings.weight</c>,
    /// <c>encoder.layer.N.attention.self.query.weight</c>, …; linear weights <c>[out, in]</c> are transposed into
    /// DeepGen's <c>[in, out]</c>. A leading <c>bert.</c> is ignored.
    /// </summary>
    /// <remarks>
    /// The model must be BERT's shape: an Embedding with position and token-type tables, a LayerNormalization, then
    /// a TransformerEncoder with as many layers as the state dict; layers after it (pooling, L2 normalization) have no
    /// weights. Every tensor is checked before anything is written: missing tensors, unknown ones and wrong shapes
    /// are reported together, by name, and the model is left as it was.
    /// </remarks>
    /// <exception cref="InvalidModelFileException">The state dict does not fit the model.</exception>
    public void LoadWeights(IReadOnlyDictionary<string, NamedTensor> stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        var map = BertTensorMap();
        var byName = new Dictionary<string, NamedTensor>(StringComparer.Ordinal);
        foreach (var (key, tensor) in stateDict)
        {
            var name = key.StartsWith("bert.", StringComparison.Ordinal) ? key["bert.".Length..] : key;
            byName[name] = tensor;
        }

        var problems = new List<string>();
        foreach (var (source, target, transpose) in map)
        {
            if (!byName.TryGetValue(source, out var tensor))
            {
                problems.Add($"missing '{source}' (for {target.Name} {Shape(target.Shape)})");
                continue;
            }

            var expected = transpose ? [target.Shape[1], target.Shape[0]] : target.Shape;
            if (!tensor.Shape.SequenceEqual(expected) || tensor.Values.Length != target.Length)
                problems.Add($"'{source}' is {tensor.ShapeText} with {tensor.Values.Length} values; {Architecture.Name}'s {target.Name} needs {Shape(expected)}");
        }

        var known = map.Select(entry => entry.Source).ToHashSet(StringComparer.Ordinal);
        foreach (var name in byName.Keys.Order(StringComparer.Ordinal))
            if (!known.Contains(name) && !UnusedBertTensorPrefixes.Any(prefix => name.StartsWith(prefix, StringComparison.Ordinal)))
                problems.Add($"unknown tensor '{name}'");
        if (problems.Count > 0)
            throw new InvalidModelFileException(
                $"The state dict does not fit {Architecture.Name} ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}): " + string.Join("; ", problems.Take(20)) + (problems.Count > 20 ? "; …" : "."));

        foreach (var (source, target, transpose) in map)
        {
            var values = byName[source].Values;
            var destination = _parameters.AsSpan(target.Offset, target.Length);
            if (!transpose)
            {
                values.CopyTo(destination);
                continue;
            }

            // PyTorch's Linear keeps [out, in]; the kernels read [in, out].
            int rows = target.Shape[0], columns = target.Shape[1];
            for (var o = 0; o < columns; o++)
                for (var i = 0; i < rows; i++)
                    destination[i * columns + o] = values[o * rows + i];
        }
    }

    /// <summary>Each of the model's tensors with its Hugging Face BERT name and whether it is stored transposed there.</summary>
    private List<(string Source, ParameterTensor Target, bool Transpose)> BertTensorMap()
    {
        var layers = Architecture.Layers;
        if (layers.Count < 3
            || layers[0] is not { Kind: SequenceLayerKind.Embedding, Positions: > 0, TokenTypes: > 0 }
            || layers[1].Kind != SequenceLayerKind.LayerNormalization
            || layers[2].Kind != SequenceLayerKind.TransformerEncoder
            || layers.Skip(3).Any(layer => layer.ParameterCount > 0))
            throw new InvalidOperationException(
                $"{Architecture.Name} is not BERT's shape: a BERT state dict needs [Embedding(..., Positions, TokenTypes)], [LayerNormalization], [TransformerEncoder] and then only layers without weights.");
        var map = new List<(string, ParameterTensor, bool)>();
        var tensors = Architecture.Tensors.ToDictionary(tensor => tensor.Name, StringComparer.Ordinal);
        void Add(string source, string target, bool transpose = false) => map.Add((source, tensors[target], transpose));

        var embedding = layers[0].Name;
        Add("embeddings.word_embeddings.weight", embedding + ".tokens");
        Add("embeddings.position_embeddings.weight", embedding + ".positions");
        Add("embeddings.token_type_embeddings.weight", embedding + ".token_types");
        Add("embeddings.LayerNorm.weight", layers[1].Name + ".gamma");
        Add("embeddings.LayerNorm.bias", layers[1].Name + ".beta");
        var encoder = layers[2];
        for (var n = 0; n < encoder.Layers; n++)
        {
            var prefix = string.Create(CultureInfo.InvariantCulture, $"encoder.layer.{n}.");
            var target = string.Create(CultureInfo.InvariantCulture, $"{encoder.Name}.{n}.");
            foreach (var (hf, ours) in new[]
                     {
                         ("attention.self.query", "query"), ("attention.self.key", "key"), ("attention.self.value", "value"),
                         ("attention.output.dense", "attention_output"), ("intermediate.dense", "feed_forward_inner"),
                         ("output.dense", "feed_forward_outer"),
                     })
            {
                Add(prefix + hf + ".weight", target + ours + ".weights", transpose: true);
                Add(prefix + hf + ".bias", target + ours + ".bias");
            }

            Add(prefix + "attention.output.LayerNorm.weight", target + "attention_norm.gamma");
            Add(prefix + "attention.output.LayerNorm.bias", target + "attention_norm.beta");
            Add(prefix + "output.LayerNorm.weight", target + "output_norm.gamma");
            Add(prefix + "output.LayerNorm.bias", target + "output_norm.beta");
        }

        return map;
    }

    private static string Shape(int[] shape) => "[" + string.Join(", ", shape) + "]";

    /// <summary>
    /// Saves the parameters to a safetensors file under DeepGen's tensor names (<see cref="SequenceArchitecture.Tensors"/>),
    /// with the architecture's description in the metadata. Atomic: a temporary file, then a rename.
    /// </summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var tensors = Architecture.Tensors
            .Select(tensor => new TensorToWrite(tensor.Name, tensor.Shape, new ReadOnlyMemory<float>(_parameters, tensor.Offset, tensor.Length)))
            .ToList();
        SafeTensorsWriter.Write(path, tensors, new Dictionary<string, string>
        {
            ["format"] = "deepgen.sequence",
            ["model"] = Architecture.Name,
            ["signature"] = Signature,
        });
    }

    /// <summary>
    /// Loads parameters saved by <see cref="Save"/> from a model of the same architecture. Every tensor is checked
    /// first (missing, extra, misshaped, a different architecture): on any problem the model is left as it was.
    /// </summary>
    /// <exception cref="InvalidModelFileException">The file is not a safetensors file of this architecture.</exception>
    public void Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var file = SafeTensorsFile.Read(path);
        if (file.Metadata.TryGetValue("signature", out var signature) && signature != Signature)
            throw new InvalidModelFileException($"'{path}' holds a model of another architecture ({signature}); {Architecture.Name} is {Signature}.");
        var problems = new List<string>();
        foreach (var tensor in Architecture.Tensors)
        {
            if (!file.TryGetTensor(tensor.Name, out var entry))
                problems.Add($"missing '{tensor.Name}'");
            else if (!entry.Shape.Select(d => (int)d).SequenceEqual(tensor.Shape))
                problems.Add($"'{tensor.Name}' is [{string.Join(", ", entry.Shape)}], {Shape(tensor.Shape)} expected");
        }

        var names = Architecture.Tensors.Select(tensor => tensor.Name).ToHashSet(StringComparer.Ordinal);
        problems.AddRange(file.Tensors.Where(entry => !names.Contains(entry.Name)).Select(entry => $"unknown tensor '{entry.Name}'"));
        if (problems.Count > 0)
            throw new InvalidModelFileException($"'{path}' does not fit {Architecture.Name}: " + string.Join("; ", problems.Take(20)) + ".");
        var loaded = new float[_parameters.Length];
        foreach (var tensor in Architecture.Tensors)
        {
            file.TryGetTensor(tensor.Name, out var entry);
            file.ReadFloat32(entry, loaded.AsSpan(tensor.Offset, tensor.Length));
        }

        loaded.CopyTo(_parameters, 0);
    }

    /// <summary>The architecture in one line: what a saved file must match.</summary>
    private string Signature => string.Join(" ", Architecture.Layers.Select(layer => layer.Kind switch
    {
        SequenceLayerKind.Embedding => string.Create(CultureInfo.InvariantCulture, $"Embedding({layer.Vocabulary}x{layer.Outputs},p{layer.Positions},t{layer.TokenTypes})"),
        SequenceLayerKind.TransformerEncoder => string.Create(CultureInfo.InvariantCulture, $"Encoder({layer.Layers}x{layer.Outputs},h{layer.Heads},f{layer.FeedForward},{layer.Activation})"),
        SequenceLayerKind.Dense => string.Create(CultureInfo.InvariantCulture, $"Dense({layer.Inputs}x{layer.Outputs},{layer.Activation})"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{layer.Kind}({layer.Outputs})"),
    }));
}
