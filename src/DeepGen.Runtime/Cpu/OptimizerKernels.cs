using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DeepGen.Cpu;

// The optimizer updates: each one element-wise pass over the flat parameter, gradient and state buffers, written once
// against ISimdVector (the vector types of the matrix kernels) and run at every hardware width, then one lane at a
// time for the tail. Each lane computes the same operations in the same order (no fused multiply-adds), so a result
// does not depend on where an element falls.
// The formulas are Keras 3's; the tests hold a naive scalar reference of each one written from the published math.

/// <summary>An update of the elements <c>[index, index + TVector.Count)</c> of every buffer it holds.</summary>
internal interface IParameterUpdate
{
    void Apply<TVector>(nint index) where TVector : struct, ISimdVector<TVector>;
}

/// <summary>
/// What happens to every parameter and gradient before the optimizer's own rule, folded into the same pass:
/// decoupled weight decay <c>θ ← θ - θ · decay</c> (decay = weightDecay · learningRate) and the clipped gradient
/// <c>clamp(g · scale, -limit, limit)</c> (scale from the global norm, limit the clip value; 1 and ∞ when unused).
/// </summary>
internal readonly struct UpdateOptions(float decay, float gradientScale, float clipLimit)
{
    /// <summary>No weight decay and no clipping.</summary>
    public static UpdateOptions None => new(0f, 1f, float.PositiveInfinity);

    public float Decay { get; } = decay;
    public float GradientScale { get; } = gradientScale;
    public float ClipLimit { get; } = clipLimit;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe TVector Gradient<TVector>(float* gradients, nint index) where TVector : struct, ISimdVector<TVector>
    {
        var limit = TVector.Broadcast(ClipLimit);
        return TVector.Min(TVector.Max(TVector.Load(gradients + index) * TVector.Broadcast(GradientScale), TVector.Broadcast(-ClipLimit)), limit);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe TVector DecayedParameter<TVector>(float* parameters, nint index) where TVector : struct, ISimdVector<TVector>
    {
        var p = TVector.Load(parameters + index);
        return p - p * TVector.Broadcast(Decay);
    }
}

/// <summary>The element-wise optimizer passes. Callers check the buffer lengths; these only run the loops.</summary>
internal static unsafe class OptimizerKernels
{
    /// <summary>Runs <paramref name="update"/> over <paramref name="length"/> elements, widest vectors first.</summary>
    public static void Run<TUpdate>(ref TUpdate update, int length) where TUpdate : struct, IParameterUpdate
    {
        nint i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= length - Simd512.Count; i += Simd512.Count) update.Apply<Simd512>(i);
        if (Vector256.IsHardwareAccelerated)
            for (; i <= length - Simd256.Count; i += Simd256.Count) update.Apply<Simd256>(i);
        if (Vector128.IsHardwareAccelerated)
            for (; i <= length - Simd128.Count; i += Simd128.Count) update.Apply<Simd128>(i);
        for (; i < length; i++) update.Apply<Scalar>(i);
    }

    /// <summary>SGD (Keras): <c>θ ← θ - lr · g</c>; with momentum μ, <c>m ← μm - lr·g</c>, then <c>θ ← θ + m</c> or,
    /// Nesterov, <c>θ ← θ + μm - lr·g</c>.</summary>
    public static void Sgd(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> momentum,
        float learningRate, float momentumFactor, bool nesterov, UpdateOptions options)
    {
        fixed (float* p = parameters)
        fixed (float* g = gradients)
        fixed (float* m = momentum)
        {
            var update = new SgdUpdate(p, g, m, learningRate, momentumFactor, nesterov, options);
            Run(ref update, parameters.Length);
        }
    }

    /// <summary>Adam (Keras): <c>m ← m + (g - m)(1 - β₁)</c>, <c>v ← v + (g² - v)(1 - β₂)</c>, AMSGrad
    /// <c>v̂ ← max(v̂, v)</c>, then <c>θ ← θ - α · m / (√v + ε)</c> with <paramref name="alpha"/> = lr·√(1-β₂ᵗ)/(1-β₁ᵗ).</summary>
    public static void Adam(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> momentum, Span<float> velocity,
        Span<float> velocityHat, float alpha, float beta1, float beta2, float epsilon, bool amsgrad, UpdateOptions options)
    {
        fixed (float* p = parameters)
        fixed (float* g = gradients)
        fixed (float* m = momentum)
        fixed (float* v = velocity)
        fixed (float* vHat = velocityHat)
        {
            var update = new AdamUpdate(p, g, m, v, vHat, alpha, beta1, beta2, epsilon, amsgrad, options);
            Run(ref update, parameters.Length);
        }
    }

    /// <summary>Nadam (Keras): Adam's moments, then <c>θ ← θ - lr · (c₁m + c₂g) / (√(v·c₃) + ε)</c>.</summary>
    public static void Nadam(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> momentum, Span<float> velocity,
        float learningRate, float beta1, float beta2, float epsilon, float momentumCoefficient, float gradientCoefficient,
        float velocityCoefficient, UpdateOptions options)
    {
        fixed (float* p = parameters)
        fixed (float* g = gradients)
        fixed (float* m = momentum)
        fixed (float* v = velocity)
        {
            var update = new NadamUpdate(p, g, m, v, learningRate, beta1, beta2, epsilon, momentumCoefficient,
                gradientCoefficient, velocityCoefficient, options);
            Run(ref update, parameters.Length);
        }
    }

    /// <summary>RMSprop (Keras): <c>v ← ρv + (1-ρ)g²</c>; centered <c>a ← ρa + (1-ρ)g</c>, denominator
    /// <c>v - a² + ε</c> (else <c>v + ε</c>); <c>Δ = lr·g/√denominator</c>; with momentum μ <c>m ← μm + Δ</c>,
    /// <c>θ ← θ - m</c>, else <c>θ ← θ - Δ</c>.</summary>
    public static void RmsProp(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> velocity, Span<float> momentum,
        Span<float> averageGradient, float learningRate, float rho, float momentumFactor, float epsilon, bool centered, UpdateOptions options)
    {
        fixed (float* p = parameters)
        fixed (float* g = gradients)
        fixed (float* v = velocity)
        fixed (float* m = momentum)
        fixed (float* a = averageGradient)
        {
            var update = new RmsPropUpdate(p, g, v, m, a, learningRate, rho, momentumFactor, epsilon, centered, options);
            Run(ref update, parameters.Length);
        }
    }

    /// <summary>Adagrad (Keras): <c>s ← s + g²</c>, <c>θ ← θ - lr·g / √(s + ε)</c>.</summary>
    public static void Adagrad(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> accumulator,
        float learningRate, float epsilon, UpdateOptions options)
    {
        fixed (float* p = parameters)
        fixed (float* g = gradients)
        fixed (float* s = accumulator)
        {
            var update = new AdagradUpdate(p, g, s, learningRate, epsilon, options);
            Run(ref update, parameters.Length);
        }
    }

    private readonly struct SgdUpdate(float* p, float* g, float* m, float rate, float momentum, bool nesterov, UpdateOptions options)
        : IParameterUpdate
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Apply<TVector>(nint i) where TVector : struct, ISimdVector<TVector>
        {
            var gradient = options.Gradient<TVector>(g, i);
            var parameter = options.DecayedParameter<TVector>(p, i);
            var step = gradient * TVector.Broadcast(rate);
            if (momentum == 0f)
            {
                (parameter - step).Store(p + i);
                return;
            }

            var mu = TVector.Broadcast(momentum);
            var velocity = TVector.Load(m + i) * mu - step;
            velocity.Store(m + i);
            (nesterov ? parameter + (velocity * mu - step) : parameter + velocity).Store(p + i);
        }
    }

    private readonly struct AdamUpdate(float* p, float* g, float* m, float* v, float* vHat,
        float alpha, float beta1, float beta2, float epsilon, bool amsgrad, UpdateOptions options) : IParameterUpdate
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Apply<TVector>(nint i) where TVector : struct, ISimdVector<TVector>
        {
            var gradient = options.Gradient<TVector>(g, i);
            var parameter = options.DecayedParameter<TVector>(p, i);
            var moment = TVector.Load(m + i);
            moment += (gradient - moment) * TVector.Broadcast(1f - beta1);
            moment.Store(m + i);
            var velocity = TVector.Load(v + i);
            velocity += (gradient * gradient - velocity) * TVector.Broadcast(1f - beta2);
            velocity.Store(v + i);
            if (amsgrad)
            {
                velocity = TVector.Max(TVector.Load(vHat + i), velocity);
                velocity.Store(vHat + i);
            }

            (parameter - TVector.Broadcast(alpha) * moment / (TVector.Sqrt(velocity) + TVector.Broadcast(epsilon))).Store(p + i);
        }
    }

    private readonly struct NadamUpdate(float* p, float* g, float* m, float* v, float rate, float beta1, float beta2, float epsilon,
        float momentumCoefficient, float gradientCoefficient, float velocityCoefficient, UpdateOptions options) : IParameterUpdate
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Apply<TVector>(nint i) where TVector : struct, ISimdVector<TVector>
        {
            var gradient = options.Gradient<TVector>(g, i);
            var parameter = options.DecayedParameter<TVector>(p, i);
            var moment = TVector.Load(m + i);
            moment += (gradient - moment) * TVector.Broadcast(1f - beta1);
            moment.Store(m + i);
            var velocity = TVector.Load(v + i);
            velocity += (gradient * gradient - velocity) * TVector.Broadcast(1f - beta2);
            velocity.Store(v + i);
            var momentHat = moment * TVector.Broadcast(momentumCoefficient) + gradient * TVector.Broadcast(gradientCoefficient);
            var velocityHat = velocity * TVector.Broadcast(velocityCoefficient);
            (parameter - momentHat * TVector.Broadcast(rate) / (TVector.Sqrt(velocityHat) + TVector.Broadcast(epsilon))).Store(p + i);
        }
    }

    private readonly struct RmsPropUpdate(float* p, float* g, float* v, float* m, float* a,
        float rate, float rho, float momentum, float epsilon, bool centered, UpdateOptions options) : IParameterUpdate
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Apply<TVector>(nint i) where TVector : struct, ISimdVector<TVector>
        {
            var gradient = options.Gradient<TVector>(g, i);
            var parameter = options.DecayedParameter<TVector>(p, i);
            var decay = TVector.Broadcast(rho);
            var complement = TVector.Broadcast(1f - rho);
            var velocity = decay * TVector.Load(v + i) + complement * (gradient * gradient);
            velocity.Store(v + i);
            TVector denominator;
            if (centered)
            {
                var average = decay * TVector.Load(a + i) + complement * gradient;
                average.Store(a + i);
                denominator = velocity - average * average + TVector.Broadcast(epsilon);
            }
            else
            {
                denominator = velocity + TVector.Broadcast(epsilon);
            }

            var increment = TVector.Broadcast(rate) * gradient / TVector.Sqrt(denominator);
            if (momentum > 0f)
            {
                increment = TVector.Broadcast(momentum) * TVector.Load(m + i) + increment;
                increment.Store(m + i);
            }

            (parameter - increment).Store(p + i);
        }
    }

    private readonly struct AdagradUpdate(float* p, float* g, float* s, float rate, float epsilon, UpdateOptions options) : IParameterUpdate
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Apply<TVector>(nint i) where TVector : struct, ISimdVector<TVector>
        {
            var gradient = options.Gradient<TVector>(g, i);
            var parameter = options.DecayedParameter<TVector>(p, i);
            var accumulator = TVector.Load(s + i) + gradient * gradient;
            accumulator.Store(s + i);
            (parameter - TVector.Broadcast(rate) * gradient / TVector.Sqrt(accumulator + TVector.Broadcast(epsilon))).Store(p + i);
        }
    }
}
