using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DeepGen.Cpu;

/// <summary>
/// The handful of vector operations the matrix kernels and the optimizer updates need, over one hardware width. The
/// kernels are written once, generic over this interface, and the JIT specializes them for each struct below, so the
/// code that runs is the same as if it had been written against <see cref="Vector512{T}"/> directly.
/// </summary>
/// <remarks>
/// <see cref="Scalar"/> is a one-lane "vector" so the same kernel handles column tails. Every width computes each
/// output element as the same chain of fused multiply-adds in the same order, so a result never depends on which
/// width, tile or thread produced it: that is what makes training bitwise reproducible for any thread count.
/// </remarks>
internal interface ISimdVector<TSelf> where TSelf : struct, ISimdVector<TSelf>
{
    static abstract int Count { get; }
    static abstract TSelf Zero { get; }
    static abstract unsafe TSelf Load(float* source);
    static abstract TSelf Broadcast(float value);
    /// <summary><c>a * b + c</c> with a single rounding.</summary>
    static abstract TSelf MultiplyAdd(TSelf a, TSelf b, TSelf c);
    static abstract TSelf operator +(TSelf a, TSelf b);
    static abstract TSelf operator -(TSelf a, TSelf b);
    static abstract TSelf operator *(TSelf a, TSelf b);
    static abstract TSelf operator /(TSelf a, TSelf b);
    static abstract TSelf Sqrt(TSelf value);
    static abstract TSelf Min(TSelf a, TSelf b);
    static abstract TSelf Max(TSelf a, TSelf b);
    /// <summary>To the nearest integer, ties to even.</summary>
    static abstract TSelf Round(TSelf value);
    /// <summary><c>2^n</c> for integral <paramref name="n"/> in [-126, 127], built from the exponent bits.</summary>
    static abstract TSelf PowerOfTwo(TSelf n);
    /// <summary>The lanes of <paramref name="source"/> that are NaN, and <paramref name="value"/> elsewhere.</summary>
    static abstract TSelf KeepNaN(TSelf source, TSelf value);
    /// <summary><c>|value|</c> (the sign bit cleared).</summary>
    static abstract TSelf Abs(TSelf value);
    /// <summary><paramref name="magnitude"/> with the sign bit of <paramref name="sign"/>.</summary>
    static abstract TSelf CopySign(TSelf magnitude, TSelf sign);
    /// <summary><paramref name="whenLess"/> in the lanes where <c>left &lt; right</c>, <paramref name="otherwise"/> elsewhere (NaN compares false).</summary>
    static abstract TSelf SelectLess(TSelf left, TSelf right, TSelf whenLess, TSelf otherwise);
    unsafe void Store(float* destination);
}

internal readonly struct Simd512 : ISimdVector<Simd512>
{
    private readonly Vector512<float> _value;
    private Simd512(Vector512<float> value) => _value = value;
    public static int Count => Vector512<float>.Count;
    public static Simd512 Zero => default;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Simd512 Load(float* source) => new(Vector512.Load(source));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512 Broadcast(float value) => new(Vector512.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512 MultiplyAdd(Simd512 a, Simd512 b, Simd512 c) => new(Vector512.FusedMultiplyAdd(a._value, b._value, c._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd512 operator +(Simd512 a, Simd512 b) => new(a._value + b._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd512 operator -(Simd512 a, Simd512 b) => new(a._value - b._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd512 operator *(Simd512 a, Simd512 b) => new(a._value * b._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd512 operator /(Simd512 a, Simd512 b) => new(a._value / b._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd512 Sqrt(Simd512 value) => new(Vector512.Sqrt(value._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd512 Min(Simd512 a, Simd512 b) => new(Vector512.Min(a._value, b._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd512 Max(Simd512 a, Simd512 b) => new(Vector512.Max(a._value, b._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd512 Round(Simd512 value) => new(Vector512.Round(value._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512 PowerOfTwo(Simd512 n) => new(Vector512.ShiftLeft(Vector512.ConvertToInt32(n._value) + Vector512.Create(127), 23).AsSingle());
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512 KeepNaN(Simd512 source, Simd512 value) => new(Vector512.ConditionalSelect(Vector512.IsNaN(source._value), source._value, value._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd512 Abs(Simd512 value) => new(Vector512.Abs(value._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512 CopySign(Simd512 magnitude, Simd512 sign) => new(Vector512.CopySign(magnitude._value, sign._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512 SelectLess(Simd512 left, Simd512 right, Simd512 whenLess, Simd512 otherwise) =>
        new(Vector512.ConditionalSelect(Vector512.LessThan(left._value, right._value), whenLess._value, otherwise._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe void Store(float* destination) => _value.Store(destination);
}

internal readonly struct Simd256 : ISimdVector<Simd256>
{
    private readonly Vector256<float> _value;
    private Simd256(Vector256<float> value) => _value = value;
    public static int Count => Vector256<float>.Count;
    public static Simd256 Zero => default;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Simd256 Load(float* source) => new(Vector256.Load(source));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256 Broadcast(float value) => new(Vector256.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256 MultiplyAdd(Simd256 a, Simd256 b, Simd256 c) => new(Vector256.FusedMultiplyAdd(a._value, b._value, c._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd256 operator +(Simd256 a, Simd256 b) => new(a._value + b._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd256 operator -(Simd256 a, Simd256 b) => new(a._value - b._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd256 operator *(Simd256 a, Simd256 b) => new(a._value * b._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd256 operator /(Simd256 a, Simd256 b) => new(a._value / b._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd256 Sqrt(Simd256 value) => new(Vector256.Sqrt(value._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd256 Min(Simd256 a, Simd256 b) => new(Vector256.Min(a._value, b._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd256 Max(Simd256 a, Simd256 b) => new(Vector256.Max(a._value, b._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd256 Round(Simd256 value) => new(Vector256.Round(value._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256 PowerOfTwo(Simd256 n) => new(Vector256.ShiftLeft(Vector256.ConvertToInt32(n._value) + Vector256.Create(127), 23).AsSingle());
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256 KeepNaN(Simd256 source, Simd256 value) => new(Vector256.ConditionalSelect(Vector256.IsNaN(source._value), source._value, value._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd256 Abs(Simd256 value) => new(Vector256.Abs(value._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256 CopySign(Simd256 magnitude, Simd256 sign) => new(Vector256.CopySign(magnitude._value, sign._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256 SelectLess(Simd256 left, Simd256 right, Simd256 whenLess, Simd256 otherwise) =>
        new(Vector256.ConditionalSelect(Vector256.LessThan(left._value, right._value), whenLess._value, otherwise._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe void Store(float* destination) => _value.Store(destination);
}

internal readonly struct Simd128 : ISimdVector<Simd128>
{
    private readonly Vector128<float> _value;
    private Simd128(Vector128<float> value) => _value = value;
    public static int Count => Vector128<float>.Count;
    public static Simd128 Zero => default;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Simd128 Load(float* source) => new(Vector128.Load(source));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128 Broadcast(float value) => new(Vector128.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128 MultiplyAdd(Simd128 a, Simd128 b, Simd128 c) => new(Vector128.FusedMultiplyAdd(a._value, b._value, c._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd128 operator +(Simd128 a, Simd128 b) => new(a._value + b._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd128 operator -(Simd128 a, Simd128 b) => new(a._value - b._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd128 operator *(Simd128 a, Simd128 b) => new(a._value * b._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd128 operator /(Simd128 a, Simd128 b) => new(a._value / b._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd128 Sqrt(Simd128 value) => new(Vector128.Sqrt(value._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd128 Min(Simd128 a, Simd128 b) => new(Vector128.Min(a._value, b._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd128 Max(Simd128 a, Simd128 b) => new(Vector128.Max(a._value, b._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd128 Round(Simd128 value) => new(Vector128.Round(value._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128 PowerOfTwo(Simd128 n) => new(Vector128.ShiftLeft(Vector128.ConvertToInt32(n._value) + Vector128.Create(127), 23).AsSingle());
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128 KeepNaN(Simd128 source, Simd128 value) => new(Vector128.ConditionalSelect(Vector128.IsNaN(source._value), source._value, value._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd128 Abs(Simd128 value) => new(Vector128.Abs(value._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128 CopySign(Simd128 magnitude, Simd128 sign) => new(Vector128.CopySign(magnitude._value, sign._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128 SelectLess(Simd128 left, Simd128 right, Simd128 whenLess, Simd128 otherwise) =>
        new(Vector128.ConditionalSelect(Vector128.LessThan(left._value, right._value), whenLess._value, otherwise._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe void Store(float* destination) => _value.Store(destination);
}

/// <summary>One lane: the tail of every kernel, computed with the same operations as the lanes.</summary>
internal readonly struct Scalar : ISimdVector<Scalar>
{
    private readonly float _value;
    private Scalar(float value) => _value = value;
    public static int Count => 1;
    public static Scalar Zero => default;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Scalar Load(float* source) => new(*source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar Broadcast(float value) => new(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar MultiplyAdd(Scalar a, Scalar b, Scalar c) => new(MathF.FusedMultiplyAdd(a._value, b._value, c._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Scalar operator +(Scalar a, Scalar b) => new(a._value + b._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Scalar operator -(Scalar a, Scalar b) => new(a._value - b._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Scalar operator *(Scalar a, Scalar b) => new(a._value * b._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Scalar operator /(Scalar a, Scalar b) => new(a._value / b._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Scalar Sqrt(Scalar value) => new(MathF.Sqrt(value._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Scalar Min(Scalar a, Scalar b) => new(MathF.Min(a._value, b._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Scalar Max(Scalar a, Scalar b) => new(MathF.Max(a._value, b._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Scalar Round(Scalar value) => new(MathF.Round(value._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar PowerOfTwo(Scalar n) => new(BitConverter.Int32BitsToSingle(((int)n._value + 127) << 23));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar KeepNaN(Scalar source, Scalar value) => float.IsNaN(source._value) ? source : value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Scalar Abs(Scalar value) => new(MathF.Abs(value._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar CopySign(Scalar magnitude, Scalar sign) => new(MathF.CopySign(magnitude._value, sign._value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar SelectLess(Scalar left, Scalar right, Scalar whenLess, Scalar otherwise) =>
        left._value < right._value ? whenLess : otherwise;
    public float Value => _value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe void Store(float* destination) => *destination = _value;
}
