using System.Numerics.Tensors;
using System.Runtime.Intrinsics.X86;

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
            // Threads split dW by rows, the inputs: for a hidden layer those are the rows of W its input-gradient
            // product (just before, split the same way) has brought into the same core's cache.
            const GemmAffinity affinity = GemmAffinity.Rows;
            if (penalty) Gemm.Multiply(shape, new RegularizedSgdEpilogue(w, learningRate, l1, l2), affinity);
            else if (update) Gemm.Multiply(shape, new SgdEpilogue(w, units, learningRate), affinity);
            else Gemm.Multiply(shape, default(NoEpilogue), affinity);
        }

        if (!hasBias) return;
        // Rows are added in batch order, so the sum is the same whatever the thread count.
        fixed (float* db = biasGradients)
        fixed (float* dz = outputGradient)
            Runs.ColumnSums(db, dz, batch, units);
        if (update) ElementWise.SgdStep(bias, biasGradients, learningRate);
    }

    /// <summary>
    /// <c>inputGradient[batch, inputs] = (outputGradient[batch, units] · weights[inputs, units]ᵀ) ⊙ f'(previousOutput)</c>,
    /// the gradient handed to the layer below, with that layer's activation derivative applied.
    /// </summary>
    /// <remarks>
    /// The product needs one operand transposed, and which one is cheaper depends on the shape:
    /// <list type="bullet">
    /// <item>When the weights are the larger (a wide hidden layer), it is computed as its transpose,
    /// <c>dXᵀ[inputs, batch] = W · dZᵀ</c>: the weights are the product's row-major A operand, read in place, and only
    /// the smaller <c>dZ</c> is transposed into scratch, its rows padded to a whole number of 512-bit vectors so the
    /// product has no scalar tail. Each finished tile of <c>dXᵀ</c> is transposed back into place, and the dropout
    /// mask and activation derivative applied, by the thread that computed it while the tile is in L1.</item>
    /// <item>When the weights are the smaller (the output layer: 10 units against a batch of 100), <c>Wᵀ</c> is
    /// transposed into scratch instead and <c>dX = dZ · Wᵀ</c> computed directly, with mask and derivative fused into
    /// each tile.</item>
    /// </list>
    /// Either way each element is the same chain of fused multiply-adds over the units (a·b = b·a exactly), so both
    /// give the bits a direct product gives. <paramref name="scratch"/> must hold
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

        fixed (float* dx = inputGradient)
        fixed (float* dz = outputGradient)
        fixed (float* w = weights)
        fixed (float* saved = previousSaved)
        fixed (float* mask = dropoutMask)
        fixed (float* work = scratch)
        {
            var epilogue = new InputGradientEpilogue<TPreviousActivation>(dx, inputs, batch, mask, saved);
            if (TransposesWeights(batch, inputs, units))
            {
                // Wᵀ[units, inputs], then dX = dZ · Wᵀ with the derivative fused into each tile.
                Transpose(work, inputs, w, units, inputs, units);
                Gemm.Multiply(new GemmShape(dx, inputs, dz, units, 1, work, inputs, batch, inputs, units), epilogue);
                return;
            }

            // dZᵀ[units, padded], then dXᵀ = W · dZᵀ; the padding columns must be zero, or they would carry whatever
            // the scratch held into the product (they are computed, never copied out).
            var padded = PaddedBatch(batch);
            var dzT = work;
            Transpose(dzT, padded, dz, units, batch, units);
            if (padded > batch)
                for (var unit = 0; unit < units; unit++) new Span<float>(dzT + (long)unit * padded + batch, padded - batch).Clear();
            var dxT = work + (long)units * padded;
            Gemm.Multiply(new GemmShape(dxT, padded, w, units, 1, dzT, padded, inputs, padded, units), epilogue.Transposed(), GemmAffinity.Rows);
        }
    }

    /// <summary>Floats of scratch <c>InputGradients</c> needs: <c>dZᵀ</c> and <c>dXᵀ</c> with rows padded to 16, or <c>Wᵀ</c>.</summary>
    public static long InputGradientScratchSize(int batch, int inputs, int units) =>
        TransposesWeights(batch, inputs, units) ? (long)inputs * units : (long)(inputs + units) * PaddedBatch(batch);

    /// <summary>
    /// Whether transposing the weights moves no more floats than transposing <c>dZ</c> in and <c>dXᵀ</c> out (padded).
    /// Deciding on the padded batch keeps the scratch size non-decreasing in the batch, so scratch sized for a
    /// model's largest batch also serves an epoch's smaller last batch.
    /// </summary>
    private static bool TransposesWeights(int batch, int inputs, int units) =>
        (long)inputs * units <= (long)(inputs + units) * PaddedBatch(batch);

    /// <summary>The batch rounded up to 16, a whole 512-bit vector (and so a whole 256- or 128-bit one).</summary>
    private static int PaddedBatch(int batch) => (batch + 15) & ~15;

    /// <summary><c>destination[c, r] = source[r, c]</c> for a <c>rows × columns</c> source.</summary>
    internal static void Transpose(Span<float> destination, ReadOnlySpan<float> source, int rows, int columns) =>
        Transpose(destination, rows, source, columns, rows, columns);

    /// <summary>
    /// <c>destination[c * destinationStride + r] = source[r * sourceStride + c]</c> for <c>r &lt; rows</c>,
    /// <c>c &lt; columns</c>.
    /// </summary>
    internal static void Transpose(Span<float> destination, int destinationStride, ReadOnlySpan<float> source, int sourceStride, int rows, int columns)
    {
        if (rows <= 0 || columns <= 0) return;
        if (sourceStride < columns || destinationStride < rows ||
            source.Length < (long)(rows - 1) * sourceStride + columns || destination.Length < (long)(columns - 1) * destinationStride + rows)
            throw new ArgumentException($"Transposing {rows} × {columns} with strides {sourceStride} → {destinationStride} does not fit the buffers.");
        fixed (float* to = destination)
        fixed (float* from = source)
        {
            Transpose(to, destinationStride, from, sourceStride, rows, columns);
        }
    }

    /// <summary>
    /// <c>to[c * toStride + r] = from[r * fromStride + c]</c>, unchecked: 8 × 8 blocks through AVX registers where
    /// the machine has them, 16 × 16 blocks of scalar copies (both sides in L1) elsewhere and at the edges.
    /// </summary>
    /// <remarks>
    /// Runs every training step (twice per hidden layer), so it is vectorized: the scalar version cost 55 µs on the
    /// seed network's 100 × 500 deltas, as much as a fifth of the product it served.
    /// </remarks>
    private static void Transpose(float* to, long toStride, float* from, long fromStride, int rows, int columns)
    {
        var r0 = 0;
        if (Avx.IsSupported)
        {
            for (; r0 + 8 <= rows; r0 += 8)
            {
                var c0 = 0;
                for (; c0 + 8 <= columns; c0 += 8) Transpose8x8(to + c0 * toStride + r0, toStride, from + r0 * fromStride + c0, fromStride);
                TransposeScalar(to, toStride, from, fromStride, r0, r0 + 8, c0, columns);
            }
        }

        for (; r0 < rows; r0 += 16) TransposeScalar(to, toStride, from, fromStride, r0, Math.Min(r0 + 16, rows), 0, columns);
    }

    private static void TransposeScalar(float* to, long toStride, float* from, long fromStride, int r0, int r1, int c0, int c1)
    {
        for (var cb = c0; cb < c1; cb += 16)
        {
            var ce = Math.Min(cb + 16, c1);
            for (var r = r0; r < r1; r++)
            {
                var read = from + r * fromStride;
                var write = to + r;
                for (var c = cb; c < ce; c++) write[c * toStride] = read[c];
            }
        }
    }

    /// <summary>The classic AVX 8 × 8 transpose: unpack pairs, shuffle quads, swap 128-bit halves.</summary>
    private static void Transpose8x8(float* to, long toStride, float* from, long fromStride)
    {
        var r0 = Avx.LoadVector256(from);
        var r1 = Avx.LoadVector256(from + fromStride);
        var r2 = Avx.LoadVector256(from + 2 * fromStride);
        var r3 = Avx.LoadVector256(from + 3 * fromStride);
        var r4 = Avx.LoadVector256(from + 4 * fromStride);
        var r5 = Avx.LoadVector256(from + 5 * fromStride);
        var r6 = Avx.LoadVector256(from + 6 * fromStride);
        var r7 = Avx.LoadVector256(from + 7 * fromStride);
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var s0 = Avx.Shuffle(t0, t2, 0x44);
        var s1 = Avx.Shuffle(t0, t2, 0xEE);
        var s2 = Avx.Shuffle(t1, t3, 0x44);
        var s3 = Avx.Shuffle(t1, t3, 0xEE);
        var s4 = Avx.Shuffle(t4, t6, 0x44);
        var s5 = Avx.Shuffle(t4, t6, 0xEE);
        var s6 = Avx.Shuffle(t5, t7, 0x44);
        var s7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(to, Avx.Permute2x128(s0, s4, 0x20));
        Avx.Store(to + toStride, Avx.Permute2x128(s1, s5, 0x20));
        Avx.Store(to + 2 * toStride, Avx.Permute2x128(s2, s6, 0x20));
        Avx.Store(to + 3 * toStride, Avx.Permute2x128(s3, s7, 0x20));
        Avx.Store(to + 4 * toStride, Avx.Permute2x128(s0, s4, 0x31));
        Avx.Store(to + 5 * toStride, Avx.Permute2x128(s1, s5, 0x31));
        Avx.Store(to + 6 * toStride, Avx.Permute2x128(s2, s6, 0x31));
        Avx.Store(to + 7 * toStride, Avx.Permute2x128(s3, s7, 0x31));
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
            // A tile as wide as C (a convolution's 32 or 64 filters) is one run of rows · columns values, which the
            // activation takes in one call; the element-wise activations give each element the same bits either way.
            var whole = columns == ldc && TActivation.Kind != Activation.Linear;
            for (var r = row; r < row + rows; r++)
            {
                var offset = (long)r * ldc + column;
                if (bias != null) Runs.AddTo(c + offset, bias + column, columns);
                if (preActivations != null) new Span<float>(c + offset, columns).CopyTo(new Span<float>(preActivations + offset, columns));
                if (!whole) TActivation.Forward(new Span<float>(c + offset, columns));
            }

            if (whole) TActivation.Forward(new Span<float>(c + (long)row * ldc, rows * columns));
        }
    }

    /// <summary>
    /// The finish of an input-gradient tile: the dropout mask (when there is one) and the previous layer's activation
    /// derivative. For the direct product C is <c>dX</c> itself; for the transposed one (<see cref="Transposed"/>) C
    /// is <c>dXᵀ</c> in scratch, and the tile is first transposed into <c>dX</c>, skipping the padding columns.
    /// </summary>
    private readonly struct InputGradientEpilogue<TActivation>(float* dx, int inputs, int batch, float* mask, float* saved, bool transposed = false)
        : IGemmEpilogue
        where TActivation : struct, IActivationFunction
    {
        public InputGradientEpilogue<TActivation> Transposed() => new(dx, inputs, batch, mask, saved, transposed: true);

        public void Apply(float* c, int ldc, int row, int rows, int column, int columns)
        {
            if (transposed)
            {
                // C rows are inputs, C columns are samples: finish samples [column, column + columns) over inputs [row, row + rows).
                var samples = Math.Min(columns, batch - column);
                if (samples <= 0) return;
                Transpose(dx + (long)column * inputs + row, inputs, c + (long)row * ldc + column, ldc, rows, samples);
                Finish(column, samples, row, rows);
            }
            else
            {
                Finish(row, rows, column, columns);
            }
        }

        /// <summary>Mask and derivative on samples <c>[sample, sample + samples)</c>, inputs <c>[input, input + count)</c> of dX.</summary>
        private void Finish(int sample, int samples, int input, int count)
        {
            if (mask == null && TActivation.Kind == Activation.Linear) return;
            for (var s = sample; s < sample + samples; s++)
            {
                var offset = (long)s * inputs + input;
                var gradient = new Span<float>(dx + offset, count);
                // Dropout sits after the previous layer's activation, so its mask is applied first on the way back.
                if (mask != null) TensorPrimitives.Multiply(gradient, new ReadOnlySpan<float>(mask + offset, count), gradient);
                if (TActivation.Kind != Activation.Linear) TActivation.Backward(gradient, new ReadOnlySpan<float>(saved + offset, count));
            }
        }
    }

    /// <summary>Plain SGD on the weights of a finished tile of weight gradients (C is the gradient, same layout).</summary>
    private readonly struct SgdEpilogue(float* weights, int units, float learningRate) : IGemmEpilogue
    {
        public void Apply(float* c, int ldc, int row, int rows, int column, int columns)
        {
            for (var r = row; r < row + rows; r++)
            {
                ElementWise.SgdStep(new Span<float>(weights + (long)r * units + column, columns),
                    new ReadOnlySpan<float>(c + (long)r * ldc + column, columns), learningRate);
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
