namespace DeepGen;

/// <summary>Keras's <c>GlobalAveragePooling2D</c>: <c>[height, width, channels]</c> to <c>[channels]</c>, the mean of each channel.</summary>
[global::System.AttributeUsage(global::System.AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class GlobalAveragePooling2DAttribute : global::System.Attribute
{
    /// <summary>The layer's name; <c>GlobalAveragePooling2D{index}</c> by default.</summary>
    public string? Name { get; set; }
}
