using System.Runtime.CompilerServices;

namespace DeepGen.Cpu;

/// <summary>
/// Exact GELU in single precision, vectorized: <c>f(x) = x Φ(x) = 0.5 x (1 + erf(x / √2))</c> (BERT's and PyTorch's
/// default, not the tanh approximation), and its derivative <c>f'(x) = Φ(x) + x φ(x)</c>. Relative error below 5e-7
/// (4.2e-7 the largest seen, in the negative tail: a few roundings of float arithmetic) against the double formula
/// wherever the result is above 2^-100 in magnitude; below that the result is 0, as for <see cref="GeluActivation"/>
/// (see <see cref="Subnormals"/>).
/// </summary>
/// <remarks>
/// <para>Φ comes from the complementary error function of <c>z = |x| / √2</c>, so that the negative tail, where
/// <c>1 + erf</c> would cancel to nothing, keeps its relative accuracy: <c>Φ(x) = erfc(z) / 2</c> for negative x and
/// <c>1 - erfc(z) / 2</c> for positive x. <c>erfc(z) = t · exp(-z² + P(t))</c> with <c>t = 1 / (1 + z/2)</c>, the
/// substitution of the Chebyshev-fitted <c>erfcc</c> of Press et al.; P here is a degree-9 polynomial fitted for this
/// file (iteratively reweighted least squares against double <c>erfc</c> on z in [0, 9]: its own error is below
/// 5e-8). z is clamped at 9, beyond which Φ is 1 in float for positive x and the result is below 2^-100 for negative x.</para>
/// <para>The exponent <c>-z² + P</c> reaches -82, where one rounding of the sum would already cost 4e-6 of relative
/// error. So <c>z² = x²/2</c> is taken exactly as a float pair (<c>x·x</c> and its fused multiply-add remainder, halved),
/// the large part is reduced by <c>n · ln 2</c> without rounding (Cody–Waite, as <see cref="FastExp"/>), and only then
/// are the small parts added: every rounding then happens on a number below 1.</para>
/// <para>Written once over <see cref="ISimdVector{TSelf}"/>, so every element gets the same bits whatever vector width,
/// tile or thread computes it.</para>
/// </remarks>
internal static class ErfGelu
{
    private const float InverseSqrt2 = 0.707106781186547524f;
    private const float InverseSqrt2Pi = 0.398942280401432678f;
    /// <summary>|x| beyond which Φ is 1 in float (x &gt; 0) or the result is flushed to 0 (x &lt; 0): z = 9.</summary>
    private const float Clamp = 12.7279220613578554f;

    // P(t) = ln(erfc(z) / t) + z², t = 1 / (1 + z / 2), fitted on z in [0, 9] (see the remarks).
    private const float P0 = -1.26540319f;
    private const float P1 = 0.99773401f;
    private const float P2 = 0.394278887f;
    private const float P3 = -0.00157356168f;
    private const float P4 = 0.106788907f;
    private const float P5 = -0.277488494f;
    private const float P6 = -0.459342183f;
    private const float P7 = 0.97977212f;
    private const float P8 = -0.606029594f;
    private const float P9 = 0.131263139f;

    private const float Log2E = 1.44269504088896341f;
    private const float Ln2High = 0.693359375f;
    private const float Ln2Low = -2.12194440e-4f;

    /// <summary>GELU of each lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVector Of<TVector>(TVector x) where TVector : struct, ISimdVector<TVector>
    {
        var (cdf, _) = Cdf(x, withDensity: false);
        return Finish(x, x * cdf);
    }

    /// <summary><c>gradient · f'(x)</c> of each lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVector Derivative<TVector>(TVector gradient, TVector x) where TVector : struct, ISimdVector<TVector>
    {
        var (cdf, density) = Cdf(x, withDensity: true);
        return Finish(x, gradient * TVector.MultiplyAdd(x, density, cdf));
    }

    /// <summary>NaN stays NaN; magnitudes below 2^-100 become 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Finish<TVector>(TVector x, TVector value) where TVector : struct, ISimdVector<TVector> =>
        TVector.KeepNaN(x, TVector.SelectLess(TVector.Abs(value), TVector.Broadcast(FastSigmoid.FlushBelow), TVector.Zero, value));

    /// <summary>Φ(x), and φ(x) when asked (else zero).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (TVector Cdf, TVector Density) Cdf<TVector>(TVector x, bool withDensity) where TVector : struct, ISimdVector<TVector>
    {
        var one = TVector.Broadcast(1f);
        var half = TVector.Broadcast(0.5f);
        var a = TVector.Min(TVector.Abs(x), TVector.Broadcast(Clamp));
        var t = one / TVector.MultiplyAdd(a * TVector.Broadcast(InverseSqrt2), half, one);
        var p = TVector.MultiplyAdd(TVector.Broadcast(P9), t, TVector.Broadcast(P8));
        p = TVector.MultiplyAdd(p, t, TVector.Broadcast(P7));
        p = TVector.MultiplyAdd(p, t, TVector.Broadcast(P6));
        p = TVector.MultiplyAdd(p, t, TVector.Broadcast(P5));
        p = TVector.MultiplyAdd(p, t, TVector.Broadcast(P4));
        p = TVector.MultiplyAdd(p, t, TVector.Broadcast(P3));
        p = TVector.MultiplyAdd(p, t, TVector.Broadcast(P2));
        p = TVector.MultiplyAdd(p, t, TVector.Broadcast(P1));
        p = TVector.MultiplyAdd(p, t, TVector.Broadcast(P0));
        // z² = a²/2 = high + low exactly: the product and its rounding error, each halved (exact).
        var square = a * a;
        var high = half * square;
        var low = half * TVector.MultiplyAdd(a, a, TVector.Zero - square);
        var erfc = t * ExpOfSum(high, p - low);
        var halfErfc = half * erfc;
        var cdf = TVector.SelectLess(x, TVector.Zero, halfErfc, one - halfErfc);
        var density = withDensity ? TVector.Broadcast(InverseSqrt2Pi) * ExpOfSum(high, TVector.Zero - low) : TVector.Zero;
        return (cdf, density);
    }

    /// <summary>
    /// <c>e^(small - large)</c> for <c>large</c> in [0, 82] and <c>small</c> in about [-2, 1]: the large part is reduced
    /// by <c>n ln 2</c> first (exactly: n · Ln2High has few bits and the difference is within a factor 2 of both), the
    /// small part added after, then <see cref="FastExp"/>'s polynomial on the reduced argument.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector ExpOfSum<TVector>(TVector large, TVector small) where TVector : struct, ISimdVector<TVector>
    {
        var n = TVector.Round((small - large) * TVector.Broadcast(Log2E));
        var r = TVector.MultiplyAdd(n, TVector.Broadcast(-Ln2High), TVector.Zero - large);
        r = TVector.MultiplyAdd(n, TVector.Broadcast(-Ln2Low), r);
        r = r + small;
        return FastExp.OfReduced(r) * TVector.PowerOfTwo(n);
    }

    /// <summary><c>values[i] = gelu(values[i])</c>.</summary>
    public static unsafe void Forward(float* values, int length)
    {
        var update = new InPlace(values);
        OptimizerKernels.Run(ref update, length);
    }

    /// <summary><c>gradient[i] *= gelu'(x[i])</c>.</summary>
    public static unsafe void Backward(float* gradient, float* x, int length)
    {
        var update = new DerivativeUpdate(gradient, x);
        OptimizerKernels.Run(ref update, length);
    }

    /// <summary>The activation of one value: exactly the scalar tail's code.</summary>
    public static float Of(float x) => Of(Scalar.Broadcast(x)).Value;

    /// <summary><c>gradient · f'(x)</c> of one value: exactly the scalar tail's code.</summary>
    public static float Derivative(float gradient, float x) => Derivative(Scalar.Broadcast(gradient), Scalar.Broadcast(x)).Value;

    private readonly unsafe struct InPlace(float* values) : IParameterUpdate
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Apply<TVector>(nint index) where TVector : struct, ISimdVector<TVector> =>
            Of(TVector.Load(values + index)).Store(values + index);
    }

    private readonly unsafe struct DerivativeUpdate(float* gradient, float* x) : IParameterUpdate
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Apply<TVector>(nint index) where TVector : struct, ISimdVector<TVector> =>
            Derivative(TVector.Load(gradient + index), TVector.Load(x + index)).Store(gradient + index);
    }
}
