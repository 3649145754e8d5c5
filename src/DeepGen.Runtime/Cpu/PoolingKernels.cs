using System.Numerics.Tensors;

namespace DeepGen.Cpu;

/// <summary>
/// Max and average pooling (Keras <c>MaxPooling2D</c>, <c>AveragePooling2D</c>, <c>GlobalMaxPooling2D</c>,
/// <c>GlobalAveragePooling2D</c>) over channels-last samples: inputs <c>[batch, height, width, channels]</c>, outputs
/// <c>[batch, outputHeight, outputWidth, channels]</c>, or <c>[batch, channels]</c> for the global pools.
/// </summary>
/// <remarks>
/// <para>TensorFlow's semantics: padding cells never take part, so a max is over the window's cells inside the input
/// and an average divides by their count. The backward passes give a max's gradient to the first maximal cell in
/// window order <c>(ky, kx)</c>, found again from the input; where windows overlap, their gradients add in output
/// order. Each backward pass then applies the dropout mask (when not empty) and the previous layer's activation
/// derivative, as <see cref="ShapeKernels.ElementGradient{TPreviousActivation}"/> does.</para>
/// <para>Pooling reads and writes each value about once, so it runs sample by sample on the calling thread: the
/// results cannot depend on a thread count. Gradients are overwritten, never accumulated. Each method checks its span
/// lengths once and throws <see cref="ArgumentException"/> naming the operand.</para>
/// </remarks>
public static unsafe class PoolingKernels
{
    /// <summary><c>output[n, oy, ox, c]</c> = the largest <c>input[n, y, x, c]</c> over the window's cells inside the input.</summary>
    public static void MaxForward(Span<float> output, ReadOnlySpan<float> input, int batch, in Window2D g)
    {
        CheckForward(output, input, batch, g);
        fixed (float* y = output)
        fixed (float* x = input)
        {
            PoolForward(y, x, batch, g, average: false);
        }
    }

    /// <summary>
    /// <c>inputGradient[n, y, x, c]</c> = the sum of <c>outputGradient</c> over the windows whose first maximal cell
    /// of channel <c>c</c> is <c>(y, x)</c>, then the dropout mask and the previous layer's derivative.
    /// </summary>
    public static void MaxBackward<TPreviousActivation>(
        Span<float> inputGradient, ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> input,
        ReadOnlySpan<float> previousSaved, ReadOnlySpan<float> dropoutMask, int batch, in Window2D g)
        where TPreviousActivation : struct, IActivationFunction
    {
        CheckBackward<TPreviousActivation>(inputGradient, outputGradient, previousSaved, dropoutMask, batch, g);
        KernelArguments.CheckLength(input, (long)batch * g.InputSize, nameof(input));
        fixed (float* dx = inputGradient)
        fixed (float* dy = outputGradient)
        fixed (float* x = input)
        fixed (float* saved = previousSaved)
        fixed (float* mask = dropoutMask)
        {
            BackwardSamples<TPreviousActivation>(dx, dy, x, saved, mask, batch, g, average: false);
        }
    }

    /// <summary>
    /// <c>output[n, oy, ox, c]</c> = the sum of <c>input[n, y, x, c]</c> over the window's cells inside the input, in
    /// window order, divided by their count.
    /// </summary>
    public static void AverageForward(Span<float> output, ReadOnlySpan<float> input, int batch, in Window2D g)
    {
        CheckForward(output, input, batch, g);
        fixed (float* y = output)
        fixed (float* x = input)
        {
            PoolForward(y, x, batch, g, average: true);
        }
    }

    /// <summary>
    /// <c>inputGradient[n, y, x, c]</c> = the sum over the windows holding <c>(y, x)</c> of
    /// <c>outputGradient[n, oy, ox, c] / cells</c> (that window's cells inside the input), then the dropout mask and
    /// the previous layer's derivative. <paramref name="input"/> is not read; it keeps the signature of
    /// <see cref="MaxBackward{TPreviousActivation}"/>, so a generator emits either the same way.
    /// </summary>
    public static void AverageBackward<TPreviousActivation>(
        Span<float> inputGradient, ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> input,
        ReadOnlySpan<float> previousSaved, ReadOnlySpan<float> dropoutMask, int batch, in Window2D g)
        where TPreviousActivation : struct, IActivationFunction
    {
        CheckBackward<TPreviousActivation>(inputGradient, outputGradient, previousSaved, dropoutMask, batch, g);
        if (!input.IsEmpty) KernelArguments.CheckLength(input, (long)batch * g.InputSize, nameof(input));
        fixed (float* dx = inputGradient)
        fixed (float* dy = outputGradient)
        fixed (float* saved = previousSaved)
        fixed (float* mask = dropoutMask)
        {
            BackwardSamples<TPreviousActivation>(dx, dy, null, saved, mask, batch, g, average: true);
        }
    }

    /// <summary><c>output[n, c]</c> = the sum of <c>input[n, p, c]</c> over the <paramref name="pixels"/> in order, divided by their count.</summary>
    public static void GlobalAverageForward(Span<float> output, ReadOnlySpan<float> input, int batch, int pixels, int channels)
    {
        CheckGlobal(batch, pixels, channels);
        KernelArguments.CheckLength(output, (long)batch * channels, nameof(output));
        KernelArguments.CheckLength(input, (long)batch * pixels * channels, nameof(input));
        for (var n = 0; n < batch; n++)
        {
            var sum = output.Slice(n * channels, channels);
            var sample = input.Slice(n * pixels * channels, pixels * channels);
            sample[..channels].CopyTo(sum);
            for (var p = 1; p < pixels; p++) TensorPrimitives.Add(sum, sample.Slice(p * channels, channels), sum);
            TensorPrimitives.Divide(sum, pixels, sum);
        }
    }

    /// <summary>
    /// <c>inputGradient[n, p, c] = outputGradient[n, c] / pixels</c>, then the dropout mask and the previous layer's
    /// derivative.
    /// </summary>
    public static void GlobalAverageBackward<TPreviousActivation>(
        Span<float> inputGradient, ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> previousSaved,
        ReadOnlySpan<float> dropoutMask, int batch, int pixels, int channels)
        where TPreviousActivation : struct, IActivationFunction
    {
        CheckGlobalBackward<TPreviousActivation>(inputGradient, outputGradient, previousSaved, dropoutMask, batch, pixels, channels);
        for (var n = 0; n < batch; n++)
        {
            var share = inputGradient.Slice(n * pixels * channels, channels);
            TensorPrimitives.Divide(outputGradient.Slice(n * channels, channels), pixels, share);
            for (var p = 1; p < pixels; p++) share.CopyTo(inputGradient.Slice((n * pixels + p) * channels, channels));
        }

        ShapeKernels.ElementGradient<TPreviousActivation>(inputGradient, previousSaved, dropoutMask);
    }

    /// <summary><c>output[n, c]</c> = the largest <c>input[n, p, c]</c> over the <paramref name="pixels"/>.</summary>
    public static void GlobalMaxForward(Span<float> output, ReadOnlySpan<float> input, int batch, int pixels, int channels)
    {
        CheckGlobal(batch, pixels, channels);
        KernelArguments.CheckLength(output, (long)batch * channels, nameof(output));
        KernelArguments.CheckLength(input, (long)batch * pixels * channels, nameof(input));
        for (var n = 0; n < batch; n++)
        {
            var max = output.Slice(n * channels, channels);
            var sample = input.Slice(n * pixels * channels, pixels * channels);
            sample[..channels].CopyTo(max);
            for (var p = 1; p < pixels; p++) TensorPrimitives.Max(max, sample.Slice(p * channels, channels), max);
        }
    }

    /// <summary>
    /// <c>inputGradient[n, p, c] = outputGradient[n, c]</c> at the first pixel <c>p</c> holding channel <c>c</c>'s
    /// maximum, zero elsewhere, then the dropout mask and the previous layer's derivative.
    /// </summary>
    public static void GlobalMaxBackward<TPreviousActivation>(
        Span<float> inputGradient, ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> input,
        ReadOnlySpan<float> previousSaved, ReadOnlySpan<float> dropoutMask, int batch, int pixels, int channels)
        where TPreviousActivation : struct, IActivationFunction
    {
        CheckGlobalBackward<TPreviousActivation>(inputGradient, outputGradient, previousSaved, dropoutMask, batch, pixels, channels);
        KernelArguments.CheckLength(input, (long)batch * pixels * channels, nameof(input));
        inputGradient.Clear();
        for (var n = 0; n < batch; n++)
        for (var c = 0; c < channels; c++)
        {
            var first = n * pixels * channels + c;
            var best = first;
            for (var p = 1; p < pixels; p++)
            {
                var at = first + p * channels;
                if (input[at] > input[best]) best = at;
            }

            inputGradient[best] = outputGradient[n * channels + c];
        }

        ShapeKernels.ElementGradient<TPreviousActivation>(inputGradient, previousSaved, dropoutMask);
    }

    /// <summary>One sample at a time: each output pixel's channel run from the runs of its window's cells inside the input.</summary>
    private static void PoolForward(float* output, float* input, int batch, in Window2D g, bool average)
    {
        var channels = g.Channels;
        var run = output;
        for (var n = 0; n < batch; n++)
        {
            var sample = input + (long)n * g.InputSize;
            for (var oy = 0; oy < g.OutputHeight; oy++)
            for (var ox = 0; ox < g.OutputWidth; ox++, run += channels)
            {
                var window = Window(g, oy, ox);
                var result = new Span<float>(run, channels);
                if (window.Count == 0)
                {
                    result.Clear(); // only a hand-made window can lie wholly in the padding
                    continue;
                }

                for (var y = window.Y0; y < window.Y1; y++)
                for (var x = window.X0; x < window.X1; x++)
                {
                    var cell = new ReadOnlySpan<float>(sample + ((long)y * g.InputWidth + x) * channels, channels);
                    if (y == window.Y0 && x == window.X0) cell.CopyTo(result);
                    else if (average) TensorPrimitives.Add(result, cell, result);
                    else TensorPrimitives.Max(result, cell, result);
                }

                if (average) TensorPrimitives.Divide(result, window.Count, result);
            }
        }
    }

    /// <summary>
    /// Every sample's pooling gradient, then its mask and derivative: split over samples among the threads when the
    /// batch is large (each sample's gradient is its own, so the bits do not depend on the split), else on the caller.
    /// </summary>
    private static void BackwardSamples<TPreviousActivation>(float* dx, float* dy, float* x, float* saved, float* mask, int batch, in Window2D g, bool average)
        where TPreviousActivation : struct, IActivationFunction
    {
        var threads = batch < 2 || (long)batch * g.InputSize < ParallelValues || WorkerPool.IsWorkerThread
            ? 1
            : Math.Min(CpuBackend.MaxDegreeOfParallelism, WorkerPool.Shared.MaxThreads);
        var job = BackwardJob<TPreviousActivation>.ForThisThread;
        job.InputGradient = dx;
        job.OutputGradient = dy;
        job.Input = x;
        job.Saved = saved;
        job.Mask = mask;
        job.Batch = batch;
        job.Window = g;
        job.Average = average;
        try
        {
            if (threads <= 1)
                for (var n = 0; n < batch; n++) job.Execute(n);
            else
                WorkerPool.Shared.Run(job, threads);
        }
        finally
        {
            job.InputGradient = job.OutputGradient = job.Input = job.Saved = job.Mask = null;
        }
    }

    /// <summary>Below this many input values a pooling gradient runs on the calling thread.</summary>
    private const long ParallelValues = 1 << 16;

    /// <summary>One sample of a pooling gradient per unit; one reusable job per calling thread and activation, so nothing is allocated.</summary>
    private sealed class BackwardJob<TPreviousActivation> : IParallelWork
        where TPreviousActivation : struct, IActivationFunction
    {
        [ThreadStatic] private static BackwardJob<TPreviousActivation>? _forThisThread;

        public float* InputGradient;
        public float* OutputGradient;
        public float* Input;
        public float* Saved;
        public float* Mask;
        public int Batch;
        public Window2D Window;
        public bool Average;

        public static BackwardJob<TPreviousActivation> ForThisThread => _forThisThread ??= new BackwardJob<TPreviousActivation>();

        public int UnitCount => Batch;

        public void Execute(int unit)
        {
            PoolBackward(InputGradient, OutputGradient, Input, unit, Window, Average);
            ShapeKernels.ElementGradientAt<TPreviousActivation>(InputGradient, Saved, Mask, (long)unit * Window.InputSize, Window.InputSize);
        }
    }

    /// <summary>
    /// Sample <paramref name="n"/>'s input gradient, before mask and derivative: cleared, then each output pixel's
    /// gradient added, in output order, to the first maximal cell of each channel (max) or, divided by the window's
    /// count, to every cell (average).
    /// </summary>
    private static void PoolBackward(float* inputGradient, float* outputGradient, float* input, int n, in Window2D g, bool average)
    {
        var channels = g.Channels;
        var dx = inputGradient + (long)n * g.InputSize;
        var x0 = input + (long)n * g.InputSize;
        new Span<float>(dx, g.InputSize).Clear();
        var dy = outputGradient + (long)n * g.OutputPixels * channels;
        for (var oy = 0; oy < g.OutputHeight; oy++)
        for (var ox = 0; ox < g.OutputWidth; ox++, dy += channels)
        {
            var window = Window(g, oy, ox);
            if (window.Count == 0) continue;
            if (average)
            {
                for (var y = window.Y0; y < window.Y1; y++)
                for (var x = window.X0; x < window.X1; x++)
                {
                    var cell = dx + ((long)y * g.InputWidth + x) * channels;
                    for (var c = 0; c < channels; c++) cell[c] += dy[c] / window.Count;
                }

                continue;
            }

            var first = ((long)window.Y0 * g.InputWidth + window.X0) * channels;
            for (var channel = MaxBackwardVectors(dx, x0, dy, window, g); channel < channels; channel++)
            {
                var best = first + channel;
                for (var y = window.Y0; y < window.Y1; y++)
                for (var x = window.X0; x < window.X1; x++)
                {
                    var at = ((long)y * g.InputWidth + x) * channels + channel;
                    if (x0[at] > x0[best]) best = at;
                }

                dx[best] += dy[channel];
            }
        }
    }

    /// <summary>
    /// A window's max-pooling gradient for whole vectors of channels, the rest left to the scalar loop: the window's
    /// largest value per channel, then its cells in scan order, each taking the channel's gradient where it holds
    /// that value and no earlier cell did — the first maximal cell, as the scalar search finds it. Adding zero to a
    /// cell that did not win leaves its bits alone (a cell's sum is never -0: it starts at +0). Returns the first
    /// channel not done.
    /// </summary>
    private static int MaxBackwardVectors(float* dx, float* x, float* dy, PoolWindow window, in Window2D g)
    {
        var width = System.Numerics.Vector<float>.Count;
        if (!System.Numerics.Vector.IsHardwareAccelerated) return 0;
        int channels = g.Channels, c = 0;
        for (; c + width <= channels; c += width)
        {
            var best = System.Numerics.Vector.Load(x + ((long)window.Y0 * g.InputWidth + window.X0) * channels + c);
            for (var y = window.Y0; y < window.Y1; y++)
            for (var xx = window.X0; xx < window.X1; xx++)
            {
                var value = System.Numerics.Vector.Load(x + ((long)y * g.InputWidth + xx) * channels + c);
                // The scalar search's test, value > best, lane by lane: NaN never wins, as there.
                best = System.Numerics.Vector.ConditionalSelect(System.Numerics.Vector.GreaterThan(value, best), value, best);
            }

            var gradient = System.Numerics.Vector.Load(dy + c);
            // Where the first cell is NaN nothing is greater, so the scalar search keeps it: it wins those lanes.
            var taken = System.Numerics.Vector.OnesComplement(System.Numerics.Vector.Equals(best, best));
            var firstAt = ((long)window.Y0 * g.InputWidth + window.X0) * channels + c;
            System.Numerics.Vector.Store(System.Numerics.Vector.Load(dx + firstAt) + System.Numerics.Vector.ConditionalSelect(taken, gradient, System.Numerics.Vector<float>.Zero), dx + firstAt);
            for (var y = window.Y0; y < window.Y1; y++)
            for (var xx = window.X0; xx < window.X1; xx++)
            {
                var at = ((long)y * g.InputWidth + xx) * channels + c;
                var wins = System.Numerics.Vector.AndNot(System.Numerics.Vector.Equals(System.Numerics.Vector.Load(x + at), best), taken);
                System.Numerics.Vector.Store(System.Numerics.Vector.Load(dx + at) + System.Numerics.Vector.ConditionalSelect(wins, gradient, System.Numerics.Vector<float>.Zero), dx + at);
                taken |= wins;
            }
        }

        return c;
    }

    /// <summary>The input rows <c>[Y0, Y1)</c> and columns <c>[X0, X1)</c> window <c>(oy, ox)</c> covers inside the input.</summary>
    private static PoolWindow Window(in Window2D g, int oy, int ox)
    {
        var top = oy * g.StrideHeight - g.PadTop;
        var left = ox * g.StrideWidth - g.PadLeft;
        var y0 = Math.Max(top, 0);
        var x0 = Math.Max(left, 0);
        return new PoolWindow(y0, Math.Max(Math.Min(top + g.KernelHeight, g.InputHeight), y0),
            x0, Math.Max(Math.Min(left + g.KernelWidth, g.InputWidth), x0));
    }

    private static void CheckForward(ReadOnlySpan<float> output, ReadOnlySpan<float> input, int batch, in Window2D g)
    {
        KernelArguments.CheckWindow(batch, g);
        KernelArguments.CheckLength(output, (long)batch * g.OutputPixels * g.Channels, nameof(output));
        KernelArguments.CheckLength(input, (long)batch * g.InputSize, nameof(input));
    }

    private static void CheckBackward<TPreviousActivation>(
        ReadOnlySpan<float> inputGradient, ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> previousSaved,
        ReadOnlySpan<float> dropoutMask, int batch, in Window2D g)
        where TPreviousActivation : struct, IActivationFunction
    {
        KernelArguments.CheckWindow(batch, g);
        var inputs = (long)batch * g.InputSize;
        KernelArguments.CheckLength(inputGradient, inputs, nameof(inputGradient));
        KernelArguments.CheckLength(outputGradient, (long)batch * g.OutputPixels * g.Channels, nameof(outputGradient));
        KernelArguments.CheckSaved<TPreviousActivation>(previousSaved, inputs, nameof(previousSaved));
        KernelArguments.CheckMask(dropoutMask, inputs, nameof(dropoutMask));
    }

    private static void CheckGlobal(int batch, int pixels, int channels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pixels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
    }

    private static void CheckGlobalBackward<TPreviousActivation>(
        ReadOnlySpan<float> inputGradient, ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> previousSaved,
        ReadOnlySpan<float> dropoutMask, int batch, int pixels, int channels)
        where TPreviousActivation : struct, IActivationFunction
    {
        CheckGlobal(batch, pixels, channels);
        var inputs = (long)batch * pixels * channels;
        KernelArguments.CheckLength(inputGradient, inputs, nameof(inputGradient));
        KernelArguments.CheckLength(outputGradient, (long)batch * channels, nameof(outputGradient));
        KernelArguments.CheckSaved<TPreviousActivation>(previousSaved, inputs, nameof(previousSaved));
        KernelArguments.CheckMask(dropoutMask, inputs, nameof(dropoutMask));
    }
}

/// <summary>The cells of one pooling window inside the input: rows <c>[Y0, Y1)</c>, columns <c>[X0, X1)</c>.</summary>
internal readonly record struct PoolWindow(int Y0, int Y1, int X0, int X1)
{
    public int Count => (Y1 - Y0) * (X1 - X0);
}
