using System.Numerics;
using static DeepGen.Cpu.KernelArguments;

namespace DeepGen.Cpu;

/// <summary>
/// Layer normalization over the last axis of <c>[rows, width]</c> (PyTorch <c>nn.LayerNorm</c>, Keras
/// <c>LayerNormalization</c>): <c>y = (v - mean) / sqrt(var + epsilon) · gamma + beta</c> with the biased variance,
/// where <c>v = input + residual</c> (a post-LayerNorm block's residual add, fused) or just <c>input</c>.
/// </summary>
/// <remarks>
/// Statistics are float sums in a fixed order (vector lanes, then the lanes added in order, then the tail), mean first
/// and then the squared deviations from it, so they do not lose the spread to a large mean. Rows are independent, so
/// they are split over threads in blocks; the gamma and beta gradients add the rows in order on the calling thread.
/// Results are bitwise the same for any thread count. Each method checks its span lengths once.
/// </remarks>
public static unsafe class LayerNormalizationKernels
{
    /// <summary>Rows per unit of parallel work.</summary>
    private const int RowsPerUnit = 32;

    /// <summary>
    /// <c>output[r] = LN(input[r] + residual[r]) · gamma + beta</c>, all <c>[rows, width]</c>; gamma and beta <c>[width]</c>.
    /// </summary>
    /// <param name="normalized">Training: receives <c>(v - mean) · inverseStd</c>, <c>[rows, width]</c>; empty in inference.</param>
    /// <param name="inverseStd">Training: receives <c>1 / sqrt(var + epsilon)</c> per row, <c>[rows]</c>; empty in inference.</param>
    /// <param name="residual">Added to the input before normalizing, <c>[rows, width]</c>; empty for none.</param>
    public static void Forward(Span<float> output, Span<float> normalized, Span<float> inverseStd,
        ReadOnlySpan<float> input, ReadOnlySpan<float> residual, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        int rows, int width, float epsilon)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        var size = (long)rows * width;
        CheckLength(output, size, nameof(output));
        if (!normalized.IsEmpty) CheckLength(normalized, size, nameof(normalized));
        if (!inverseStd.IsEmpty) CheckLength(inverseStd, rows, nameof(inverseStd));
        CheckLength(input, size, nameof(input));
        if (!residual.IsEmpty) CheckLength(residual, size, nameof(residual));
        CheckLength(gamma, width, nameof(gamma));
        CheckLength(beta, width, nameof(beta));
        fixed (float* y = output)
        fixed (float* n = normalized)
        fixed (float* s = inverseStd)
        fixed (float* x = input)
        fixed (float* r = residual)
        fixed (float* g = gamma)
        fixed (float* b = beta)
        {
            ForwardUnchecked(y, n, s, x, r, g, b, rows, width, epsilon);
        }
    }

    /// <summary>
    /// The gradient through <see cref="Forward"/>: <c>inputGradient = inverseStd · (ĝ - mean(ĝ) - n · mean(ĝ ⊙ n))</c>
    /// per row with <c>ĝ = outputGradient ⊙ gamma</c> (it is also the residual's gradient); <c>gammaGradient = Σ_rows
    /// outputGradient ⊙ n</c> and <c>betaGradient = Σ_rows outputGradient</c>, overwritten.
    /// </summary>
    public static void Backward(Span<float> inputGradient, Span<float> gammaGradient, Span<float> betaGradient,
        ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> normalized, ReadOnlySpan<float> inverseStd,
        ReadOnlySpan<float> gamma, int rows, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        var size = (long)rows * width;
        CheckLength(inputGradient, size, nameof(inputGradient));
        CheckLength(gammaGradient, width, nameof(gammaGradient));
        CheckLength(betaGradient, width, nameof(betaGradient));
        CheckLength(outputGradient, size, nameof(outputGradient));
        CheckLength(normalized, size, nameof(normalized));
        CheckLength(inverseStd, rows, nameof(inverseStd));
        CheckLength(gamma, width, nameof(gamma));
        fixed (float* dx = inputGradient)
        fixed (float* dg = gammaGradient)
        fixed (float* db = betaGradient)
        fixed (float* dy = outputGradient)
        fixed (float* n = normalized)
        fixed (float* s = inverseStd)
        fixed (float* g = gamma)
        {
            BackwardUnchecked(dx, dg, db, dy, n, s, g, rows, width);
        }
    }

    /// <summary>The forward pass without checks; <c>normalized</c> may be the input itself.</summary>
    internal static void ForwardUnchecked(float* y, float* n, float* s, float* x, float* r, float* gamma, float* beta, int rows, int width, float epsilon)
    {
        var threads = Threads(rows, width);
        if (threads <= 1)
        {
            ForwardRows(y, n, s, x, r, gamma, beta, 0, rows, width, epsilon);
            return;
        }

        var job = Job.ForThisThread;
        job.Set(backward: false, y, n, s, x, r, gamma, beta, rows, width, epsilon);
        WorkerPool.Shared.Run(job, threads);
    }

    /// <summary>The backward pass without checks.</summary>
    internal static void BackwardUnchecked(float* dx, float* dGamma, float* dBeta, float* dy, float* n, float* s, float* gamma, int rows, int width)
    {
        var threads = Threads(rows, width);
        if (threads <= 1) BackwardRows(dx, dy, n, s, gamma, 0, rows, width);
        else
        {
            var job = Job.ForThisThread;
            job.Set(backward: true, dx, n, s, dy, null, gamma, null, rows, width, 0f);
            WorkerPool.Shared.Run(job, threads);
        }

        // Each column summed over the rows in order, whatever the thread count.
        new Span<float>(dGamma, width).Clear();
        new Span<float>(dBeta, width).Clear();
        for (var row = 0; row < rows; row++)
        {
            var offset = (long)row * width;
            MultiplyAddTo(dGamma, dy + offset, n + offset, width);
            Runs.AddTo(dBeta, dy + offset, width);
        }
    }

    private static int Threads(int rows, int width)
    {
        if (rows < 2 * RowsPerUnit || (long)rows * width < 1 << 14 || WorkerPool.IsWorkerThread) return 1;
        return Math.Min(CpuBackend.MaxDegreeOfParallelism, WorkerPool.Shared.MaxThreads);
    }

    private static void ForwardRows(float* y, float* n, float* s, float* x, float* r, float* gamma, float* beta,
        int row0, int row1, int width, float epsilon)
    {
        var lanes = Vector<float>.Count;
        for (var row = row0; row < row1; row++)
        {
            var offset = (long)row * width;
            float* xr = x + offset, yr = y + offset;
            // v = input + residual, kept in the output row until the last pass overwrites it.
            if (r != null) Add(yr, xr, r + offset, width);
            else if (yr != xr) Buffer.MemoryCopy(xr, yr, width * sizeof(float), width * sizeof(float));
            var mean = Sum(yr, width) / width;
            var deviation = SquaredDeviations(yr, mean, width) / width;
            var inverse = 1f / MathF.Sqrt(deviation + epsilon);
            if (s != null) s[row] = inverse;
            var nr = n != null ? n + offset : null;
            var j = 0;
            var (m, k) = (new Vector<float>(mean), new Vector<float>(inverse));
            for (; j + lanes <= width; j += lanes)
            {
                var normal = (Vector.Load(yr + j) - m) * k;
                if (nr != null) Vector.Store(normal, nr + j);
                Vector.Store(Vector.FusedMultiplyAdd(normal, Vector.Load(gamma + j), Vector.Load(beta + j)), yr + j);
            }

            for (; j < width; j++)
            {
                var normal = (yr[j] - mean) * inverse;
                if (nr != null) nr[j] = normal;
                yr[j] = MathF.FusedMultiplyAdd(normal, gamma[j], beta[j]);
            }
        }
    }

    private static void BackwardRows(float* dx, float* dy, float* n, float* s, float* gamma, int row0, int row1, int width)
    {
        var lanes = Vector<float>.Count;
        for (var row = row0; row < row1; row++)
        {
            var offset = (long)row * width;
            float* dyr = dy + offset, nr = n + offset, dxr = dx + offset;
            Vector<float> sumG = default, sumGn = default;
            var j = 0;
            for (; j + lanes <= width; j += lanes)
            {
                var g = Vector.Load(dyr + j) * Vector.Load(gamma + j);
                sumG += g;
                sumGn = Vector.FusedMultiplyAdd(g, Vector.Load(nr + j), sumGn);
            }

            float tailG = 0f, tailGn = 0f;
            for (var t = j; t < width; t++)
            {
                var g = dyr[t] * gamma[t];
                tailG += g;
                tailGn = MathF.FusedMultiplyAdd(g, nr[t], tailGn);
            }

            var meanG = (Vector.Sum(sumG) + tailG) / width;
            var meanGn = (Vector.Sum(sumGn) + tailGn) / width;
            var inverse = s[row];
            var (mg, mgn, k) = (new Vector<float>(meanG), new Vector<float>(meanGn), new Vector<float>(inverse));
            j = 0;
            for (; j + lanes <= width; j += lanes)
            {
                var g = Vector.Load(dyr + j) * Vector.Load(gamma + j);
                Vector.Store((g - mg - Vector.Load(nr + j) * mgn) * k, dxr + j);
            }

            for (; j < width; j++) dxr[j] = (dyr[j] * gamma[j] - meanG - nr[j] * meanGn) * inverse;
        }
    }

    /// <summary><c>to[i] = a[i] + b[i]</c>.</summary>
    internal static void Add(float* to, float* a, float* b, int count)
    {
        var i = 0;
        for (; i + Vector<float>.Count <= count; i += Vector<float>.Count) Vector.Store(Vector.Load(a + i) + Vector.Load(b + i), to + i);
        for (; i < count; i++) to[i] = a[i] + b[i];
    }

    /// <summary><c>sum[i] += a[i] · b[i]</c>, one fused multiply-add each.</summary>
    internal static void MultiplyAddTo(float* sum, float* a, float* b, int count)
    {
        var i = 0;
        for (; i + Vector<float>.Count <= count; i += Vector<float>.Count)
            Vector.Store(Vector.FusedMultiplyAdd(Vector.Load(a + i), Vector.Load(b + i), Vector.Load(sum + i)), sum + i);
        for (; i < count; i++) sum[i] = MathF.FusedMultiplyAdd(a[i], b[i], sum[i]);
    }

    /// <summary>The sum of a row: lane sums, then the lanes in order, then the tail.</summary>
    internal static float Sum(float* values, int count)
    {
        Vector<float> sum = default;
        var i = 0;
        for (; i + Vector<float>.Count <= count; i += Vector<float>.Count) sum += Vector.Load(values + i);
        var total = Vector.Sum(sum);
        for (; i < count; i++) total += values[i];
        return total;
    }

    private static float SquaredDeviations(float* values, float mean, int count)
    {
        Vector<float> sum = default;
        var m = new Vector<float>(mean);
        var i = 0;
        for (; i + Vector<float>.Count <= count; i += Vector<float>.Count)
        {
            var d = Vector.Load(values + i) - m;
            sum = Vector.FusedMultiplyAdd(d, d, sum);
        }

        var total = Vector.Sum(sum);
        for (; i < count; i++)
        {
            var d = values[i] - mean;
            total = MathF.FusedMultiplyAdd(d, d, total);
        }

        return total;
    }

    /// <summary>Blocks of rows of a forward or backward pass; one reusable job per calling thread.</summary>
    private sealed class Job : IParallelWork
    {
        [ThreadStatic] private static Job? _forThisThread;

        private bool _backward;
        private float* _out, _normalized, _inverseStd, _in, _residual, _gamma, _beta;
        private int _rows, _width;
        private float _epsilon;

        public static Job ForThisThread => _forThisThread ??= new Job();

        /// <summary>Forward: out = y, in = x. Backward: out = dx, in = dy.</summary>
        public void Set(bool backward, float* output, float* normalized, float* inverseStd, float* input, float* residual,
            float* gamma, float* beta, int rows, int width, float epsilon)
        {
            _backward = backward;
            _out = output;
            _normalized = normalized;
            _inverseStd = inverseStd;
            _in = input;
            _residual = residual;
            _gamma = gamma;
            _beta = beta;
            (_rows, _width, _epsilon) = (rows, width, epsilon);
        }

        public int UnitCount => (_rows + RowsPerUnit - 1) / RowsPerUnit;

        public void Execute(int unit)
        {
            var row0 = unit * RowsPerUnit;
            var row1 = Math.Min(row0 + RowsPerUnit, _rows);
            if (_backward) BackwardRows(_out, _in, _normalized, _inverseStd, _gamma, row0, row1, _width);
            else ForwardRows(_out, _normalized, _inverseStd, _in, _residual, _gamma, _beta, row0, row1, _width, _epsilon);
        }
    }
}
