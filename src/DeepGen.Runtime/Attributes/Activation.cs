namespace DeepGen;

/// <summary>The activation a <see cref="DenseAttribute"/> layer applies to its outputs, with Keras 3's definitions.</summary>
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
    /// <summary>
    /// Leaky ReLU with Keras's <c>keras.activations.leaky_relu</c> default slope 0.2: <c>f(x) = x</c> for
    /// <c>x &gt; 0</c>, else <c>0.2 x</c>. (Keras's <c>LeakyReLU</c> <em>layer</em> defaults to 0.3; the activation
    /// string <c>"leaky_relu"</c> uses 0.2.)
    /// </summary>
    LeakyRelu = 5,
    /// <summary>Exponential linear unit, <c>alpha = 1</c>: <c>f(x) = x</c> for <c>x &gt; 0</c>, else <c>e^x - 1</c>.</summary>
    Elu = 6,
    /// <summary>
    /// Scaled ELU: <c>f(x) = scale · x</c> for <c>x &gt; 0</c>, else <c>scale · alpha · (e^x - 1)</c>, with Keras's
    /// constants <c>alpha = 1.67326324</c> and <c>scale = 1.05070098</c>. Pair it with <see cref="Initializer.LecunNormal"/>.
    /// </summary>
    Selu = 7,
    /// <summary>
    /// Gaussian error linear unit, the exact form Keras 3's <c>keras.activations.gelu</c> uses by default
    /// (<c>approximate=False</c>): <c>f(x) = x · Φ(x) = 0.5 x (1 + erf(x / √2))</c>. Not the tanh approximation.
    /// </summary>
    Gelu = 8,
    /// <summary>Softplus: <c>f(x) = log(1 + e^x)</c>, computed stably as <c>max(x, 0) + log(1 + e^-|x|)</c>.</summary>
    Softplus = 9,
    /// <summary>Swish, also called SiLU: <c>f(x) = x · sigmoid(x)</c> (Keras's <c>silu</c> / <c>swish</c>).</summary>
    Swish = 10,
    /// <summary>
    /// Keras 3's hard sigmoid: <c>f(x) = relu6(x + 3) / 6</c>, i.e. 0 below -3, 1 above 3 and <c>x / 6 + 0.5</c>
    /// between (Keras 2's <c>0.2 x + 0.5</c> form is not used).
    /// </summary>
    HardSigmoid = 11,
}

/// <summary>Facts about activations that both the generator and the runtime need.</summary>
internal static class ActivationFacts
{
    /// <summary>
    /// True where the derivative cannot be written in terms of the output (GELU and Swish are not invertible), so a
    /// training pass keeps the layer's pre-activations in an extra buffer section.
    /// </summary>
    public static bool NeedsPreActivation(Activation activation) =>
        activation == Activation.Gelu || activation == Activation.Swish;
}
