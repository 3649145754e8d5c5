namespace DeepGen;

/// <summary>Keras's <c>Flatten</c>: the same values, in the same order, as a vector.</summary>
[global::System.AttributeUsage(global::System.AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class FlattenAttribute : global::System.Attribute
{
    /// <summary>The layer's name; <c>Flatten{index}</c> by default.</summary>
    public string? Name { get; set; }
}
