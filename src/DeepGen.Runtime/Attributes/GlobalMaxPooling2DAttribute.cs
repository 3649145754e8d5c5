namespace DeepGen;

/// <summary>Keras's <c>GlobalMaxPooling2D</c>: <c>[height, width, channels]</c> to <c>[channels]</c>, the largest value of each channel.</summary>
[global::System.AttributeUsage(global::System.AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class GlobalMaxPooling2DAttribute : global::System.Attribute
{
    /// <summary>The layer's name; <c>GlobalMaxPooling2D{index}</c> by default.</summary>
    public string? Name { get; set; }
}
