using System.Globalization;
using DeepGen.Cpu;

namespace DeepGen;

/// <summary>
/// Adam, as Keras's <c>Adam</c>: at step t, <c>m ← m + (g - m)(1 - β₁)</c>, <c>v ← v + (g² - v)(1 - β₂)</c>,
/// <c>θ ← θ - α·m / (√v + ε)</c> with <c>α = lr·√(1 - β₂ᵗ) / (1 - β₁ᵗ)</c>. With AMSGrad the running maximum of v
/// takes v's place in the denominator.
/// </summary>
public class Adam : Optimizer
{
    private static readonly string[] Moments = ["momentum", "velocity"];
    private static readonly string[] MomentsWithMaximum = ["momentum", "velocity", "velocity_hat"];

    /// <param name="learningRate">Step size; Keras's default is 0.001.</param>
    /// <param name="beta1">Decay of the first-moment estimate, in [0, 1).</param>
    /// <param name="beta2">Decay of the second-moment estimate, in [0, 1).</param>
    /// <param name="epsilon">Added to the denominator for numerical stability (Keras's default 1e-7).</param>
    /// <param name="amsgrad">Whether to use the AMSGrad variant (the running maximum of v).</param>
    public Adam(float learningRate = 0.001f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-7f, bool amsgrad = false)
        : base(learningRate)
    {
        Beta1 = InUnitInterval(beta1, nameof(beta1));
        Beta2 = InUnitInterval(beta2, nameof(beta2));
        Epsilon = Positive(epsilon, nameof(epsilon));
        Amsgrad = amsgrad;
    }

    /// <summary>Decay of the first-moment estimate.</summary>
    public float Beta1 { get; }

    /// <summary>Decay of the second-moment estimate.</summary>
    public float Beta2 { get; }

    /// <summary>Added to the denominator for numerical stability.</summary>
    public float Epsilon { get; }

    /// <summary>Whether this is the AMSGrad variant.</summary>
    public bool Amsgrad { get; }

    /// <inheritdoc />
    public override void Update(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        var learningRate = LearningRate;
        var options = BeginUpdate(parameters, gradients, learningRate);
        OptimizerKernels.Adam(parameters, gradients, StateValues(0), StateValues(1), Amsgrad ? StateValues(2) : [],
            AlphaAt(learningRate), Beta1, Beta2, Epsilon, Amsgrad, options);
    }

    /// <summary>The bias-corrected step of the next update, <c>α = lr·√(1 - β₂ᵗ) / (1 - β₁ᵗ)</c> at t = <see cref="Optimizer.Iterations"/> + 1 (the device back end shares it).</summary>
    internal float AlphaAt(float learningRate)
    {
        double step = Iterations + 1;
        return (float)(learningRate * Math.Sqrt(1 - Math.Pow(Beta2, step)) / (1 - Math.Pow(Beta1, step)));
    }

    private protected override string[] StateNames => Amsgrad ? MomentsWithMaximum : Moments;

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{GetType().Name}(learning rate {LearningRate}, beta1 {Beta1}, beta2 {Beta2}, epsilon {Epsilon}{(Amsgrad ? ", AMSGrad" : "")}{(WeightDecay != 0f ? $", weight decay {WeightDecay}" : "")})");
}

/// <summary>
/// AdamW, as Keras's <c>AdamW</c>: <see cref="Adam"/> with decoupled weight decay, <c>θ ← θ - θ · weightDecay · lr</c>
/// before each update (Loshchilov and Hutter).
/// </summary>
public sealed class AdamW : Adam
{
    /// <param name="learningRate">Step size; Keras's default is 0.001.</param>
    /// <param name="weightDecay">Decoupled weight decay; Keras's default is 0.004.</param>
    /// <param name="beta1">Decay of the first-moment estimate, in [0, 1).</param>
    /// <param name="beta2">Decay of the second-moment estimate, in [0, 1).</param>
    /// <param name="epsilon">Added to the denominator for numerical stability.</param>
    /// <param name="amsgrad">Whether to use the AMSGrad variant.</param>
    public AdamW(float learningRate = 0.001f, float weightDecay = 0.004f, float beta1 = 0.9f, float beta2 = 0.999f,
        float epsilon = 1e-7f, bool amsgrad = false)
        : base(learningRate, beta1, beta2, epsilon, amsgrad)
    {
        WeightDecay = weightDecay;
    }
}
