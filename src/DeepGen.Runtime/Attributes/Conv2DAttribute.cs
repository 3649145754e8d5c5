namespace DeepGen;

/// <summary>
/// Keras's <c>Conv2D</c>: <c>filters</c> square kernels slid over a channels-last
/// <c>[height, width, channels]</c> input, each output <c>f(Σ window · kernel + bias)</c>.
/// </summary>
/// <remarks>
/// The kernel is stored as Keras stores it, <c>[kernel, kernel, inChannels, filters]</c> row-major; the output is
/// <c>[outHeight, outWidth, filters]</c>. Square kernels and strides only. Every shape is checked when the model builds.
/// </remarks>
[global::System.AttributeUsage(global::System.AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class Conv2DAttribute : global::System.Attribute
{
    /// <param name="filters">Output channels.</param>
    /// <param name="kernelSize">Height and width of each kernel.</param>
    /// <param name="activation">Applied to each output.</param>
    public Conv2DAttribute(int filters, int kernelSize, Activation activation = Activation.Linear)
    {
        Filters = filters;
        KernelSize = kernelSize;
        Activation = activation;
    }

    /// <summary>Output channels.</summary>
    public int Filters { get; }

    /// <summary>Height and width of each kernel.</summary>
    public int KernelSize { get; }

    /// <summary>Applied to each output.</summary>
    public Activation Activation { get; }

    /// <summary>Step of the window, down and across (Keras's <c>strides</c>); 1 by default.</summary>
    public int Strides { get; set; } = 1;

    /// <summary><see cref="Padding.Valid"/> (the default) or <see cref="Padding.Same"/>.</summary>
    public Padding Padding { get; set; } = Padding.Valid;

    /// <summary>The layer's name (the generated accessor and its tensors' prefix); <c>Conv2D{index}</c> by default.</summary>
    public string? Name { get; set; }

    /// <summary>Whether the layer adds a bias per filter (Keras's <c>use_bias</c>).</summary>
    public bool UseBias { get; set; } = true;

    /// <summary>How the kernel starts (fans: <c>kernel² · inChannels</c> in, <c>kernel² · filters</c> out, as Keras counts them).</summary>
    public Initializer KernelInitializer { get; set; } = Initializer.GlorotUniform;

    /// <summary>How the bias starts.</summary>
    public Initializer BiasInitializer { get; set; } = Initializer.Zeros;

    /// <summary>L1 penalty factor on the kernel.</summary>
    public double L1 { get; set; }

    /// <summary>L2 penalty factor on the kernel.</summary>
    public double L2 { get; set; }
}
