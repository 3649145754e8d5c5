using DeepGen.Cpu;
using DeepGen.Tests.Shared;

namespace DeepGen.Runtime.Tests.Cpu;

/// <summary>
/// Max and average pooling, local and global, against <see cref="NaiveConvolution"/>'s definitions with TensorFlow's
/// padding rules, ties, finite differences, and the mask-then-derivative finish shared with Flatten and Reshape.
/// </summary>
public class PoolingKernelTests
{
    public static TheoryData<int, int, int, int, int, int, int, int, bool> Windows() => new()
    {
        // batch, height, width, channels, pool height, pool width, stride height, stride width, same
        { 2, 7, 9, 3, 2, 2, 2, 2, false },
        { 2, 7, 9, 3, 2, 2, 2, 2, true },  // an odd size: the last window hangs over the padding
        { 1, 7, 9, 3, 3, 3, 2, 2, false }, // overlapping windows
        { 2, 7, 9, 3, 3, 3, 2, 2, true },
        { 2, 7, 9, 3, 2, 3, 3, 2, true },  // strides larger than the pool: cells no window reads
        { 1, 8, 5, 17, 3, 2, 1, 2, true },
        { 3, 5, 5, 1, 5, 5, 1, 1, true },  // mostly padding
    };

    [Theory]
    [MemberData(nameof(Windows))]
    public void Max_pooling_matches_the_definition(int batch, int height, int width, int channels, int ph, int pw, int sh, int sw, bool same)
    {
        var g = Window2D.Create(height, width, channels, ph, pw, sh, sw, same);
        var x = NaiveKernels.Random(batch * g.InputSize, 1, -2f, -1f); // all negative: a zero from padding would win
        var y = new float[batch * g.OutputPixels * channels];
        PoolingKernels.MaxForward(y, x, batch, g);
        Assert.Equal(NaiveConvolution.MaxPool(x, batch, g).Output.Select(v => (float)v), y);

        var dy = NaiveKernels.Random(y.Length, 2);
        var dx = Filled(x.Length);
        PoolingKernels.MaxBackward<LinearActivation>(dx, dy, x, [], [], batch, g);
        var expected = NaiveConvolution.MaxPoolBackward(x, dy, batch, g);
        NaiveKernels.AssertClose(expected, dx, NaiveConvolution.MaxPoolBackward(x, NaiveConvolution.Abs(dy), batch, g), ph * pw, "dx");
    }

    [Theory]
    [MemberData(nameof(Windows))]
    public void Average_pooling_matches_the_definition_dividing_by_the_cells_inside_the_input(
        int batch, int height, int width, int channels, int ph, int pw, int sh, int sw, bool same)
    {
        var g = Window2D.Create(height, width, channels, ph, pw, sh, sw, same);
        var x = NaiveKernels.Random(batch * g.InputSize, 3);
        var y = new float[batch * g.OutputPixels * channels];
        PoolingKernels.AverageForward(y, x, batch, g);
        NaiveKernels.AssertClose(NaiveConvolution.AveragePool(x, batch, g), y,
            NaiveConvolution.AveragePool(NaiveConvolution.Abs(x), batch, g), ph * pw + 1, "y");

        var dy = NaiveKernels.Random(y.Length, 4);
        var dx = Filled(x.Length);
        PoolingKernels.AverageBackward<LinearActivation>(dx, dy, x, [], [], batch, g);
        NaiveKernels.AssertClose(NaiveConvolution.AveragePoolBackward(dy, batch, g), dx,
            NaiveConvolution.AveragePoolBackward(NaiveConvolution.Abs(dy), batch, g), ph * pw + 1, "dx");
    }

    [Theory]
    [InlineData(19, false)] // whole vectors of channels and a scalar tail
    [InlineData(32, true)]
    public void Ties_go_to_the_first_maximal_cell_in_the_vector_lanes_as_in_the_scalar_tail(int channels, bool same)
    {
        // Values from three levels: most windows hold ties, in every lane; a NaN first cell keeps its window's gradient.
        var g = Window2D.Create(7, 6, channels, 3, 3, 2, 1, same);
        var x = NaiveKernels.Random(2 * g.InputSize, 8, 0f, 3f).Select(v => MathF.Floor(v)).ToArray();
        x[NaiveConvolution.Input(g, 1, 0, 0, 5)] = float.NaN;
        var dy = NaiveKernels.Random(2 * g.OutputPixels * channels, 9);
        var dx = Filled(x.Length);
        PoolingKernels.MaxBackward<LinearActivation>(dx, dy, x, [], [], 2, g);

        // The scalar definition: the first cell in scan order that no later cell exceeds (NaN never exceeds).
        var expected = new float[x.Length];
        for (var n = 0; n < 2; n++)
        for (var oy = 0; oy < g.OutputHeight; oy++)
        for (var ox = 0; ox < g.OutputWidth; ox++)
        for (var c = 0; c < channels; c++)
        {
            var best = -1;
            foreach (var (_, _, y, xx) in NaiveConvolution.Cells(g, oy, ox))
            {
                var at = NaiveConvolution.Input(g, n, y, xx, c);
                if (best < 0 || x[at] > x[best]) best = at;
            }

            expected[best] += dy[NaiveConvolution.Output(g, n, oy, ox, channels, c)];
        }

        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), dx.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void A_padded_corner_averages_only_its_real_cells()
    {
        // 3 × 3 same, stride 1 over a 2 × 2 input of one channel: every window holds all four cells.
        var g = Window2D.Create(2, 2, 1, 3, 3, 1, 1, samePadding: true);
        var y = new float[4];
        PoolingKernels.AverageForward(y, [1f, 2f, 3f, 6f], 1, g);
        Assert.Equal(new[] { 3f, 3f, 3f, 3f }, y);
        var dx = new float[4];
        PoolingKernels.AverageBackward<LinearActivation>(dx, [4f, 8f, 12f, 16f], [], [], [], 1, g);
        Assert.Equal(new[] { 10f, 10f, 10f, 10f }, dx); // (4 + 8 + 12 + 16) / 4
    }

    [Fact]
    public void Ties_send_the_gradient_to_the_first_maximal_cell_and_overlaps_add()
    {
        // 3 × 3 windows, stride 2, over a 5 × 5 input of one value: windows (0, 0), (0, 1), (1, 0), (1, 1) start at
        // cells (0, 0), (0, 2), (2, 0), (2, 2); each sends its whole gradient to its first cell.
        var g = Window2D.Create(5, 5, 2, 3, 3, 2, 2, samePadding: false);
        var x = Enumerable.Repeat(0.5f, g.InputSize).ToArray();
        float[] dy = [1f, 10f, 2f, 20f, 3f, 30f, 4f, 40f];
        var dx = Filled(x.Length);
        PoolingKernels.MaxBackward<LinearActivation>(dx, dy, x, [], [], 1, g);
        var expected = new float[x.Length];
        for (var window = 0; window < 4; window++)
        {
            var (oy, ox) = (window / 2, window % 2);
            for (var c = 0; c < 2; c++) expected[NaiveConvolution.Input(g, 0, 2 * oy, 2 * ox, c)] = dy[window * 2 + c];
        }

        Assert.Equal(expected, dx);

        // A tie between a later cell and the first shared cell of two windows: both send it there, and the sums add.
        x = NaiveKernels.Random(g.InputSize, 5, -1f, 0f);
        x[NaiveConvolution.Input(g, 0, 2, 2, 0)] = 1f; // the cell every window holds
        x[NaiveConvolution.Input(g, 0, 2, 3, 0)] = 1f; // a tie later in scan order, in windows (1, 1) and (0, 1)
        PoolingKernels.MaxBackward<LinearActivation>(dx, dy, x, [], [], 1, g);
        Assert.Equal(1f + 2f + 3f + 4f, dx[NaiveConvolution.Input(g, 0, 2, 2, 0)]);
        Assert.Equal(0f, dx[NaiveConvolution.Input(g, 0, 2, 3, 0)]);
    }

    [Fact]
    public void Global_pools_match_the_definition_and_ties_go_to_the_first_pixel()
    {
        const int batch = 3, pixels = 7 * 5, channels = 17;
        var x = NaiveKernels.Random(batch * pixels * channels, 6);
        x[(1 * pixels + 4) * channels + 2] = 5f; // channel 2 of sample 1: a tie at pixels 4 and 9
        x[(1 * pixels + 9) * channels + 2] = 5f;
        var max = new float[batch * channels];
        var mean = new float[batch * channels];
        PoolingKernels.GlobalMaxForward(max, x, batch, pixels, channels);
        PoolingKernels.GlobalAverageForward(mean, x, batch, pixels, channels);
        var dy = NaiveKernels.Random(batch * channels, 7);
        var dxMax = Filled(x.Length);
        var dxMean = Filled(x.Length);
        PoolingKernels.GlobalMaxBackward<LinearActivation>(dxMax, dy, x, [], [], batch, pixels, channels);
        PoolingKernels.GlobalAverageBackward<LinearActivation>(dxMean, dy, [], [], batch, pixels, channels);

        for (var n = 0; n < batch; n++)
        for (var c = 0; c < channels; c++)
        {
            var values = Enumerable.Range(0, pixels).Select(p => x[(n * pixels + p) * channels + c]).ToArray();
            var first = Array.IndexOf(values, values.Max());
            Assert.Equal(values.Max(), max[n * channels + c]);
            Assert.Equal(values.Average(v => (double)v), mean[n * channels + c], 1e-6);
            for (var p = 0; p < pixels; p++)
            {
                var at = (n * pixels + p) * channels + c;
                Assert.Equal(p == first ? dy[n * channels + c] : 0f, dxMax[at]);
                Assert.Equal(dy[n * channels + c] / pixels, dxMean[at]);
            }
        }

        Assert.Equal(dy[1 * channels + 2], dxMax[(1 * pixels + 4) * channels + 2]);
    }

    [Fact]
    public void Gradients_match_finite_differences_of_the_forward_passes()
    {
        // L = Σ r · y, so r is the output gradient; the inputs are spread out so that no small step changes a maximum.
        const int batch = 2;
        var g = Window2D.Create(5, 6, 2, 3, 2, 2, 1, samePadding: true);
        var x = Enumerable.Range(0, batch * g.InputSize).Select(i => (float)((i * 37) % 101) / 10f).ToArray();
        var r = NaiveKernels.Random(batch * g.OutputPixels * g.Channels, 8);
        var rGlobal = NaiveKernels.Random(batch * g.Channels, 9);

        double Loss(Action<float[]> forward, float[] weights)
        {
            var y = new float[weights.Length];
            forward(y);
            return y.Select((v, i) => (double)weights[i] * v).Sum();
        }

        var dx = new float[x.Length];
        PoolingKernels.MaxBackward<LinearActivation>(dx, r, x, [], [], batch, g);
        FiniteDifferences.Check(x, dx, () => Loss(y => PoolingKernels.MaxForward(y, x, batch, g), r), "max dx");
        PoolingKernels.AverageBackward<LinearActivation>(dx, r, x, [], [], batch, g);
        FiniteDifferences.Check(x, dx, () => Loss(y => PoolingKernels.AverageForward(y, x, batch, g), r), "average dx");
        PoolingKernels.GlobalMaxBackward<LinearActivation>(dx, rGlobal, x, [], [], batch, g.InputHeight * g.InputWidth, g.Channels);
        FiniteDifferences.Check(x, dx, () => Loss(y => PoolingKernels.GlobalMaxForward(y, x, batch, g.InputHeight * g.InputWidth, g.Channels), rGlobal), "global max dx");
        PoolingKernels.GlobalAverageBackward<LinearActivation>(dx, rGlobal, [], [], batch, g.InputHeight * g.InputWidth, g.Channels);
        FiniteDifferences.Check(x, dx, () => Loss(y => PoolingKernels.GlobalAverageForward(y, x, batch, g.InputHeight * g.InputWidth, g.Channels), rGlobal), "global average dx");
    }

    [Fact]
    public void Every_backward_pass_applies_the_mask_then_the_previous_derivative()
    {
        const int batch = 2;
        var g = Window2D.Create(7, 9, 3, 3, 2, 2, 2, samePadding: true);
        var pixels = g.InputHeight * g.InputWidth;
        var x = NaiveKernels.Random(batch * g.InputSize, 10, 0.01f, 0.99f); // sigmoid outputs, also the pooled input
        var mask = Enumerable.Range(0, x.Length).Select(i => i % 3 == 0 ? 0f : 1f / 0.7f).ToArray();
        var dy = NaiveKernels.Random(batch * g.OutputPixels * g.Channels, 11);
        var dyGlobal = NaiveKernels.Random(batch * g.Channels, 12);

        var passes = new (string Name, Action<float[]> Plain, Action<float[]> Finished)[]
        {
            ("max", dx => PoolingKernels.MaxBackward<LinearActivation>(dx, dy, x, [], [], batch, g),
                dx => PoolingKernels.MaxBackward<SigmoidActivation>(dx, dy, x, x, mask, batch, g)),
            ("average", dx => PoolingKernels.AverageBackward<LinearActivation>(dx, dy, x, [], [], batch, g),
                dx => PoolingKernels.AverageBackward<SigmoidActivation>(dx, dy, x, x, mask, batch, g)),
            ("global max", dx => PoolingKernels.GlobalMaxBackward<LinearActivation>(dx, dyGlobal, x, [], [], batch, pixels, g.Channels),
                dx => PoolingKernels.GlobalMaxBackward<SigmoidActivation>(dx, dyGlobal, x, x, mask, batch, pixels, g.Channels)),
            ("global average", dx => PoolingKernels.GlobalAverageBackward<LinearActivation>(dx, dyGlobal, [], [], batch, pixels, g.Channels),
                dx => PoolingKernels.GlobalAverageBackward<SigmoidActivation>(dx, dyGlobal, x, mask, batch, pixels, g.Channels)),
            ("copy", dx => ShapeKernels.CopyBackward<LinearActivation>(dx, x, [], []),
                dx => ShapeKernels.CopyBackward<SigmoidActivation>(dx, x, x, mask)),
        };

        foreach (var (name, plainPass, finishedPass) in passes)
        {
            var plain = Filled(x.Length);
            plainPass(plain);
            var finished = Filled(x.Length);
            finishedPass(finished);
            for (var i = 0; i < x.Length; i++)
            {
                var expected = plain[i] * mask[i] * x[i] * (1f - x[i]);
                Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(finished[i]),
                    $"{name} dx[{i}] is {finished[i]:G9}; gradient, mask and derivative give {expected:G9}.");
            }
        }
    }

    [Fact]
    public void Element_gradient_without_a_mask_applies_only_the_derivative()
    {
        var gradient = NaiveKernels.Random(37, 13);
        var saved = NaiveKernels.Random(37, 14);
        var expected = gradient.Select((v, i) => saved[i] > 0 ? v : 0f).ToArray();
        ShapeKernels.ElementGradient<ReluActivation>(gradient, saved, []);
        Assert.Equal(expected, gradient);
    }

    [Fact]
    public void Wrong_buffer_lengths_are_refused_naming_the_operand()
    {
        var g = Window2D.Create(4, 4, 2, 2, 2, 2, 2, samePadding: false);
        var e = Assert.Throws<ArgumentException>(() => PoolingKernels.MaxForward(new float[7], new float[32], 1, g));
        Assert.Equal("output", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => PoolingKernels.MaxBackward<LinearActivation>(new float[32], new float[8], new float[31], [], [], 1, g));
        Assert.Equal("input", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => PoolingKernels.AverageBackward<ReluActivation>(new float[32], new float[8], [], [], [], 1, g));
        Assert.Equal("previousSaved", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => PoolingKernels.GlobalAverageBackward<LinearActivation>(new float[32], new float[2], [], new float[3], 1, 16, 2));
        Assert.Equal("dropoutMask", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => ShapeKernels.CopyBackward<LinearActivation>(new float[5], new float[6], [], []));
        Assert.Equal("outputGradient", e.ParamName);
    }

    /// <summary>A gradient buffer full of NaN: the kernels overwrite, never accumulate.</summary>
    private static float[] Filled(int length) => Enumerable.Repeat(float.NaN, length).ToArray();
}

/// <summary>A steady-state pooling pass allocates nothing.</summary>
[Collection(ThreadSettingsCollection.Name)]
public class PoolingKernelAllocationTests
{
    [Fact]
    public void Pooling_passes_allocate_nothing()
    {
        const int batch = 4;
        var g = Window2D.Create(12, 12, 8, 3, 3, 2, 2, samePadding: true);
        var pixels = g.InputHeight * g.InputWidth;
        var x = NaiveKernels.Random(batch * g.InputSize, 15, 0f, 1f);
        var mask = NaiveKernels.Random(x.Length, 16, 0f, 2f);
        var y = new float[batch * g.OutputPixels * g.Channels];
        var dy = NaiveKernels.Random(y.Length, 17);
        var global = new float[batch * g.Channels];
        var dx = new float[x.Length];

        void Pass()
        {
            PoolingKernels.MaxForward(y, x, batch, g);
            PoolingKernels.MaxBackward<ReluActivation>(dx, dy, x, x, mask, batch, g);
            PoolingKernels.AverageForward(y, x, batch, g);
            PoolingKernels.AverageBackward<SigmoidActivation>(dx, dy, x, x, mask, batch, g);
            PoolingKernels.GlobalMaxForward(global, x, batch, pixels, g.Channels);
            PoolingKernels.GlobalMaxBackward<TanhActivation>(dx, global, x, x, mask, batch, pixels, g.Channels);
            PoolingKernels.GlobalAverageForward(global, x, batch, pixels, g.Channels);
            PoolingKernels.GlobalAverageBackward<LinearActivation>(dx, global, [], [], batch, pixels, g.Channels);
            ShapeKernels.CopyBackward<ReluActivation>(dx, x, x, mask);
        }

        Pass();
        Assert.Equal(0, ThreadAllocation.Least(Pass));
    }
}
