namespace DeepGen;

/// <summary>
/// Keras's <c>Reshape</c>: the same values, in the same order, seen as another per-sample shape of one to three
/// dimensions (channels last) with the same number of elements.
/// </summary>
[global::System.AttributeUsage(global::System.AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ReshapeAttribute : global::System.Attribute
{
    /// <param name="shape">The new per-sample shape, e.g. <c>7, 7, 16</c>.</param>
    public ReshapeAttribute(params int[] shape)
    {
        Shape = shape;
    }

    /// <summary>The new per-sample shape.</summary>
    public int[] Shape { get; }

    /// <summary>The layer's name; <c>Reshape{index}</c> by default.</summary>
    public string? Name { get; set; }
}
