namespace DeepGen.Cpu;

/// <summary>
/// The argument checks the convolution, pooling and shape kernels share: each call checks its span lengths once, so
/// the unsafe loops underneath never read or write outside a buffer.
/// </summary>
internal static class KernelArguments
{
    public static void CheckLength(ReadOnlySpan<float> span, long expected, string name)
    {
        if (span.Length != expected)
            throw new ArgumentException($"'{name}' holds {span.Length} floats; this layer needs exactly {expected}.", name);
    }

    /// <summary>A dropout mask is either absent (empty) or one factor per element.</summary>
    public static void CheckMask(ReadOnlySpan<float> dropoutMask, long expected, string name)
    {
        if (!dropoutMask.IsEmpty) CheckLength(dropoutMask, expected, name);
    }

    /// <summary>
    /// What the previous activation's derivative reads: one value per element, except that a linear previous layer
    /// (whose derivative reads nothing) may pass an empty span.
    /// </summary>
    public static void CheckSaved<TActivation>(ReadOnlySpan<float> previousSaved, long expected, string name)
        where TActivation : struct, IActivationFunction
    {
        if (TActivation.Kind != Activation.Linear || !previousSaved.IsEmpty) CheckLength(previousSaved, expected, name);
    }

    public static void CheckWindow(int batch, in Window2D g)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        g.Validate();
    }
}
