using DeepGen.Cpu;
using DeepGen.Tests.Shared;

namespace DeepGen.Runtime.Tests.Cpu;

/// <summary>
/// Window shapes against Keras', and the convolution's passes against the direct convolution of
/// <see cref="NaiveConvolution"/> at odd sizes: non-square kernels, strides 1 and 2, valid and same padding.
/// </summary>
public class ConvolutionKernelTests
{
    [Theory]
    [InlineData(28, 3, 1, false, 26, 0)]
    [InlineData(28, 3, 1, true, 28, 1)]
    [InlineData(28, 3, 2, true, 14, 0)] // 1 row of padding in all: TensorFlow puts it after the last row
    [InlineData(5, 3, 2, true, 3, 1)]   // 2 in all, one on each side
    [InlineData(8, 5, 3, true, 3, 1)]   // 3 in all: 1 before, 2 after
    [InlineData(5, 4, 3, true, 2, 1)]
    [InlineData(7, 2, 1, true, 7, 0)]
    [InlineData(6, 1, 2, true, 3, 0)]   // (3 - 1) · 2 + 1 - 6 < 0: no padding
    [InlineData(7, 3, 2, false, 3, 0)]
    [InlineData(8, 3, 2, false, 3, 0)]  // (8 - 3) / 2 + 1, rounded down
    [InlineData(2, 2, 2, false, 1, 0)]
    public void Window_shapes_follow_keras(int input, int kernel, int stride, bool same, int output, int padBefore)
    {
        var tall = Window2D.Create(input, 11, 3, kernel, 1, stride, 1, same);
        Assert.Equal((output, padBefore, 11, 0), (tall.OutputHeight, tall.PadTop, tall.OutputWidth, tall.PadLeft));
        var wide = Window2D.Create(11, input, 3, 1, kernel, 1, stride, same);
        Assert.Equal((11, 0, output, padBefore), (wide.OutputHeight, wide.PadTop, wide.OutputWidth, wide.PadLeft));
    }

    [Fact]
    public void Window_sizes_are_derived_from_the_shape()
    {
        var g = Window2D.Create(7, 9, 3, 2, 3, 2, 2, samePadding: true);
        Assert.Equal(new Window2D(7, 9, 3, 2, 3, 2, 2, 0, 1, 4, 5), g);
        Assert.Equal(7 * 9 * 3, g.InputSize);
        Assert.Equal(4 * 5, g.OutputPixels);
        Assert.Equal(2 * 3 * 3, g.PatchSize);
        Assert.Equal(20 * 18, g.ColumnsPerSample);
    }

    [Fact]
    public void Impossible_windows_are_refused_naming_the_problem()
    {
        var e = Assert.Throws<ArgumentException>(() => Window2D.Create(5, 5, 1, 6, 3, 1, 1, samePadding: false));
        Assert.Equal("kernelHeight", e.ParamName);
        Assert.Contains("height 6 exceeds the input's height 5", e.Message);
        e = Assert.Throws<ArgumentException>(() => Window2D.Create(5, 5, 1, 3, 6, 1, 1, samePadding: false));
        Assert.Equal("kernelWidth", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => Window2D.Create(5, 5, 1, 3, 3, 1, 0, samePadding: true));
        Assert.Equal("strideWidth", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => Window2D.Create(5, 5, 0, 3, 3, 1, 1, samePadding: true));
        Assert.Equal("channels", e.ParamName);
        // Same padding takes a kernel larger than the input.
        Assert.Equal(5, Window2D.Create(5, 5, 1, 6, 6, 1, 1, samePadding: true).OutputHeight);
    }

    public static TheoryData<int, int, int, int, int, int, int, int, bool, int> Shapes() => new()
    {
        // batch, height, width, channels, kernel height, kernel width, stride height, stride width, same, filters
        { 1, 7, 9, 3, 3, 3, 1, 1, false, 5 },
        { 3, 7, 9, 3, 3, 3, 1, 1, true, 17 },
        { 3, 7, 9, 3, 2, 3, 2, 2, false, 5 },
        { 1, 7, 9, 3, 2, 3, 2, 2, true, 17 },
        { 3, 7, 9, 3, 3, 2, 2, 1, true, 5 },
        { 3, 7, 9, 3, 3, 3, 2, 2, true, 17 },
        { 2, 5, 5, 1, 3, 3, 2, 2, true, 5 },
        { 2, 6, 4, 4, 1, 1, 1, 1, false, 3 },   // a 1 × 1 convolution: the columns are the input
        { 1, 8, 8, 2, 5, 5, 3, 3, true, 4 },    // padding 1 before, 2 after
        { 2, 3, 3, 2, 3, 3, 1, 1, false, 17 },  // one output pixel
        { 2, 4, 6, 3, 5, 7, 1, 2, true, 5 },    // kernel larger than the input
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_matches_the_direct_convolution(int batch, int height, int width, int channels, int kh, int kw, int sh, int sw, bool same, int filters)
    {
        var g = Window2D.Create(height, width, channels, kh, kw, sh, sw, same);
        var (x, w, b) = (NaiveKernels.Random(batch * g.InputSize, 1), NaiveKernels.Random(g.PatchSize * filters, 2), NaiveKernels.Random(filters, 3));
        var y = new float[batch * g.OutputPixels * filters];
        var columns = new float[batch * g.ColumnsPerSample];
        columns.AsSpan().Fill(float.NaN); // every element is written, padding included
        ConvolutionKernels.Forward<LinearActivation>(y, [], x, columns, w, b, batch, g, filters);

        NaiveKernels.AssertClose(NaiveConvolution.Forward(x, w, b, batch, g, filters), y,
            NaiveConvolution.Forward(NaiveConvolution.Abs(x), NaiveConvolution.Abs(w), NaiveConvolution.Abs(b), batch, g, filters), g.PatchSize + 1, "y");

        // Without a bias, and with an activation whose pre-activations are kept.
        var relu = new float[y.Length];
        var z = new float[y.Length];
        ConvolutionKernels.Forward<ReluActivation>(relu, z, x, columns, w, [], batch, g, filters);
        var linear = new float[y.Length];
        ConvolutionKernels.Forward<LinearActivation>(linear, [], x, columns, w, [], batch, g, filters);
        Assert.Equal(linear, z);
        Assert.Equal(linear.Select(v => Math.Max(v, 0f)), relu);
    }

    [Fact]
    public void Im2col_rows_hold_each_window_with_zeros_for_padding()
    {
        const int batch = 2;
        var g = Window2D.Create(5, 6, 2, 3, 2, 2, 1, samePadding: true);
        var x = NaiveKernels.Random(batch * g.InputSize, 4, 1f, 2f); // no zeros, so padding is told apart
        var columns = new float[batch * g.ColumnsPerSample];
        columns.AsSpan().Fill(float.NaN);
        ConvolutionKernels.Im2Col(columns, x, batch, g);
        for (var n = 0; n < batch; n++)
        for (var oy = 0; oy < g.OutputHeight; oy++)
        for (var ox = 0; ox < g.OutputWidth; ox++)
        for (var ky = 0; ky < g.KernelHeight; ky++)
        for (var kx = 0; kx < g.KernelWidth; kx++)
        for (var c = 0; c < g.Channels; c++)
        {
            var (iy, ix) = (oy * g.StrideHeight - g.PadTop + ky, ox * g.StrideWidth - g.PadLeft + kx);
            var inside = iy >= 0 && iy < g.InputHeight && ix >= 0 && ix < g.InputWidth;
            var row = (n * g.OutputHeight + oy) * g.OutputWidth + ox;
            Assert.Equal(inside ? x[NaiveConvolution.Input(g, n, iy, ix, c)] : 0f, columns[row * g.PatchSize + (ky * g.KernelWidth + kx) * g.Channels + c]);
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Backward_matches_the_direct_convolutions_gradients(int batch, int height, int width, int channels, int kh, int kw, int sh, int sw, bool same, int filters)
    {
        var g = Window2D.Create(height, width, channels, kh, kw, sh, sw, same);
        var run = Run.Prepare(batch, g, filters, seed: 10);
        run.Backward<LinearActivation>(learningRate: 0f, l1: 0f, l2: 0f, mask: []);

        NaiveKernels.AssertClose(NaiveConvolution.InputGradient(run.Dz, run.W0, batch, g, filters), run.Dx,
            NaiveConvolution.InputGradient(NaiveConvolution.Abs(run.Dz), NaiveConvolution.Abs(run.W0), batch, g, filters), filters * kh * kw, "dx");
        var (dw, db) = NaiveConvolution.WeightGradients(run.X, run.Dz, batch, g, filters);
        var (dwMagnitude, dbMagnitude) = NaiveConvolution.WeightGradients(NaiveConvolution.Abs(run.X), NaiveConvolution.Abs(run.Dz), batch, g, filters);
        NaiveKernels.AssertClose(dw, run.Dw, dwMagnitude, batch * g.OutputPixels, "dW");
        NaiveKernels.AssertClose(db, run.Db, dbMagnitude, batch * g.OutputPixels, "db");
        Assert.Equal(run.W0, run.W); // no learning rate: no step
        Assert.Equal(run.B0, run.B);
    }

    [Theory]
    [InlineData(3, 7, 9, 3, 3, 3, 2, 2, true, 17)]
    [InlineData(2, 7, 9, 3, 2, 3, 1, 1, false, 5)]
    public void Backward_with_a_learning_rate_and_a_penalty_steps_after_the_input_gradient_used_the_old_weights(
        int batch, int height, int width, int channels, int kh, int kw, int sh, int sw, bool same, int filters)
    {
        const float learningRate = 0.25f, l1 = 0.01f, l2 = 0.02f;
        var g = Window2D.Create(height, width, channels, kh, kw, sh, sw, same);
        var plain = Run.Prepare(batch, g, filters, seed: 20);
        plain.Backward<LinearActivation>(0f, 0f, 0f, []);
        var run = Run.Prepare(batch, g, filters, seed: 20);
        run.Backward<LinearActivation>(learningRate, l1, l2, []);

        // The input gradient is the one the unchanged weights give, bit for bit.
        Assert.Equal(plain.Dx, run.Dx);
        // The weight gradients carry the penalty; the weights and bias took w - rate · gradient exactly.
        for (var i = 0; i < run.W.Length; i++)
        {
            var penalized = plain.Dw[i] + l1 * MathF.Sign(run.W0[i]) + 2 * l2 * run.W0[i];
            Assert.True(Math.Abs(run.Dw[i] - penalized) <= 1e-5f * (1 + Math.Abs(penalized)), $"dW[{i}] is {run.Dw[i]:G9}; expected {penalized:G9}.");
            Assert.Equal(BitConverter.SingleToInt32Bits(run.W0[i] - learningRate * run.Dw[i]), BitConverter.SingleToInt32Bits(run.W[i]));
        }

        Assert.Equal(plain.Db, run.Db);
        for (var f = 0; f < filters; f++)
            Assert.Equal(BitConverter.SingleToInt32Bits(run.B0[f] - learningRate * run.Db[f]), BitConverter.SingleToInt32Bits(run.B[f]));
    }

    [Theory]
    [InlineData(3, 7, 9, 3, 3, 3, 1, 1, true, 17)]
    [InlineData(8, 20, 20, 8, 3, 3, 1, 1, true, 24)] // large enough to be shared between threads
    public void Backward_applies_the_mask_then_the_previous_derivative_to_the_summed_gradient(
        int batch, int height, int width, int channels, int kh, int kw, int sh, int sw, bool same, int filters)
    {
        var g = Window2D.Create(height, width, channels, kh, kw, sh, sw, same);
        var plain = Run.Prepare(batch, g, filters, seed: 30);
        plain.Backward<LinearActivation>(0f, 0f, 0f, []);
        var run = Run.Prepare(batch, g, filters, seed: 30);
        var mask = Enumerable.Range(0, run.X.Length).Select(i => i % 3 == 0 ? 0f : 1f / 0.7f).ToArray();
        run.Saved = NaiveKernels.Random(run.X.Length, 31, 0.01f, 0.99f); // sigmoid outputs
        run.Backward<SigmoidActivation>(0f, 0f, 0f, mask);
        var expected = new float[run.Dx.Length];
        for (var i = 0; i < expected.Length; i++)
        {
            var y = run.Saved[i];
            expected[i] = plain.Dx[i] * mask[i] * y * (1f - y);
        }

        FiniteDifferences.AssertBitwise(expected, run.Dx, "dx against the sum, then mask, then derivative");

        Assert.Equal(plain.Dw, run.Dw);
    }

    [Fact]
    public void The_first_layer_computes_only_the_weight_gradients()
    {
        var g = Window2D.Create(7, 9, 3, 3, 2, 2, 1, samePadding: true);
        var full = Run.Prepare(3, g, 5, seed: 40);
        full.Backward<LinearActivation>(0.1f, 0f, 0f, []);
        var first = Run.Prepare(3, g, 5, seed: 40);
        ConvolutionKernels.Backward<LinearActivation>([], first.Dz, first.Columns, [], [], [], first.W, first.B, first.Dw, first.Db,
            0.1f, 0f, 0f, 3, g, 5);
        Assert.Equal(full.Dw, first.Dw);
        Assert.Equal(full.Db, first.Db);
        Assert.Equal(full.W, first.W);
        Assert.Equal(full.B, first.B);
    }

    [Fact]
    public void Gradients_match_finite_differences_of_the_forward_pass()
    {
        // L = Σ r · y over the outputs of a linear convolution, so dL/dz = r is the output gradient.
        const int batch = 2, filters = 3;
        var g = Window2D.Create(5, 6, 2, 3, 2, 2, 1, samePadding: true);
        var run = Run.Prepare(batch, g, filters, seed: 50);
        run.Backward<LinearActivation>(0f, 0f, 0f, []);
        var (x, w, b, r) = (run.X, run.W0.ToArray(), run.B0.ToArray(), run.Dz);

        double Loss()
        {
            var y = new float[batch * g.OutputPixels * filters];
            ConvolutionKernels.Forward<LinearActivation>(y, [], x, new float[batch * g.ColumnsPerSample], w, b, batch, g, filters);
            var sum = 0.0;
            for (var i = 0; i < y.Length; i++) sum += (double)r[i] * y[i];
            return sum;
        }

        FiniteDifferences.Check(x, run.Dx, Loss, "dx");
        FiniteDifferences.Check(w, run.Dw, Loss, "dW");
        FiniteDifferences.Check(b, run.Db, Loss, "db");
    }

    [Fact]
    public void Wrong_buffer_lengths_are_refused_naming_the_operand()
    {
        var g = Window2D.Create(4, 4, 2, 3, 3, 1, 1, samePadding: false); // 2 × 2 outputs, patches of 18
        var e = Assert.Throws<ArgumentException>(() =>
            ConvolutionKernels.Forward<LinearActivation>(new float[12], [], new float[32], new float[71], new float[54], [], 1, g, 3));
        Assert.Equal("columns", e.ParamName);
        Assert.Contains("'columns' holds 71 floats; this layer needs exactly 72", e.Message);
        e = Assert.Throws<ArgumentException>(() =>
            ConvolutionKernels.Forward<LinearActivation>(new float[12], [], new float[32], new float[72], new float[54], new float[2], 1, g, 3));
        Assert.Equal("bias", e.ParamName);
        e = Assert.Throws<ArgumentException>(() =>
            ConvolutionKernels.Backward<LinearActivation>(new float[32], new float[12], new float[72], new float[70], [], [],
                new float[54], [], new float[54], [], 0f, 0f, 0f, 1, g, 3));
        Assert.Equal("columnGradients", e.ParamName);
        e = Assert.Throws<ArgumentException>(() =>
            ConvolutionKernels.Backward<SigmoidActivation>(new float[32], new float[12], new float[72], new float[72], [], [],
                new float[54], [], new float[54], [], 0f, 0f, 0f, 1, g, 3));
        Assert.Equal("previousSaved", e.ParamName);
        e = Assert.Throws<ArgumentException>(() =>
            ConvolutionKernels.Backward<LinearActivation>(new float[32], new float[12], new float[72], new float[72], [], new float[31],
                new float[54], [], new float[54], [], 0f, 0f, 0f, 1, g, 3));
        Assert.Equal("dropoutMask", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => ConvolutionKernels.Im2Col(new float[72], new float[32], 1, g with { StrideWidth = 0 }));
        Assert.Equal("g", e.ParamName);
    }

    /// <summary>One layer's buffers: a forward pass to fill the columns, then a backward pass on random output gradients.</summary>
    internal sealed class Run
    {
        public required Window2D G;
        public required int Batch, Filters;
        public required float[] X, W, B, W0, B0, Dz, Columns, ColumnGradients, Dx, Dw, Db, Y;
        public float[] Saved = [];

        public static Run Prepare(int batch, Window2D g, int filters, int seed)
        {
            var run = new Run
            {
                G = g, Batch = batch, Filters = filters,
                X = NaiveKernels.Random(batch * g.InputSize, seed),
                W = NaiveKernels.Random(g.PatchSize * filters, seed + 1),
                B = NaiveKernels.Random(filters, seed + 2),
                W0 = [], B0 = [],
                Dz = NaiveKernels.Random(batch * g.OutputPixels * filters, seed + 3),
                Columns = new float[batch * g.ColumnsPerSample],
                ColumnGradients = new float[batch * g.ColumnsPerSample],
                Dx = new float[batch * g.InputSize],
                Dw = new float[g.PatchSize * filters],
                Db = new float[filters],
                Y = new float[batch * g.OutputPixels * filters],
            };
            run.W0 = run.W.ToArray();
            run.B0 = run.B.ToArray();
            run.Forward();
            // Gradients are overwritten, never accumulated.
            run.ColumnGradients.AsSpan().Fill(float.NaN);
            run.Dx.AsSpan().Fill(float.NaN);
            run.Dw.AsSpan().Fill(float.NaN);
            run.Db.AsSpan().Fill(float.NaN);
            return run;
        }

        public void Forward() => ConvolutionKernels.Forward<ReluActivation>(Y, [], X, Columns, W, B, Batch, G, Filters);

        public void Backward<TPrevious>(float learningRate, float l1, float l2, float[] mask)
            where TPrevious : struct, IActivationFunction =>
            ConvolutionKernels.Backward<TPrevious>(Dx, Dz, Columns, ColumnGradients, Saved, mask, W, B, Dw, Db,
                learningRate, l1, l2, Batch, G, Filters);
    }
}

/// <summary>Gradients against central differences of a loss computed in double from the float kernels' outputs.</summary>
internal static class FiniteDifferences
{
    /// <summary>Every element has the same bits; the message (built only on failure) names the first that differs.</summary>
    public static void AssertBitwise(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}: element {i} is {actual[i]:G9}, expected {expected[i]:G9}.");
    }

    /// <summary>
    /// Each <c>gradient[i]</c> against <c>(L(p + h) - L(p - h)) / (p + h - p - h)</c>, the step's width taken after
    /// both sides are rounded to float. The layers checked are linear in <paramref name="parameters"/> between kinks,
    /// so the difference is exact but for the rounding of the outputs.
    /// </summary>
    public static void Check(float[] parameters, float[] gradient, Func<double> loss, string what, float step = 1e-2f)
    {
        for (var i = 0; i < parameters.Length; i++)
        {
            var original = parameters[i];
            var (plus, minus) = (original + step, original - step);
            parameters[i] = plus;
            var above = loss();
            parameters[i] = minus;
            var below = loss();
            parameters[i] = original;
            var numeric = (above - below) / ((double)plus - minus);
            Assert.True(Math.Abs(numeric - gradient[i]) <= 2e-3 * (1 + Math.Abs(numeric)),
                $"{what}[{i}]: kernel {gradient[i]:G9}, finite difference {numeric:G9}.");
        }
    }
}

/// <summary>Tests that change <see cref="CpuBackend.MaxDegreeOfParallelism"/> or measure allocations run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public class ThreadSettingsCollection
{
    public const string Name = "Thread settings";
}

/// <summary>The convolution's results do not depend on the thread count, and a steady-state step allocates nothing.</summary>
[Collection(ThreadSettingsCollection.Name)]
public class ConvolutionKernelThreadTests
{
    // 8 samples of 20 × 20 × 8 make 230,400 floats of columns: gathered and scattered by several threads.
    private static readonly Window2D Window = Window2D.Create(20, 20, 8, 3, 3, 1, 1, samePadding: true);
    private const int Batch = 8, Filters = 24;

    [Fact]
    public void One_and_two_threads_give_the_same_bits()
    {
        var one = Step(threads: 1);
        var workerUnits = 0L;
        for (var repeat = 0; repeat < 3; repeat++)
        {
            var before = WorkerPool.Shared.UnitsRunByWorkers;
            var two = Step(threads: 2);
            workerUnits += WorkerPool.Shared.UnitsRunByWorkers - before;
            foreach (var (a, b, what) in new[] { (one.Y, two.Y, "y"), (one.Dx, two.Dx, "dx"), (one.Dw, two.Dw, "dW"), (one.Db, two.Db, "db"), (one.W, two.W, "W"), (one.B, two.B, "b") })
                FiniteDifferences.AssertBitwise(a, b, $"{what} with two threads against one");
        }

        if (WorkerPool.Shared.MaxThreads >= 2)
            Assert.True(workerUnits > 0, "No unit of the two-thread runs ran on a worker thread: they used one thread.");
    }

    [Fact]
    public void A_steady_state_forward_and_backward_pass_allocates_nothing()
    {
        var previous = CpuBackend.MaxDegreeOfParallelism;
        try
        {
            foreach (var threads in new[] { 1, 2 })
            {
                CpuBackend.MaxDegreeOfParallelism = threads;
                var run = ConvolutionKernelTests.Run.Prepare(Batch, Window, Filters, seed: 60);
                run.Saved = NaiveKernels.Random(run.X.Length, 61, 0f, 1f);
                var mask = NaiveKernels.Random(run.X.Length, 62, 0f, 2f);
                void Pass()
                {
                    run.Forward();
                    run.Backward<ReluActivation>(0.01f, 0.001f, 0.001f, mask);
                }

                Pass(); // warm-up: the jobs for this thread
                Assert.Equal(0, ThreadAllocation.Least(Pass));
            }
        }
        finally
        {
            CpuBackend.MaxDegreeOfParallelism = previous;
        }
    }

    private static ConvolutionKernelTests.Run Step(int threads)
    {
        var previous = CpuBackend.MaxDegreeOfParallelism;
        CpuBackend.MaxDegreeOfParallelism = threads;
        try
        {
            var run = ConvolutionKernelTests.Run.Prepare(Batch, Window, Filters, seed: 70);
            run.Saved = NaiveKernels.Random(run.X.Length, 71, 0f, 1f); // ReLU outputs
            var mask = Enumerable.Range(0, run.X.Length).Select(i => i % 5 == 0 ? 0f : 1.25f).ToArray();
            run.Backward<ReluActivation>(0.05f, 0.001f, 0.002f, mask);
            return run;
        }
        finally
        {
            CpuBackend.MaxDegreeOfParallelism = previous;
        }
    }
}
