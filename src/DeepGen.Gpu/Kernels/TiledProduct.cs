using ILGPU;
using ILGPU.Runtime;

namespace DeepGen.Gpu;

/// <summary>A matrix the tiled product reads one element at a time: element <c>(i, j)</c>, wherever it really lives.</summary>
/// <remarks>
/// Implemented by small structs holding device views and offsets (<see cref="Rows"/>, <see cref="Columns"/>, …). A
/// kernel specialised for a struct type calls <see cref="Load"/> directly (no interface dispatch on the device), so
/// an operand that gathers rows through an index, or transposes, costs only its own address arithmetic.
/// </remarks>
public interface ITileOperand
{
    /// <summary>Element <c>(i, j)</c>; called only for <c>i</c> and <c>j</c> inside the product's shape.</summary>
    float Load(int i, int j);
}

/// <summary>What the tiled product does with each finished element of its result: bias and activation, a gradient and an update, ….</summary>
public interface ITileEpilogue
{
    /// <summary>Receives <c>sum = Σ_k left(row, k) · right(k, column)</c>, summed in k order; called once per element inside the shape.</summary>
    void Store(int row, int column, float sum);
}

/// <summary>The shape of <c>result[Rows, Columns] = left[Rows, Depth] · right[Depth, Columns]</c>.</summary>
/// <param name="Rows">Rows of the result and of the left operand.</param>
/// <param name="Columns">Columns of the result and of the right operand.</param>
/// <param name="Depth">The summed dimension.</param>
public readonly record struct ProductShape(int Rows, int Columns, int Depth);

/// <summary>
/// The one matrix-product kernel of the GPU back end: <c>result = left · right</c> in
/// <see cref="Tile"/> × <see cref="Tile"/> tiles, one group of Tile² threads per tile of the result. The generated
/// file specialises it with struct operands (where A and B are read from) and a struct epilogue (what happens to each
/// result element), so every matrix product of a forward and backward pass is this kernel, launched alone
/// (<see cref="Kernel{TLeft, TRight, TEpilogue}"/>) or two independent products in one launch
/// (<see cref="PairKernel"/>), which halves the backward pass's launches.
/// </summary>
/// <remarks>
/// Each thread sums its element in k order, one Tile-wide slice of k at a time staged in shared memory: a fixed order,
/// no atomics, so the same inputs give the same bits on every run. Loads outside the shape stage zeros, so the inner
/// loop has no bounds checks; its 16 steps are written out below because ILGPU 1.5.3 does not unroll loops. The grid is
/// one-dimensional, one group per tile, row-major over the result's tiles.
/// </remarks>
public static class TiledProduct
{
    /// <summary>Threads per side of a tile; a group is Tile × Tile threads.</summary>
    public const int Tile = 16;

    /// <summary>Tiles that cover a result of <paramref name="shape"/>.</summary>
    public static int Tiles(ProductShape shape) => TileColumns(shape) * ((shape.Rows + Tile - 1) / Tile);

    /// <summary>One group of Tile × Tile threads per tile, over <paramref name="tiles"/> tiles.</summary>
    public static KernelConfig Grid(int tiles) => new(new Index3D(tiles, 1, 1), new Index3D(Tile, Tile, 1));

    /// <summary>One product; launch it through <see cref="ProductKernel{TLeft, TRight, TEpilogue}"/>.</summary>
    public static void Kernel<TLeft, TRight, TEpilogue>(ProductShape shape, TLeft left, TRight right, TEpilogue epilogue)
        where TLeft : struct, ITileOperand
        where TRight : struct, ITileOperand
        where TEpilogue : struct, ITileEpilogue
    {
        var a = SharedMemory.Allocate<float>(Tile * Tile);
        var b = SharedMemory.Allocate<float>(Tile * Tile);
        Run(shape, left, right, epilogue, ILGPU.Grid.IdxX, a, b);
    }

    /// <summary>
    /// Two independent products in one launch: the first <c>Tiles(shape1)</c> groups compute the first, the rest the
    /// second. Every thread of a group takes the same branch, so the barriers inside stay uniform. Launch it through
    /// <see cref="ProductPairKernel{TLeft1, TRight1, TEpilogue1, TLeft2, TRight2, TEpilogue2}"/>.
    /// </summary>
    public static void PairKernel<TLeft1, TRight1, TEpilogue1, TLeft2, TRight2, TEpilogue2>(
        ProductShape shape1, TLeft1 left1, TRight1 right1, TEpilogue1 epilogue1,
        ProductShape shape2, TLeft2 left2, TRight2 right2, TEpilogue2 epilogue2)
        where TLeft1 : struct, ITileOperand
        where TRight1 : struct, ITileOperand
        where TEpilogue1 : struct, ITileEpilogue
        where TLeft2 : struct, ITileOperand
        where TRight2 : struct, ITileOperand
        where TEpilogue2 : struct, ITileEpilogue
    {
        var a = SharedMemory.Allocate<float>(Tile * Tile);
        var b = SharedMemory.Allocate<float>(Tile * Tile);
        var tile = ILGPU.Grid.IdxX;
        var first = Tiles(shape1);
        if (tile < first) Run(shape1, left1, right1, epilogue1, tile, a, b);
        else Run(shape2, left2, right2, epilogue2, tile - first, a, b);
    }

    private static int TileColumns(ProductShape shape) => (shape.Columns + Tile - 1) / Tile;

    /// <summary>The tile at index <paramref name="tile"/> (row-major over the result's tiles), by the whole group.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void Run<TLeft, TRight, TEpilogue>(
        ProductShape shape, TLeft left, TRight right, TEpilogue epilogue, int tile, ArrayView<float> a, ArrayView<float> b)
        where TLeft : struct, ITileOperand
        where TRight : struct, ITileOperand
        where TEpilogue : struct, ITileEpilogue
    {
        var tx = Group.IdxX;
        var ty = Group.IdxY;
        var tileColumns = TileColumns(shape);
        var row = tile / tileColumns * Tile + ty;
        var column = tile % tileColumns * Tile + tx;
        var sum = 0f;
        for (var k0 = 0; k0 < shape.Depth; k0 += Tile)
        {
            var ka = k0 + tx;
            var kb = k0 + ty;
            a[ty * Tile + tx] = row < shape.Rows && ka < shape.Depth ? left.Load(row, ka) : 0f;
            b[ty * Tile + tx] = kb < shape.Depth && column < shape.Columns ? right.Load(kb, column) : 0f;
            Group.Barrier();
            var r = ty * Tile;
            sum += a[r] * b[tx];
            sum += a[r + 1] * b[Tile + tx];
            sum += a[r + 2] * b[2 * Tile + tx];
            sum += a[r + 3] * b[3 * Tile + tx];
            sum += a[r + 4] * b[4 * Tile + tx];
            sum += a[r + 5] * b[5 * Tile + tx];
            sum += a[r + 6] * b[6 * Tile + tx];
            sum += a[r + 7] * b[7 * Tile + tx];
            sum += a[r + 8] * b[8 * Tile + tx];
            sum += a[r + 9] * b[9 * Tile + tx];
            sum += a[r + 10] * b[10 * Tile + tx];
            sum += a[r + 11] * b[11 * Tile + tx];
            sum += a[r + 12] * b[12 * Tile + tx];
            sum += a[r + 13] * b[13 * Tile + tx];
            sum += a[r + 14] * b[14 * Tile + tx];
            sum += a[r + 15] * b[15 * Tile + tx];
            Group.Barrier();
        }

        if (row < shape.Rows && column < shape.Columns) epilogue.Store(row, column, sum);
    }
}

/// <summary>One product ready to launch: its shape, operands and epilogue (what a generated <c>…Product</c> method returns).</summary>
public readonly record struct ProductCall<TLeft, TRight, TEpilogue>(ProductShape Shape, TLeft Left, TRight Right, TEpilogue Epilogue)
    where TLeft : struct, ITileOperand
    where TRight : struct, ITileOperand
    where TEpilogue : struct, ITileEpilogue;

/// <summary>
/// <see cref="TiledProduct.Kernel{TLeft, TRight, TEpilogue}"/> specialised for one operand and epilogue type and
/// compiled for one accelerator on its first launch (slow once; a product a model never launches alone is never
/// compiled); every later <see cref="Launch"/> is a delegate call that allocates nothing.
/// </summary>
public sealed class ProductKernel<TLeft, TRight, TEpilogue>
    where TLeft : struct, ITileOperand
    where TRight : struct, ITileOperand
    where TEpilogue : struct, ITileEpilogue
{
    private readonly Accelerator _accelerator;
    private Action<KernelConfig, ProductShape, TLeft, TRight, TEpilogue>? _kernel;

    /// <param name="accelerator">Where the kernel runs.</param>
    public ProductKernel(Accelerator accelerator) => _accelerator = accelerator ?? throw new ArgumentNullException(nameof(accelerator));

    /// <summary>Enqueues the product on the accelerator's default stream, without waiting.</summary>
    public void Launch(in ProductCall<TLeft, TRight, TEpilogue> call)
    {
        _kernel ??= _accelerator.LoadStreamKernel<ProductShape, TLeft, TRight, TEpilogue>(TiledProduct.Kernel);
        _kernel(TiledProduct.Grid(TiledProduct.Tiles(call.Shape)), call.Shape, call.Left, call.Right, call.Epilogue);
    }
}

/// <summary>
/// <see cref="TiledProduct.PairKernel"/> specialised for two products' types and compiled for one accelerator on its
/// first launch; each <see cref="Launch"/> runs both products in one launch. The products must be independent: neither
/// may read what the other writes.
/// </summary>
public sealed class ProductPairKernel<TLeft1, TRight1, TEpilogue1, TLeft2, TRight2, TEpilogue2>
    where TLeft1 : struct, ITileOperand
    where TRight1 : struct, ITileOperand
    where TEpilogue1 : struct, ITileEpilogue
    where TLeft2 : struct, ITileOperand
    where TRight2 : struct, ITileOperand
    where TEpilogue2 : struct, ITileEpilogue
{
    private readonly Accelerator _accelerator;
    private Action<KernelConfig, ProductShape, TLeft1, TRight1, TEpilogue1, ProductShape, TLeft2, TRight2, TEpilogue2>? _kernel;

    /// <param name="accelerator">Where the kernel runs.</param>
    public ProductPairKernel(Accelerator accelerator) => _accelerator = accelerator ?? throw new ArgumentNullException(nameof(accelerator));

    /// <summary>Enqueues both products in one launch on the accelerator's default stream, without waiting.</summary>
    public void Launch(in ProductCall<TLeft1, TRight1, TEpilogue1> first, in ProductCall<TLeft2, TRight2, TEpilogue2> second)
    {
        _kernel ??= _accelerator.LoadStreamKernel<ProductShape, TLeft1, TRight1, TEpilogue1, ProductShape, TLeft2, TRight2, TEpilogue2>(
            TiledProduct.PairKernel);
        _kernel(TiledProduct.Grid(TiledProduct.Tiles(first.Shape) + TiledProduct.Tiles(second.Shape)),
            first.Shape, first.Left, first.Right, first.Epilogue, second.Shape, second.Left, second.Right, second.Epilogue);
    }
}
