using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace DeepGen.Cpu;

/// <summary>
/// An element-wise activation as the generated code uses it: applied in place after the bias, and its derivative
/// applied to an upstream gradient. The derivative is written in terms of the activation's <em>output</em>, so the
/// forward pass keeps only outputs and the backward pass needs no pre-activations.
/// </summary>
public interface IActivationFunction
{
    /// <summary>The activation this struct implements.</summary>
    static abstract Activation Kind { get; }

    /// <summary><c>values[i] = f(values[i])</c>.</summary>
    static abstract void Forward(Span<float> values);

    /// <summary><c>gradient[i] *= f'(z[i])</c>, where <c>outputs[i] = f(z[i])</c>.</summary>
    static abstract void Backward(Span<float> gradient, ReadOnlySpan<float> outputs);
}

/// <summary><c>f(x) = x</c>.</summary>
public readonly struct LinearActivation : IActivationFunction
{
    public static Activation Kind => Activation.Linear;
    public static void Forward(Span<float> values) { }
    public static void Backward(Span<float> gradient, ReadOnlySpan<float> outputs) { }
}

/// <summary><c>f(x) = 1 / (1 + e^-x)</c>; <c>f' = f (1 - f)</c>.</summary>
public readonly struct SigmoidActivation : IActivationFunction
{
    public static Activation Kind => Activation.Sigmoid;
    public static void Forward(Span<float> values) => TensorPrimitives.Sigmoid(values, values);
    public static void Backward(Span<float> gradient, ReadOnlySpan<float> outputs) =>
        ElementWise.Apply<SigmoidDerivative>(gradient, outputs);

    private readonly struct SigmoidDerivative : ElementWise.IOperation
    {
        public static Vector<float> Invoke(Vector<float> g, Vector<float> y) => g * y * (Vector<float>.One - y);
        public static float Invoke(float g, float y) => g * y * (1f - y);
    }
}

/// <summary><c>f(x) = tanh x</c>; <c>f' = 1 - f²</c>.</summary>
public readonly struct TanhActivation : IActivationFunction
{
    public static Activation Kind => Activation.Tanh;
    public static void Forward(Span<float> values) => TensorPrimitives.Tanh(values, values);
    public static void Backward(Span<float> gradient, ReadOnlySpan<float> outputs) =>
        ElementWise.Apply<TanhDerivative>(gradient, outputs);

    private readonly struct TanhDerivative : ElementWise.IOperation
    {
        public static Vector<float> Invoke(Vector<float> g, Vector<float> y) => g * (Vector<float>.One - y * y);
        public static float Invoke(float g, float y) => g * (1f - y * y);
    }
}

/// <summary><c>f(x) = max(0, x)</c>; <c>f' = 1</c> where the output is positive, else 0 (Keras's choice at 0).</summary>
public readonly struct ReluActivation : IActivationFunction
{
    public static Activation Kind => Activation.Relu;
    public static void Forward(Span<float> values) => TensorPrimitives.Max(values, 0f, values);
    public static void Backward(Span<float> gradient, ReadOnlySpan<float> outputs) =>
        ElementWise.Apply<ReluDerivative>(gradient, outputs);

    private readonly struct ReluDerivative : ElementWise.IOperation
    {
        public static Vector<float> Invoke(Vector<float> g, Vector<float> y) =>
            Vector.ConditionalSelect(Vector.GreaterThan(y, Vector<float>.Zero), g, Vector<float>.Zero);
        public static float Invoke(float g, float y) => y > 0f ? g : 0f;
    }
}

/// <summary>Softmax over a row. It is never fused per element: the generated code applies it to whole rows.</summary>
public static class RowSoftmax
{
    /// <summary>Each row of <paramref name="values"/> (<c>rows × columns</c>) becomes its softmax, computed stably (max subtracted).</summary>
    public static void ForwardRows(Span<float> values, int rows, int columns)
    {
        if (values.Length != rows * columns)
            throw new ArgumentException($"Expected {rows} × {columns} = {rows * columns} values, got {values.Length}.", nameof(values));
        for (var r = 0; r < rows; r++)
        {
            var row = values.Slice(r * columns, columns);
            var max = TensorPrimitives.Max(row);
            TensorPrimitives.Subtract(row, max, row);
            TensorPrimitives.Exp(row, row);
            var sum = TensorPrimitives.Sum(row);
            TensorPrimitives.Divide(row, sum, row);
        }
    }
}

/// <summary>Two-input element-wise loops, vectorized with <see cref="Vector{T}"/> and a scalar tail.</summary>
internal static class ElementWise
{
    /// <summary>
    /// <c>parameters[i] -= learningRate * gradients[i]</c>, a separate multiply then subtract in vector and scalar
    /// code alike, so a fused update of one tile and a whole-buffer update give the same bits.
    /// </summary>
    public static void SgdStep(Span<float> parameters, ReadOnlySpan<float> gradients, float learningRate)
    {
        if (gradients.Length != parameters.Length)
            throw new ArgumentException($"{parameters.Length} parameters but {gradients.Length} gradients.", nameof(gradients));
        var p = MemoryMarshal.Cast<float, Vector<float>>(parameters);
        var g = MemoryMarshal.Cast<float, Vector<float>>(gradients);
        var rate = new Vector<float>(learningRate);
        for (var i = 0; i < p.Length; i++) p[i] -= rate * g[i];
        for (var i = p.Length * Vector<float>.Count; i < parameters.Length; i++) parameters[i] -= learningRate * gradients[i];
    }

    public interface IOperation
    {
        static abstract Vector<float> Invoke(Vector<float> gradient, Vector<float> other);
        static abstract float Invoke(float gradient, float other);
    }

    /// <summary><c>gradient[i] = TOperation(gradient[i], other[i])</c>.</summary>
    public static void Apply<TOperation>(Span<float> gradient, ReadOnlySpan<float> other)
        where TOperation : struct, IOperation
    {
        if (other.Length < gradient.Length)
            throw new ArgumentException($"Expected at least {gradient.Length} values, got {other.Length}.", nameof(other));
        var g = MemoryMarshal.Cast<float, Vector<float>>(gradient);
        var o = MemoryMarshal.Cast<float, Vector<float>>(other[..gradient.Length]);
        for (var i = 0; i < g.Length; i++) g[i] = TOperation.Invoke(g[i], o[i]);
        for (var i = g.Length * Vector<float>.Count; i < gradient.Length; i++)
            gradient[i] = TOperation.Invoke(gradient[i], other[i]);
    }
}
