namespace DeepGen;

/// <summary>How a convolution or pooling window treats the borders, with Keras's meaning.</summary>
/// <remarks>The numeric values are part of the generator's contract: do not renumber.</remarks>
public enum Padding
{
    /// <summary>No padding: the window stays inside the input, so each output is <c>(in - kernel) / stride + 1</c> (rounded down).</summary>
    Valid = 0,

    /// <summary>
    /// Zero padding so that each output is <c>ceil(in / stride)</c>; where the padding is odd, the extra row or column
    /// goes at the bottom or right, as TensorFlow puts it.
    /// </summary>
    Same = 1,
}

/// <summary>The kinds of layer a model can be built from.</summary>
/// <remarks>The numeric values are part of the generator's contract: do not renumber.</remarks>
public enum LayerKind
{
    /// <summary>Fully connected: <see cref="DenseAttribute"/>.</summary>
    Dense = 0,
    /// <summary>2-D convolution over a channels-last input: <see cref="Conv2DAttribute"/>.</summary>
    Conv2D = 1,
    /// <summary>Maximum over each window: <see cref="MaxPooling2DAttribute"/>.</summary>
    MaxPooling2D = 2,
    /// <summary>Mean over each window: <see cref="AveragePooling2DAttribute"/>.</summary>
    AveragePooling2D = 3,
    /// <summary>Mean over every position of each channel: <see cref="GlobalAveragePooling2DAttribute"/>.</summary>
    GlobalAveragePooling2D = 4,
    /// <summary>Maximum over every position of each channel: <see cref="GlobalMaxPooling2DAttribute"/>.</summary>
    GlobalMaxPooling2D = 5,
    /// <summary>The same values as a vector: <see cref="FlattenAttribute"/>.</summary>
    Flatten = 6,
    /// <summary>The same values in another shape: <see cref="ReshapeAttribute"/>.</summary>
    Reshape = 7,
    /// <summary>Each channel normalized by batch statistics in training, by moving ones in inference: <see cref="BatchNormalizationAttribute"/>.</summary>
    BatchNormalization = 8,
    /// <summary>Each feature scaled by the mean and variance <c>Adapt</c> computed from the data: <see cref="NormalizationAttribute"/>.</summary>
    Normalization = 9,
}
