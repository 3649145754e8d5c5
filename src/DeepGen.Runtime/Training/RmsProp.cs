using System.Globalization;
using DeepGen.Cpu;

namespace DeepGen;

/// <summary>
/// RMSprop, as Keras's <c>RMSprop</c>: <c>v ← ρv + (1 - ρ)g²</c>; <c>Δ = lr·g / √(v + ε)</c>, or when centered
/// <c>a ← ρa + (1 - ρ)g</c> and <c>Δ = lr·g / √(v - a² + ε)</c>; then <c>θ ← θ - Δ</c>, or with momentum μ
/// <c>m ← μm + Δ</c> and <c>θ ← θ - m</c>.
/// </summary>
public sealed class RmsProp : Optimizer
{
    private static readonly string[][] StateLayouts =
    [
        ["velocity"], ["velocity", "momentum"], ["velocity", "average_gradient"], ["velocity", "momentum", "average_gradient"],
    ];

    /// <param name="learningRate">Step size; Keras's default is 0.001.</param>
    /// <param name="rho">Decay of the mean square, in [0, 1).</param>
    /// <param name="momentum">Momentum μ in [0, 1); 0 for none.</param>
    /// <param name="epsilon">Added under the square root for numerical stability.</param>
    /// <param name="centered">Whether to divide by the estimated variance rather than the mean square.</param>
    public RmsProp(float learningRate = 0.001f, float rho = 0.9f, float momentum = 0f, float epsilon = 1e-7f, bool centered = false)
        : base(learningRate)
    {
        Rho = InUnitInterval(rho, nameof(rho));
        Momentum = InUnitInterval(momentum, nameof(momentum));
        Epsilon = Positive(epsilon, nameof(epsilon));
        Centered = centered;
    }

    /// <summary>Decay of the mean square.</summary>
    public float Rho { get; }

    /// <summary>The momentum μ; 0 for none.</summary>
    public float Momentum { get; }

    /// <summary>Added under the square root for numerical stability.</summary>
    public float Epsilon { get; }

    /// <summary>Whether the gradient is normalised by its estimated variance.</summary>
    public bool Centered { get; }

    /// <inheritdoc />
    public override void Update(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        var learningRate = LearningRate;
        var options = BeginUpdate(parameters, gradients, learningRate);
        var momentum = Momentum > 0f ? StateValues(1) : [];
        var average = Centered ? StateValues(Momentum > 0f ? 2 : 1) : [];
        OptimizerKernels.RmsProp(parameters, gradients, StateValues(0), momentum, average, learningRate, Rho, Momentum, Epsilon, Centered, options);
    }

    private protected override string[] StateNames => StateLayouts[(Momentum > 0f ? 1 : 0) + (Centered ? 2 : 0)];

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"RMSprop(learning rate {LearningRate}, rho {Rho}, momentum {Momentum}, epsilon {Epsilon}{(Centered ? ", centered" : "")})");
}
