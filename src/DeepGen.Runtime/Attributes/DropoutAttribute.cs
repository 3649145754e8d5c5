namespace DeepGen;

/// <summary>
/// Keras's <c>Dropout</c>, written between two <see cref="DenseAttribute"/> layers: during training each output of
/// the layer before it is zeroed with probability <see cref="Rate"/> and the kept ones are scaled by
/// <c>1 / (1 - Rate)</c> (inverted dropout), so evaluation and prediction use the outputs unchanged.
/// </summary>
/// <remarks>
/// The masks come from a generator seeded from the model's seed and advanced by every training step, so training is
/// reproducible; <see cref="SequentialModel.TrainingRandomState"/> saves and restores its position.
/// </remarks>
[global::System.AttributeUsage(global::System.AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DropoutAttribute : global::System.Attribute
{
    /// <param name="rate">Fraction of the outputs to drop, in <c>[0, 1)</c>.</param>
    public DropoutAttribute(double rate)
    {
        Rate = rate;
    }

    /// <summary>Fraction of the outputs to drop, in <c>[0, 1)</c>.</summary>
    public double Rate { get; }
}
