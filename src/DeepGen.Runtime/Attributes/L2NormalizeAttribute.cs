namespace DeepGen;

/// <summary>
/// Each pooled vector divided by its Euclidean norm, <c>x / max(‖x‖, 1e-12)</c> (PyTorch's <c>F.normalize(x, dim=-1)</c>,
/// Keras's <c>UnitNormalization</c>), so cosine similarity becomes a dot product. It works on one vector per sample,
/// after a <see cref="MeanPoolingAttribute"/>.
/// </summary>
[global::System.AttributeUsage(global::System.AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class L2NormalizeAttribute : global::System.Attribute
{
    /// <summary>The layer's name, the prefix of its generated constants; <c>L2Normalize{index}</c> by default.</summary>
    public string? Name { get; set; }
}
