namespace DeepGen;

// Embeddings (a named layer's activations) and the inference-only model, which keeps no training buffers.
public abstract partial class SequentialModel
{
    private bool _inferenceOnly;

    /// <summary>
    /// True once <see cref="LoadForInference"/> has run: the model predicts and embeds but refuses to train, and
    /// holds no gradients, deltas or training batches.
    /// </summary>
    public bool IsInferenceOnly => _inferenceOnly;

    /// <summary>
    /// Loads weights as <see cref="Load"/> does and makes this an inference-only model: training buffers already
    /// allocated are released, none is allocated again, and <see cref="TrainStep"/> or <see cref="Fit"/> throw.
    /// What remains is the parameters and the small pool of activation buffers that predictions share.
    /// </summary>
    /// <exception cref="Serialization.InvalidModelFileException">The file is malformed or does not hold this model's weights; the model is unchanged (and still trains).</exception>
    public void LoadForInference(string path)
    {
        Load(path);
        _inferenceOnly = true;
        _gradients = null;
        _scratch = [];
        _scratchBatch = 0;
        _activations = [];
        _deltas = [];
        _inputBatch = [];
        _targetBatch = [];
        _batchCapacity = 0;
    }

    /// <summary>
    /// The activations of layer <paramref name="layerName"/> (for example the last hidden layer) for every sample of
    /// <paramref name="x"/> into <paramref name="embeddings"/>, <c>[samples, units of that layer]</c>. Thread-safe
    /// and allocation-free in steady state, like <see cref="Predict(ReadOnlySpan{float}, Span{float}, int)"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The model has no layer of that name (the message lists the names), or a span has the wrong length.</exception>
    public void Embed(string layerName, ReadOnlySpan<float> x, Span<float> embeddings, int batchSize = DefaultInferenceBatchSize) =>
        ForwardInto(GetLayer(layerName), x, embeddings, batchSize, nameof(embeddings));

    /// <summary>The activations of layer <paramref name="layerName"/> for every sample of <paramref name="x"/>.</summary>
    public float[] Embed(string layerName, ReadOnlySpan<float> x, int batchSize = DefaultInferenceBatchSize)
    {
        var layer = GetLayer(layerName);
        var embeddings = new float[CountInputSamples(x) * layer.Units];
        ForwardInto(layer, x, embeddings, batchSize, nameof(embeddings));
        return embeddings;
    }

    /// <summary>The activations of <paramref name="layer"/> (a layer accessor of this model, e.g. <c>model.Dense1</c>).</summary>
    public void Embed(DenseLayer layer, ReadOnlySpan<float> x, Span<float> embeddings, int batchSize = DefaultInferenceBatchSize)
    {
        var info = layer.Info ?? throw new ArgumentException("The layer is a default value, not a layer of a model.", nameof(layer));
        if (info.Index >= Architecture.Layers.Count || !ReferenceEquals(Architecture.Layers[info.Index], info))
            throw new ArgumentException($"Layer '{info.Name}' belongs to another model, not to '{Architecture.ModelName}'.", nameof(layer));
        ForwardInto(info, x, embeddings, batchSize, nameof(embeddings));
    }

    /// <summary>The layer named <paramref name="name"/> (ordinal, case-sensitive).</summary>
    /// <exception cref="ArgumentException">No layer has that name; the message lists the layer names.</exception>
    public LayerInfo GetLayer(string name)
    {
        if (TryGetLayer(name, out var layer)) return layer;
        throw new ArgumentException(
            $"'{Architecture.ModelName}' has no layer named '{name}'. Its layers are: {string.Join(", ", LayerNames)}.", nameof(name));
    }

    /// <summary>Finds the layer named <paramref name="name"/> (ordinal, case-sensitive) without throwing.</summary>
    public bool TryGetLayer(string? name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out LayerInfo? layer)
    {
        var layers = Architecture.Layers;
        for (var i = 0; i < layers.Count; i++)
        {
            if (string.Equals(layers[i].Name, name, StringComparison.Ordinal))
            {
                layer = layers[i];
                return true;
            }
        }

        layer = null;
        return false;
    }

    /// <summary>The layer names, in order.</summary>
    public IReadOnlyList<string> LayerNames => [.. Architecture.Layers.Select(layer => layer.Name)];

    /// <summary>The gradient buffer, allocated by the first training step (or read) so a model that only predicts never holds one.</summary>
    private float[] GradientStorage() =>
        _gradients ??= _inferenceOnly
            ? throw new InvalidOperationException($"This '{Architecture.ModelName}' was loaded for inference: it keeps no gradients and cannot be trained. Create a model and call Load to train it.")
            : new float[Architecture.ParameterCount];

    private void ThrowIfInferenceOnly()
    {
        if (_inferenceOnly)
            throw new InvalidOperationException($"This '{Architecture.ModelName}' was loaded for inference and cannot be trained. Create a model and call Load to train it.");
    }
}
