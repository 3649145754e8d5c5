using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace DeepGen.Cpu;

/// <summary>
/// An element-wise activation as the generated code uses it: applied in place after the bias, and its derivative
/// applied to an upstream gradient. Where it can be, the derivative is written in terms of the activation's
/// <em>output</em>, so the forward pass keeps only outputs; GELU and Swish are not invertible, so their derivative
/// reads the pre-activation instead, which a training pass keeps for those layers only
/// (<see cref="DerivativeNeedsPreActivation"/>).
/// </summary>
/// <remarks>
/// Forward and backward give the same bits for an element whatever span, tile, thread or vector width it arrives
/// through: each is either written once over the kernels' vector types (<c>IVectorFunction</c>: the tail runs the
/// lanes' operations), a plain vector loop of exactly rounded operations (+, -, ×, select) whose scalar tail does the
/// same, or scalar code per element. That is what makes a prediction independent of the pass it is in and training
/// independent of the thread count (tested for every activation at odd batch sizes and widths).
/// </remarks>
public interface IActivationFunction
{
    /// <summary>The activation this struct implements.</summary>
    static abstract Activation Kind { get; }

    /// <summary>True when <see cref="Backward"/> reads pre-activations <c>z</c> rather than outputs <c>f(z)</c>.</summary>
    static abstract bool DerivativeNeedsPreActivation { get; }

    /// <summary><c>values[i] = f(values[i])</c>.</summary>
    static abstract void Forward(Span<float> values);

    /// <summary>
    /// <c>gradient[i] *= f'(z[i])</c>, where <paramref name="saved"/> holds <c>f(z[i])</c>, or <c>z[i]</c> itself when
    /// <see cref="DerivativeNeedsPreActivation"/> is true.
    /// </summary>
    static abstract void Backward(Span<float> gradient, ReadOnlySpan<float> saved);
}

/// <summary><c>f(x) = x</c>.</summary>
public readonly struct LinearActivation : IActivationFunction
{
    public static bool DerivativeNeedsPreActivation => false;
    public static Activation Kind => Activation.Linear;
    public static void Forward(Span<float> values) { }
    public static void Backward(Span<float> gradient, ReadOnlySpan<float> outputs) { }
}

/// <summary><c>f(x) = 1 / (1 + e^-x)</c>; <c>f' = f (1 - f)</c>.</summary>
public readonly struct SigmoidActivation : IActivationFunction
{
    public static bool DerivativeNeedsPreActivation => false;
    public static Activation Kind => Activation.Sigmoid;
    public static void Forward(Span<float> values) => FastSigmoid.Apply(values);
    public static void Backward(Span<float> gradient, ReadOnlySpan<float> outputs) =>
        ElementWise.Apply<SigmoidDerivative>(gradient, outputs);

    private readonly struct SigmoidDerivative : ElementWise.IOperation
    {
        public static Vector<float> Invoke(Vector<float> g, Vector<float> y) => g * y * (Vector<float>.One - y);
        public static float Invoke(float g, float y) => g * y * (1f - y);
    }
}

/// <summary><c>f(x) = tanh x</c>; <c>f' = 1 - f²</c>.</summary>
public readonly struct TanhActivation : IActivationFunction
{
    public static bool DerivativeNeedsPreActivation => false;
    public static Activation Kind => Activation.Tanh;
    public static void Forward(Span<float> values) => FastTanh.Apply(values);
    public static void Backward(Span<float> gradient, ReadOnlySpan<float> outputs) =>
        ElementWise.Apply<TanhDerivative>(gradient, outputs);

    private readonly struct TanhDerivative : ElementWise.IOperation
    {
        public static Vector<float> Invoke(Vector<float> g, Vector<float> y) => g * (Vector<float>.One - y * y);
        public static float Invoke(float g, float y) => g * (1f - y * y);
    }
}

/// <summary><c>f(x) = max(0, x)</c>; <c>f' = 1</c> where the output is positive, else 0 (Keras's choice at 0).</summary>
public readonly struct ReluActivation : IActivationFunction
{
    public static bool DerivativeNeedsPreActivation => false;
    public static Activation Kind => Activation.Relu;
    public static void Forward(Span<float> values) => VectorFunction.Apply<Relu>(values);
    public static void Backward(Span<float> gradient, ReadOnlySpan<float> outputs) =>
        ElementWise.Apply<ReluDerivative>(gradient, outputs);

    private readonly struct Relu : IVectorFunction
    {
        public static TVector Of<TVector>(TVector x) where TVector : struct, ISimdVector<TVector> =>
            TVector.KeepNaN(x, TVector.Max(x, TVector.Zero));
    }

    private readonly struct ReluDerivative : ElementWise.IOperation
    {
        public static Vector<float> Invoke(Vector<float> g, Vector<float> y) =>
            Vector.ConditionalSelect(Vector.GreaterThan(y, Vector<float>.Zero), g, Vector<float>.Zero);
        public static float Invoke(float g, float y) => y > 0f ? g : 0f;
    }
}

/// <summary>
/// <c>f(x) = x</c> for <c>x &gt; 0</c>, else <c>0.2 x</c> (Keras's <c>leaky_relu</c> default slope);
/// <c>f' = 1</c> where the output is positive, else 0.2.
/// </summary>
public readonly struct LeakyReluActivation : IActivationFunction
{
    /// <summary>Slope for negative inputs: Keras 3's <c>keras.activations.leaky_relu</c> default.</summary>
    public const float NegativeSlope = 0.2f;

    public static Activation Kind => Activation.LeakyRelu;
    public static bool DerivativeNeedsPreActivation => false;
    public static void Forward(Span<float> values) => VectorFunction.Apply<LeakyRelu>(values);
    public static void Backward(Span<float> gradient, ReadOnlySpan<float> outputs) =>
        ElementWise.Apply<LeakyReluDerivative>(gradient, outputs);

    // With a slope below 1, max(x, slope · x) is x for positive x and slope · x for negative x (and -0 for -0).
    private readonly struct LeakyRelu : IVectorFunction
    {
        public static TVector Of<TVector>(TVector x) where TVector : struct, ISimdVector<TVector> =>
            TVector.KeepNaN(x, TVector.Max(x, x * TVector.Broadcast(NegativeSlope)));
    }

    // The output has the sign of the input (the slope is positive), so it tells which branch was taken.
    private readonly struct LeakyReluDerivative : ElementWise.IOperation
    {
        public static Vector<float> Invoke(Vector<float> g, Vector<float> y) =>
            Vector.ConditionalSelect(Vector.GreaterThan(y, Vector<float>.Zero), g, g * NegativeSlope);
        public static float Invoke(float g, float y) => y > 0f ? g : g * NegativeSlope;
    }
}

/// <summary><c>f(x) = x</c> for <c>x &gt; 0</c>, else <c>e^x - 1</c> (alpha 1); <c>f' = 1</c> where the output is positive, else <c>f + 1</c>.</summary>
public readonly struct EluActivation : IActivationFunction
{
    public static Activation Kind => Activation.Elu;
    public static bool DerivativeNeedsPreActivation => false;

    public static void Forward(Span<float> values)
    {
        foreach (ref var x in values)
            if (x <= 0f) x = (float)(Math.Exp(x) - 1.0);
    }

    public static void Backward(Span<float> gradient, ReadOnlySpan<float> outputs) =>
        ElementWise.Apply<EluDerivative>(gradient, outputs);

    // For x ≤ 0, f' = e^x = f + 1; f > 0 exactly where x > 0.
    private readonly struct EluDerivative : ElementWise.IOperation
    {
        public static Vector<float> Invoke(Vector<float> g, Vector<float> y) =>
            Vector.ConditionalSelect(Vector.GreaterThan(y, Vector<float>.Zero), g, g * (y + Vector<float>.One));
        public static float Invoke(float g, float y) => y > 0f ? g : g * (y + 1f);
    }
}

/// <summary>
/// <c>f(x) = scale · x</c> for <c>x &gt; 0</c>, else <c>scale · alpha · (e^x - 1)</c>, with Keras's
/// <see cref="Alpha"/> and <see cref="Scale"/>; <c>f' = scale</c> where the output is positive, else <c>f + scale · alpha</c>.
/// </summary>
public readonly struct SeluActivation : IActivationFunction
{
    /// <summary>Keras's SELU alpha.</summary>
    public const float Alpha = 1.67326324f;

    /// <summary>Keras's SELU scale.</summary>
    public const float Scale = 1.05070098f;

    public static Activation Kind => Activation.Selu;
    public static bool DerivativeNeedsPreActivation => false;

    public static void Forward(Span<float> values)
    {
        foreach (ref var x in values)
            x = x > 0f ? Scale * x : (float)(Scale * Alpha * (Math.Exp(x) - 1.0));
    }

    public static void Backward(Span<float> gradient, ReadOnlySpan<float> outputs) =>
        ElementWise.Apply<SeluDerivative>(gradient, outputs);

    private readonly struct SeluDerivative : ElementWise.IOperation
    {
        public static Vector<float> Invoke(Vector<float> g, Vector<float> y) =>
            Vector.ConditionalSelect(Vector.GreaterThan(y, Vector<float>.Zero), g * Scale, g * (y + new Vector<float>(Scale * Alpha)));
        public static float Invoke(float g, float y) => y > 0f ? g * Scale : g * (y + Scale * Alpha);
    }
}

/// <summary>
/// Exact GELU, <c>f(x) = x Φ(x)</c> with Φ the standard normal distribution function (Keras 3's default,
/// <c>approximate=False</c>); <c>f'(x) = Φ(x) + x φ(x)</c>. Its derivative reads the pre-activation.
/// </summary>
public readonly struct GeluActivation : IActivationFunction
{
    public static Activation Kind => Activation.Gelu;
    public static bool DerivativeNeedsPreActivation => true;

    public static void Forward(Span<float> values)
    {
        foreach (ref var x in values) x = Subnormals.Flushed(x * NormalDistribution.Cdf(x));
    }

    public static void Backward(Span<float> gradient, ReadOnlySpan<float> preActivations)
    {
        CheckSaved(gradient, preActivations);
        for (var i = 0; i < gradient.Length; i++)
        {
            double x = preActivations[i];
            gradient[i] = Subnormals.Flushed(gradient[i] * (NormalDistribution.Cdf(x) + x * NormalDistribution.Density(x)));
        }
    }

    internal static void CheckSaved(Span<float> gradient, ReadOnlySpan<float> saved)
    {
        if (saved.Length < gradient.Length)
            throw new ArgumentException($"Expected at least {gradient.Length} pre-activations, got {saved.Length}.", nameof(saved));
    }
}

/// <summary><c>f(x) = log(1 + e^x)</c>; <c>f' = sigmoid(x) = 1 - e^-f</c>.</summary>
public readonly struct SoftplusActivation : IActivationFunction
{
    public static Activation Kind => Activation.Softplus;
    public static bool DerivativeNeedsPreActivation => false;

    public static void Forward(Span<float> values)
    {
        // max(x, 0) + log(1 + e^-|x|): never overflows. log(1 + t) loses t once 1 + t rounds to 1 (below x = -37 in
        // double), so small t takes its series instead: softplus(-40) is 4.2e-18, not 0.
        foreach (ref var x in values) x = Subnormals.Flushed(Math.Max(x, 0.0) + LogOnePlus(Math.Exp(-Math.Abs((double)x))));
    }

    /// <summary><c>1 - e^-f</c> for <c>f</c> ≥ 0, to double precision also where <c>e^-f</c> rounds to 1.</summary>
    private static double OneMinusExpMinus(double f) => f < 1e-5 ? f * (1 - f * (0.5 - f / 6)) : 1.0 - Math.Exp(-f);

    /// <summary><c>log(1 + t)</c> for <c>t</c> in [0, 1], to double precision also where <c>1 + t</c> rounds to 1.</summary>
    private static double LogOnePlus(double t) => t < 1e-5 ? t * (1 - t * (0.5 - t / 3)) : Math.Log(1.0 + t);

    public static void Backward(Span<float> gradient, ReadOnlySpan<float> outputs)
    {
        GeluActivation.CheckSaved(gradient, outputs);
        // e^-f = e^-log(1 + e^x) = 1 / (1 + e^x), so 1 - e^-f = sigmoid(x).
        for (var i = 0; i < gradient.Length; i++) gradient[i] = Subnormals.Flushed(gradient[i] * OneMinusExpMinus(outputs[i]));
    }
}

/// <summary>
/// Swish / SiLU, <c>f(x) = x · sigmoid(x)</c>; <c>f'(x) = s + x s (1 - s)</c> with <c>s = sigmoid(x)</c>. Its
/// derivative reads the pre-activation.
/// </summary>
public readonly struct SwishActivation : IActivationFunction
{
    public static Activation Kind => Activation.Swish;
    public static bool DerivativeNeedsPreActivation => true;

    public static void Forward(Span<float> values)
    {
        foreach (ref var x in values) x = Subnormals.Flushed(x / (1.0 + Math.Exp(-(double)x)));
    }

    public static void Backward(Span<float> gradient, ReadOnlySpan<float> preActivations)
    {
        GeluActivation.CheckSaved(gradient, preActivations);
        for (var i = 0; i < gradient.Length; i++)
        {
            double x = preActivations[i];
            var s = 1.0 / (1.0 + Math.Exp(-x));
            gradient[i] = Subnormals.Flushed(gradient[i] * (s + x * s * (1.0 - s)));
        }
    }
}

/// <summary>
/// Keras 3's hard sigmoid, <c>f(x) = clip(x / 6 + 0.5, 0, 1)</c> (= <c>relu6(x + 3) / 6</c>); <c>f' = 1/6</c> where
/// the output is strictly between 0 and 1, else 0.
/// </summary>
public readonly struct HardSigmoidActivation : IActivationFunction
{
    /// <summary>The slope between the clips.</summary>
    public const float Slope = 1f / 6f;

    public static Activation Kind => Activation.HardSigmoid;
    public static bool DerivativeNeedsPreActivation => false;
    public static void Forward(Span<float> values) => VectorFunction.Apply<HardSigmoid>(values);
    public static void Backward(Span<float> gradient, ReadOnlySpan<float> outputs) =>
        ElementWise.Apply<HardSigmoidDerivative>(gradient, outputs);

    private readonly struct HardSigmoid : IVectorFunction
    {
        public static TVector Of<TVector>(TVector x) where TVector : struct, ISimdVector<TVector> =>
            TVector.KeepNaN(x, TVector.Min(TVector.Max(x * TVector.Broadcast(Slope) + TVector.Broadcast(0.5f), TVector.Zero), TVector.Broadcast(1f)));
    }

    private readonly struct HardSigmoidDerivative : ElementWise.IOperation
    {
        public static Vector<float> Invoke(Vector<float> g, Vector<float> y) =>
            Vector.ConditionalSelect(
                Vector.GreaterThan(y, Vector<float>.Zero) & Vector.LessThan(y, Vector<float>.One), g * Slope, Vector<float>.Zero);
        public static float Invoke(float g, float y) => y > 0f && y < 1f ? g * Slope : 0f;
    }
}

/// <summary>
/// The standard normal distribution in double precision, for GELU. .NET has no <c>erf</c>, so Φ is computed from
/// the complementary error function by W. J. Cody's rational approximations (relative error below 1e-15 in double,
/// far beyond what a float activation needs); written here rather than taken from a package because it is one small
/// function and the runtime takes no dependency for math.
/// </summary>
internal static class NormalDistribution
{
    private const double InverseSqrt2 = 0.70710678118654752440;
    private const double InverseSqrt2Pi = 0.39894228040143267794;

    /// <summary>φ(x) = e^(-x²/2) / √(2π).</summary>
    public static double Density(double x) => InverseSqrt2Pi * Math.Exp(-0.5 * x * x);

    /// <summary>Φ(x) = erfc(-x / √2) / 2.</summary>
    public static double Cdf(double x) => 0.5 * Erfc(-x * InverseSqrt2);

    /// <summary>The complementary error function.</summary>
    public static double Erfc(double x)
    {
        var ax = Math.Abs(x);
        double result;
        if (ax < 0.5)
        {
            // erf by a rational function of x²; erfc = 1 - erf.
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
            result = Math.Exp(-ax * ax) * num / den;
        }
        else if (ax < 27.0)
        {
            var z = 1.0 / (ax * ax);
            var num = ((((0.0163153871373020978 * z + 0.305326634961232344) * z + 0.360344899949804439) * z + 0.125781726111229246) * z + 0.0160837851487422766) * z + 6.58749161529837803e-4;
            var den = ((((z + 2.56852019228982242) * z + 1.87295284992346725) * z + 0.527905102951428412) * z + 0.0605183413124413191) * z + 0.00233520497626869185;
            result = Math.Exp(-ax * ax) / ax * (0.56418958354775628695 - z * num / den);
        }
        else
        {
            result = 0.0;
        }

        return x < 0 ? 2.0 - result : result;
    }
}

/// <summary>Softmax over a row. It is never fused per element: the generated code applies it to whole rows.</summary>
public static class RowSoftmax
{
    /// <summary>Each row of <paramref name="values"/> (<c>rows × columns</c>) becomes its softmax, computed stably (max subtracted).</summary>
    public static void ForwardRows(Span<float> values, int rows, int columns)
    {
        if (values.Length != rows * columns)
            throw new ArgumentException($"Expected {rows} × {columns} = {rows * columns} values, got {values.Length}.", nameof(values));
        for (var r = 0; r < rows; r++)
        {
            var row = values.Slice(r * columns, columns);
            var max = TensorPrimitives.Max(row);
            TensorPrimitives.Subtract(row, max, row);
            TensorPrimitives.Exp(row, row);
            var sum = TensorPrimitives.Sum(row);
            TensorPrimitives.Divide(row, sum, row);
            foreach (ref var p in row) if (p < FastSigmoid.FlushBelow) p = 0f; // no subnormal probabilities (see Subnormals)
        }
    }
}

/// <summary>
/// Activations give 0 where their value is below 2^-100 in magnitude, never a subnormal float: on many Intel
/// processors every multiply-add that reads or writes a subnormal takes a microcode assist of about a hundred cycles,
/// and saturated units (very negative inputs to a sigmoid, softplus, swish or GELU; very unlikely classes of a
/// softmax) would otherwise feed them to every product of the layers after them, forward and backward. The seed
/// network's sigmoid did: a training epoch took 17 s instead of under 3 on such a machine. TensorFlow flushes
/// subnormals to zero on the CPU for the same reason. The error is below 1e-30.
/// </summary>
internal static class Subnormals
{
    /// <summary><paramref name="value"/> as a float, or 0 when its magnitude is below <see cref="FastSigmoid.FlushBelow"/>.</summary>
    public static float Flushed(double value) => Math.Abs(value) < FastSigmoid.FlushBelow ? 0f : (float)value;
}

/// <summary>Two-input element-wise loops, vectorized with <see cref="Vector{T}"/> and a scalar tail.</summary>
internal static class ElementWise
{
    /// <summary>
    /// <c>parameters[i] -= learningRate * gradients[i]</c>, a separate multiply then subtract in vector and scalar
    /// code alike, so a fused update of one tile and a whole-buffer update give the same bits.
    /// </summary>
    public static void SgdStep(Span<float> parameters, ReadOnlySpan<float> gradients, float learningRate)
    {
        if (gradients.Length != parameters.Length)
            throw new ArgumentException($"{parameters.Length} parameters but {gradients.Length} gradients.", nameof(gradients));
        var p = MemoryMarshal.Cast<float, Vector<float>>(parameters);
        var g = MemoryMarshal.Cast<float, Vector<float>>(gradients);
        var rate = new Vector<float>(learningRate);
        for (var i = 0; i < p.Length; i++) p[i] -= rate * g[i];
        for (var i = p.Length * Vector<float>.Count; i < parameters.Length; i++) parameters[i] -= learningRate * gradients[i];
    }

    public interface IOperation
    {
        static abstract Vector<float> Invoke(Vector<float> gradient, Vector<float> other);
        static abstract float Invoke(float gradient, float other);
    }

    /// <summary><c>gradient[i] = TOperation(gradient[i], other[i])</c>.</summary>
    public static void Apply<TOperation>(Span<float> gradient, ReadOnlySpan<float> other)
        where TOperation : struct, IOperation
    {
        if (other.Length < gradient.Length)
            throw new ArgumentException($"Expected at least {gradient.Length} values, got {other.Length}.", nameof(other));
        var g = MemoryMarshal.Cast<float, Vector<float>>(gradient);
        var o = MemoryMarshal.Cast<float, Vector<float>>(other[..gradient.Length]);
        for (var i = 0; i < g.Length; i++) g[i] = TOperation.Invoke(g[i], o[i]);
        for (var i = g.Length * Vector<float>.Count; i < gradient.Length; i++)
            gradient[i] = TOperation.Invoke(gradient[i], other[i]);
    }
}
