namespace DeepGen;

/// <summary>
/// A fully connected layer, <c>y = activation(x · W + b)</c>. Layers run in the order their attributes are
/// written on the model class.
/// </summary>
[global::System.AttributeUsage(global::System.AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DenseAttribute : global::System.Attribute
{
    /// <param name="units">Number of outputs of the layer.</param>
    /// <param name="activation">Activation applied to the outputs.</param>
    public DenseAttribute(int units, Activation activation = Activation.Linear)
    {
        Units = units;
        Activation = activation;
    }

    /// <summary>Number of outputs of the layer.</summary>
    public int Units { get; }

    /// <summary>Activation applied to the outputs.</summary>
    public Activation Activation { get; }

    /// <summary>
    /// Optional layer name: a C# identifier that names the generated accessor (<c>model.Hidden1</c>) and the
    /// layer's tensors in saved files (<c>Hidden1.weights</c>). Defaults to <c>Dense0</c>, <c>Dense1</c>, ….
    /// </summary>
    public string? Name { get; set; }

    /// <summary>Whether the layer adds a bias (Keras's <c>use_bias</c>); default true.</summary>
    public bool UseBias { get; set; } = true;

    /// <summary>How the weights start (Keras's <c>kernel_initializer</c>); default <see cref="Initializer.GlorotUniform"/>.</summary>
    public Initializer KernelInitializer { get; set; } = Initializer.GlorotUniform;

    /// <summary>How the bias starts (Keras's <c>bias_initializer</c>); default <see cref="Initializer.Zeros"/>.</summary>
    public Initializer BiasInitializer { get; set; } = Initializer.Zeros;

    /// <summary>
    /// L1 penalty on the weights (Keras's <c>kernel_regularizer=L1L2(l1=…)</c>): <c>L1 · Σ|w|</c> is added to the
    /// training loss and <c>L1 · sign(w)</c> to the weight gradients. Default 0 (none). The bias is not penalised.
    /// </summary>
    public double L1 { get; set; }

    /// <summary>
    /// L2 penalty on the weights (Keras's <c>kernel_regularizer=L1L2(l2=…)</c>): <c>L2 · Σw²</c> is added to the
    /// training loss and <c>2 · L2 · w</c> to the weight gradients. Default 0 (none). The bias is not penalised.
    /// </summary>
    public double L2 { get; set; }
}
