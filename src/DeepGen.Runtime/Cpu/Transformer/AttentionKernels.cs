using System.Numerics;
using System.Runtime.CompilerServices;

namespace DeepGen.Cpu;

/// <summary>
/// Multi-head scaled dot-product self-attention over projected queries, keys and values <c>[tokens, H]</c> (head
/// <c>h</c> owns columns <c>[h·d, (h+1)·d)</c>, d = H / heads): per sample and head,
/// <c>P = softmax(Q_h K_hᵀ / √d)</c> over the sample's keys whose mask is 1 (the others get probability exactly 0),
/// and <c>context_h = P V_h</c>, written into the head's columns of <c>[tokens, H]</c>.
/// </summary>
/// <remarks>
/// <para>Units of parallel work are (sample, head) pairs. Each unit transposes its keys into a block of a per-thread
/// scratch region, so that the scores are a plain row-major product (<see cref="Gemm.Compute"/>, vectorized along the
/// keys), and only keys up to the sample's last token take part: padding at the end costs nothing. In inference the
/// query rows go <see cref="EncoderShape.QueryTile"/> at a time, so only a <c>[16, sequence]</c> block of scores
/// exists per thread; training writes the probabilities <c>[batch, heads, sequence, sequence]</c> for the backward pass.</para>
/// <para>The softmax subtracts the row's maximum, takes <see cref="FastExp"/> (about 1 ulp), adds the row in a fixed
/// order and divides. Each value is computed the same way whichever thread runs its unit, so the results are bitwise
/// the same for any thread count. Probabilities below 2^-100 are 0 (see <see cref="Subnormals"/>).</para>
/// </remarks>
internal static unsafe class AttentionKernels
{
    /// <summary>Below this many multiply-adds the attention runs on the calling thread alone.</summary>
    private const long ParallelThreshold = 1L << 16;

    /// <summary>Floats of one thread's scratch block for <see cref="Forward"/>: keysᵀ, plus a score tile in inference.</summary>
    public static long ForwardSlotFloats(int sequence, int headSize, bool training) =>
        (long)(headSize + (training ? 0 : Math.Min(EncoderShape.QueryTile, sequence))) * sequence;

    /// <summary>Floats of one thread's scratch block for <see cref="Backward"/>: valuesᵀ and the score gradients.</summary>
    public static long BackwardSlotFloats(int sequence, int headSize) => (long)(headSize + sequence) * sequence;

    /// <summary>
    /// <c>context</c> from <c>q</c>, <c>k</c>, <c>v</c> (all <c>[batch · sequence, heads · headSize]</c>); <c>mask</c>
    /// <c>[batch, sequence]</c> or null for all ones, already checked. <c>probabilities</c>: null in inference, else
    /// receives <c>[batch, heads, sequence, sequence]</c>. <c>slots</c>: <see cref="EncoderShape.ScratchSlots"/> blocks of
    /// <paramref name="slotFloats"/> (at least <see cref="ForwardSlotFloats"/>).
    /// </summary>
    public static void Forward(float* context, float* q, float* k, float* v, int* mask, float* probabilities,
        int batch, int sequence, int heads, int headSize, float* slots, long slotFloats)
    {
        var job = Job.ForThisThread;
        job.Set(backward: false, context, q, k, v, null, null, null, 0, mask, probabilities, batch, sequence, heads, headSize, slots, slotFloats);
        Run(job);
    }

    /// <summary>
    /// The gradients of the queries, keys and values from the context's gradient <c>[tokens, H]</c> and the kept
    /// probabilities: written into <c>dq</c>, <c>dk</c>, <c>dv</c> with row stride <paramref name="gradientStride"/>
    /// (overwritten; keys past a sample's last token get 0). <c>slots</c> blocks of at least <see cref="BackwardSlotFloats"/>.
    /// </summary>
    public static void Backward(float* dq, float* dk, float* dv, int gradientStride, float* contextGradient,
        float* q, float* k, float* v, int* mask, float* probabilities, int batch, int sequence, int heads, int headSize,
        float* slots, long slotFloats)
    {
        var job = Job.ForThisThread;
        job.Set(backward: true, contextGradient, q, k, v, dq, dk, dv, gradientStride, mask, probabilities, batch, sequence, heads, headSize, slots, slotFloats);
        Run(job);
    }

    private static void Run(Job job)
    {
        var units = job.UnitCount;
        var work = (long)units * job.Sequence * job.Sequence * job.HeadSize;
        var threads = units > 1 && work >= ParallelThreshold && !WorkerPool.IsWorkerThread
            ? Math.Min(CpuBackend.MaxDegreeOfParallelism, WorkerPool.Shared.MaxThreads)
            : 1;
        if (threads <= 1)
        {
            for (var unit = 0; unit < units; unit++) job.Execute(unit, slot: 0);
            return;
        }

        WorkerPool.Shared.Run(job, threads);
    }

    /// <summary>One past the sample's last token: keys from there on take no part.</summary>
    private static int KeysEnd(int* mask, int sequence)
    {
        if (mask == null) return sequence;
        var end = sequence;
        while (end > 0 && mask[end - 1] == 0) end--;
        return end;
    }

    private static void ForwardUnit(Job j, int b, int h, float* slot)
    {
        int s = j.Sequence, d = j.HeadSize, hidden = j.Heads * d;
        var mask = j.Mask == null ? null : j.Mask + (long)b * s;
        var keys = KeysEnd(mask, s);
        var sampleRow = (long)b * s * hidden + (long)h * d;
        // Kᵀ [d, keys], so a score row is a row-major product along the keys.
        var kt = slot;
        DenseKernels.Transpose(new Span<float>(kt, d * keys), keys, new ReadOnlySpan<float>(j.K + sampleRow, (keys - 1) * hidden + d), hidden, keys, d);
        var training = j.Probabilities != null;
        var tile = training ? s : EncoderShape.QueryTile;
        var scale = 1f / MathF.Sqrt(d);
        for (var i0 = 0; i0 < s; i0 += tile)
        {
            var rows = Math.Min(tile, s - i0);
            float* scores;
            int ld;
            if (training)
            {
                scores = j.Probabilities + (((long)b * j.Heads + h) * s + i0) * s;
                ld = s;
            }
            else
            {
                scores = slot + (long)d * keys;
                ld = keys;
            }
            var queries = j.Q + sampleRow + (long)i0 * hidden;
            Gemm.Compute(new GemmShape(scores, ld, queries, hidden, 1, kt, keys, rows, keys, d), default(NoEpilogue), 0, rows, 0, keys);
            for (var r = 0; r < rows; r++)
            {
                var row = scores + (long)r * ld;
                Softmax(row, mask, keys, scale);
                if (training && keys < s) new Span<float>(row + keys, s - keys).Clear();
            }

            var output = j.Context + sampleRow + (long)i0 * hidden;
            Gemm.Compute(new GemmShape(output, hidden, scores, ld, 1, j.V + sampleRow, hidden, rows, d, keys), default(NoEpilogue), 0, rows, 0, d);
        }
    }

    private static void BackwardUnit(Job j, int b, int h, float* slot)
    {
        int s = j.Sequence, d = j.HeadSize, hidden = j.Heads * d, ldg = j.GradientStride;
        var mask = j.Mask == null ? null : j.Mask + (long)b * s;
        var keys = KeysEnd(mask, s);
        var sampleRow = (long)b * s * hidden + (long)h * d;
        var gradientRow = (long)b * s * ldg + (long)h * d;
        var p = j.Probabilities + ((long)b * j.Heads + h) * s * s;
        var dContext = j.Context + sampleRow;
        var scale = 1f / MathF.Sqrt(d);

        // dV = Pᵀ · dContext over the keys that took part; the rest get 0.
        var dv = j.Dv + gradientRow;
        Gemm.Compute(new GemmShape(dv, ldg, p, 1, s, dContext, hidden, keys, d, s), default(NoEpilogue), 0, keys, 0, d);
        // dP = dContext · Vᵀ, then the softmax's gradient, scaled for the scores before the 1/√d: dS = P ⊙ (dP - Σ P ⊙ dP) / √d.
        var vt = slot;
        var dScores = slot + (long)d * keys;
        DenseKernels.Transpose(new Span<float>(vt, d * keys), keys, new ReadOnlySpan<float>(j.V + sampleRow, (keys - 1) * hidden + d), hidden, keys, d);
        Gemm.Compute(new GemmShape(dScores, keys, dContext, hidden, 1, vt, keys, s, keys, d), default(NoEpilogue), 0, s, 0, keys);
        for (var i = 0; i < s; i++) SoftmaxGradient(dScores + (long)i * keys, p + (long)i * s, keys, scale);
        // dQ = dS · K, dK = dSᵀ · Q.
        Gemm.Compute(new GemmShape(j.Dq + gradientRow, ldg, dScores, keys, 1, j.K + sampleRow, hidden, s, d, keys), default(NoEpilogue), 0, s, 0, d);
        var dk = j.Dk + gradientRow;
        Gemm.Compute(new GemmShape(dk, ldg, dScores, 1, keys, j.Q + sampleRow, hidden, keys, d, s), default(NoEpilogue), 0, keys, 0, d);
        for (var key = keys; key < s; key++)
        {
            new Span<float>(dv + (long)key * ldg, d).Clear();
            new Span<float>(dk + (long)key * ldg, d).Clear();
        }
    }

    /// <summary>A row of raw scores <c>[keys]</c> becomes probabilities: masked keys 0, the others softmax(score · scale).</summary>
    private static void Softmax(float* row, int* mask, int keys, float scale)
    {
        if (mask != null)
            for (var j = 0; j < keys; j++)
                if (mask[j] == 0) row[j] = float.NegativeInfinity;
        // Scaling by a positive number keeps the order, so the maximum of the scaled scores is the scaled maximum.
        var max = Max(row, keys) * scale;
        var exp = new ScaledExp(row, scale, max);
        OptimizerKernels.Run(ref exp, keys);
        var sum = LayerNormalizationKernels.Sum(row, keys);
        var lanes = Vector<float>.Count;
        var total = new Vector<float>(sum);
        var i = 0;
        for (; i + lanes <= keys; i += lanes) Vector.Store(Vector.Load(row + i) / total, row + i);
        for (; i < keys; i++) row[i] /= sum;
    }

    /// <summary><c>row[j] = P[j] · (row[j] - Σ P ⊙ row) · scale</c>: the softmax's gradient with respect to the raw scores.</summary>
    private static void SoftmaxGradient(float* row, float* probabilities, int keys, float scale)
    {
        var lanes = Vector<float>.Count;
        Vector<float> sum = default;
        var i = 0;
        for (; i + lanes <= keys; i += lanes) sum = Vector.FusedMultiplyAdd(Vector.Load(row + i), Vector.Load(probabilities + i), sum);
        var dot = Vector.Sum(sum);
        for (; i < keys; i++) dot = MathF.FusedMultiplyAdd(row[i], probabilities[i], dot);
        var (dv, sv) = (new Vector<float>(dot), new Vector<float>(scale));
        i = 0;
        for (; i + lanes <= keys; i += lanes) Vector.Store(Vector.Load(probabilities + i) * (Vector.Load(row + i) - dv) * sv, row + i);
        for (; i < keys; i++) row[i] = probabilities[i] * (row[i] - dot) * scale;
    }

    private static float Max(float* row, int count)
    {
        var lanes = Vector<float>.Count;
        var i = 0;
        var max = float.NegativeInfinity;
        if (count >= lanes)
        {
            var m = Vector.Load(row);
            for (i = lanes; i + lanes <= count; i += lanes) m = Vector.Max(m, Vector.Load(row + i));
            for (var lane = 0; lane < lanes; lane++) max = MathF.Max(max, m[lane]);
        }

        for (; i < count; i++) max = MathF.Max(max, row[i]);
        return max;
    }

    /// <summary>
    /// <c>e^(x · scale - max)</c>, the argument clamped at -87 so that the exponential stays a normal float, and
    /// results below 2^-100 (masked keys among them: -∞) flushed to 0.
    /// </summary>
    private readonly struct ScaledExp(float* row, float scale, float max) : IParameterUpdate
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Apply<TVector>(nint index) where TVector : struct, ISimdVector<TVector>
        {
            var x = TVector.Load(row + index) * TVector.Broadcast(scale) - TVector.Broadcast(max);
            var e = FastExp.OfClamped(TVector.Max(x, TVector.Broadcast(-87f)));
            TVector.SelectLess(e, TVector.Broadcast(FastSigmoid.FlushBelow), TVector.Zero, e).Store(row + index);
        }
    }

    /// <summary>
    /// The (sample, head) units of a forward or backward pass; one reusable job per calling thread. A unit claims a
    /// free scratch block for its duration: at most one unit runs per thread, so there are always enough.
    /// </summary>
    private sealed class Job : IParallelWork
    {
        [ThreadStatic] private static Job? _forThisThread;

        private readonly int[] _slotInUse = new int[EncoderShape.ScratchSlots];
        private bool _backward;
        private float* _slots;
        private long _slotFloats;

        public float* Context, Q, K, V, Dq, Dk, Dv, Probabilities;
        public int* Mask;
        public int GradientStride, Batch, Sequence, Heads, HeadSize;

        public static Job ForThisThread => _forThisThread ??= new Job();

        public void Set(bool backward, float* context, float* q, float* k, float* v, float* dq, float* dk, float* dv, int gradientStride,
            int* mask, float* probabilities, int batch, int sequence, int heads, int headSize, float* slots, long slotFloats)
        {
            _backward = backward;
            Context = context;
            Q = q;
            K = k;
            V = v;
            Dq = dq;
            Dk = dk;
            Dv = dv;
            GradientStride = gradientStride;
            Mask = mask;
            Probabilities = probabilities;
            (Batch, Sequence, Heads, HeadSize) = (batch, sequence, heads, headSize);
            _slots = slots;
            _slotFloats = slotFloats;
        }

        public int UnitCount => Batch * Heads;

        public void Execute(int unit)
        {
            var slot = Claim();
            try
            {
                Execute(unit, slot);
            }
            finally
            {
                Volatile.Write(ref _slotInUse[slot], 0);
            }
        }

        public void Execute(int unit, int slot)
        {
            var block = _slots + slot * _slotFloats;
            if (_backward) BackwardUnit(this, unit / Heads, unit % Heads, block);
            else ForwardUnit(this, unit / Heads, unit % Heads, block);
        }

        private int Claim()
        {
            while (true)
            {
                for (var slot = 0; slot < _slotInUse.Length; slot++)
                    if (Interlocked.CompareExchange(ref _slotInUse[slot], 1, 0) == 0) return slot;
            }
        }
    }
}
