namespace DeepGen;

/// <summary>
/// Marks a <c>partial class</c> as a DeepGen model. The build generates its forward pass, backward pass and
/// training step for exactly the shape given here and by the layer attributes
/// that follow (<see cref="DenseAttribute"/>, <see cref="Conv2DAttribute"/>, pooling, <see cref="FlattenAttribute"/>, …).
/// </summary>
[global::System.AttributeUsage(global::System.AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class ModelAttribute : global::System.Attribute
{
    /// <summary>Number of input features per sample (for MNIST, <c>28 * 28</c>): a vector input.</summary>
    public int Input { get; set; }

    /// <summary>
    /// The per-sample input shape, one to three dimensions, channels last as Keras orders them (an MNIST image for a
    /// convolution: <c>new[] { 28, 28, 1 }</c>). Give this or <see cref="Input"/>. Samples are still passed as flat
    /// spans of floats, row-major in this shape.
    /// </summary>
    public int[]? InputShape { get; set; }
}
