using System.Globalization;
using DeepGen.Cpu;

namespace DeepGen;

/// <summary>
/// Adagrad, as Keras's <c>Adagrad</c>: <c>s ← s + g²</c>, <c>θ ← θ - lr·g / √(s + ε)</c>, the accumulator s starting
/// at <see cref="InitialAccumulatorValue"/>.
/// </summary>
public sealed class Adagrad : Optimizer
{
    private static readonly string[] Accumulator = ["accumulator"];

    /// <param name="learningRate">Step size; Keras's default is 0.001.</param>
    /// <param name="initialAccumulatorValue">Where every accumulator starts; zero or positive (Keras's default 0.1).</param>
    /// <param name="epsilon">Added under the square root for numerical stability.</param>
    public Adagrad(float learningRate = 0.001f, float initialAccumulatorValue = 0.1f, float epsilon = 1e-7f) : base(learningRate)
    {
        if (!(initialAccumulatorValue >= 0f) || !float.IsFinite(initialAccumulatorValue))
            throw new ArgumentOutOfRangeException(nameof(initialAccumulatorValue), initialAccumulatorValue,
                "'initialAccumulatorValue' must be zero or a positive, finite number.");
        InitialAccumulatorValue = initialAccumulatorValue;
        Epsilon = Positive(epsilon, nameof(epsilon));
    }

    /// <summary>Where every accumulator starts.</summary>
    public float InitialAccumulatorValue { get; }

    /// <summary>Added under the square root for numerical stability.</summary>
    public float Epsilon { get; }

    /// <inheritdoc />
    public override void Update(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        var learningRate = LearningRate;
        var options = BeginUpdate(parameters, gradients, learningRate);
        OptimizerKernels.Adagrad(parameters, gradients, StateValues(0), learningRate, Epsilon, options);
    }

    private protected override string[] StateNames => Accumulator;

    private protected override float InitialStateValue => InitialAccumulatorValue;

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"Adagrad(learning rate {LearningRate}, initial accumulator {InitialAccumulatorValue}, epsilon {Epsilon})");
}
