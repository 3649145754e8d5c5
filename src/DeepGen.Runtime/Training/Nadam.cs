using System.Globalization;
using DeepGen.Cpu;

namespace DeepGen;

/// <summary>
/// Nadam (Adam with Nesterov momentum, Dozat 2016), as Keras's <c>Nadam</c>: with the momentum schedule
/// <c>uₜ = β₁(1 - ½·0.96ᵗ)</c> and <c>Πₜ = u₁⋯uₜ</c>, at step t
/// <c>m ← m + (g - m)(1 - β₁)</c>, <c>v ← v + (g² - v)(1 - β₂)</c>,
/// <c>m̂ = uₜ₊₁m / (1 - Πₜ₊₁) + (1 - uₜ)g / (1 - Πₜ)</c>, <c>v̂ = v / (1 - β₂ᵗ)</c>, <c>θ ← θ - lr·m̂ / (√v̂ + ε)</c>.
/// </summary>
/// <remarks>Keras keeps Πₜ as a variable; here it is recomputed from <see cref="Optimizer.Iterations"/>, so a checkpoint
/// needs only the iteration count and the two moment buffers.</remarks>
public sealed class Nadam : Optimizer
{
    private const double MomentumDecay = 0.96;
    private static readonly string[] Moments = ["momentum", "velocity"];
    private long _productStep = -1;
    private double _product;

    /// <param name="learningRate">Step size; Keras's default is 0.001.</param>
    /// <param name="beta1">Decay of the first-moment estimate, in [0, 1).</param>
    /// <param name="beta2">Decay of the second-moment estimate, in [0, 1).</param>
    /// <param name="epsilon">Added to the denominator for numerical stability.</param>
    public Nadam(float learningRate = 0.001f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-7f) : base(learningRate)
    {
        Beta1 = InUnitInterval(beta1, nameof(beta1));
        Beta2 = InUnitInterval(beta2, nameof(beta2));
        Epsilon = Positive(epsilon, nameof(epsilon));
    }

    /// <summary>Decay of the first-moment estimate.</summary>
    public float Beta1 { get; }

    /// <summary>Decay of the second-moment estimate.</summary>
    public float Beta2 { get; }

    /// <summary>Added to the denominator for numerical stability.</summary>
    public float Epsilon { get; }

    /// <inheritdoc />
    public override void Update(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        var learningRate = LearningRate;
        var options = BeginUpdate(parameters, gradients, learningRate);
        var (momentumCoefficient, gradientCoefficient, velocityCoefficient) = NextCoefficients();
        OptimizerKernels.Nadam(parameters, gradients, StateValues(0), StateValues(1), learningRate, Beta1, Beta2, Epsilon,
            momentumCoefficient, gradientCoefficient, velocityCoefficient, options);
    }

    /// <summary>
    /// The next update's coefficients of m, g and v (m̂ = c₁m + c₂g, v̂ = c₃v) at t = <see cref="Optimizer.Iterations"/> + 1
    /// (the device back end shares them).
    /// </summary>
    internal (float Momentum, float Gradient, float Velocity) NextCoefficients()
    {
        var step = Iterations + 1;
        var u = MomentumAt(step);
        var uNext = MomentumAt(step + 1);
        var product = ProductThrough(step);
        var productNext = product * uNext;
        return ((float)(uNext / (1 - productNext)), (float)((1 - u) / (1 - product)), (float)(1 / (1 - Math.Pow(Beta2, step))));
    }

    private protected override string[] StateNames => Moments;

    private double MomentumAt(long step) => Beta1 * (1 - 0.5 * Math.Pow(MomentumDecay, step));

    /// <summary>Πₜ = u₁⋯uₜ, carried forward from the last step, recomputed after <see cref="Optimizer.Iterations"/> was set.</summary>
    private double ProductThrough(long step)
    {
        if (_productStep == step) return _product;
        if (_productStep == step - 1)
        {
            _product *= MomentumAt(step);
        }
        else
        {
            // Once uₖ has settled at β₁ and the product no longer changes under it (it has sunk to zero or to the smallest
            // subnormal), no later step changes a bit: a checkpoint's iteration count, however large, costs at most the
            // few thousand multiplications that takes for the usual β₁, not one per step.
            _product = 1;
            for (long k = 1; k <= step; k++)
            {
                var u = MomentumAt(k);
                var next = _product * u;
                if (next == _product && u == Beta1) break;
                _product = next;
            }
        }

        _productStep = step;
        return _product;
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"Nadam(learning rate {LearningRate}, beta1 {Beta1}, beta2 {Beta2}, epsilon {Epsilon})");
}
