using DeepGen.Cpu;

namespace DeepGen;

/// <summary>
/// Updates the flat parameter buffer from the flat gradient buffer. Both share one layout, so an optimizer is one
/// vectorized pass and never needs to know the model's shape.
/// </summary>
public abstract class Optimizer
{
    /// <summary>Applies one update. <paramref name="gradients"/> hold the gradient of the batch-mean loss.</summary>
    public abstract void Update(Span<float> parameters, ReadOnlySpan<float> gradients);

    /// <summary>
    /// The learning rate when this optimizer's update is exactly plain SGD, which the generated backward pass then
    /// applies to each weight tile as it computes it (saving a pass over every parameter); 0 otherwise.
    /// </summary>
    internal virtual float FusedSgdLearningRate => 0f;
}

/// <summary>Plain stochastic gradient descent: <c>θ ← θ - learningRate · g</c> (Keras's <c>SGD</c> with no momentum).</summary>
public sealed class Sgd : Optimizer
{
    /// <param name="learningRate">Step size; Keras's default is 0.01.</param>
    public Sgd(float learningRate = 0.01f)
    {
        if (!(learningRate > 0f) || !float.IsFinite(learningRate))
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be a positive, finite number.");
        LearningRate = learningRate;
    }

    /// <summary>Step size.</summary>
    public float LearningRate { get; }

    /// <inheritdoc />
    public override void Update(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        ElementWise.SgdStep(parameters, gradients, LearningRate);
    }

    internal override float FusedSgdLearningRate => LearningRate;

    /// <inheritdoc />
    public override string ToString() => $"SGD(learning rate {LearningRate})";
}
