using DeepGen.Cpu;

namespace DeepGen;

/// <summary>
/// Updates the flat parameter buffer from the flat gradient buffer. Both share one layout, so an optimizer is one
/// vectorized pass and never needs to know the model's shape. Per-parameter state (momentum, moment estimates) lives
/// in flat buffers of the same layout, listed by <see cref="State"/> so checkpoints can save and restore it.
/// </summary>
public abstract class Optimizer
{
    private float _learningRate;

    /// <param name="learningRate">The base step size.</param>
    protected Optimizer(float learningRate)
    {
        LearningRate = learningRate;
    }

    /// <summary>
    /// The base step size. Callbacks such as a learning-rate scheduler may change it between steps; it must stay a
    /// positive, finite number.
    /// </summary>
    public float LearningRate
    {
        get => _learningRate;
        set
        {
            if (!(value > 0f) || !float.IsFinite(value))
                throw new ArgumentOutOfRangeException(nameof(LearningRate), value, "The learning rate must be a positive, finite number.");
            _learningRate = value;
        }
    }

    /// <summary>Updates applied so far (Keras's <c>optimizer.iterations</c>). Checkpoints save and restore it.</summary>
    public long Iterations { get; set; }

    /// <summary>
    /// Named per-parameter state buffers, each as long as the parameter buffer (empty for plain SGD). Valid after
    /// <see cref="Initialize"/>; checkpoints write them and copy them back on resume.
    /// </summary>
    public virtual IReadOnlyList<OptimizerState> State => [];

    /// <summary>
    /// Prepares state for a model of <paramref name="parameterCount"/> parameters. Called by <c>Fit</c> before the
    /// first step; calling it again with the same count keeps the state.
    /// </summary>
    public virtual void Initialize(int parameterCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parameterCount);
    }

    /// <summary>
    /// One optimizer step: counts the iteration and applies <see cref="Update"/>, unless the generated backward pass
    /// has already applied this (plain SGD) update tile by tile, as <paramref name="appliedInBackward"/> says.
    /// </summary>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients, bool appliedInBackward)
    {
        if (!appliedInBackward)
        {
            if (parameters.Length != gradients.Length)
                throw new ArgumentException($"The gradients hold {gradients.Length} floats but the parameters {parameters.Length}.", nameof(gradients));
            Update(parameters, gradients);
        }

        Iterations++;
    }

    /// <summary>Applies one update. <paramref name="gradients"/> hold the gradient of the batch-mean loss.</summary>
    public abstract void Update(Span<float> parameters, ReadOnlySpan<float> gradients);

    /// <summary>
    /// The learning rate when this optimizer's next update is exactly plain SGD, which the generated backward pass then
    /// applies to each weight tile as it computes it (saving a pass over every parameter); 0 otherwise.
    /// </summary>
    internal virtual float FusedSgdLearningRate => 0f;
}

/// <summary>One named per-parameter state buffer of an optimizer, in the parameter layout.</summary>
/// <param name="Name">The buffer's name, unique within its optimizer (for example <c>momentum</c>).</param>
/// <param name="Values">The state, one float per parameter.</param>
public sealed record OptimizerState(string Name, float[] Values);

/// <summary>Plain stochastic gradient descent: <c>θ ← θ - learningRate · g</c> (Keras's <c>SGD</c> with no momentum).</summary>
public sealed class Sgd : Optimizer
{
    /// <param name="learningRate">Step size; Keras's default is 0.01.</param>
    public Sgd(float learningRate = 0.01f) : base(learningRate)
    {
    }

    /// <inheritdoc />
    public override void Update(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        ElementWise.SgdStep(parameters, gradients, LearningRate);
    }

    internal override float FusedSgdLearningRate => LearningRate;

    /// <inheritdoc />
    public override string ToString() => $"SGD(learning rate {LearningRate})";
}
