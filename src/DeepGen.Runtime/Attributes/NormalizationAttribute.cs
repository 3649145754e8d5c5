namespace DeepGen;

/// <summary>
/// Keras's <c>Normalization</c> layer over the last axis (<c>axis=-1</c>): <c>(x - mean) / max(√variance, 1e-7)</c>
/// per feature, where a feature is a value of a vector input or a channel of an image (so a <c>[28, 28, 1]</c> input
/// has one mean and one variance, a vector of 13 values thirteen). The statistics are not trained: call
/// <c>model.Adapt(xTrain)</c> with the training inputs before training or
/// predicting, and they are computed from the data and kept with the model.
/// </summary>
/// <remarks>
/// The layer has no trainable parameters. Its mean and (biased, population) variance, one per feature, and the number
/// of values per feature they were computed from are non-trainable weights, saved with the model and in checkpoints as
/// <c>{Name}.mean</c>, <c>{Name}.variance</c> and <c>{Name}.count</c>. A count of 0 means the layer was never
/// adapted: <c>Fit</c>, <c>Evaluate</c> and <c>Predict</c> then throw an <see cref="System.InvalidOperationException"/>
/// naming the layer, so data is never served with the wrong scaling. The output has the input's shape.
/// </remarks>
[global::System.AttributeUsage(global::System.AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class NormalizationAttribute : global::System.Attribute
{
    /// <summary>The layer's name; <c>Normalization{index}</c> by default.</summary>
    public string? Name { get; set; }
}
