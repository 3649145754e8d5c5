namespace DeepGen;

/// <summary>
/// How a <see cref="DenseAttribute"/> layer's kernel or bias starts, with Keras's names and formulas. The fans of
/// a kernel <c>[inputs, units]</c> are <c>fan_in = inputs</c>, <c>fan_out = units</c>; of a bias <c>[units]</c>
/// both are <c>units</c>, as Keras computes them for a one-dimensional tensor.
/// </summary>
/// <remarks>
/// The "normal" initializers are <em>truncated</em> normals, as Keras's are: a draw further than two standard
/// deviations from zero is drawn again, and the standard deviation is <c>sqrt(scale / fan) / 0.87962566103423978</c>
/// so the truncated distribution keeps the variance <c>scale / fan</c>. The numeric values are part of the
/// generator's contract: do not renumber.
/// </remarks>
public enum Initializer
{
    /// <summary>Glorot (Xavier) uniform, Keras's default kernel initializer: <c>U(-l, l)</c>, <c>l = sqrt(6 / (fan_in + fan_out))</c>.</summary>
    GlorotUniform = 0,
    /// <summary>Glorot normal: truncated normal with variance <c>2 / (fan_in + fan_out)</c>.</summary>
    GlorotNormal = 1,
    /// <summary>He uniform: <c>U(-l, l)</c>, <c>l = sqrt(6 / fan_in)</c>.</summary>
    HeUniform = 2,
    /// <summary>He normal: truncated normal with variance <c>2 / fan_in</c>.</summary>
    HeNormal = 3,
    /// <summary>LeCun uniform: <c>U(-l, l)</c>, <c>l = sqrt(3 / fan_in)</c>.</summary>
    LecunUniform = 4,
    /// <summary>LeCun normal: truncated normal with variance <c>1 / fan_in</c>.</summary>
    LecunNormal = 5,
    /// <summary>All zeros, Keras's default bias initializer.</summary>
    Zeros = 6,
    /// <summary>All ones.</summary>
    Ones = 7,
}
