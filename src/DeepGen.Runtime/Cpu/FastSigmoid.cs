using System.Runtime.CompilerServices;

namespace DeepGen.Cpu;

/// <summary>
/// The logistic function <c>1 / (1 + e^-x)</c> over a span, in single precision throughout, at the widest vector
/// width the machine has.
/// </summary>
/// <remarks>
/// <para>Why not <c>TensorPrimitives.Sigmoid</c>: its exponential widens every vector to double precision for a
/// correctly rounded result, which made the bias-and-sigmoid epilogue of the seed network's hidden layers cost about
/// a sixth of predicting 10,000 images (48 ms with it, 41 ms with no activation at all). A sigmoid's output feeds a
/// float32 matrix product, so float precision is what it needs: the exponential is <see cref="FastExp"/> (about
/// 1 ulp), and the sigmoid within 3 ulp of the exact value (tested against double precision).</para>
/// <para>An <see cref="IVectorFunction"/>: the same bits for an element at every width and in the scalar tail.</para>
/// <para>NaN stays NaN, so a diverging model still shows a NaN loss. Arguments beyond ±88 saturate, where the
/// logistic function is 0 or 1 to within float precision anyway, and results below 2^-100 (arguments below about
/// -69.3) are 0, so that no subnormal float reaches the matrix products (see <see cref="Of{TVector}"/>).</para>
/// </remarks>
internal readonly struct FastSigmoid : IVectorFunction
{
    /// <summary>
    /// Results below this, 2^-100 (arguments below about -69.3), are returned as 0: see <see cref="Of{TVector}"/>.
    /// </summary>
    public const float FlushBelow = 7.88860905e-31f;

    /// <summary><c>values[i] = 1 / (1 + e^-values[i])</c>.</summary>
    public static void Apply(Span<float> values) => VectorFunction.Apply<FastSigmoid>(values);

    /// <summary>The logistic function of one value (the scalar tail's code).</summary>
    public static float Of(float x) => VectorFunction.Of<FastSigmoid>(x);

    /// <summary>The logistic function of each lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVector Of<TVector>(TVector x) where TVector : struct, ISimdVector<TVector>
    {
        var limit = TVector.Broadcast(FastExp.MaxArgument);
        var e = FastExp.OfClamped(TVector.Min(TVector.Max(TVector.Zero - x, TVector.Zero - limit), limit));
        var one = TVector.Broadcast(1f);
        var sigmoid = one / (one + e);
        // Saturated units give exactly 0, not a value of 1e-30 or less (subnormal below x = -87.3). On many Intel
        // processors every multiply-add that reads or writes a subnormal float takes a microcode assist of about a
        // hundred cycles: the seed network's saturated sigmoid units (raw 0-255 pixels drive many far below -88)
        // made a training epoch 20 times slower there, through the activations themselves and through the
        // gradients y (1 - y) · g they scale in the backward pass. Below 2^-100 those products can be subnormal.
        // TensorFlow flushes subnormals to zero on the CPU for the same reason; the error is below 1e-30.
        sigmoid = TVector.SelectLess(sigmoid, TVector.Broadcast(FlushBelow), TVector.Zero, sigmoid);
        return TVector.KeepNaN(x, sigmoid);
    }
}

/// <summary>
/// The hyperbolic tangent in single precision, the same bits for an element at every width and in the scalar tail
/// (an <see cref="IVectorFunction"/>), within a few ulp of the exact value (tested against double precision).
/// </summary>
/// <remarks>
/// Below |x| = 0.625 it is the odd polynomial <c>x + x³ · P(x²)</c> (the Cephes <c>tanhf</c> coefficients), which keeps
/// full relative precision near 0; above, <c>1 - 2 / (e^(2|x|) + 1)</c> with <see cref="FastExp"/>, given the sign of
/// x. Both are computed for every lane and one is selected, so no lane branches. NaN stays NaN; ±∞ give ±1.
/// </remarks>
internal readonly struct FastTanh : IVectorFunction
{
    private const float PolynomialLimit = 0.625f;
    private const float T0 = -5.70498872745e-3f;
    private const float T1 = 2.06390887954e-2f;
    private const float T2 = -5.37397155531e-2f;
    private const float T3 = 1.33314422036e-1f;
    private const float T4 = -3.33332819422e-1f;

    /// <summary><c>values[i] = tanh(values[i])</c>.</summary>
    public static void Apply(Span<float> values) => VectorFunction.Apply<FastTanh>(values);

    /// <summary>The hyperbolic tangent of one value (the scalar tail's code).</summary>
    public static float Of(float x) => VectorFunction.Of<FastTanh>(x);

    /// <summary>The hyperbolic tangent of each lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVector Of<TVector>(TVector x) where TVector : struct, ISimdVector<TVector>
    {
        var magnitude = TVector.Abs(x);
        var z = x * x;
        var poly = TVector.MultiplyAdd(TVector.Broadcast(T0), z, TVector.Broadcast(T1));
        poly = TVector.MultiplyAdd(poly, z, TVector.Broadcast(T2));
        poly = TVector.MultiplyAdd(poly, z, TVector.Broadcast(T3));
        poly = TVector.MultiplyAdd(poly, z, TVector.Broadcast(T4));
        var small = TVector.MultiplyAdd(poly * z, x, x);

        var one = TVector.Broadcast(1f);
        var e = FastExp.OfClamped(TVector.Min(magnitude + magnitude, TVector.Broadcast(FastExp.MaxArgument)));
        var large = one - TVector.Broadcast(2f) / (e + one);

        // The sign of x on both branches (the polynomial has it already, except that it turns -0 into +0).
        var tanh = TVector.CopySign(TVector.SelectLess(magnitude, TVector.Broadcast(PolynomialLimit), small, large), x);
        return TVector.KeepNaN(x, tanh);
    }
}
