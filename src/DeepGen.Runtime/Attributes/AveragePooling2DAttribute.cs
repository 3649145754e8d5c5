namespace DeepGen;

/// <summary>Keras's <c>AveragePooling2D</c>: the mean of each window, per channel (with <see cref="Padding.Same"/>, of the window's cells inside the input).</summary>
[global::System.AttributeUsage(global::System.AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class AveragePooling2DAttribute : global::System.Attribute
{
    /// <param name="poolSize">Height and width of each window.</param>
    public AveragePooling2DAttribute(int poolSize = 2)
    {
        PoolSize = poolSize;
    }

    /// <summary>Height and width of each window.</summary>
    public int PoolSize { get; }

    /// <summary>Step of the window; 0 (the default) means the pool size, as Keras's <c>strides=None</c>.</summary>
    public int Strides { get; set; }

    /// <summary><see cref="Padding.Valid"/> (the default) or <see cref="Padding.Same"/>.</summary>
    public Padding Padding { get; set; } = Padding.Valid;

    /// <summary>The layer's name; <c>AveragePooling2D{index}</c> by default.</summary>
    public string? Name { get; set; }
}
