using DeepGen.Cpu;

namespace DeepGen.Runtime.Tests.Cpu;

/// <summary>The three matrix products of training, each against the naive reference, at odd and real shapes.</summary>
public class DenseKernelTests
{
    public static TheoryData<int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int>();
        int[] sizes = [1, 3, 7, 17, 100];
        foreach (var m in sizes)
        foreach (var k in sizes)
        foreach (var n in sizes)
            data.Add(m, k, n);
        // The seed network's real shapes, and ones straddling every vector width and tile edge.
        data.Add(100, 784, 500);
        data.Add(100, 500, 500);
        data.Add(100, 500, 10);
        data.Add(1, 784, 500);
        data.Add(37, 45, 29);
        data.Add(5, 33, 65);
        data.Add(9, 16, 47);
        data.Add(130, 20, 129);
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_matches_the_naive_product(int batch, int inputs, int units)
    {
        var x = NaiveKernels.Random(batch * inputs, 1);
        var w = NaiveKernels.Random(inputs * units, 2);
        var b = NaiveKernels.Random(units, 3);
        var y = new float[batch * units];
        DenseKernels.Forward<LinearActivation>(y, x, w, b, batch, inputs, units);

        var expected = NaiveKernels.Affine(x, w, b, batch, inputs, units);
        var magnitude = NaiveKernels.Affine(Abs(x), Abs(w), Abs(b), batch, inputs, units);
        NaiveKernels.AssertClose(expected, y, magnitude, inputs + 1, "y");
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Weight_gradients_match_the_naive_product(int batch, int inputs, int units)
    {
        var x = NaiveKernels.Random(batch * inputs, 4);
        var dz = NaiveKernels.Random(batch * units, 5);
        var dw = new float[inputs * units];
        var db = new float[units];
        Array.Fill(dw, float.NaN); // gradients are overwritten, never accumulated
        Array.Fill(db, float.NaN);
        DenseKernels.WeightGradients(dw, db, x, dz, batch, inputs, units);

        NaiveKernels.AssertClose(NaiveKernels.WeightGradients(x, dz, batch, inputs, units), dw,
            NaiveKernels.WeightGradients(Abs(x), Abs(dz), batch, inputs, units), batch, "dW");
        var ones = Enumerable.Repeat(1f, batch).ToArray();
        NaiveKernels.AssertClose(NaiveKernels.WeightGradients(ones, dz, batch, 1, units), db,
            NaiveKernels.WeightGradients(ones, Abs(dz), batch, 1, units), batch, "db");
    }

    [Theory]
    [InlineData(1, 3, 5)]
    [InlineData(17, 7, 45)]
    [InlineData(37, 45, 29)]
    [InlineData(100, 500, 10)]  // the output layer
    [InlineData(100, 784, 500)] // large enough to be shared between threads
    [InlineData(1, 784, 500)]   // k of 1: memory-bound, also shared
    public void Weight_gradients_with_a_learning_rate_take_the_sgd_step_on_the_weights(int batch, int inputs, int units)
    {
        const float learningRate = 0.25f;
        var x = NaiveKernels.Random(batch * inputs, 41);
        var dz = NaiveKernels.Random(batch * units, 42);
        var w = NaiveKernels.Random(inputs * units, 43);
        var b = NaiveKernels.Random(units, 44);
        var (w0, b0) = (w.ToArray(), b.ToArray());
        var dw = new float[inputs * units];
        var db = new float[units];
        DenseKernels.WeightGradients(dw, db, x, dz, w, b, learningRate, batch, inputs, units);

        // The gradients are written as without the update...
        NaiveKernels.AssertClose(NaiveKernels.WeightGradients(x, dz, batch, inputs, units), dw,
            NaiveKernels.WeightGradients(Abs(x), Abs(dz), batch, inputs, units), batch, "dW");
        // ...and every weight and bias took exactly w - learningRate · dw, a multiply then a subtract.
        AssertSgdStep(w0, dw, learningRate, w, "W");
        AssertSgdStep(b0, db, learningRate, b, "b");
    }

    [Fact]
    public void Weight_gradients_with_a_learning_rate_and_a_penalty_step_on_the_penalized_gradient()
    {
        const int batch = 9, inputs = 16, units = 47;
        const float learningRate = 0.5f, l1 = 0.01f, l2 = 0.02f;
        var x = NaiveKernels.Random(batch * inputs, 45);
        var dz = NaiveKernels.Random(batch * units, 46);
        var w = NaiveKernels.Random(inputs * units, 47);
        var b = NaiveKernels.Random(units, 48);
        var (w0, b0) = (w.ToArray(), b.ToArray());
        var dw = new float[inputs * units];
        var db = new float[units];
        DenseKernels.WeightGradients(dw, db, x, dz, w, b, learningRate, l1, l2, batch, inputs, units);

        var plain = NaiveKernels.WeightGradients(x, dz, batch, inputs, units);
        var penalized = new double[plain.Length];
        for (var i = 0; i < plain.Length; i++) penalized[i] = plain[i] + l1 * Math.Sign(w0[i]) + 2 * l2 * w0[i];
        NaiveKernels.AssertClose(penalized, dw, NaiveKernels.WeightGradients(Abs(x), Abs(dz), batch, inputs, units), batch + 2, "dW");
        AssertSgdStep(w0, dw, learningRate, w, "W");
        AssertSgdStep(b0, db, learningRate, b, "b");
    }

    /// <summary>
    /// <paramref name="after"/> is <paramref name="before"/> after one plain SGD step on <paramref name="gradients"/>,
    /// bit for bit, and the step changed something (a step of rate 0, or none, fails).
    /// </summary>
    private static void AssertSgdStep(float[] before, float[] gradients, float learningRate, float[] after, string what)
    {
        var changed = 0;
        for (var i = 0; i < before.Length; i++)
        {
            var expected = before[i] - learningRate * gradients[i];
            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(after[i]),
                $"{what}[{i}] is {after[i]:G9}; {before[i]:G9} - {learningRate} · {gradients[i]:G9} = {expected:G9}.");
            if (after[i] != before[i]) changed++;
        }

        Assert.True(changed > before.Length / 2, $"Only {changed} of {before.Length} elements of {what} changed.");
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Input_gradients_match_the_naive_product(int batch, int inputs, int units)
    {
        var dz = NaiveKernels.Random(batch * units, 6);
        var w = NaiveKernels.Random(inputs * units, 7);
        var previous = NaiveKernels.Random(batch * inputs, 8);
        var dx = new float[batch * inputs];
        DenseKernels.InputGradients<LinearActivation>(dx, dz, w, previous, new float[DenseKernels.InputGradientScratchSize(batch, inputs, units)], batch, inputs, units);

        NaiveKernels.AssertClose(NaiveKernels.InputGradients(dz, w, batch, inputs, units), dx,
            NaiveKernels.InputGradients(Abs(dz), Abs(w), batch, inputs, units), units, "dx");
    }

    [Fact]
    public void Activation_epilogues_match_applying_the_activation_afterwards()
    {
        const int batch = 13, inputs = 29, units = 37;
        var x = NaiveKernels.Random(batch * inputs, 9);
        var w = NaiveKernels.Random(inputs * units, 10);
        var b = NaiveKernels.Random(units, 11);
        var affine = NaiveKernels.Affine(x, w, b, batch, inputs, units);

        var sigmoid = new float[batch * units];
        DenseKernels.Forward<SigmoidActivation>(sigmoid, x, w, b, batch, inputs, units);
        var tanh = new float[batch * units];
        DenseKernels.Forward<TanhActivation>(tanh, x, w, b, batch, inputs, units);
        var relu = new float[batch * units];
        DenseKernels.Forward<ReluActivation>(relu, x, w, b, batch, inputs, units);
        var softmax = new float[batch * units];
        DenseKernels.ForwardSoftmax(softmax, x, w, b, batch, inputs, units);

        for (var i = 0; i < affine.Length; i++)
        {
            Assert.Equal(1 / (1 + Math.Exp(-affine[i])), sigmoid[i], 1e-5);
            Assert.Equal(Math.Tanh(affine[i]), tanh[i], 1e-5);
            Assert.Equal(Math.Max(0, affine[i]), relu[i], 1e-5);
        }

        for (var s = 0; s < batch; s++)
        {
            var row = affine.AsSpan(s * units, units).ToArray();
            var max = row.Max();
            var sum = row.Sum(v => Math.Exp(v - max));
            for (var j = 0; j < units; j++) Assert.Equal(Math.Exp(row[j] - max) / sum, softmax[s * units + j], 1e-6);
        }
    }

    [Fact]
    public void Input_gradient_epilogue_multiplies_by_the_previous_activations_derivative()
    {
        const int batch = 6, inputs = 19, units = 23;
        var dz = NaiveKernels.Random(batch * units, 12);
        var w = NaiveKernels.Random(inputs * units, 13);
        var previous = NaiveKernels.Random(batch * inputs, 14, 0.01f, 0.99f); // sigmoid outputs
        var dx = new float[batch * inputs];
        DenseKernels.InputGradients<SigmoidActivation>(dx, dz, w, previous, new float[DenseKernels.InputGradientScratchSize(batch, inputs, units)], batch, inputs, units);

        var plain = NaiveKernels.InputGradients(dz, w, batch, inputs, units);
        for (var i = 0; i < dx.Length; i++)
            Assert.Equal(plain[i] * previous[i] * (1 - previous[i]), dx[i], 1e-5);
    }

    [Fact]
    public void Wrong_buffer_lengths_are_refused_naming_the_operand()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            DenseKernels.Forward<LinearActivation>(new float[6], new float[8], new float[11], new float[3], 2, 4, 3));
        Assert.Equal("weights", e.ParamName);
        Assert.Contains("'weights' holds 11 floats; this layer needs exactly 12", e.Message);
        e = Assert.Throws<ArgumentException>(() =>
            DenseKernels.Forward<LinearActivation>(new float[6], new float[7], new float[12], new float[3], 2, 4, 3));
        Assert.Equal("input", e.ParamName);
        Assert.Contains("'input' holds 7 floats; this layer needs exactly 8", e.Message);
        e = Assert.Throws<ArgumentException>(() =>
            DenseKernels.InputGradients<LinearActivation>(new float[8], new float[6], new float[12], new float[8], new float[11], 2, 4, 3));
        Assert.Equal("scratch", e.ParamName);
    }

    [Theory]
    [InlineData(100, 500, 10)]  // the output layer: 8 + 2 columns on 256-bit machines, one padded vector on 512-bit
    [InlineData(9, 16, 47)]     // 32 + 15
    [InlineData(37, 45, 29)]    // 16 + 13
    [InlineData(5, 33, 7)]      // 4 + 3
    [InlineData(13, 20, 3)]
    [InlineData(130, 9, 65)]    // 64 + 1
    [InlineData(3, 2100, 10)]   // k too long for a padded panel on the stack: narrower and scalar passes
    [InlineData(1, 500, 10)]    // one row (batch-1 inference): B read in place, scalar for the last columns
    [InlineData(2, 40, 29)]
    [InlineData(13, 2500, 70)]  // k in blocks of 1024 (8-, 4- and 1-row tiles go on from stored sums), 64 + 6 columns
    [InlineData(3, 1025, 33)]   // one step past a block
    [InlineData(40, 37, 1030)]  // rows of B 4 KiB apart: each unit's columns copied into a panel first, 6 in the last
    [InlineData(33, 384, 1536)] // all-MiniLM-L6-v2's feed-forward product, packed
    public void Forward_products_are_each_one_fused_chain_whatever_the_tail(int batch, int inputs, int units)
    {
        var x = NaiveKernels.Random(batch * inputs, 31);
        var w = NaiveKernels.Random(inputs * units, 32);
        var y = new float[batch * units];
        DenseKernels.Forward<LinearActivation>(y, x, w, [], batch, inputs, units);
        for (var b = 0; b < batch; b++)
        for (var j = 0; j < units; j++)
        {
            var expected = 0f;
            for (var p = 0; p < inputs; p++) expected = MathF.FusedMultiplyAdd(x[b * inputs + p], w[p * units + j], expected);
            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(y[b * units + j]),
                $"y[{b}, {j}] is {y[b * units + j]:G9}; the chain gives {expected:G9}.");
        }
    }

    [Theory]
    [InlineData(100, 500, 10)]  // weights transposed (the output layer)
    [InlineData(100, 500, 500)] // deltas transposed, finished tile by tile from dXᵀ
    [InlineData(7, 30, 40)]
    [InlineData(33, 3, 5)]
    public void Input_gradients_with_dropout_and_derivative_equal_chain_then_mask_then_derivative(int batch, int inputs, int units)
    {
        var dz = NaiveKernels.Random(batch * units, 33);
        var w = NaiveKernels.Random(inputs * units, 34);
        var previous = NaiveKernels.Random(batch * inputs, 35, 0.01f, 0.99f); // sigmoid outputs
        var mask = Enumerable.Range(0, batch * inputs).Select(i => i % 3 == 0 ? 0f : 1f / 0.7f).ToArray();
        var dx = new float[batch * inputs];
        var scratch = new float[DenseKernels.InputGradientScratchSize(batch, inputs, units)];
        scratch.AsSpan().Fill(float.NaN);
        DenseKernels.InputGradients<SigmoidActivation>(dx, dz, w, previous, mask, scratch, batch, inputs, units);
        for (var b = 0; b < batch; b++)
        for (var i = 0; i < inputs; i++)
        {
            var chain = 0f;
            for (var j = 0; j < units; j++) chain = MathF.FusedMultiplyAdd(dz[b * units + j], w[i * units + j], chain);
            var y = previous[b * inputs + i];
            var expected = chain * mask[b * inputs + i] * y * (1f - y);
            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(dx[b * inputs + i]),
                $"dx[{b}, {i}] is {dx[b * inputs + i]:G9}; chain, mask and derivative give {expected:G9}.");
        }
    }

    [Theory]
    [InlineData(1, 3, 5)]
    [InlineData(17, 7, 45)]
    [InlineData(100, 500, 500)]
    [InlineData(100, 500, 10)]
    [InlineData(3, 40, 2)]
    public void Input_gradients_are_each_one_fused_chain_over_the_units_whatever_the_scratch_held(int batch, int inputs, int units)
    {
        var dz = NaiveKernels.Random(batch * units, 21);
        var w = NaiveKernels.Random(inputs * units, 22);
        var scratch = new float[DenseKernels.InputGradientScratchSize(batch, inputs, units)];
        scratch.AsSpan().Fill(float.NaN); // the padding must not carry old scratch into the product
        var dx = new float[batch * inputs];
        DenseKernels.InputGradients<LinearActivation>(dx, dz, w, new float[batch * inputs], scratch, batch, inputs, units);
        for (var b = 0; b < batch; b++)
        for (var i = 0; i < inputs; i++)
        {
            var expected = 0f;
            for (var j = 0; j < units; j++) expected = MathF.FusedMultiplyAdd(dz[b * units + j], w[i * units + j], expected);
            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(dx[b * inputs + i]),
                $"dx[{b}, {i}] is {dx[b * inputs + i]:G9}; the chain gives {expected:G9}.");
        }
    }

    [Fact]
    public void Input_gradient_scratch_never_shrinks_as_the_batch_grows()
    {
        // Models size their scratch for the largest batch and reuse it for an epoch's smaller last batch.
        foreach (var inputs in new[] { 1, 3, 10, 29, 31, 100, 500, 784 })
        foreach (var units in new[] { 1, 2, 10, 30, 100, 500 })
            for (var batch = 2; batch <= 300; batch++)
                Assert.True(DenseKernels.InputGradientScratchSize(batch, inputs, units) >= DenseKernels.InputGradientScratchSize(batch - 1, inputs, units),
                    $"{inputs} → {units}: batch {batch} needs less scratch than batch {batch - 1}.");
    }

    [Fact]
    public void Strided_transpose_writes_only_its_rectangle()
    {
        var source = NaiveKernels.Random(5 * 9, 16);  // 5 rows of stride 9, of which 7 columns are read
        var destination = new float[7 * 8];            // 7 rows of stride 8, of which 5 columns are written
        destination.AsSpan().Fill(-1f);
        DenseKernels.Transpose(destination, 8, source, 9, 5, 7);
        for (var c = 0; c < 7; c++)
        for (var r = 0; r < 8; r++)
            Assert.Equal(r < 5 ? source[r * 9 + c] : -1f, destination[c * 8 + r]);
    }

    [Theory]
    [InlineData(33, 70)]  // 8 × 8 blocks with edges on both sides
    [InlineData(8, 8)]
    [InlineData(100, 500)]
    [InlineData(7, 9)]
    [InlineData(1, 17)]
    public void Transpose_matches_the_definition(int rows, int columns)
    {
        var source = NaiveKernels.Random(rows * columns, 15);
        var destination = new float[columns * rows];
        DenseKernels.Transpose(destination, source, rows, columns);
        for (var r = 0; r < rows; r++)
        for (var c = 0; c < columns; c++)
            Assert.Equal(source[r * columns + c], destination[c * rows + r]);
    }

    [Theory]
    [InlineData(100, 784, 500)]
    [InlineData(1, 784, 500)]
    [InlineData(300, 45, 29)]
    [InlineData(130, 45, 200)] // a last band of 2 rows takes the wide one-row tiles; a single pass does not
    [InlineData(9, 16, 130)]
    public unsafe void Units_computed_in_any_order_give_the_same_bits_as_one_pass(int m, int k, int n)
    {
        var a = NaiveKernels.Random(m * k, 16);
        var b = NaiveKernels.Random(k * n, 17);
        var bias = NaiveKernels.Random(n, 18);
        var whole = new float[m * n];
        var units = new float[m * n];
        fixed (float* pa = a, pb = b, pbias = bias, pw = whole, pu = units)
        {
            // The sigmoid epilogue too: its tiles must land on the same columns whichever unit computes them.
            DenseKernels.Forward<SigmoidActivation>(whole, a, b, bias, m, k, n);
            var shape = new GemmShape(pu, n, pa, k, 1, pb, n, m, n, k);
            var count = Gemm.UnitCount(shape);
            for (var unit = count - 1; unit >= 0; unit--) Gemm.ComputeUnit(shape, new DenseKernels.BiasActivationEpilogue<SigmoidActivation>(pbias, null), unit);
        }

        for (var i = 0; i < whole.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(whole[i]) == BitConverter.SingleToInt32Bits(units[i]),
                $"Element {i} differs when computed unit by unit: {units[i]:G9} against {whole[i]:G9}.");
    }

    private static float[] Abs(float[] values) => Array.ConvertAll(values, MathF.Abs);
}
