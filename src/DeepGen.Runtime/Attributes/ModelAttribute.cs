namespace DeepGen;

/// <summary>
/// Marks a <c>partial class</c> as a DeepGen model. The build generates its forward pass, backward pass and
/// training step for exactly the shape given here and by the <see cref="DenseAttribute"/> layers that follow.
/// </summary>
[global::System.AttributeUsage(global::System.AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class ModelAttribute : global::System.Attribute
{
    /// <summary>Number of input features per sample (for MNIST, <c>28 * 28</c>).</summary>
    public int Input { get; set; }
}
