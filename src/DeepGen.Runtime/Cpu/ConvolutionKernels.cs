using System.Numerics.Tensors;

namespace DeepGen.Cpu;

/// <summary>
/// The passes of a 2-D convolution (Keras <c>Conv2D</c>) as matrix products over an im2col matrix. Layouts are
/// channels-last with the batch outermost: inputs <c>[batch, height, width, channels]</c>, outputs
/// <c>[batch, outputHeight, outputWidth, filters]</c>; the weights are the Keras kernel
/// <c>[kernelHeight, kernelWidth, channels, filters]</c>, which row-major is the <c>[patchSize, filters]</c> weight
/// matrix of a dense layer; the bias is <c>[filters]</c>.
/// </summary>
/// <remarks>
/// <para>The im2col matrix <c>columns[batch · outputPixels, patchSize]</c> has one row per output pixel
/// <c>(n, oy, ox)</c> holding the window it reads, ordered <c>(ky, kx, c)</c> like the weights, with zeros where the
/// window reads padding. A convolution is then exactly a dense layer over those rows, and <see cref="DenseKernels"/>
/// computes it, bias and activation fused. The caller keeps the columns from the forward pass for the backward pass.</para>
/// <para>Each method checks its span lengths once and throws <see cref="ArgumentException"/> naming the operand.
/// Gradients are overwritten, never accumulated. Work is split over samples and over the tiles of products, never
/// over a sum, so every result has the same bits whatever the thread count.</para>
/// </remarks>
public static unsafe class ConvolutionKernels
{
    /// <summary>Below this many floats of im2col matrix, gathering and scattering it runs on the calling thread alone.</summary>
    internal const long ParallelThreshold = 1L << 16;

    /// <summary>
    /// <c>columns[(n, oy, ox), (ky, kx, c)] = input[n, oy · strideHeight - padTop + ky, ox · strideWidth - padLeft + kx, c]</c>,
    /// zero where that cell is padding.
    /// </summary>
    public static void Im2Col(Span<float> columns, ReadOnlySpan<float> input, int batch, in Window2D g)
    {
        KernelArguments.CheckWindow(batch, g);
        KernelArguments.CheckLength(columns, (long)batch * g.OutputPixels * g.PatchSize, nameof(columns));
        KernelArguments.CheckLength(input, (long)batch * g.InputSize, nameof(input));
        fixed (float* c = columns)
        fixed (float* x = input)
        {
            Im2Col(c, x, batch, g);
        }
    }

    /// <summary>
    /// <c>output = f(im2col(input) · weights + bias)</c>, <c>[batch, outputHeight, outputWidth, filters]</c>. The
    /// im2col matrix is written to <paramref name="columns"/> (<c>batch · ColumnsPerSample</c> floats), which the
    /// caller keeps for <see cref="Backward{TPreviousActivation}"/>. When <paramref name="preActivations"/> is not
    /// empty the pre-activations are copied there too (activations whose derivative reads them); an empty
    /// <paramref name="bias"/> means the layer has none.
    /// </summary>
    public static void Forward<TActivation>(
        Span<float> output, Span<float> preActivations, ReadOnlySpan<float> input, Span<float> columns,
        ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, int batch, in Window2D g, int filters)
        where TActivation : struct, IActivationFunction
    {
        KernelArguments.CheckWindow(batch, g);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(filters);
        var rows = Rows(batch, g);
        KernelArguments.CheckLength(output, rows * filters, nameof(output));
        if (!preActivations.IsEmpty) KernelArguments.CheckLength(preActivations, rows * filters, nameof(preActivations));
        KernelArguments.CheckLength(input, (long)batch * g.InputSize, nameof(input));
        KernelArguments.CheckLength(columns, rows * g.PatchSize, nameof(columns));
        KernelArguments.CheckLength(weights, (long)g.PatchSize * filters, nameof(weights));
        if (!bias.IsEmpty) KernelArguments.CheckLength(bias, filters, nameof(bias));

        fixed (float* c = columns)
        fixed (float* x = input)
        {
            Im2Col(c, x, batch, g);
        }

        DenseKernels.Forward<TActivation>(output, preActivations, columns, weights, bias, (int)rows, g.PatchSize, filters);
    }

    /// <summary>
    /// The backward pass, given <paramref name="outputGradient"/> = dLoss/d(pre-activation)
    /// <c>[batch · outputPixels, filters]</c> and the forward pass's <paramref name="columns"/>:
    /// <list type="number">
    /// <item>When <paramref name="inputGradient"/> is not empty (this is not the first layer), with the weights still
    /// unchanged: <c>columnGradients = outputGradient · weightsᵀ</c>, then col2im, each input element the sum of
    /// the column elements that read it, then the dropout mask (when not empty) and the previous layer's activation
    /// derivative, <typeparamref name="TPreviousActivation"/> applied to <paramref name="previousSaved"/> (its
    /// outputs, or its pre-activations when the activation needs them).</item>
    /// <item><c>weightGradients = columnsᵀ · outputGradient</c> and <c>biasGradients</c> = the column sums of
    /// <paramref name="outputGradient"/>, with the L1/L2 penalty's gradient added and, when
    /// <paramref name="learningRate"/> is not zero, the SGD step taken on <paramref name="weights"/> and
    /// <paramref name="bias"/> (see <see cref="DenseKernels.WeightGradients(Span{float}, Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, float, float, float, int, int, int)"/>).
    /// Empty bias spans mean the layer has no bias.</item>
    /// </list>
    /// </summary>
    /// <remarks>
    /// <c>weightsᵀ</c> is transposed into <paramref name="weightGradients"/>, which has its size and is overwritten
    /// by step 2 anyway, so the product needs no other scratch; each column gradient is then one chain of fused
    /// multiply-adds over the filters. Col2im is a gather: each input pixel sums, in window order <c>(ky, kx)</c>,
    /// the column runs that read it.
    /// </remarks>
    public static void Backward<TPreviousActivation>(
        Span<float> inputGradient, ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> columns, Span<float> columnGradients,
        ReadOnlySpan<float> previousSaved, ReadOnlySpan<float> dropoutMask, Span<float> weights, Span<float> bias,
        Span<float> weightGradients, Span<float> biasGradients, float learningRate, float l1, float l2,
        int batch, in Window2D g, int filters)
        where TPreviousActivation : struct, IActivationFunction
    {
        KernelArguments.CheckWindow(batch, g);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(filters);
        var rows = Rows(batch, g);
        var patch = g.PatchSize;
        KernelArguments.CheckLength(outputGradient, rows * filters, nameof(outputGradient));
        KernelArguments.CheckLength(columns, rows * patch, nameof(columns));
        KernelArguments.CheckLength(weightGradients, (long)patch * filters, nameof(weightGradients));

        if (!inputGradient.IsEmpty)
        {
            var inputs = (long)batch * g.InputSize;
            KernelArguments.CheckLength(inputGradient, inputs, nameof(inputGradient));
            KernelArguments.CheckLength(columnGradients, rows * patch, nameof(columnGradients));
            KernelArguments.CheckSaved<TPreviousActivation>(previousSaved, inputs, nameof(previousSaved));
            KernelArguments.CheckMask(dropoutMask, inputs, nameof(dropoutMask));
            KernelArguments.CheckLength(weights, (long)patch * filters, nameof(weights));

            // Wᵀ[filters, patch] in the weight gradients' buffer, then dColumns = dZ · Wᵀ.
            DenseKernels.Transpose(weightGradients, patch, weights, filters, patch, filters);
            fixed (float* dx = inputGradient)
            fixed (float* dz = outputGradient)
            fixed (float* dcol = columnGradients)
            fixed (float* wT = weightGradients)
            fixed (float* saved = previousSaved)
            fixed (float* mask = dropoutMask)
            {
                Gemm.Multiply(new GemmShape(dcol, patch, dz, filters, 1, wT, patch, (int)rows, patch, filters), default(NoEpilogue));
                Col2Im<TPreviousActivation>(dx, dcol, saved, mask, batch, g);
            }
        }

        DenseKernels.WeightGradients(weightGradients, biasGradients, columns, outputGradient, weights, bias,
            learningRate, l1, l2, (int)rows, patch, filters);
    }

    /// <summary>Rows of the im2col matrix, <c>batch · outputPixels</c>, refused if they would not fit a span.</summary>
    private static long Rows(int batch, in Window2D g)
    {
        var rows = (long)batch * g.OutputHeight * g.OutputWidth;
        if (rows * g.PatchSize > int.MaxValue)
            throw new ArgumentException($"The im2col matrix of {batch} samples of {g} exceeds {int.MaxValue} floats.", nameof(batch));
        return rows;
    }

    /// <summary>How many threads to gather or scatter with: one for small work, inside a worker, or a single sample.</summary>
    private static int Threads(int batch, in Window2D g)
    {
        if (batch < 2 || (long)batch * g.OutputPixels * g.PatchSize < ParallelThreshold || WorkerPool.IsWorkerThread) return 1;
        return Math.Min(CpuBackend.MaxDegreeOfParallelism, WorkerPool.Shared.MaxThreads);
    }

    private static void Im2Col(float* columns, float* input, int batch, in Window2D g)
    {
        var threads = Threads(batch, g);
        if (threads <= 1)
        {
            for (var n = 0; n < batch; n++) Im2ColSample(columns, input, n, g);
            return;
        }

        var job = Im2ColJob.ForThisThread;
        job.Columns = columns;
        job.Input = input;
        job.Batch = batch;
        job.Window = g;
        WorkerPool.Shared.Run(job, threads);
    }

    /// <summary>
    /// Sample <paramref name="n"/>'s rows of the im2col matrix. For each window row <c>ky</c> the cells
    /// <c>kx · channels + c</c> are one contiguous run of the input, so each is one copy, padded with zeros on
    /// either side where the window hangs over the input's edge.
    /// </summary>
    private static void Im2ColSample(float* columns, float* input, int n, in Window2D g)
    {
        int height = g.InputHeight, width = g.InputWidth, channels = g.Channels, kernelWidth = g.KernelWidth;
        var run = kernelWidth * channels;
        var row = columns + (long)n * g.OutputPixels * g.PatchSize;
        var sample = input + (long)n * g.InputSize;
        for (var oy = 0; oy < g.OutputHeight; oy++)
        {
            var y0 = oy * g.StrideHeight - g.PadTop;
            for (var ox = 0; ox < g.OutputWidth; ox++, row += g.PatchSize)
            {
                var x0 = ox * g.StrideWidth - g.PadLeft;
                var kx0 = Math.Clamp(-x0, 0, kernelWidth);
                var kx1 = Math.Clamp(width - x0, kx0, kernelWidth);
                var destination = row;
                for (var ky = 0; ky < g.KernelHeight; ky++, destination += run)
                {
                    var y = y0 + ky;
                    if (y < 0 || y >= height || kx0 == kx1)
                    {
                        new Span<float>(destination, run).Clear();
                        continue;
                    }

                    if (kx0 > 0) new Span<float>(destination, kx0 * channels).Clear();
                    new ReadOnlySpan<float>(sample + ((long)y * width + x0 + kx0) * channels, (kx1 - kx0) * channels)
                        .CopyTo(new Span<float>(destination + kx0 * channels, (kx1 - kx0) * channels));
                    if (kx1 < kernelWidth) new Span<float>(destination + kx1 * channels, (kernelWidth - kx1) * channels).Clear();
                }
            }
        }
    }

    private static void Col2Im<TPreviousActivation>(float* inputGradient, float* columnGradients, float* saved, float* mask, int batch, in Window2D g)
        where TPreviousActivation : struct, IActivationFunction
    {
        var threads = Threads(batch, g);
        if (threads <= 1)
        {
            for (var n = 0; n < batch; n++) Col2ImSample<TPreviousActivation>(inputGradient, columnGradients, saved, mask, n, g);
            return;
        }

        var job = Col2ImJob<TPreviousActivation>.ForThisThread;
        job.InputGradient = inputGradient;
        job.ColumnGradients = columnGradients;
        job.Saved = saved;
        job.Mask = mask;
        job.Batch = batch;
        job.Window = g;
        WorkerPool.Shared.Run(job, threads);
    }

    /// <summary>
    /// Sample <paramref name="n"/>'s input gradient: each input pixel <c>(y, x)</c> is read by the window at
    /// <c>(oy, ox)</c> through cell <c>(ky, kx)</c> when <c>y + padTop - ky = oy · strideHeight</c> (and likewise for
    /// x); its channel run is the sum, in <c>(ky, kx)</c> order, of those cells' runs of the column gradients. Then
    /// the sample's mask and derivative.
    /// </summary>
    private static void Col2ImSample<TPreviousActivation>(float* inputGradient, float* columnGradients, float* saved, float* mask, int n, in Window2D g)
        where TPreviousActivation : struct, IActivationFunction
    {
        int channels = g.Channels, patch = g.PatchSize;
        var sample = (long)n * g.InputSize;
        var pixel = inputGradient + sample;
        var rows = columnGradients + (long)n * g.OutputPixels * patch;
        for (var y = 0; y < g.InputHeight; y++)
        for (var x = 0; x < g.InputWidth; x++, pixel += channels)
        {
            var sum = new Span<float>(pixel, channels);
            sum.Clear();
            for (var ky = 0; ky < g.KernelHeight; ky++)
            {
                var ty = y + g.PadTop - ky;
                if (ty < 0) break; // ky only grows
                var oy = ty / g.StrideHeight;
                if (oy * g.StrideHeight != ty || oy >= g.OutputHeight) continue;
                for (var kx = 0; kx < g.KernelWidth; kx++)
                {
                    var tx = x + g.PadLeft - kx;
                    if (tx < 0) break;
                    var ox = tx / g.StrideWidth;
                    if (ox * g.StrideWidth != tx || ox >= g.OutputWidth) continue;
                    var cells = rows + ((long)oy * g.OutputWidth + ox) * patch + (ky * g.KernelWidth + kx) * channels;
                    Runs.AddTo(pixel, cells, channels);
                }
            }
        }

        ShapeKernels.ElementGradientAt<TPreviousActivation>(inputGradient, saved, mask, sample, g.InputSize);
    }

    /// <summary>Im2col split over samples; one reusable job per calling thread, so steady-state calls allocate nothing.</summary>
    private sealed class Im2ColJob : IParallelWork
    {
        [ThreadStatic] private static Im2ColJob? _forThisThread;

        public float* Columns;
        public float* Input;
        public int Batch;
        public Window2D Window;

        public static Im2ColJob ForThisThread => _forThisThread ??= new Im2ColJob();

        public int UnitCount => Batch;

        public void Execute(int unit) => Im2ColSample(Columns, Input, unit, Window);
    }

    /// <summary>Col2im, mask and derivative split over samples; one reusable job per calling thread and activation.</summary>
    private sealed class Col2ImJob<TPreviousActivation> : IParallelWork
        where TPreviousActivation : struct, IActivationFunction
    {
        [ThreadStatic] private static Col2ImJob<TPreviousActivation>? _forThisThread;

        public float* InputGradient;
        public float* ColumnGradients;
        public float* Saved;
        public float* Mask;
        public int Batch;
        public Window2D Window;

        public static Col2ImJob<TPreviousActivation> ForThisThread => _forThisThread ??= new Col2ImJob<TPreviousActivation>();

        public int UnitCount => Batch;

        public void Execute(int unit) => Col2ImSample<TPreviousActivation>(InputGradient, ColumnGradients, Saved, Mask, unit, Window);
    }
}
