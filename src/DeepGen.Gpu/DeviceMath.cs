using ILGPU;
using ILGPU.Algorithms;

namespace DeepGen.Gpu;

/// <summary>
/// The CPU runtime's elementary functions as device code, so a GPU activation or loss computes what the CPU computes
/// on every back end. The single-precision ones (<see cref="Exp"/>, <see cref="Sigmoid"/>, <see cref="Tanh"/>) are
/// the CPU's own algorithms (<c>FastExp</c>, <c>FastSigmoid</c>, <c>FastTanh</c> in DeepGen.Runtime/Cpu) written out
/// with plain arithmetic and bit operations, rather than a back end's intrinsic, whose accuracy varies (CUDA's
/// approximate float exponential loses about |x| · 2^-24 of relative precision; its tanh 2^-11): the same
/// polynomials give the same values within an ulp or two everywhere. The double-precision ones are where the CPU
/// computes in double (ELU, SELU, GELU, softplus, swish, the losses), with <see cref="XMath"/>'s double functions.
/// </summary>
/// <remarks>Kernel code: no allocation, no exception, no virtual call.</remarks>
internal static class DeviceMath
{
    /// <summary>Values below 2^-100 in magnitude become 0, as the CPU's activations flush them (<c>FastSigmoid.FlushBelow</c>).</summary>
    public const float FlushBelow = 7.88860905e-31f;

    /// <summary>The largest argument of <see cref="Exp"/> (<c>FastExp.MaxArgument</c>); beyond it the result saturates.</summary>
    public const float MaxExpArgument = 88f;

    private const uint SignBit = 0x80000000u;
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2High = 0.693359375f;
    private const float Ln2Low = -2.12194440e-4f;
    private const float P0 = 1.9875691500e-4f;
    private const float P1 = 1.3981999507e-3f;
    private const float P2 = 8.3334519073e-3f;
    private const float P3 = 4.1665795894e-2f;
    private const float P4 = 1.6666665459e-1f;
    private const float P5 = 5.0000001201e-1f;

    private const float TanhPolynomialLimit = 0.625f;
    private const float T0 = -5.70498872745e-3f;
    private const float T1 = 2.06390887954e-2f;
    private const float T2 = -5.37397155531e-2f;
    private const float T3 = 1.33314422036e-1f;
    private const float T4 = -3.33332819422e-1f;

    private const double InverseSqrt2 = 0.70710678118654752440;
    private const double InverseSqrt2Pi = 0.39894228040143267794;

    /// <summary>Whether <paramref name="x"/> is NaN.</summary>
    public static bool IsNaN(float x) => XMath.IsNaN(x);

    /// <summary>Whether the sign bit of <paramref name="x"/> is set (true for -0).</summary>
    public static bool IsNegative(float x) => (Interop.FloatAsInt(x) & SignBit) != 0;

    /// <summary>
    /// <c>e^a</c> for <paramref name="a"/> in [-88, 88], in single precision: the CPU's <c>FastExp.OfClamped</c>
    /// (Cody–Waite reduction by ln 2, a degree-5 polynomial, the power of two built from exponent bits).
    /// </summary>
    public static float ExpClamped(float a)
    {
        var n = XMath.RoundToEven(a * Log2E);
        var r = a - n * Ln2High;
        r -= n * Ln2Low;
        var poly = P0 * r + P1;
        poly = poly * r + P2;
        poly = poly * r + P3;
        poly = poly * r + P4;
        poly = poly * r + P5;
        var reduced = poly * (r * r) + r + 1f;
        return reduced * Interop.IntAsFloat((uint)((int)n + 127) << 23);
    }

    /// <summary><c>e^x</c> in single precision, the argument first clamped to [-88, 88]; NaN stays NaN.</summary>
    public static float Exp(float x)
    {
        if (IsNaN(x)) return x;
        return ExpClamped(x < -MaxExpArgument ? -MaxExpArgument : x > MaxExpArgument ? MaxExpArgument : x);
    }

    /// <summary>The logistic function as the CPU's <c>FastSigmoid</c>: saturating beyond ±88, 0 below 2^-100, NaN kept.</summary>
    public static float Sigmoid(float x)
    {
        if (IsNaN(x)) return x;
        var minus = -x;
        var e = ExpClamped(minus < -MaxExpArgument ? -MaxExpArgument : minus > MaxExpArgument ? MaxExpArgument : minus);
        var sigmoid = 1f / (1f + e);
        return sigmoid < FlushBelow ? 0f : sigmoid;
    }

    /// <summary>
    /// The hyperbolic tangent as the CPU's <c>FastTanh</c>: an odd polynomial below |x| = 0.625 (full relative
    /// precision near 0), <c>1 - 2 / (e^(2|x|) + 1)</c> above, with the sign of x; NaN kept, ±∞ give ±1.
    /// </summary>
    public static float Tanh(float x)
    {
        if (IsNaN(x)) return x;
        var magnitude = Interop.IntAsFloat(Interop.FloatAsInt(x) & ~SignBit);
        float result;
        if (magnitude < TanhPolynomialLimit)
        {
            var z = x * x;
            var poly = T0 * z + T1;
            poly = poly * z + T2;
            poly = poly * z + T3;
            poly = poly * z + T4;
            result = poly * z * x + x;
        }
        else
        {
            var twice = magnitude + magnitude;
            var e = ExpClamped(twice > MaxExpArgument ? MaxExpArgument : twice);
            result = 1f - 2f / (e + 1f);
        }

        // The sign of x on both branches (the polynomial has it already, except that it turns -0 into +0).
        return Interop.IntAsFloat((Interop.FloatAsInt(result) & ~SignBit) | (Interop.FloatAsInt(x) & SignBit));
    }

    /// <summary><paramref name="value"/> as a float, or 0 when its magnitude is below <see cref="FlushBelow"/> (the CPU's <c>Subnormals.Flushed</c>).</summary>
    public static float Flushed(double value) => XMath.Abs(value) < FlushBelow ? 0f : (float)value;

    /// <summary>φ(x) = e^(-x²/2) / √(2π), as the CPU's <c>NormalDistribution.Density</c>.</summary>
    public static double NormalDensity(double x) => InverseSqrt2Pi * XMath.Exp(-0.5 * x * x);

    /// <summary>Φ(x) = erfc(-x / √2) / 2, as the CPU's <c>NormalDistribution.Cdf</c>.</summary>
    public static double NormalCdf(double x) => 0.5 * Erfc(-x * InverseSqrt2);

    /// <summary>
    /// The complementary error function by W. J. Cody's rational approximations, the coefficients of the CPU's
    /// <c>NormalDistribution.Erfc</c> (relative error below 1e-15); ILGPU 1.5.3's XMath has no erf.
    /// </summary>
    public static double Erfc(double x)
    {
        var ax = XMath.Abs(x);
        double result;
        if (ax < 0.5)
        {
            var z = x * x;
            var num = (((0.185777706184603153 * z + 3.16112374387056560) * z + 113.864154151050156) * z + 377.485237685302021) * z + 3209.37758913846947;
            var den = (((z + 23.6012909523441209) * z + 244.024637934444173) * z + 1282.61652607737228) * z + 2844.23683343917062;
            return 1.0 - x * num / den;
        }

        if (ax < 4.0)
        {
            var num = (((((((2.15311535474403846e-8 * ax + 0.564188496988670089) * ax + 8.88314979438837594) * ax + 66.1191906371416295) * ax
                          + 298.635138197400131) * ax + 881.952221241769090) * ax + 1712.04761263407058) * ax + 2051.07837782607147) * ax + 1230.33935479799725;
            var den = (((((((ax + 15.7449261107098347) * ax + 117.693950891312499) * ax + 537.181101862009858) * ax + 1621.38957456669019) * ax
                          + 3290.79923573345963) * ax + 4362.61909014324716) * ax + 3439.36767414372164) * ax + 1230.33935480374942;
            result = XMath.Exp(-ax * ax) * num / den;
        }
        else if (ax < 27.0)
        {
            var z = 1.0 / (ax * ax);
            var num = ((((0.0163153871373020978 * z + 0.305326634961232344) * z + 0.360344899949804439) * z + 0.125781726111229246) * z + 0.0160837851487422766) * z + 6.58749161529837803e-4;
            var den = ((((z + 2.56852019228982242) * z + 1.87295284992346725) * z + 0.527905102951428412) * z + 0.0605183413124413191) * z + 0.00233520497626869185;
            result = XMath.Exp(-ax * ax) / ax * (0.56418958354775628695 - z * num / den);
        }
        else
        {
            result = 0.0;
        }

        return x < 0 ? 2.0 - result : result;
    }

    /// <summary><c>log(1 + t)</c> for t in [0, 1], to double precision also where <c>1 + t</c> rounds to 1 (the CPU softplus's <c>LogOnePlus</c>).</summary>
    public static double LogOnePlus(double t) => t < 1e-5 ? t * (1 - t * (0.5 - t / 3)) : XMath.Log(1.0 + t);

    /// <summary><c>1 - e^-f</c> for f ≥ 0, to double precision also where <c>e^-f</c> rounds to 1 (the CPU softplus's <c>OneMinusExpMinus</c>).</summary>
    public static double OneMinusExpMinus(double f) => f < 1e-5 ? f * (1 - f * (0.5 - f / 6)) : 1.0 - XMath.Exp(-f);
}
