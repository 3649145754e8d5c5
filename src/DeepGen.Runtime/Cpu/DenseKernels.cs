using System.Numerics.Tensors;

namespace DeepGen.Cpu;

/// <summary>
/// The three passes of a dense layer, as the generated code calls them with constant sizes. Shapes are row-major:
/// inputs <c>[batch, inputs]</c>, weights <c>[inputs, units]</c> (the Keras kernel layout), outputs <c>[batch, units]</c>.
/// </summary>
/// <remarks>
/// Each method checks its span lengths once and throws <see cref="ArgumentException"/> naming the operand, so the
/// unsafe kernels underneath never read or write outside a buffer. Gradients are overwritten, never accumulated.
/// </remarks>
public static unsafe class DenseKernels
{
    /// <summary><c>output = f(input · weights + bias)</c>, bias and activation fused into each finished tile.</summary>
    /// <remarks>An empty <paramref name="bias"/> means the layer has none (<c>UseBias = false</c>).</remarks>
    public static void Forward<TActivation>(
        Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias,
        int batch, int inputs, int units)
        where TActivation : struct, IActivationFunction =>
        Forward<TActivation>(output, [], input, weights, bias, batch, inputs, units);

    /// <summary>
    /// <c>output = f(input · weights + bias)</c> as above, and when <paramref name="preActivations"/> is not empty the
    /// pre-activations <c>input · weights + bias</c> are copied there too, from the same tile while it is in L1: the
    /// training pass of an activation whose derivative needs them (GELU, Swish).
    /// </summary>
    public static void Forward<TActivation>(
        Span<float> output, Span<float> preActivations, ReadOnlySpan<float> input, ReadOnlySpan<float> weights,
        ReadOnlySpan<float> bias, int batch, int inputs, int units)
        where TActivation : struct, IActivationFunction
    {
        CheckForward(output, input, weights, bias, batch, inputs, units);
        if (!preActivations.IsEmpty) CheckLength(preActivations, (long)batch * units, nameof(preActivations));
        fixed (float* y = output)
        fixed (float* z = preActivations)
        fixed (float* x = input)
        fixed (float* w = weights)
        fixed (float* b = bias)
        {
            Gemm.Multiply(new GemmShape(y, units, x, inputs, 1, w, units, batch, units, inputs),
                new BiasActivationEpilogue<TActivation>(b, z));
        }
    }

    /// <summary><c>output = softmax(input · weights + bias)</c> over each row.</summary>
    public static void ForwardSoftmax(
        Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias,
        int batch, int inputs, int units)
    {
        Forward<LinearActivation>(output, input, weights, bias, batch, inputs, units);
        RowSoftmax.ForwardRows(output, batch, units);
    }

    /// <summary>
    /// <c>weightGradients = inputᵀ · outputGradient</c> and <c>biasGradients = Σ over the batch of outputGradient</c>,
    /// where <paramref name="outputGradient"/> is dLoss/d(pre-activation) of this layer.
    /// </summary>
    public static void WeightGradients(
        Span<float> weightGradients, Span<float> biasGradients, ReadOnlySpan<float> input, ReadOnlySpan<float> outputGradient,
        int batch, int inputs, int units) =>
        WeightGradients(weightGradients, biasGradients, input, outputGradient, [], [], 0f, batch, inputs, units);

    /// <summary>
    /// The weight and bias gradients as above, and when <paramref name="learningRate"/> is not zero the plain SGD
    /// update <c>weights -= learningRate · weightGradients</c> (and the bias likewise), applied to each tile of
    /// gradients while it is still in L1. The gradients are written either way.
    /// </summary>
    public static void WeightGradients(
        Span<float> weightGradients, Span<float> biasGradients, ReadOnlySpan<float> input, ReadOnlySpan<float> outputGradient,
        Span<float> weights, Span<float> bias, float learningRate, int batch, int inputs, int units) =>
        WeightGradients(weightGradients, biasGradients, input, outputGradient, weights, bias, learningRate, 0f, 0f, batch, inputs, units);

    /// <summary>
    /// The weight and bias gradients with the gradient of a Keras <c>L1L2</c> weight penalty added,
    /// <c>weightGradients += l1 · sign(weights) + 2 · l2 · weights</c> (<c>sign(0) = 0</c>), tile by tile before the
    /// fused SGD step, so a regularized layer keeps the fused update and computes the same bits as an unfused step.
    /// An empty <paramref name="biasGradients"/> and <paramref name="bias"/> mean the layer has no bias.
    /// </summary>
    public static void WeightGradients(
        Span<float> weightGradients, Span<float> biasGradients, ReadOnlySpan<float> input, ReadOnlySpan<float> outputGradient,
        Span<float> weights, Span<float> bias, float learningRate, float l1, float l2, int batch, int inputs, int units)
    {
        CheckLength(weightGradients, (long)inputs * units, nameof(weightGradients));
        var hasBias = !biasGradients.IsEmpty;
        if (hasBias) CheckLength(biasGradients, units, nameof(biasGradients));
        CheckLength(input, (long)batch * inputs, nameof(input));
        CheckLength(outputGradient, (long)batch * units, nameof(outputGradient));
        var update = learningRate != 0f;
        var penalty = l1 != 0f || l2 != 0f;
        if (update || penalty) CheckLength(weights, (long)inputs * units, nameof(weights));
        if (update && hasBias) CheckLength(bias, units, nameof(bias));

        fixed (float* dw = weightGradients)
        fixed (float* x = input)
        fixed (float* dz = outputGradient)
        fixed (float* w = weights)
        {
            // A = inputᵀ: row i of A is column i of the input, so its row stride is 1 and its column stride is a whole row.
            var shape = new GemmShape(dw, units, x, 1, inputs, dz, units, inputs, units, batch);
            if (penalty) Gemm.Multiply(shape, new RegularizedSgdEpilogue(w, learningRate, l1, l2));
            else if (update) Gemm.Multiply(shape, new SgdEpilogue(w, learningRate));
            else Gemm.Multiply(shape, default(NoEpilogue));
        }

        if (!hasBias) return;
        // Rows are added in batch order, so the sum is the same whatever the thread count.
        biasGradients.Clear();
        for (var row = 0; row < batch; row++)
            TensorPrimitives.Add(biasGradients, outputGradient.Slice(row * units, units), biasGradients);
        if (update) ElementWise.SgdStep(bias, biasGradients, learningRate);
    }

    /// <summary>
    /// The previous layer's dLoss/d(pre-activation): <c>(outputGradient · weightsᵀ) ⊙ f'(previousOutput)</c>, where
    /// <typeparamref name="TPreviousActivation"/> is the previous layer's activation and <paramref name="previousOutput"/>
    /// its output (this layer's input). <paramref name="transposeScratch"/> holds <c>inputs × units</c> floats.
    /// </summary>
    public static void InputGradients<TPreviousActivation>(
        Span<float> inputGradient, ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> weights,
        ReadOnlySpan<float> previousOutput, Span<float> transposeScratch, int batch, int inputs, int units)
        where TPreviousActivation : struct, IActivationFunction =>
        InputGradients<TPreviousActivation>(inputGradient, outputGradient, weights, previousOutput, [], transposeScratch, batch, inputs, units);

    /// <summary>
    /// The previous layer's dLoss/d(pre-activation) when a dropout sits between the two layers or the previous
    /// activation's derivative reads pre-activations: <c>(outputGradient · weightsᵀ) ⊙ dropoutMask ⊙ f'(saved)</c>.
    /// <paramref name="previousSaved"/> is the previous layer's output, or its pre-activations when
    /// <typeparamref name="TPreviousActivation"/> needs them; <paramref name="dropoutMask"/> holds the dropout's
    /// factors (0 or <c>1 / (1 - rate)</c>), or is empty when there is no dropout.
    /// </summary>
    public static void InputGradients<TPreviousActivation>(
        Span<float> inputGradient, ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> weights,
        ReadOnlySpan<float> previousSaved, ReadOnlySpan<float> dropoutMask, Span<float> transposeScratch, int batch, int inputs, int units)
        where TPreviousActivation : struct, IActivationFunction
    {
        CheckLength(inputGradient, (long)batch * inputs, nameof(inputGradient));
        CheckLength(outputGradient, (long)batch * units, nameof(outputGradient));
        CheckLength(weights, (long)inputs * units, nameof(weights));
        CheckLength(previousSaved, (long)batch * inputs, nameof(previousSaved));
        if (!dropoutMask.IsEmpty) CheckLength(dropoutMask, (long)batch * inputs, nameof(dropoutMask));
        if (transposeScratch.Length < (long)inputs * units)
            throw new ArgumentException($"The scratch buffer holds {transposeScratch.Length} floats; {inputs * units} are needed.", nameof(transposeScratch));

        // weightsᵀ [units, inputs], so the product reads B row by row like the other two passes.
        var transposed = transposeScratch[..(inputs * units)];
        Transpose(transposed, weights, inputs, units);
        fixed (float* dx = inputGradient)
        fixed (float* dz = outputGradient)
        fixed (float* wt = transposed)
        fixed (float* previous = previousSaved)
        fixed (float* mask = dropoutMask)
        {
            Gemm.Multiply(new GemmShape(dx, inputs, dz, units, 1, wt, inputs, batch, inputs, units),
                new ActivationDerivativeEpilogue<TPreviousActivation>(previous, mask));
        }
    }

    /// <summary><c>destination[c, r] = source[r, c]</c> for a <c>rows × columns</c> source, in cache-sized blocks.</summary>
    /// <remarks>
    /// Runs every training step on each weight matrix but the first, so it is written without bounds checks: 16×16
    /// blocks keep both the rows read and the rows written in L1. (Bounds-checked, it cost more than the product.)
    /// </remarks>
    internal static void Transpose(Span<float> destination, ReadOnlySpan<float> source, int rows, int columns)
    {
        const int Block = 16;
        if (source.Length < (long)rows * columns || destination.Length < (long)rows * columns)
            throw new ArgumentException($"Transposing {rows} × {columns} needs {rows * columns} floats on each side.");
        fixed (float* to = destination)
        fixed (float* from = source)
        {
            for (var r0 = 0; r0 < rows; r0 += Block)
            for (var c0 = 0; c0 < columns; c0 += Block)
            {
                var r1 = Math.Min(r0 + Block, rows);
                var c1 = Math.Min(c0 + Block, columns);
                for (var r = r0; r < r1; r++)
                {
                    var read = from + (long)r * columns;
                    var write = to + r;
                    for (var c = c0; c < c1; c++) write[(long)c * rows] = read[c];
                }
            }
        }
    }

    private static void CheckForward(
        Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias,
        int batch, int inputs, int units)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        CheckLength(output, (long)batch * units, nameof(output));
        CheckLength(input, (long)batch * inputs, nameof(input));
        CheckLength(weights, (long)inputs * units, nameof(weights));
        if (!bias.IsEmpty) CheckLength(bias, units, nameof(bias));
    }

    private static void CheckLength(ReadOnlySpan<float> span, long expected, string name)
    {
        if (span.Length != expected)
            throw new ArgumentException($"'{name}' holds {span.Length} floats; this layer needs exactly {expected}.", name);
    }

    /// <summary>Bias (when there is one), a copy of the pre-activations (when asked for), then the activation.</summary>
    internal readonly struct BiasActivationEpilogue<TActivation>(float* bias, float* preActivations) : IGemmEpilogue
        where TActivation : struct, IActivationFunction
    {
        public void Apply(float* c, int ldc, int row, int rows, int column, int columns)
        {
            for (var r = row; r < row + rows; r++)
            {
                var offset = (long)r * ldc + column;
                var segment = new Span<float>(c + offset, columns);
                if (bias != null) TensorPrimitives.Add(segment, new ReadOnlySpan<float>(bias + column, columns), segment);
                if (preActivations != null) segment.CopyTo(new Span<float>(preActivations + offset, columns));
                TActivation.Forward(segment);
            }
        }
    }

    /// <summary>Plain SGD on the weights of a finished tile of weight gradients (C is the gradient, same layout).</summary>
    private readonly struct SgdEpilogue(float* weights, float learningRate) : IGemmEpilogue
    {
        public void Apply(float* c, int ldc, int row, int rows, int column, int columns)
        {
            for (var r = row; r < row + rows; r++)
            {
                var offset = (long)r * ldc + column;
                ElementWise.SgdStep(new Span<float>(weights + offset, columns), new ReadOnlySpan<float>(c + offset, columns), learningRate);
            }
        }
    }

    /// <summary>
    /// The L1/L2 penalty's gradient added to a finished tile of weight gradients, then (when the learning rate is not
    /// zero) plain SGD on that tile: the weights are read before they change.
    /// </summary>
    private readonly struct RegularizedSgdEpilogue(float* weights, float learningRate, float l1, float l2) : IGemmEpilogue
    {
        public void Apply(float* c, int ldc, int row, int rows, int column, int columns)
        {
            for (var r = row; r < row + rows; r++)
            {
                var offset = (long)r * ldc + column;
                var gradients = new Span<float>(c + offset, columns);
                var w = new Span<float>(weights + offset, columns);
                Regularization.AddGradient(gradients, w, l1, l2);
                if (learningRate != 0f) ElementWise.SgdStep(w, gradients, learningRate);
            }
        }
    }

    private readonly struct ActivationDerivativeEpilogue<TActivation>(float* saved, float* dropoutMask) : IGemmEpilogue
        where TActivation : struct, IActivationFunction
    {
        public void Apply(float* c, int ldc, int row, int rows, int column, int columns)
        {
            if (TActivation.Kind == Activation.Linear && dropoutMask == null) return;
            for (var r = row; r < row + rows; r++)
            {
                var offset = (long)r * ldc + column;
                var gradient = new Span<float>(c + offset, columns);
                // Dropout sits after the previous layer's activation, so its mask is applied first on the way back.
                if (dropoutMask != null) TensorPrimitives.Multiply(gradient, new ReadOnlySpan<float>(dropoutMask + offset, columns), gradient);
                TActivation.Backward(gradient, new ReadOnlySpan<float>(saved + offset, columns));
            }
        }
    }
}
