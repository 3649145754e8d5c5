namespace DeepGen;

/// <summary>
/// The mean of each sequence's token vectors over its real tokens (attention mask 1), as sentence-transformers pools
/// (<c>sum(x · mask) / max(sum(mask), 1e-9)</c>; Keras's <c>GlobalAveragePooling1D</c> with a mask): <c>[sequence, units]</c>
/// becomes one vector <c>[units]</c> per sample. A sequence model pools once, after its per-token layers; layers on
/// the pooled vector (<see cref="L2NormalizeAttribute"/>, <see cref="DenseAttribute"/>) follow it.
/// </summary>
[global::System.AttributeUsage(global::System.AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class MeanPoolingAttribute : global::System.Attribute
{
    /// <summary>The layer's name, the prefix of its generated constants; <c>MeanPooling{index}</c> by default.</summary>
    public string? Name { get; set; }
}
