namespace DeepGen;

/// <summary>
/// Keras's <c>BatchNormalization</c> over the last axis (the channels of an image, the units of a vector):
/// <c>gamma · (x - mean) / sqrt(variance + epsilon) + beta</c> per channel. Training uses the batch's mean and
/// (biased) variance over every sample and pixel, and updates the moving ones,
/// <c>moving = moving · momentum + batch · (1 - momentum)</c>; evaluation and prediction use the moving ones.
/// </summary>
/// <remarks>
/// <c>gamma</c> (starting at 1) and <c>beta</c> (at 0) are trained; the moving mean (at 0) and variance (at 1) are
/// not, and are saved with the weights and in checkpoints as <c>{Name}.moving_mean</c> and <c>{Name}.moving_variance</c>.
/// </remarks>
[global::System.AttributeUsage(global::System.AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class BatchNormalizationAttribute : global::System.Attribute
{
    /// <summary>Weight of the old moving statistics in each update; Keras's default 0.99.</summary>
    public double Momentum { get; set; } = 0.99;

    /// <summary>Added to the variance before its square root; Keras's default 0.001.</summary>
    public double Epsilon { get; set; } = 0.001;

    /// <summary>The layer's name; <c>BatchNormalization{index}</c> by default.</summary>
    public string? Name { get; set; }
}
