namespace DeepGen;

/// <summary>
/// A view of one layer of a model: its shape and its live weights and bias. Every kind of layer has one (the name is
/// older than the other kinds); a layer without weights (pooling, flatten, reshape) has empty ones.
/// </summary>
public readonly struct DenseLayer
{
    private readonly SequentialModel _model;

    internal DenseLayer(SequentialModel model, LayerInfo info)
    {
        _model = model;
        Info = info;
    }

    /// <summary>Shape and buffer offsets.</summary>
    public LayerInfo Info { get; }

    /// <summary>The layer's name.</summary>
    public string Name => Info.Name;

    /// <summary>The weights, row-major in <see cref="LayerInfo.WeightsShape"/> (<c>[inputs, units]</c> for a dense layer), as Keras stores a kernel. Writable.</summary>
    public Span<float> Weights => _model.Parameters.Slice(Info.WeightsOffset, Info.WeightCount);

    /// <summary>The bias, <c>[units]</c>, or empty for a layer built with <c>UseBias = false</c>. Writable.</summary>
    public Span<float> Bias => _model.Parameters.Slice(Info.BiasOffset, Info.BiasCount);

    /// <summary>Gradients of the weights from the last training step, same layout as <see cref="Weights"/>.</summary>
    public ReadOnlySpan<float> WeightGradients => _model.Gradients.Slice(Info.WeightsOffset, Info.WeightCount);

    /// <summary>
    /// For a <see cref="NormalizationAttribute"/> layer: computes its mean and variance from the training inputs
    /// <paramref name="x"/> (the model's inputs, <c>[samples, InputSize]</c>), as
    /// <see cref="SequentialModel.Adapt(ReadOnlySpan{float}, int)"/> does for every normalization layer.
    /// </summary>
    /// <exception cref="InvalidOperationException">The layer is not a normalization.</exception>
    /// <exception cref="ArgumentException"><paramref name="x"/> is not a whole number of samples or holds a NaN or infinity.</exception>
    public void Adapt(ReadOnlySpan<float> x, int batchSize = SequentialModel.DefaultInferenceBatchSize) =>
        Model.AdaptOne(Info, x, batchSize);

    /// <summary>Whether this is a normalization layer holding statistics: adapted, or loaded from a file saved after Adapt.</summary>
    public bool IsAdapted => Model.IsAdapted(Info);

    private SequentialModel Model => _model ?? throw new InvalidOperationException("The layer is a default value, not a layer of a model.");

    /// <summary>Gradients of the bias from the last training step (empty without a bias).</summary>
    public ReadOnlySpan<float> BiasGradients => _model.Gradients.Slice(Info.BiasOffset, Info.BiasCount);
}
