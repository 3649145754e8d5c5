using static DeepGen.Cpu.KernelArguments;

namespace DeepGen.Cpu;

/// <summary>
/// One BERT encoder layer (post-LayerNorm), forward and backward, on token rows <c>[tokens, H]</c> with
/// tokens = batch · sequence:
/// <code>
/// q, k, v = x·Wq + bq, x·Wk + bk, x·Wv + bv                    [tokens, H] each
/// c = attention(q, k, v, mask)                                  [tokens, H]  (AttentionKernels)
/// h = LN1(x + c·Wo + bo)                                        [tokens, H]
/// f = act(h·W1 + b1)                                            [tokens, F]  (exact GELU or ReLU)
/// y = LN2(h + f·W2 + b2)                                        [tokens, H]
/// </code>
/// Parameters are one layer's slice in <see cref="EncoderShape.Layout"/> order (weights <c>[in, out]</c>).
/// </summary>
/// <remarks>
/// Every product runs on <see cref="Gemm"/> with its bias (and GELU) fused into each tile; each residual add is fused
/// into the layer normalization's first pass, and in the backward pass into the product that meets it. Gradients are
/// overwritten, never accumulated. All work is split over outputs, never over a summation, so results are bitwise the
/// same for any thread count; nothing is allocated after a thread's first call.
/// </remarks>
public static unsafe class TransformerEncoderKernels
{
    /// <summary>
    /// <c>output = layer(input)</c>, both <c>[batch · sequence, H]</c> and not overlapping.
    /// </summary>
    /// <param name="s">The layer's sizes.</param>
    /// <param name="parameters">The layer's parameters, <see cref="EncoderShape.ParametersPerLayer"/> floats.</param>
    /// <param name="mask"><c>[batch, sequence]</c> of 1 (token) and 0 (padding), or empty for all tokens; every sample needs a token.</param>
    /// <param name="kept">Training: at least <see cref="EncoderShape.KeptFloats"/>, what <see cref="Backward"/> reads.
    /// Inference: at least <see cref="EncoderShape.InferenceScratchFloats"/> of scratch.</param>
    public static void Forward(in EncoderShape s, ReadOnlySpan<float> parameters, Span<float> output, ReadOnlySpan<float> input,
        ReadOnlySpan<int> mask, int batch, int sequence, Span<float> kept, bool training)
    {
        CheckCommon(s, parameters, input, mask, batch, sequence);
        long tokens = (long)batch * sequence;
        CheckLength(output, tokens * s.Hidden, nameof(output));
        if (output.Overlaps(input)) throw new ArgumentException("'output' and 'input' overlap; the layer reads its input after it starts writing its output.", nameof(output));
        var needed = training ? s.KeptFloats(batch, sequence) : s.InferenceScratchFloats(batch, sequence);
        if (kept.Length < needed)
            throw new ArgumentException($"'kept' holds {kept.Length} floats; a {(training ? "training" : "inference")} pass of {batch} × {sequence} tokens needs {needed}.", nameof(kept));

        var layout = s.Layout;
        int t = (int)tokens, hidden = s.Hidden, ff = s.FeedForward;
        fixed (float* p = parameters)
        fixed (float* y = output)
        fixed (float* x = input)
        fixed (int* m = mask)
        fixed (float* buffer = kept)
        {
            float* q, k, v, context, f, slots, probabilities = null, pre = null;
            float* normalized1 = null, inverse1 = null, normalized2 = null, inverse2 = null;
            float* attentionSum, attended, ffSum;
            long slotFloats;
            if (training)
            {
                var at = new EncoderShape.KeptLayout(s, batch, sequence);
                q = buffer + at.Query;
                k = buffer + at.Key;
                v = buffer + at.Value;
                probabilities = buffer + at.Probabilities;
                context = buffer + at.Context;
                normalized1 = buffer + at.Normalized1;
                inverse1 = buffer + at.InverseStd1;
                attended = buffer + at.Attended;
                if (s.Activation == Activation.Gelu) pre = buffer + at.PreActivations;
                f = buffer + at.Activations;
                normalized2 = buffer + at.Normalized2;
                inverse2 = buffer + at.InverseStd2;
                // The projections before each normalization are written where its normalized values go: the
                // normalization reads each element before it writes the same element.
                attentionSum = normalized1;
                ffSum = normalized2;
                slots = buffer + at.Slots;
                slotFloats = at.SlotFloats;
            }
            else
            {
                var at = new EncoderShape.InferenceLayout(s, batch, sequence);
                q = buffer + at.Query;
                k = buffer + at.Key;
                v = buffer + at.Value;
                context = buffer + at.Context;
                f = buffer + at.Activations;
                // Later stages take the buffers of finished ones: q after the attention, k and v after that.
                attentionSum = q;
                attended = k;
                ffSum = v;
                slots = buffer + at.Slots;
                slotFloats = at.SlotFloats;
            }

            Project(q, x, p + layout.QueryWeights, p + layout.QueryBias, t, hidden, hidden);
            Project(k, x, p + layout.KeyWeights, p + layout.KeyBias, t, hidden, hidden);
            Project(v, x, p + layout.ValueWeights, p + layout.ValueBias, t, hidden, hidden);
            AttentionKernels.Forward(context, q, k, v, m, probabilities, batch, sequence, s.Heads, s.HeadSize, slots, slotFloats);
            Project(attentionSum, context, p + layout.AttentionOutputWeights, p + layout.AttentionOutputBias, t, hidden, hidden);
            LayerNormalizationKernels.ForwardUnchecked(attended, normalized1, inverse1, attentionSum, x,
                p + layout.AttentionNormGamma, p + layout.AttentionNormBeta, t, hidden, s.Epsilon);
            var inner = new GemmShape(f, ff, attended, hidden, 1, p + layout.FeedForwardInnerWeights, ff, t, ff, hidden);
            if (s.Activation == Activation.Gelu) Gemm.Multiply(inner, new BiasGeluEpilogue(p + layout.FeedForwardInnerBias, pre));
            else Gemm.Multiply(inner, new DenseKernels.BiasActivationEpilogue<ReluActivation>(p + layout.FeedForwardInnerBias, null));
            Project(ffSum, f, p + layout.FeedForwardOuterWeights, p + layout.FeedForwardOuterBias, t, ff, hidden);
            LayerNormalizationKernels.ForwardUnchecked(y, normalized2, inverse2, ffSum, attended,
                p + layout.OutputNormGamma, p + layout.OutputNormBeta, t, hidden, s.Epsilon);
        }
    }

    /// <summary>
    /// The gradients of one layer's parameters (<paramref name="gradients"/>, the layer's slice, overwritten) and of its
    /// input (<paramref name="inputGradient"/> <c>[batch · sequence, H]</c>, overwritten), from the output's gradient,
    /// the input and what the training <see cref="Forward"/> kept.
    /// </summary>
    /// <param name="scratch">At least <see cref="EncoderShape.BackwardScratchFloats"/>.</param>
    public static void Backward(in EncoderShape s, ReadOnlySpan<float> parameters, Span<float> gradients, Span<float> inputGradient,
        ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> input, ReadOnlySpan<float> kept, ReadOnlySpan<int> mask,
        int batch, int sequence, Span<float> scratch)
    {
        CheckCommon(s, parameters, input, mask, batch, sequence);
        long tokens = (long)batch * sequence;
        CheckLength(gradients, s.ParametersPerLayer, nameof(gradients));
        CheckLength(inputGradient, tokens * s.Hidden, nameof(inputGradient));
        CheckLength(outputGradient, tokens * s.Hidden, nameof(outputGradient));
        var keptNeeded = s.KeptFloats(batch, sequence);
        if (kept.Length < keptNeeded)
            throw new ArgumentException($"'kept' holds {kept.Length} floats; a training pass of {batch} × {sequence} tokens keeps {keptNeeded}.", nameof(kept));
        var scratchNeeded = s.BackwardScratchFloats(batch, sequence);
        if (scratch.Length < scratchNeeded)
            throw new ArgumentException($"'scratch' holds {scratch.Length} floats; a backward pass of {batch} × {sequence} tokens needs {scratchNeeded}.", nameof(scratch));

        var layout = s.Layout;
        var at = new EncoderShape.KeptLayout(s, batch, sequence);
        var w = new EncoderShape.BackwardLayout(s, batch, sequence);
        int t = (int)tokens, hidden = s.Hidden, ff = s.FeedForward;
        var gelu = s.Activation == Activation.Gelu;
        fixed (float* p = parameters)
        fixed (float* g = gradients)
        fixed (float* dx = inputGradient)
        fixed (float* dy = outputGradient)
        fixed (float* x = input)
        fixed (float* kb = kept)
        fixed (int* m = mask)
        fixed (float* sb = scratch)
        {
            float* outputSum = sb + w.OutputSum, activationGradient = sb + w.ActivationGradient, attendedGradient = sb + w.AttendedGradient;
            float* attentionSum = sb + w.AttentionSum, contextGradient = sb + w.ContextGradient, projections = sb + w.ProjectionGradients;
            float* transposed = sb + w.TransposedWeights, biasSums = sb + w.BiasSums;
            float* attended = kb + at.Attended, f = kb + at.Activations;

            // y = LN2(h + f·W2 + b2)
            LayerNormalizationKernels.BackwardUnchecked(outputSum, g + layout.OutputNormGamma, g + layout.OutputNormBeta, dy,
                kb + at.Normalized2, kb + at.InverseStd2, p + layout.OutputNormGamma, t, hidden);
            WeightGradients(g + layout.FeedForwardOuterWeights, g + layout.FeedForwardOuterBias, f, ff, outputSum, hidden, hidden, t, ff, hidden);
            // df = (dSum2 · W2ᵀ) ⊙ act'
            Transposed(transposed, p + layout.FeedForwardOuterWeights, ff, hidden);
            Gemm.Multiply(new GemmShape(activationGradient, ff, outputSum, hidden, 1, transposed, ff, t, ff, hidden),
                new ActivationDerivativeEpilogue(gelu ? kb + at.PreActivations : f, gelu));
            // f = act(h·W1 + b1): h also reaches y directly, so dh = df · W1ᵀ + dSum2.
            WeightGradients(g + layout.FeedForwardInnerWeights, g + layout.FeedForwardInnerBias, attended, hidden, activationGradient, ff, ff, t, hidden, ff);
            Transposed(transposed, p + layout.FeedForwardInnerWeights, hidden, ff);
            Gemm.Multiply(new GemmShape(attendedGradient, hidden, activationGradient, ff, 1, transposed, hidden, t, hidden, ff),
                new AddEpilogue(outputSum));
            // h = LN1(x + c·Wo + bo)
            LayerNormalizationKernels.BackwardUnchecked(attentionSum, g + layout.AttentionNormGamma, g + layout.AttentionNormBeta, attendedGradient,
                kb + at.Normalized1, kb + at.InverseStd1, p + layout.AttentionNormGamma, t, hidden);
            WeightGradients(g + layout.AttentionOutputWeights, g + layout.AttentionOutputBias, kb + at.Context, hidden, attentionSum, hidden, hidden, t, hidden, hidden);
            Transposed(transposed, p + layout.AttentionOutputWeights, hidden, hidden);
            Gemm.Multiply(new GemmShape(contextGradient, hidden, attentionSum, hidden, 1, transposed, hidden, t, hidden, hidden), default(NoEpilogue));
            // Attention, into dQ | dK | dV side by side [tokens, 3H].
            var stride = 3 * hidden;
            AttentionKernels.Backward(projections, projections + hidden, projections + 2 * hidden, stride, contextGradient,
                kb + at.Query, kb + at.Key, kb + at.Value, m, kb + at.Probabilities, batch, sequence, s.Heads, s.HeadSize,
                sb + w.Slots, w.SlotFloats);
            Runs.ColumnSums(biasSums, projections, t, stride);
            for (var i = 0; i < 3; i++)
            {
                var (weights, bias) = i switch
                {
                    0 => (layout.QueryWeights, layout.QueryBias),
                    1 => (layout.KeyWeights, layout.KeyBias),
                    _ => (layout.ValueWeights, layout.ValueBias),
                };
                WeightGradients(g + weights, null, x, hidden, projections + i * hidden, stride, hidden, t, hidden, hidden);
                new Span<float>(biasSums + i * hidden, hidden).CopyTo(new Span<float>(g + bias, hidden));
                Transposed(transposed + (long)i * hidden * hidden, p + weights, hidden, hidden);
            }

            // dx = [dQ dK dV] · [Wq Wk Wv]ᵀ + dSum1: x reaches the layer through the three projections and the residual.
            Gemm.Multiply(new GemmShape(dx, hidden, projections, stride, 1, transposed, hidden, t, hidden, stride), new AddEpilogue(attentionSum));
        }
    }

    /// <summary><c>output[rows, outputs] = input[rows, inputs] · weights + bias</c>.</summary>
    private static void Project(float* output, float* input, float* weights, float* bias, int rows, int inputs, int outputs) =>
        Gemm.Multiply(new GemmShape(output, outputs, input, inputs, 1, weights, outputs, rows, outputs, inputs), new BiasEpilogue(bias));

    /// <summary>
    /// <c>dW[inputs, outputs] = inputᵀ · dZ</c> (rows of dZ <paramref name="gradientStride"/> apart) and, unless
    /// <paramref name="biasGradient"/> is null, <c>db = Σ_rows dZ</c> (contiguous dZ only).
    /// </summary>
    private static void WeightGradients(float* weightGradient, float* biasGradient, float* input, int inputStride,
        float* outputGradient, int gradientStride, int outputs, int rows, int inputs, int outputsAgain)
    {
        // A = inputᵀ: its row i is column i of the input (stride 1 along a row of A, a whole input row per step of p).
        Gemm.Multiply(new GemmShape(weightGradient, outputs, input, 1, inputStride, outputGradient, gradientStride, inputs, outputs, rows),
            default(NoEpilogue), GemmAffinity.Rows);
        if (biasGradient != null) Runs.ColumnSums(biasGradient, outputGradient, rows, outputsAgain);
    }

    /// <summary><c>to[c, r] = from[r, c]</c> for a <c>[rows, columns]</c> matrix.</summary>
    private static void Transposed(float* to, float* from, int rows, int columns) =>
        DenseKernels.Transpose(new Span<float>(to, rows * columns), new ReadOnlySpan<float>(from, rows * columns), rows, columns);

    private static void CheckCommon(in EncoderShape s, ReadOnlySpan<float> parameters, ReadOnlySpan<float> input, ReadOnlySpan<int> mask, int batch, int sequence)
    {
        s.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sequence);
        CheckLength(parameters, s.ParametersPerLayer, nameof(parameters));
        CheckLength(input, (long)batch * sequence * s.Hidden, nameof(input));
        AttentionMask.Check(mask, batch, sequence);
    }
}
