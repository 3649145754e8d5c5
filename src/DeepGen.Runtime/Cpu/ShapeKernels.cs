using System.Numerics.Tensors;

namespace DeepGen.Cpu;

/// <summary>
/// Layers that only move values (Flatten, Reshape): their forward pass is the input itself, and their backward pass a
/// copy of the gradient followed by whatever sits between them and the layer below: a dropout mask and that layer's
/// activation derivative.
/// </summary>
public static unsafe class ShapeKernels
{
    /// <summary>
    /// <c>inputGradient = outputGradient ⊙ dropoutMask ⊙ f'(previousSaved)</c>: the copy, then
    /// <see cref="ElementGradient{TPreviousActivation}"/>. Overwrites <paramref name="inputGradient"/>.
    /// </summary>
    public static void CopyBackward<TPreviousActivation>(
        Span<float> inputGradient, ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> previousSaved, ReadOnlySpan<float> dropoutMask)
        where TPreviousActivation : struct, IActivationFunction
    {
        KernelArguments.CheckLength(outputGradient, inputGradient.Length, nameof(outputGradient));
        outputGradient.CopyTo(inputGradient);
        ElementGradient<TPreviousActivation>(inputGradient, previousSaved, dropoutMask);
    }

    /// <summary>
    /// <c>gradient *= dropoutMask</c> (when there is one), then <c>gradient *= f'(previousSaved)</c>: the order of
    /// <see cref="DenseKernels"/>' input gradients, because a dropout sits after the previous layer's activation.
    /// <paramref name="previousSaved"/> holds the previous layer's outputs, or its pre-activations when
    /// <typeparamref name="TPreviousActivation"/> needs them; it may be empty when that activation is linear.
    /// </summary>
    public static void ElementGradient<TPreviousActivation>(Span<float> gradient, ReadOnlySpan<float> previousSaved, ReadOnlySpan<float> dropoutMask)
        where TPreviousActivation : struct, IActivationFunction
    {
        KernelArguments.CheckSaved<TPreviousActivation>(previousSaved, gradient.Length, nameof(previousSaved));
        KernelArguments.CheckMask(dropoutMask, gradient.Length, nameof(dropoutMask));
        fixed (float* g = gradient)
        fixed (float* saved = previousSaved)
        fixed (float* mask = dropoutMask)
        {
            ElementGradientAt<TPreviousActivation>(g, saved, mask, 0, gradient.Length);
        }
    }

    /// <summary>
    /// The same on elements <c>[offset, offset + count)</c> of all three buffers, unchecked; a null
    /// <paramref name="mask"/> means no dropout. Kernels call it per sample, so the spans it works on are the same
    /// whatever the thread count.
    /// </summary>
    internal static void ElementGradientAt<TPreviousActivation>(float* gradient, float* saved, float* mask, long offset, int count)
        where TPreviousActivation : struct, IActivationFunction
    {
        var g = new Span<float>(gradient + offset, count);
        if (mask != null) TensorPrimitives.Multiply(g, new ReadOnlySpan<float>(mask + offset, count), g);
        if (TPreviousActivation.Kind != Activation.Linear) TPreviousActivation.Backward(g, new ReadOnlySpan<float>(saved + offset, count));
    }
}
