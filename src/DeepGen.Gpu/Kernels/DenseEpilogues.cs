using ILGPU;

namespace DeepGen.Gpu;

// What a dense layer's products do with each finished element, the same operations in the same order as the CPU
// kernels' epilogues (DeepGen.Cpu.DenseKernels), so the two paths agree to rounding. Offsets are absolute positions
// in the flat buffers; -1 marks a part the layer does not have (no bias, no kept pre-activation, no dropout).

/// <summary>
/// A dense layer's forward epilogue: <c>z = sum + bias</c>, the pre-activation kept when the activation's derivative
/// needs it, <c>y = f(z)</c>, and in training the dropout's output <c>y · mask</c>, which the next layer reads.
/// </summary>
public readonly struct DenseOutput<TActivation>(
    ArrayView<float> parameters, int biasOffset, ArrayView<float> activations, long outputOffset, int units,
    long preActivationOffset = -1, long dropoutOffset = -1, long maskOffset = -1) : ITileEpilogue
    where TActivation : struct, IDeviceActivation
{
    /// <summary>The flat parameters (for the bias).</summary>
    public ArrayView<float> Parameters { get; } = parameters;
    /// <summary>Where the bias starts in <see cref="Parameters"/>; -1 for a layer without one.</summary>
    public int BiasOffset { get; } = biasOffset;
    /// <summary>The activation buffer.</summary>
    public ArrayView<float> Activations { get; } = activations;
    /// <summary>Where the layer's outputs <c>[batch, Units]</c> start.</summary>
    public long OutputOffset { get; } = outputOffset;
    /// <summary>The layer's units: the width of every row it writes.</summary>
    public int Units { get; } = units;
    /// <summary>Where the pre-activations are kept (GELU, Swish in training); -1 for none.</summary>
    public long PreActivationOffset { get; } = preActivationOffset;
    /// <summary>Where the dropout's output goes (training only); -1 for none.</summary>
    public long DropoutOffset { get; } = dropoutOffset;
    /// <summary>Where the dropout's mask (0 or 1 / (1 - rate)) was uploaded; read when <see cref="DropoutOffset"/> is not -1.</summary>
    public long MaskOffset { get; } = maskOffset;

    /// <inheritdoc />
    public void Store(int row, int column, float sum)
    {
        var z = BiasOffset >= 0 ? sum + Parameters[BiasOffset + column] : sum;
        var index = (long)row * Units + column;
        if (PreActivationOffset >= 0) Activations[PreActivationOffset + index] = z;
        var y = default(TActivation).Forward(z);
        Activations[OutputOffset + index] = y;
        if (DropoutOffset >= 0) Activations[DropoutOffset + index] = y * Activations[MaskOffset + index];
    }
}

/// <summary>
/// The backward epilogue into the previous layer: <c>sum = (delta · Wᵀ)</c> at one of its outputs becomes its delta,
/// <c>f'(z) ⊙ (sum ⊙ mask)</c>, the dropout's mask first (it sits after the activation), then the activation's
/// derivative.
/// </summary>
public readonly struct InputDelta<TActivation>(
    ArrayView<float> deltas, ArrayView<float> activations, long offset, int width,
    long preActivationOffset = -1, long maskOffset = -1) : ITileEpilogue
    where TActivation : struct, IDeviceActivation
{
    /// <summary>The delta buffer (the activation layout).</summary>
    public ArrayView<float> Deltas { get; } = deltas;
    /// <summary>The activation buffer.</summary>
    public ArrayView<float> Activations { get; } = activations;
    /// <summary>Where the previous layer's outputs start: its deltas are written at the same place in <see cref="Deltas"/>.</summary>
    public long Offset { get; } = offset;
    /// <summary>The previous layer's units.</summary>
    public int Width { get; } = width;
    /// <summary>Where its pre-activations were kept; -1 for none.</summary>
    public long PreActivationOffset { get; } = preActivationOffset;
    /// <summary>Where the dropout after it kept its mask; -1 for none.</summary>
    public long MaskOffset { get; } = maskOffset;

    /// <inheritdoc />
    public void Store(int row, int column, float sum)
    {
        var index = (long)row * Width + column;
        var gradient = MaskOffset >= 0 ? sum * Activations[MaskOffset + index] : sum;
        var z = PreActivationOffset >= 0 ? Activations[PreActivationOffset + index] : 0f;
        Deltas[Offset + index] = default(TActivation).Backward(gradient, Activations[Offset + index], z);
    }
}

/// <summary>
/// The weight-gradient epilogue: rows below <see cref="Inputs"/> are <c>dW = inputᵀ · delta</c>, with the L1/L2
/// penalty's gradient <c>l1 · sign(w) + 2 · l2 · w</c> added when the layer has one; the row at <see cref="Inputs"/>
/// (present when the layer has a bias) is <c>db = Σ delta</c>. Each gradient is written, and when
/// <see cref="LearningRate"/> is not 0 the plain SGD step <c>θ -= learningRate · gradient</c> is applied to the same
/// element.
/// </summary>
public readonly struct WeightGradient(
    ArrayView<float> parameters, ArrayView<float> gradients, int weightsOffset, int biasOffset, int inputs, int units,
    float learningRate, float l1 = 0f, float l2 = 0f) : ITileEpilogue
{
    /// <summary>The flat parameters.</summary>
    public ArrayView<float> Parameters { get; } = parameters;
    /// <summary>The flat gradients (the parameter layout).</summary>
    public ArrayView<float> Gradients { get; } = gradients;
    /// <summary>Where the weights <c>[Inputs, Units]</c> start.</summary>
    public int WeightsOffset { get; } = weightsOffset;
    /// <summary>Where the bias starts; -1 for none.</summary>
    public int BiasOffset { get; } = biasOffset;
    /// <summary>The layer's inputs: rows of the weight matrix.</summary>
    public int Inputs { get; } = inputs;
    /// <summary>The layer's units.</summary>
    public int Units { get; } = units;
    /// <summary>The plain SGD step fused here; 0 to compute gradients only.</summary>
    public float LearningRate { get; } = learningRate;
    /// <summary>The L1 penalty factor.</summary>
    public float L1 { get; } = l1;
    /// <summary>Twice the L2 penalty factor, as the CPU computes it once.</summary>
    public float TwoL2 { get; } = 2f * l2;

    /// <inheritdoc />
    public void Store(int row, int column, float sum)
    {
        int index;
        var gradient = sum;
        if (row < Inputs)
        {
            index = WeightsOffset + row * Units + column;
            if (L1 != 0f || TwoL2 != 0f)
            {
                var w = Parameters[index];
                var sign = w > 0f ? 1f : w < 0f ? -1f : 0f;
                gradient += L1 * sign + TwoL2 * w;
            }
        }
        else
        {
            index = BiasOffset + column;
        }

        Gradients[index] = gradient;
        if (LearningRate != 0f) Parameters[index] -= LearningRate * gradient;
    }
}
