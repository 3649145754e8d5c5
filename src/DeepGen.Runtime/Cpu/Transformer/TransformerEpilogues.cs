namespace DeepGen.Cpu;

// The finishes of the encoder layer's products, run on each tile of C while it is in L1 (see IGemmEpilogue).

/// <summary><c>C += bias</c> (a projection without activation: query, key, value, attention output, feed-forward outer).</summary>
internal readonly unsafe struct BiasEpilogue(float* bias) : IGemmEpilogue
{
    public void Apply(float* c, int ldc, int row, int rows, int column, int columns)
    {
        for (var r = row; r < row + rows; r++) Runs.AddTo(c + (long)r * ldc + column, bias + column, columns);
    }
}

/// <summary>
/// <c>C = gelu(C + bias)</c>, exact erf GELU (<see cref="ErfGelu"/>); when <c>preActivations</c> is not null (training),
/// <c>C + bias</c> is copied there first, laid out like C, for the derivative.
/// </summary>
internal readonly unsafe struct BiasGeluEpilogue(float* bias, float* preActivations) : IGemmEpilogue
{
    public void Apply(float* c, int ldc, int row, int rows, int column, int columns)
    {
        for (var r = row; r < row + rows; r++)
        {
            var offset = (long)r * ldc + column;
            Runs.AddTo(c + offset, bias + column, columns);
            if (preActivations != null) new Span<float>(c + offset, columns).CopyTo(new Span<float>(preActivations + offset, columns));
            ErfGelu.Forward(c + offset, columns);
        }
    }
}

/// <summary>
/// <c>C += addend</c>, laid out like C: a gradient that reaches a tensor along a residual connection as well as
/// through the product.
/// </summary>
internal readonly unsafe struct AddEpilogue(float* addend) : IGemmEpilogue
{
    public void Apply(float* c, int ldc, int row, int rows, int column, int columns)
    {
        for (var r = row; r < row + rows; r++)
        {
            var offset = (long)r * ldc + column;
            Runs.AddTo(c + offset, addend + offset, columns);
        }
    }
}

/// <summary>
/// <c>C ⊙= f'(saved)</c> for the feed-forward's activation: GELU reads its pre-activations, ReLU its outputs; both
/// laid out like C.
/// </summary>
internal readonly unsafe struct ActivationDerivativeEpilogue(float* saved, bool gelu) : IGemmEpilogue
{
    public void Apply(float* c, int ldc, int row, int rows, int column, int columns)
    {
        for (var r = row; r < row + rows; r++)
        {
            var offset = (long)r * ldc + column;
            if (gelu) ErfGelu.Backward(c + offset, saved + offset, columns);
            else ReluActivation.Backward(new Span<float>(c + offset, columns), new ReadOnlySpan<float>(saved + offset, columns));
        }
    }
}
