using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DeepGen.Cpu;

/// <summary>
/// Work done on a finished tile of C, while it is still in L1: bias and activation in the forward pass, the
/// activation derivative in the backward pass. Runs once for each tile, rows <c>[row, row + rows)</c> and columns
/// <c>[column, column + columns)</c> of the whole C that starts at <c>c</c>.
/// </summary>
internal unsafe interface IGemmEpilogue
{
    void Apply(float* c, int ldc, int row, int rows, int column, int columns);
}

/// <summary>Leaves the products as they are.</summary>
internal readonly struct NoEpilogue : IGemmEpilogue
{
    public unsafe void Apply(float* c, int ldc, int row, int rows, int column, int columns) { }
}

/// <summary>
/// The operands of <c>C[m, n] = A[m, k] · B[k, n]</c>. A is read through two strides so that A and Aᵀ are the
/// same call (<c>A[i, p] = a[i * aRowStride + p * aColumnStride]</c>); B and C are row-major.
/// </summary>
internal unsafe readonly struct GemmShape(
    float* c, int ldc, float* a, int aRowStride, int aColumnStride, float* b, int ldb, int m, int n, int k)
{
    public readonly float* C = c;
    public readonly int Ldc = ldc;
    public readonly float* A = a;
    public readonly int ARowStride = aRowStride;
    public readonly int AColumnStride = aColumnStride;
    public readonly float* B = b;
    public readonly int Ldb = ldb;
    public readonly int M = m;
    public readonly int N = n;
    public readonly int K = k;
}

/// <summary>
/// Which dimension of C a product's units of parallel work follow, so that each thread keeps the same features from
/// one product to the next (see <see cref="WorkerPool"/>): a layer's forward product splits its units, the columns
/// of C; its input-gradient product, computed transposed, splits the previous layer's units, the rows of C (and of
/// W); its weight-gradient product, which comes next and updates W, splits the same rows of W.
/// </summary>
internal enum GemmAffinity
{
    /// <summary>Threads split C by columns; units of <see cref="Gemm.UnitRows"/> × <see cref="Gemm.UnitColumns"/>.</summary>
    Columns,

    /// <summary>Threads split C by rows; units of <see cref="Gemm.UnitColumns"/> rows, the same bands as <see cref="Columns"/> makes of columns.</summary>
    Rows,
}

/// <summary>
/// Register-blocked matrix product. C is overwritten (never accumulated), then the epilogue runs on each tile.
/// </summary>
/// <remarks>
/// Every element of C is one chain of fused multiply-adds over <c>p = 0 … k-1</c>, starting from zero, whatever
/// kernel, vector width or thread computes it. Tiles and thread partitions therefore change speed, never bits.
/// Loop order: column panels outside, row blocks inside, so a panel of B (k × 2 vectors) stays in L2 while every
/// row of A streams past it.
/// </remarks>
internal static unsafe class Gemm
{
    /// <summary>Rows of C per micro-tile: 8 rows × 2 vectors is 16 accumulators, half the 32 vector registers.</summary>
    public const int RowBlock = 8;

    /// <summary>Below this many multiply-adds a product runs on the calling thread alone.</summary>
    public const long ParallelThreshold = 1L << 20;

    /// <summary>
    /// A product of fewer than <see cref="RowBlock"/> rows (inference on a few samples) is bound by reading B, not by
    /// arithmetic, and one with a k that short (the weight gradients of a batch of a few samples) by writing C and
    /// its epilogue's update of the weights: from this many elements of B (or C), its units are spread over the
    /// threads so that each core streams its own share of the weights. Training at batch 1 took 42 s per epoch
    /// with single-threaded weight gradients and 26 s with this.
    /// </summary>
    public const long MemoryBoundThreshold = 1L << 16;

    public static int VectorBits =>
        Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : 128;

    public static void Multiply<TEpilogue>(in GemmShape shape, TEpilogue epilogue, GemmAffinity affinity = GemmAffinity.Columns)
        where TEpilogue : struct, IGemmEpilogue
    {
        var worthThreads = (long)shape.M * shape.N * shape.K >= ParallelThreshold
            || (shape.M < RowBlock && (long)shape.N * shape.K >= MemoryBoundThreshold)
            || (shape.K < RowBlock && (long)shape.M * shape.N >= MemoryBoundThreshold);
        var threads = worthThreads ? Math.Min(CpuBackend.MaxDegreeOfParallelism, WorkerPool.Shared.MaxThreads) : 1;
        // On a worker thread (a forward pass that a worker took whole) the pool is busy and would hand every unit
        // back: compute here, without a job for the thread, which a worker would otherwise allocate the first time it
        // runs a product of each kind. A caller's thread always takes its job, busy pool or not, so its first call
        // makes it whatever other threads are doing and later calls allocate nothing.
        if (threads <= 1 || WorkerPool.IsWorkerThread)
        {
            if (!PacksB(shape))
            {
                Compute(shape, epilogue, 0, shape.M, 0, shape.N);
                return;
            }

            // Column group by column group, so that each group's panel of B is copied once (see PacksB).
            for (var column0 = 0; column0 < shape.N; column0 += UnitColumns)
                ComputeWithPackedB(shape, epilogue, 0, shape.M, column0, Math.Min(column0 + UnitColumns, shape.N));
            return;
        }

        var job = GemmJob<TEpilogue>.ForThisThread;
        job.Shape = shape;
        job.Epilogue = epilogue;
        job.Affinity = affinity;
        WorkerPool.Shared.Run(job, threads);
    }

    /// <summary>
    /// Units of parallel work: bands of <see cref="UnitRows"/> rows by <see cref="UnitColumns"/> columns (or
    /// <see cref="UnitColumns"/> by <see cref="UnitColumns"/> for <see cref="GemmAffinity.Rows"/>), small enough to
    /// balance two threads on the seed network's products, large enough that a unit's panel of B (k × 64 floats) is
    /// reused across its rows while in L2.
    /// </summary>
    public static int UnitCount(in GemmShape shape, GemmAffinity affinity = GemmAffinity.Columns) =>
        RowBands(shape.M, affinity) * ColumnGroups(shape.N);

    /// <summary>
    /// Computes unit <paramref name="unit"/>. The dimension <paramref name="affinity"/> names varies slowest, so a
    /// contiguous share of the units covers a contiguous range of that dimension (and, for columns, consecutive
    /// units share a panel of B).
    /// </summary>
    public static void ComputeUnit<TEpilogue>(in GemmShape shape, TEpilogue epilogue, int unit, GemmAffinity affinity = GemmAffinity.Columns)
        where TEpilogue : struct, IGemmEpilogue
    {
        int band, group;
        if (affinity == GemmAffinity.Columns)
        {
            var bands = RowBands(shape.M, affinity);
            (band, group) = (unit % bands, unit / bands);
        }
        else
        {
            var groups = ColumnGroups(shape.N);
            (band, group) = (unit / groups, unit % groups);
        }

        var height = BandRows(affinity);
        var row0 = band * height;
        var column0 = group * UnitColumns;
        var row1 = Math.Min(row0 + height, shape.M);
        var column1 = Math.Min(column0 + UnitColumns, shape.N);
        if (PacksB(shape)) ComputeWithPackedB(shape, epilogue, row0, row1, column0, column1);
        else Compute(shape, epilogue, row0, row1, column0, column1);
    }

    /// <summary>
    /// Whether the columns of B a unit reads are first copied into a contiguous panel: when B's rows are at least
    /// 4 KiB apart (a transformer's feed-forward weights, 1,536 columns), each step of p of a tile reads another page,
    /// and the walk down a panel of B misses the TLB and the prefetchers on every row. A copied panel is one
    /// sequential stream. Measured on the all-MiniLM-L6-v2 shapes (256 × 1,536 × 384): 1.8× the product's speed.
    /// The copy holds at most <see cref="KBlock"/> rows, so longer products keep reading B in place.
    /// </summary>
    private static bool PacksB(in GemmShape shape) => shape.Ldb >= PackedStrideFloats && shape.K <= KBlock && shape.M >= PackedMinimumRows;

    /// <summary>
    /// Rows of C from which the copy pays: it costs one read of the panel, which a few rows (batch-1 inference) make
    /// only once anyway.
    /// </summary>
    private const int PackedMinimumRows = 4 * RowBlock;

    /// <summary>B's row stride, in floats, from which a unit copies its panel of B (4 KiB: one page).</summary>
    private const int PackedStrideFloats = 1024;

    [ThreadStatic] private static float[]? t_packedB;

    /// <summary>
    /// Rows <c>[row0, row1)</c> and columns <c>[column0, column1)</c> of C (at most <see cref="UnitColumns"/> columns)
    /// with those columns of B copied first into this thread's panel. The shape handed on points B at the panel, moved
    /// back by <paramref name="column0"/>, so every kernel's <c>B + j</c> lands on the copy of column j: the same
    /// values in the same order, so the same bits.
    /// </summary>
    private static void ComputeWithPackedB<TEpilogue>(in GemmShape s, TEpilogue epilogue, int row0, int row1, int column0, int column1)
        where TEpilogue : struct, IGemmEpilogue
    {
        var width = column1 - column0;
        var needed = s.K * UnitColumns;
        var panel = t_packedB;
        // Grown once per thread to the largest product it has packed: nothing is allocated in a steady state.
        if (panel is null || panel.Length < needed) t_packedB = panel = GC.AllocateUninitializedArray<float>(needed, pinned: true);
        fixed (float* to = panel)
        {
            var from = s.B + column0;
            var bytes = (long)width * sizeof(float);
            for (var p = 0; p < s.K; p++) Buffer.MemoryCopy(from + (long)p * s.Ldb, to + (long)p * UnitColumns, bytes, bytes);
            var packed = new GemmShape(s.C, s.Ldc, s.A, s.ARowStride, s.AColumnStride, to - column0, UnitColumns, s.M, s.N, s.K);
            Compute(packed, epilogue, row0, row1, column0, column1);
        }
    }

    /// <summary>Rows per unit of parallel work: a multiple of <see cref="RowBlock"/>.</summary>
    public const int UnitRows = 128;

    /// <summary>Columns per unit of parallel work: a multiple of every panel width, so tiles land on the same columns.</summary>
    public const int UnitColumns = 64;

    private static int BandRows(GemmAffinity affinity) => affinity == GemmAffinity.Columns ? UnitRows : UnitColumns;

    private static int RowBands(int m, GemmAffinity affinity) => (m + BandRows(affinity) - 1) / BandRows(affinity);

    private static int ColumnGroups(int n) => (n + UnitColumns - 1) / UnitColumns;

    /// <summary>Rows <c>[row0, row1)</c> and columns <c>[column0, column1)</c> of C, at the widest vector width.</summary>
    public static void Compute<TEpilogue>(in GemmShape s, TEpilogue epilogue, int row0, int row1, int column0, int column1)
        where TEpilogue : struct, IGemmEpilogue
    {
        if (row0 >= row1 || column0 >= column1) return;
        if (Vector512.IsHardwareAccelerated) ComputeColumns<Simd512, TEpilogue>(s, epilogue, row0, row1, column0, column1);
        else if (Vector256.IsHardwareAccelerated) ComputeColumns<Simd256, TEpilogue>(s, epilogue, row0, row1, column0, column1);
        else ComputeColumns<Simd128, TEpilogue>(s, epilogue, row0, row1, column0, column1);
    }

    private static void ComputeColumns<TVector, TEpilogue>(
        in GemmShape s, TEpilogue epilogue, int row0, int row1, int column0, int column1)
        where TVector : struct, ISimdVector<TVector>
        where TEpilogue : struct, IGemmEpilogue
    {
        var j = column0;
        if (row1 - row0 < 4)
        {
            // A few rows (a batch of one, say): one row with 2 vectors would keep only 2 accumulators in flight,
            // so take 4 vectors of columns at a time instead.
            for (; j + 4 * TVector.Count <= column1; j += 4 * TVector.Count)
            {
                for (var i = row0; i < row1; i++) Tile1x4<TVector>(s, i, j);
                epilogue.Apply(s.C, s.Ldc, row0, row1 - row0, j, 4 * TVector.Count);
            }
        }

        for (; j + 2 * TVector.Count <= column1; j += 2 * TVector.Count)
        {
            // A long k (a convolution's weight gradients sum over every pixel of the batch: k = 15,488 for the
            // MNIST convnet's second layer) is taken in blocks, so the block of B's panel stays in L2 while every
            // row of A passes it; each tile then goes on from the sums it stored. A float stored and loaded back is
            // the same float, so every element is still one chain of fused multiply-adds over p = 0 … k-1.
            for (var k0 = 0; k0 < s.K; k0 += KBlock)
            {
                var block = k0 == 0 && s.K <= KBlock ? s : KBlockOf(s, k0);
                var accumulate = k0 > 0;
                var i = row0;
                for (; i + RowBlock <= row1; i += RowBlock) Tile8x2<TVector>(block, i, j, accumulate);
                for (; i + 4 <= row1; i += 4) Tile4x2<TVector>(block, i, j, accumulate);
                for (; i < row1; i++) Tile1x2<TVector>(block, i, j, accumulate);
            }

            epilogue.Apply(s.C, s.Ldc, row0, row1 - row0, j, 2 * TVector.Count);
        }

        // Column tail: one vector at a time, then what is left as one vector over a zero-padded copy of B's columns
        // when it fills more than half of one (the output layer's 10 classes in a 16-lane vector), or else each
        // narrower width in turn and the last 1–3 columns padded to a 128-bit vector. A padded panel lives on the
        // stack, so products with a k too long for it take narrower and scalar passes instead.
        j = TailColumns<TVector, TEpilogue>(s, epilogue, row0, row1, j, column1);
        // Copying B's columns pays only when several rows share the copy; a row or two (batch-1 inference) reads
        // them in place, scalar for the last 1–3.
        var pad = row1 - row0 >= 4;
        if (pad && 2 * (column1 - j) > TVector.Count && (long)s.K * TVector.Count <= MaxPanelFloats)
        {
            PaddedTail<TVector, TEpilogue>(s, epilogue, row0, row1, j, column1);
            return;
        }

        if (TVector.Count > 8) j = TailColumns<Simd256, TEpilogue>(s, epilogue, row0, row1, j, column1);
        if (TVector.Count > 4) j = TailColumns<Simd128, TEpilogue>(s, epilogue, row0, row1, j, column1);
        if (pad && j < column1 && (long)s.K * Simd128.Count <= MaxPanelFloats) PaddedTail<Simd128, TEpilogue>(s, epilogue, row0, row1, j, column1);
        else TailColumns<Scalar, TEpilogue>(s, epilogue, row0, row1, j, column1);
    }

    /// <summary>
    /// Steps of p per block of a long product: a block of a panel of B (two 512-bit vectors a row) is 128 KiB, which
    /// stays in L2 while the row blocks of A pass it. Products with a k this short or shorter take one block.
    /// </summary>
    private const int KBlock = 1024;

    /// <summary>Steps <c>[k0, k0 + KBlock)</c> of a product (fewer at the end): A and B moved on to step k0.</summary>
    private static GemmShape KBlockOf(in GemmShape s, int k0) =>
        new(s.C, s.Ldc, s.A + (long)k0 * s.AColumnStride, s.ARowStride, s.AColumnStride, s.B + (long)k0 * s.Ldb, s.Ldb,
            s.M, s.N, Math.Min(KBlock, s.K - k0));

    /// <summary>The largest padded panel of B, in floats (32 KiB of stack).</summary>
    private const int MaxPanelFloats = 8192;

    /// <summary>
    /// The last <c>column1 - j</c> columns, fewer than one vector: B's columns are copied into a panel on the stack,
    /// padded with zeros to one vector, and each block of rows is computed into a small tile on the stack, then its
    /// real columns copied into C. Lane by lane this is the same chain of fused multiply-adds as a narrower or scalar
    /// loop, so the bits do not change. It is the output layer's case (10 classes), where narrower and scalar
    /// passes took a third of the product's time. Nothing is allocated.
    /// </summary>
    [SkipLocalsInit]
    private static void PaddedTail<TVector, TEpilogue>(in GemmShape s, TEpilogue epilogue, int row0, int row1, int j, int column1)
        where TVector : struct, ISimdVector<TVector>
        where TEpilogue : struct, IGemmEpilogue
    {
        var lanes = TVector.Count;
        var width = column1 - j;
        var panel = stackalloc float[MaxPanelFloats + 16];
        panel = (float*)(((nint)panel + 63) & ~(nint)63);
        var b = s.B + j;
        for (var p = 0; p < s.K; p++, b += s.Ldb)
        for (var q = 0; q < lanes; q++)
            panel[p * lanes + q] = q < width ? b[q] : 0f;

        var tile = stackalloc float[RowBlock * 16];
        for (var i = row0; i < row1;)
        {
            // A shape whose C is the tile, placed so that row i lands on the tile's first row; B is the panel.
            var local = new GemmShape(tile - (long)i * lanes, lanes, s.A, s.ARowStride, s.AColumnStride, panel, lanes, s.M, lanes, s.K);
            var rows = row1 - i >= RowBlock ? RowBlock : row1 - i >= 4 ? 4 : 1;
            if (rows == RowBlock) Tile8x1<TVector>(local, i, 0);
            else if (rows == 4) Tile4x1<TVector>(local, i, 0);
            else Tile1x1<TVector>(local, i, 0);
            for (var r = 0; r < rows; r++)
            for (var q = 0; q < width; q++)
                s.C[(long)(i + r) * s.Ldc + j + q] = tile[r * lanes + q];
            i += rows;
        }

        epilogue.Apply(s.C, s.Ldc, row0, row1 - row0, j, width);
    }

    private static int TailColumns<TVector, TEpilogue>(
        in GemmShape s, TEpilogue epilogue, int row0, int row1, int j, int column1)
        where TVector : struct, ISimdVector<TVector>
        where TEpilogue : struct, IGemmEpilogue
    {
        for (; j + TVector.Count <= column1; j += TVector.Count)
        {
            var i = row0;
            for (; i + RowBlock <= row1; i += RowBlock) Tile8x1<TVector>(s, i, j);
            for (; i + 4 <= row1; i += 4) Tile4x1<TVector>(s, i, j);
            for (; i < row1; i++) Tile1x1<TVector>(s, i, j);
            epilogue.Apply(s.C, s.Ldc, row0, row1 - row0, j, TVector.Count);
        }

        return j;
    }

    // Never inlined: each tile is its own method so the JIT's inlining budget goes to the vector operations inside
    // it. When tiles were inlined into their callers the budget ran out and every multiply-add became a call.
    // The main tile: per step of p, two vectors of B feed sixteen multiply-adds, so B is read half as often per
    // flop as with four rows, which matters because B's panel streams from L2.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile8x2<TVector>(in GemmShape s, int i, int j, bool accumulate = false) where TVector : struct, ISimdVector<TVector>
    {
        TVector c00 = TVector.Zero, c01 = TVector.Zero, c10 = TVector.Zero, c11 = TVector.Zero;
        TVector c20 = TVector.Zero, c21 = TVector.Zero, c30 = TVector.Zero, c31 = TVector.Zero;
        TVector c40 = TVector.Zero, c41 = TVector.Zero, c50 = TVector.Zero, c51 = TVector.Zero;
        TVector c60 = TVector.Zero, c61 = TVector.Zero, c70 = TVector.Zero, c71 = TVector.Zero;
        if (accumulate)
        {
            // Go on from the sums of the steps before this block (see ComputeColumns).
            var from = s.C + (long)i * s.Ldc + j;
            var w = TVector.Count;
            (c00, c01) = (TVector.Load(from), TVector.Load(from + w)); from += s.Ldc;
            (c10, c11) = (TVector.Load(from), TVector.Load(from + w)); from += s.Ldc;
            (c20, c21) = (TVector.Load(from), TVector.Load(from + w)); from += s.Ldc;
            (c30, c31) = (TVector.Load(from), TVector.Load(from + w)); from += s.Ldc;
            (c40, c41) = (TVector.Load(from), TVector.Load(from + w)); from += s.Ldc;
            (c50, c51) = (TVector.Load(from), TVector.Load(from + w)); from += s.Ldc;
            (c60, c61) = (TVector.Load(from), TVector.Load(from + w)); from += s.Ldc;
            (c70, c71) = (TVector.Load(from), TVector.Load(from + w));
        }

        var a = s.A + (long)i * s.ARowStride;
        var rs = s.ARowStride;
        var b = s.B + j;
        int k = s.K, aStep = s.AColumnStride, bStep = s.Ldb;
        for (var p = 0; p < k; p++, a += aStep, b += bStep)
        {
            var b0 = TVector.Load(b);
            var b1 = TVector.Load(b + TVector.Count);
            var x = TVector.Broadcast(a[0]);
            c00 = TVector.MultiplyAdd(x, b0, c00);
            c01 = TVector.MultiplyAdd(x, b1, c01);
            x = TVector.Broadcast(a[rs]);
            c10 = TVector.MultiplyAdd(x, b0, c10);
            c11 = TVector.MultiplyAdd(x, b1, c11);
            x = TVector.Broadcast(a[2 * rs]);
            c20 = TVector.MultiplyAdd(x, b0, c20);
            c21 = TVector.MultiplyAdd(x, b1, c21);
            x = TVector.Broadcast(a[3 * rs]);
            c30 = TVector.MultiplyAdd(x, b0, c30);
            c31 = TVector.MultiplyAdd(x, b1, c31);
            x = TVector.Broadcast(a[4 * rs]);
            c40 = TVector.MultiplyAdd(x, b0, c40);
            c41 = TVector.MultiplyAdd(x, b1, c41);
            x = TVector.Broadcast(a[5 * rs]);
            c50 = TVector.MultiplyAdd(x, b0, c50);
            c51 = TVector.MultiplyAdd(x, b1, c51);
            x = TVector.Broadcast(a[6 * rs]);
            c60 = TVector.MultiplyAdd(x, b0, c60);
            c61 = TVector.MultiplyAdd(x, b1, c61);
            x = TVector.Broadcast(a[7 * rs]);
            c70 = TVector.MultiplyAdd(x, b0, c70);
            c71 = TVector.MultiplyAdd(x, b1, c71);
        }

        var c = s.C + (long)i * s.Ldc + j;
        var n = TVector.Count;
        c00.Store(c); c01.Store(c + n); c += s.Ldc;
        c10.Store(c); c11.Store(c + n); c += s.Ldc;
        c20.Store(c); c21.Store(c + n); c += s.Ldc;
        c30.Store(c); c31.Store(c + n); c += s.Ldc;
        c40.Store(c); c41.Store(c + n); c += s.Ldc;
        c50.Store(c); c51.Store(c + n); c += s.Ldc;
        c60.Store(c); c61.Store(c + n); c += s.Ldc;
        c70.Store(c); c71.Store(c + n);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile8x1<TVector>(in GemmShape s, int i, int j) where TVector : struct, ISimdVector<TVector>
    {
        TVector c0 = TVector.Zero, c1 = TVector.Zero, c2 = TVector.Zero, c3 = TVector.Zero;
        TVector c4 = TVector.Zero, c5 = TVector.Zero, c6 = TVector.Zero, c7 = TVector.Zero;
        var a = s.A + (long)i * s.ARowStride;
        var rs = s.ARowStride;
        var b = s.B + j;
        int k = s.K, aStep = s.AColumnStride, bStep = s.Ldb;
        for (var p = 0; p < k; p++, a += aStep, b += bStep)
        {
            var b0 = TVector.Load(b);
            c0 = TVector.MultiplyAdd(TVector.Broadcast(a[0]), b0, c0);
            c1 = TVector.MultiplyAdd(TVector.Broadcast(a[rs]), b0, c1);
            c2 = TVector.MultiplyAdd(TVector.Broadcast(a[2 * rs]), b0, c2);
            c3 = TVector.MultiplyAdd(TVector.Broadcast(a[3 * rs]), b0, c3);
            c4 = TVector.MultiplyAdd(TVector.Broadcast(a[4 * rs]), b0, c4);
            c5 = TVector.MultiplyAdd(TVector.Broadcast(a[5 * rs]), b0, c5);
            c6 = TVector.MultiplyAdd(TVector.Broadcast(a[6 * rs]), b0, c6);
            c7 = TVector.MultiplyAdd(TVector.Broadcast(a[7 * rs]), b0, c7);
        }

        var c = s.C + (long)i * s.Ldc + j;
        c0.Store(c); c += s.Ldc;
        c1.Store(c); c += s.Ldc;
        c2.Store(c); c += s.Ldc;
        c3.Store(c); c += s.Ldc;
        c4.Store(c); c += s.Ldc;
        c5.Store(c); c += s.Ldc;
        c6.Store(c); c += s.Ldc;
        c7.Store(c);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x2<TVector>(in GemmShape s, int i, int j, bool accumulate = false) where TVector : struct, ISimdVector<TVector>
    {
        TVector c00 = TVector.Zero, c01 = TVector.Zero, c10 = TVector.Zero, c11 = TVector.Zero;
        TVector c20 = TVector.Zero, c21 = TVector.Zero, c30 = TVector.Zero, c31 = TVector.Zero;
        if (accumulate)
        {
            var from = s.C + (long)i * s.Ldc + j;
            var w = TVector.Count;
            (c00, c01) = (TVector.Load(from), TVector.Load(from + w)); from += s.Ldc;
            (c10, c11) = (TVector.Load(from), TVector.Load(from + w)); from += s.Ldc;
            (c20, c21) = (TVector.Load(from), TVector.Load(from + w)); from += s.Ldc;
            (c30, c31) = (TVector.Load(from), TVector.Load(from + w));
        }

        var a = s.A + (long)i * s.ARowStride;
        var rs = s.ARowStride;
        var b = s.B + j;
        int k = s.K, aStep = s.AColumnStride, bStep = s.Ldb;
        for (var p = 0; p < k; p++, a += aStep, b += bStep)
        {
            var b0 = TVector.Load(b);
            var b1 = TVector.Load(b + TVector.Count);
            var a0 = TVector.Broadcast(a[0]);
            c00 = TVector.MultiplyAdd(a0, b0, c00);
            c01 = TVector.MultiplyAdd(a0, b1, c01);
            var a1 = TVector.Broadcast(a[rs]);
            c10 = TVector.MultiplyAdd(a1, b0, c10);
            c11 = TVector.MultiplyAdd(a1, b1, c11);
            var a2 = TVector.Broadcast(a[2 * rs]);
            c20 = TVector.MultiplyAdd(a2, b0, c20);
            c21 = TVector.MultiplyAdd(a2, b1, c21);
            var a3 = TVector.Broadcast(a[3 * rs]);
            c30 = TVector.MultiplyAdd(a3, b0, c30);
            c31 = TVector.MultiplyAdd(a3, b1, c31);
        }

        var c = s.C + (long)i * s.Ldc + j;
        c00.Store(c); c01.Store(c + TVector.Count); c += s.Ldc;
        c10.Store(c); c11.Store(c + TVector.Count); c += s.Ldc;
        c20.Store(c); c21.Store(c + TVector.Count); c += s.Ldc;
        c30.Store(c); c31.Store(c + TVector.Count);
    }

    // Never inlined: each tile is its own method so the JIT's inlining budget goes to the vector operations inside
    // it. When tiles were inlined into their callers the budget ran out and every multiply-add became a call.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile1x4<TVector>(in GemmShape s, int i, int j) where TVector : struct, ISimdVector<TVector>
    {
        TVector c0 = TVector.Zero, c1 = TVector.Zero, c2 = TVector.Zero, c3 = TVector.Zero;
        var a = s.A + (long)i * s.ARowStride;
        var b = s.B + j;
        var n = TVector.Count;
        int k = s.K, aStep = s.AColumnStride, bStep = s.Ldb;
        for (var p = 0; p < k; p++, a += aStep, b += bStep)
        {
            var x = TVector.Broadcast(*a);
            c0 = TVector.MultiplyAdd(x, TVector.Load(b), c0);
            c1 = TVector.MultiplyAdd(x, TVector.Load(b + n), c1);
            c2 = TVector.MultiplyAdd(x, TVector.Load(b + 2 * n), c2);
            c3 = TVector.MultiplyAdd(x, TVector.Load(b + 3 * n), c3);
        }

        var c = s.C + (long)i * s.Ldc + j;
        c0.Store(c);
        c1.Store(c + n);
        c2.Store(c + 2 * n);
        c3.Store(c + 3 * n);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile1x2<TVector>(in GemmShape s, int i, int j, bool accumulate = false) where TVector : struct, ISimdVector<TVector>
    {
        TVector c0 = TVector.Zero, c1 = TVector.Zero;
        if (accumulate) (c0, c1) = (TVector.Load(s.C + (long)i * s.Ldc + j), TVector.Load(s.C + (long)i * s.Ldc + j + TVector.Count));
        var a = s.A + (long)i * s.ARowStride;
        var b = s.B + j;
        int k = s.K, aStep = s.AColumnStride, bStep = s.Ldb;
        for (var p = 0; p < k; p++, a += aStep, b += bStep)
        {
            var a0 = TVector.Broadcast(*a);
            c0 = TVector.MultiplyAdd(a0, TVector.Load(b), c0);
            c1 = TVector.MultiplyAdd(a0, TVector.Load(b + TVector.Count), c1);
        }

        var c = s.C + (long)i * s.Ldc + j;
        c0.Store(c);
        c1.Store(c + TVector.Count);
    }

    // Never inlined: each tile is its own method so the JIT's inlining budget goes to the vector operations inside
    // it. When tiles were inlined into their callers the budget ran out and every multiply-add became a call.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile4x1<TVector>(in GemmShape s, int i, int j) where TVector : struct, ISimdVector<TVector>
    {
        TVector c0 = TVector.Zero, c1 = TVector.Zero, c2 = TVector.Zero, c3 = TVector.Zero;
        var a = s.A + (long)i * s.ARowStride;
        var rs = s.ARowStride;
        var b = s.B + j;
        int k = s.K, aStep = s.AColumnStride, bStep = s.Ldb;
        for (var p = 0; p < k; p++, a += aStep, b += bStep)
        {
            var b0 = TVector.Load(b);
            c0 = TVector.MultiplyAdd(TVector.Broadcast(a[0]), b0, c0);
            c1 = TVector.MultiplyAdd(TVector.Broadcast(a[rs]), b0, c1);
            c2 = TVector.MultiplyAdd(TVector.Broadcast(a[2 * rs]), b0, c2);
            c3 = TVector.MultiplyAdd(TVector.Broadcast(a[3 * rs]), b0, c3);
        }

        var c = s.C + (long)i * s.Ldc + j;
        c0.Store(c);
        c1.Store(c + s.Ldc);
        c2.Store(c + 2 * s.Ldc);
        c3.Store(c + 3 * s.Ldc);
    }

    // Never inlined: each tile is its own method so the JIT's inlining budget goes to the vector operations inside
    // it. When tiles were inlined into their callers the budget ran out and every multiply-add became a call.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Tile1x1<TVector>(in GemmShape s, int i, int j) where TVector : struct, ISimdVector<TVector>
    {
        var c0 = TVector.Zero;
        var a = s.A + (long)i * s.ARowStride;
        var b = s.B + j;
        int k = s.K, aStep = s.AColumnStride, bStep = s.Ldb;
        for (var p = 0; p < k; p++, a += aStep, b += bStep)
            c0 = TVector.MultiplyAdd(TVector.Broadcast(*a), TVector.Load(b), c0);
        c0.Store(s.C + (long)i * s.Ldc + j);
    }

    private sealed class GemmJob<TEpilogue> : IParallelWork where TEpilogue : struct, IGemmEpilogue
    {
        [ThreadStatic] private static GemmJob<TEpilogue>? _forThisThread;

        public GemmShape Shape;
        public TEpilogue Epilogue;
        public GemmAffinity Affinity;

        /// <summary>One reusable job per calling thread, so concurrent callers never share one.</summary>
        public static GemmJob<TEpilogue> ForThisThread => _forThisThread ??= new GemmJob<TEpilogue>();

        public int UnitCount => Gemm.UnitCount(Shape, Affinity);

        public void Execute(int unit) => ComputeUnit(Shape, Epilogue, unit, Affinity);
    }
}
