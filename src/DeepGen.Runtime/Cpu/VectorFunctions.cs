using System.Runtime.CompilerServices;

namespace DeepGen.Cpu;

/// <summary>
/// An element-wise function written once over <see cref="ISimdVector{TSelf}"/>. Every width and the one-lane tail
/// run the same operations in the same order, fused multiply-adds included, so an element's result does not depend on
/// where in a span it sits, how a product was cut into tiles or threads, or the machine's vector width. That is
/// what lets the activations promise the same bits for a sample whatever pass, tile or thread it arrives in:
/// <c>TensorPrimitives</c> gives no such promise (its spans shorter than one vector take a scalar path whose
/// bits differ, for <c>Tanh</c> among others).
/// </summary>
internal interface IVectorFunction
{
    static abstract TVector Of<TVector>(TVector x) where TVector : struct, ISimdVector<TVector>;
}

/// <summary>Runs an <see cref="IVectorFunction"/> over spans and single values.</summary>
internal static class VectorFunction
{
    /// <summary><c>values[i] = f(values[i])</c>, widest vectors first (the optimizers' element-wise loop).</summary>
    public static unsafe void Apply<TFunction>(Span<float> values) where TFunction : struct, IVectorFunction
    {
        fixed (float* start = values)
        {
            var update = new InPlace<TFunction>(start);
            OptimizerKernels.Run(ref update, values.Length);
        }
    }

    /// <summary>The function of one value: exactly the scalar tail's code.</summary>
    public static float Of<TFunction>(float x) where TFunction : struct, IVectorFunction =>
        TFunction.Of(Scalar.Broadcast(x)).Value;

    private readonly unsafe struct InPlace<TFunction>(float* values) : IParameterUpdate where TFunction : struct, IVectorFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Apply<TVector>(nint index) where TVector : struct, ISimdVector<TVector> =>
            TFunction.Of(TVector.Load(values + index)).Store(values + index);
    }
}

/// <summary>
/// <c>e^a</c> for <c>a</c> in [-88, 88], in single precision: the classic Cephes <c>expf</c> scheme (e^a = 2^n · e^r
/// with |r| ≤ ln2/2, r by a two-part Cody–Waite reduction, e^r by a degree-7 polynomial), about 1 ulp. The
/// sigmoid and tanh share it.
/// </summary>
internal static class FastExp
{
    /// <summary>The largest argument: 2^127 · e^0.35 &lt; float.MaxValue.</summary>
    public const float MaxArgument = 88f;

    private const float Log2E = 1.44269504088896341f;
    private const float Ln2High = 0.693359375f;      // ln 2 in few bits, so n · Ln2High is exact
    private const float Ln2Low = -2.12194440e-4f;    // ln 2 - Ln2High
    private const float P0 = 1.9875691500e-4f;
    private const float P1 = 1.3981999507e-3f;
    private const float P2 = 8.3334519073e-3f;
    private const float P3 = 4.1665795894e-2f;
    private const float P4 = 1.6666665459e-1f;
    private const float P5 = 5.0000001201e-1f;

    /// <summary><c>e^a</c> of each lane; <paramref name="a"/> must already lie in [-88, 88].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVector OfClamped<TVector>(TVector a) where TVector : struct, ISimdVector<TVector>
    {
        var n = TVector.Round(a * TVector.Broadcast(Log2E));
        var r = TVector.MultiplyAdd(n, TVector.Broadcast(-Ln2High), a);
        r = TVector.MultiplyAdd(n, TVector.Broadcast(-Ln2Low), r);
        return OfReduced(r) * TVector.PowerOfTwo(n);
    }

    /// <summary><c>e^r</c> for a reduced argument, |r| ≤ ln2/2 (a little beyond costs little accuracy).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVector OfReduced<TVector>(TVector r) where TVector : struct, ISimdVector<TVector>
    {
        var poly = TVector.MultiplyAdd(TVector.Broadcast(P0), r, TVector.Broadcast(P1));
        poly = TVector.MultiplyAdd(poly, r, TVector.Broadcast(P2));
        poly = TVector.MultiplyAdd(poly, r, TVector.Broadcast(P3));
        poly = TVector.MultiplyAdd(poly, r, TVector.Broadcast(P4));
        poly = TVector.MultiplyAdd(poly, r, TVector.Broadcast(P5));
        return TVector.MultiplyAdd(poly, r * r, r) + TVector.Broadcast(1f);
    }
}
