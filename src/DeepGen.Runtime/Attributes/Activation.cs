namespace DeepGen;

/// <summary>The activation a <see cref="DenseAttribute"/> layer applies to its outputs.</summary>
/// <remarks>The numeric values are part of the generator's contract: do not renumber.</remarks>
public enum Activation
{
    /// <summary>Identity: <c>f(x) = x</c>.</summary>
    Linear = 0,
    /// <summary>Logistic sigmoid: <c>f(x) = 1 / (1 + e^-x)</c>.</summary>
    Sigmoid = 1,
    /// <summary>Rectified linear unit: <c>f(x) = max(0, x)</c>.</summary>
    Relu = 2,
    /// <summary>Hyperbolic tangent.</summary>
    Tanh = 3,
    /// <summary>Softmax over the layer's outputs; allowed on the last layer only.</summary>
    Softmax = 4,
}
