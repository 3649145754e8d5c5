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
    /// <c>inputGradient[batch, inputs] = (outputGradient[batch, units] · weights[inputs, units]ᵀ) ⊙ f'(previousOutput)</c>,
    /// the gradient handed to the layer below, with that layer's activation derivative applied.
    /// </summary>
    /// <remarks>
    /// Computed as its transpose, <c>dXᵀ[inputs, batch] = W · dZᵀ</c>: then the weights are the product's row-major
    /// A operand, read in place, and only the much smaller <c>dZ</c> (batch × units rather than inputs × units) is
    /// transposed into scratch, with its rows padded to a whole number of 512-bit vectors so the product has no
    /// scalar tail. Each element is the same chain of fused multiply-adds over the units as <c>dZ · Wᵀ</c> (a·b = b·a
    /// exactly), so the result is bit for bit the one a direct product gives. <paramref name="scratch"/> must hold
    /// <see cref="InputGradientScratchSize"/> floats.
    /// </remarks>
    public static void InputGradients<TPreviousActivation>(
        Span<float> inputGradient, ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> weights,
        ReadOnlySpan<float> previousOutput, Span<float> scratch, int batch, int inputs, int units)
        where TPreviousActivation : struct, IActivationFunction =>
        InputGradients<TPreviousActivation>(inputGradient, outputGradient, weights, previousOutput, [], scratch, batch, inputs, units);

    /// <summary>
    /// The previous layer's dLoss/d(pre-activation) when a dropout sits between the two layers or the previous
    /// activation's derivative reads pre-activations: <c>(outputGradient · weightsᵀ) ⊙ dropoutMask ⊙ f'(saved)</c>.
    /// <paramref name="previousSaved"/> is the previous layer's output, or its pre-activations when
    /// <typeparamref name="TPreviousActivation"/> needs them; <paramref name="dropoutMask"/> holds the dropout's
    /// factors (0 or <c>1 / (1 - rate)</c>), or is empty when there is no dropout. Computed as the overload above.
    /// </summary>
    public static void InputGradients<TPreviousActivation>(
        Span<float> inputGradient, ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> weights,
        ReadOnlySpan<float> previousSaved, ReadOnlySpan<float> dropoutMask, Span<float> scratch, int batch, int inputs, int units)
        where TPreviousActivation : struct, IActivationFunction
    {
        CheckLength(inputGradient, (long)batch * inputs, nameof(inputGradient));
        CheckLength(outputGradient, (long)batch * units, nameof(outputGradient));
        CheckLength(weights, (long)inputs * units, nameof(weights));
        CheckLength(previousSaved, (long)batch * inputs, nameof(previousSaved));
        if (!dropoutMask.IsEmpty) CheckLength(dropoutMask, (long)batch * inputs, nameof(dropoutMask));
        var needed = InputGradientScratchSize(batch, inputs, units);
        if (scratch.Length < needed)
            throw new ArgumentException($"The scratch buffer holds {scratch.Length} floats; {needed} are needed.", nameof(scratch));

        var padded = PaddedBatch(batch);
        var outputGradientT = scratch[..(units * padded)];
        var productT = scratch.Slice(units * padded, inputs * padded);
        Transpose(outputGradientT, padded, outputGradient, units, batch, units);
        // The padding columns must be zero, or they would carry whatever the scratch held into the product.
        if (padded > batch)
            for (var unit = 0; unit < units; unit++) outputGradientT.Slice(unit * padded + batch, padded - batch).Clear();

        fixed (float* dxT = productT)
        fixed (float* w = weights)
        fixed (float* dzT = outputGradientT)
        {
            Gemm.Multiply(new GemmShape(dxT, padded, w, units, 1, dzT, padded, inputs, padded, units), default(NoEpilogue));
        }

        Transpose(inputGradient, inputs, productT, padded, inputs, batch);
        // Dropout sits after the previous layer's activation, so its mask is applied first on the way back.
        if (!dropoutMask.IsEmpty) TensorPrimitives.Multiply(inputGradient, dropoutMask, inputGradient);
        if (TPreviousActivation.Kind != Activation.Linear) TPreviousActivation.Backward(inputGradient, previousSaved);
    }

    /// <summary>Floats of scratch <c>InputGradients</c> needs: <c>dZᵀ</c> and <c>dXᵀ</c>, rows padded to 16.</summary>
    public static long InputGradientScratchSize(int batch, int inputs, int units) => (long)(inputs + units) * PaddedBatch(batch);

    /// <summary>The batch rounded up to 16, a whole 512-bit vector (and so a whole 256- or 128-bit one).</summary>
    private static int PaddedBatch(int batch) => (batch + 15) & ~15;

    /// <summary><c>destination[c, r] = source[r, c]</c> for a <c>rows × columns</c> source, in cache-sized blocks.</summary>
    internal static void Transpose(Span<float> destination, ReadOnlySpan<float> source, int rows, int columns) =>
        Transpose(destination, rows, source, columns, rows, columns);

    /// <summary>
    /// <c>destination[c * destinationStride + r] = source[r * sourceStride + c]</c> for <c>r &lt; rows</c>,
    /// <c>c &lt; columns</c>, in cache-sized blocks.
    /// </summary>
    /// <remarks>
    /// Runs every training step, so it is written without bounds checks: 16×16 blocks keep both the rows read and the
    /// rows written in L1. (Bounds-checked, a transpose once cost more than the product it served.)
    /// </remarks>
    internal static void Transpose(Span<float> destination, int destinationStride, ReadOnlySpan<float> source, int sourceStride, int rows, int columns)
    {
        const int Block = 16;
        if (rows <= 0 || columns <= 0) return;
        if (sourceStride < columns || destinationStride < rows ||
            source.Length < (long)(rows - 1) * sourceStride + columns || destination.Length < (long)(columns - 1) * destinationStride + rows)
            throw new ArgumentException($"Transposing {rows} × {columns} with strides {sourceStride} → {destinationStride} does not fit the buffers.");
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
                    var read = from + (long)r * sourceStride;
                    var write = to + r;
                    for (var c = c0; c < c1; c++) write[(long)c * destinationStride] = read[c];
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
}
