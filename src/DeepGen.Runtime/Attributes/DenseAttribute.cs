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
}
