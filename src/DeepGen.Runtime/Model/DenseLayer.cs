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

    /// <summary>Gradients of the bias from the last training step (empty without a bias).</summary>
    public ReadOnlySpan<float> BiasGradients => _model.Gradients.Slice(Info.BiasOffset, Info.BiasCount);
}
