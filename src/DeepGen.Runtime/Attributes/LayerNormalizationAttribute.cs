namespace DeepGen;

/// <summary>
/// Keras's <c>LayerNormalization</c> (PyTorch's <c>nn.LayerNorm(units)</c>) over each token's features:
/// <c>gamma · (x - mean) / sqrt(variance + epsilon) + beta</c>, with the mean and the biased variance of that token's
/// features alone, so it behaves the same in training and inference and keeps no moving statistics.
/// </summary>
/// <remarks>
/// <c>gamma</c> starts at 1 and <c>beta</c> at 0; both are trained. The layer keeps its input's width.
/// </remarks>
[global::System.AttributeUsage(global::System.AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class LayerNormalizationAttribute : global::System.Attribute
{
    /// <summary>
    /// Added to the variance before its square root; must be positive. Default 0.001, Keras's default; PyTorch's
    /// <c>nn.LayerNorm</c> uses 1e-5, and BERT checkpoints 1e-12.
    /// </summary>
    public float Epsilon { get; set; } = 1e-3f;

    /// <summary>The layer's name, the prefix of its generated constants and tensors; <c>LayerNormalization{index}</c> by default.</summary>
    public string? Name { get; set; }
}
