using DeepGen.Cpu;
using static DeepGen.Runtime.Tests.Cpu.Transformer.TransformerReference;

namespace DeepGen.Runtime.Tests.Cpu.Transformer;

/// <summary>
/// Layer normalization, the embedding sum and the sequence poolings against <see cref="TransformerReference"/>, their
/// gradients against central differences of it, and their argument checks.
/// </summary>
public class SequenceKernelTests
{
    public static TheoryData<int, int, bool> NormShapes() => new()
    {
        // rows, width, residual: widths below, at and past a vector, and one with a tail.
        { 1, 1, false }, { 3, 12, true }, { 7, 20, false }, { 17, 37, true }, { 70, 20, true },
    };

    [Theory]
    [MemberData(nameof(NormShapes))]
    public void Layer_normalization_matches_the_definition_and_its_gradients_the_finite_differences(int rows, int width, bool withResidual)
    {
        const float epsilon = 1e-5f;
        var x = NaiveKernels.Random(rows * width, 1, -2f, 3f);
        var residual = withResidual ? NaiveKernels.Random(rows * width, 2) : [];
        var (gamma, beta) = (NaiveKernels.Random(width, 3, 0.5f, 1.5f), NaiveKernels.Random(width, 4));
        var (y, n, inverse) = (Filled(rows * width), Filled(rows * width), Filled(rows));
        LayerNormalizationKernels.Forward(y, n, inverse, x, residual, gamma, beta, rows, width, epsilon);
        var (xs, rs, gs, bs) = (ToDouble(x), withResidual ? ToDouble(residual) : null, ToDouble(gamma), ToDouble(beta));
        AssertClose(LayerNorm(xs, rs, gs, bs, rows, width, epsilon), y, 2e-6, "y");

        // Inference writes the same output without the training extras.
        var alone = Filled(rows * width);
        LayerNormalizationKernels.Forward(alone, [], [], x, residual, gamma, beta, rows, width, epsilon);
        FiniteDifferences.AssertBitwise(y, alone, "inference output");

        var dy = NaiveKernels.Random(rows * width, 5);
        var (dx, dGamma, dBeta) = (Filled(rows * width), Filled(width), Filled(width));
        LayerNormalizationKernels.Backward(dx, dGamma, dBeta, dy, n, inverse, gamma, rows, width);
        Func<double[]> forward = () => LayerNorm(xs, rs, gs, bs, rows, width, epsilon);
        if (width > 1) CheckGradient(xs, dx, dy, forward, "dx", step: 1e-5);
        if (rs is not null) CheckGradient(rs, dx, dy, forward, "dResidual", step: 1e-5);
        CheckGradient(gs, dGamma, dy, forward, "dGamma");
        CheckGradient(bs, dBeta, dy, forward, "dBeta");
    }

    [Fact]
    public void Layer_normalization_checks_its_arguments()
    {
        float[] x = new float[12], g = new float[4];
        var e = Assert.Throws<ArgumentException>(() => LayerNormalizationKernels.Forward(new float[12], [], [], x, [], g, new float[3], 3, 4, 1e-5f));
        Assert.Contains("beta", e.Message);
        e = Assert.Throws<ArgumentException>(() => LayerNormalizationKernels.Forward(new float[12], [], [], x, new float[11], g, g, 3, 4, 1e-5f));
        Assert.Contains("residual", e.Message);
        e = Assert.Throws<ArgumentException>(() => LayerNormalizationKernels.Backward(new float[12], g, g, x, x, new float[2], g, 3, 4));
        Assert.Contains("inverseStd", e.Message);
    }

    [Theory]
    [InlineData(1, 1, true, true)]
    [InlineData(2, 7, true, false)]
    [InlineData(3, 17, false, true)]
    [InlineData(3, 5, false, false)]
    public void Embedding_sums_its_tables_and_its_gradients_add_per_row(int batch, int sequence, bool withPositions, bool withTypes)
    {
        const int vocabulary = 11, dimensions = 13, positionCount = 20, typeCount = 2;
        var random = new Random(batch * 100 + sequence);
        var ids = Enumerable.Range(0, batch * sequence).Select(_ => random.Next(vocabulary)).ToArray();
        ids[0] = vocabulary - 1;
        var types = withTypes ? Enumerable.Range(0, batch * sequence).Select(_ => random.Next(typeCount)).ToArray() : [];
        var tokens = NaiveKernels.Random(vocabulary * dimensions, 10);
        var positions = withPositions ? NaiveKernels.Random(positionCount * dimensions, 11) : [];
        var typeTable = NaiveKernels.Random(typeCount * dimensions, 12);
        var y = Filled(batch * sequence * dimensions);
        EmbeddingKernels.Forward(y, ids, types, tokens, positions, typeTable, batch, sequence, dimensions);
        var (ts, ps, tys) = (ToDouble(tokens), ToDouble(positions), ToDouble(typeTable));
        Func<double[]> forward = () => Embedding(ids, types, ts, ps, tys, batch, sequence, dimensions);
        AssertClose(forward(), y, 2e-7, "y");

        var dy = NaiveKernels.Random(y.Length, 13);
        var (dTokens, dPositions, dTypes) = (Filled(tokens.Length), Filled(positions.Length), Filled(typeTable.Length));
        EmbeddingKernels.Backward(dTokens, dPositions, dTypes, dy, ids, types, batch, sequence, dimensions);
        CheckGradient(ts, dTokens, dy, forward, "dTokens");
        if (withPositions) CheckGradient(ps, dPositions, dy, forward, "dPositions");
        CheckGradient(tys, dTypes, dy, forward, "dTypes");
    }

    [Fact]
    public void Embedding_names_the_token_that_is_out_of_range()
    {
        var tokens = new float[5 * 2];
        var ids = new[] { 0, 1, 2, 3, 4, 5 };
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            EmbeddingKernels.Forward(new float[12], ids, [], tokens, [], [], 2, 3, 2));
        Assert.Contains("token id 5 at sample 1, position 2 is outside the vocabulary of 5", e.Message);
        ids[1] = -1;
        e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            EmbeddingKernels.Backward(new float[10], [], [], new float[12], ids, [], 2, 3, 2));
        Assert.Contains("token id -1 at sample 0, position 1", e.Message);
        ids[1] = 1;
        e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            EmbeddingKernels.Forward(new float[12], [0, 1, 2, 3, 4, 4], [0, 0, 0, 0, 2, 0], tokens, [], new float[4], 2, 3, 2));
        Assert.Contains("token type 2 at sample 1, position 1 is outside the 2 token types", e.Message);
        var a = Assert.Throws<ArgumentException>(() => EmbeddingKernels.Forward(new float[12], [0, 1, 2, 3, 4, 4], [], tokens, new float[4], [], 2, 3, 2));
        Assert.Contains("longer than the 2 positions", a.Message);
        a = Assert.Throws<ArgumentException>(() => EmbeddingKernels.Forward(new float[12], [0, 1, 2], [], tokens, [], [], 2, 3, 2));
        Assert.Contains("ids", a.Message);
    }

    public static TheoryData<int, int, int, int[]> PoolingCases() => new()
    {
        { 1, 1, 5, [] },
        { 2, 3, 12, [1, 1, 0, 1, 0, 1] },
        { 3, 7, 20, [1, 1, 1, 1, 0, 0, 0, 1, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1] },
    };

    [Theory]
    [MemberData(nameof(PoolingCases))]
    public void Masked_mean_averages_the_tokens_only(int batch, int sequence, int width, int[] mask)
    {
        var x = NaiveKernels.Random(batch * sequence * width, 20, -2f, 2f);
        var y = Filled(batch * width);
        SequencePoolingKernels.MaskedMeanForward(y, x, mask, batch, sequence, width);
        var xs = ToDouble(x);
        Func<double[]> forward = () => MaskedMean(xs, mask, batch, sequence, width);
        AssertClose(forward(), y, 5e-7, "y");
        var dy = NaiveKernels.Random(y.Length, 21);
        var dx = Filled(x.Length);
        SequencePoolingKernels.MaskedMeanBackward(dx, dy, mask, batch, sequence, width);
        CheckGradient(xs, dx, dy, forward, "dx");
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 12)]
    [InlineData(2, 37)]
    public void L2_normalize_matches_the_definition_and_finite_differences(int rows, int width)
    {
        var x = NaiveKernels.Random(rows * width, 30, -2f, 2f);
        var y = Filled(x.Length);
        SequencePoolingKernels.L2NormalizeForward(y, x, rows, width);
        var xs = ToDouble(x);
        Func<double[]> forward = () => L2Normalize(xs, rows, width);
        AssertClose(forward(), y, 4e-7, "y");
        var dy = NaiveKernels.Random(y.Length, 31);
        var dx = Filled(x.Length);
        SequencePoolingKernels.L2NormalizeBackward(dx, dy, x, y, rows, width);
        CheckGradient(xs, dx, dy, forward, "dx");
    }

    [Fact]
    public void L2_normalize_of_zero_is_zero_and_its_gradient_the_clamped_one()
    {
        var (y, dx) = (Filled(3), Filled(3));
        SequencePoolingKernels.L2NormalizeForward(y, new float[3], 1, 3);
        Assert.Equal(new float[3], y);
        SequencePoolingKernels.L2NormalizeBackward(dx, [1e-12f, 0f, -2e-12f], new float[3], y, 1, 3);
        Assert.Equal([1f, 0f, -2f], dx);
    }

    [Fact]
    public void Pooling_rejects_a_sample_without_tokens_and_bad_masks()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            SequencePoolingKernels.MaskedMeanForward(new float[4], new float[12], [1, 1, 1, 0, 0, 0], 2, 3, 2));
        Assert.Contains("Sample 1 has no token", e.Message);
        e = Assert.Throws<ArgumentException>(() =>
            SequencePoolingKernels.MaskedMeanBackward(new float[12], new float[4], [1, 2, 1, 1, 0, 0], 2, 3, 2));
        Assert.Contains("holds 2 at sample 0, position 1", e.Message);
        e = Assert.Throws<ArgumentException>(() =>
            SequencePoolingKernels.MaskedMeanForward(new float[4], new float[12], [1, 1, 1, 0, 1], 2, 3, 2));
        Assert.Contains("mask", e.Message);
        e = Assert.Throws<ArgumentException>(() => SequencePoolingKernels.L2NormalizeForward(new float[4], new float[5], 2, 2));
        Assert.Contains("input", e.Message);
    }

    /// <summary>A buffer full of NaN: the kernels overwrite, never accumulate.</summary>
    internal static float[] Filled(int length) => Enumerable.Repeat(float.NaN, length).ToArray();
}
