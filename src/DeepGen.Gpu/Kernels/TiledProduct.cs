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
/// result element), so every matrix product of a forward and backward pass is this kernel.
/// </summary>
/// <remarks>
/// Each thread sums its element in k order, one Tile-wide slice of k at a time staged in shared memory: a fixed order,
/// no atomics, so the same inputs give the same bits on every run. Loads outside the shape stage zeros, so the inner
/// loop has no bounds checks; its 16 steps are written out below because ILGPU 1.5.3 does not unroll loops.
/// </remarks>
public static class TiledProduct
{
    /// <summary>Threads per side of a tile; a group is Tile × Tile threads.</summary>
    public const int Tile = 16;

    /// <summary>The grid of Tile × Tile groups that covers a result of <paramref name="shape"/>.</summary>
    public static KernelConfig Grid(ProductShape shape) =>
        new(new Index2D((shape.Columns + Tile - 1) / Tile, (shape.Rows + Tile - 1) / Tile), new Index2D(Tile, Tile));

    /// <summary>The kernel; launch it through <see cref="ProductKernel{TLeft, TRight, TEpilogue}"/>.</summary>
    public static void Kernel<TLeft, TRight, TEpilogue>(ProductShape shape, TLeft left, TRight right, TEpilogue epilogue)
        where TLeft : struct, ITileOperand
        where TRight : struct, ITileOperand
        where TEpilogue : struct, ITileEpilogue
    {
        var tx = Group.IdxX;
        var ty = Group.IdxY;
        var row = ILGPU.Grid.IdxY * Tile + ty;
        var column = ILGPU.Grid.IdxX * Tile + tx;
        var a = SharedMemory.Allocate<float>(Tile * Tile);
        var b = SharedMemory.Allocate<float>(Tile * Tile);
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

/// <summary>
/// <see cref="TiledProduct.Kernel{TLeft, TRight, TEpilogue}"/> specialised for one operand and epilogue type and
/// compiled for one accelerator (slow once, when this is made); each <see cref="Launch"/> is a delegate call that
/// allocates nothing.
/// </summary>
public sealed class ProductKernel<TLeft, TRight, TEpilogue>
    where TLeft : struct, ITileOperand
    where TRight : struct, ITileOperand
    where TEpilogue : struct, ITileEpilogue
{
    private readonly Action<KernelConfig, ProductShape, TLeft, TRight, TEpilogue> _kernel;

    /// <param name="accelerator">Where the kernel runs.</param>
    public ProductKernel(Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        _kernel = accelerator.LoadStreamKernel<ProductShape, TLeft, TRight, TEpilogue>(TiledProduct.Kernel);
    }

    /// <summary>Enqueues <c>epilogue(left[rows, depth] · right[depth, columns])</c> on the accelerator's default stream, without waiting.</summary>
    public void Launch(int rows, int columns, int depth, TLeft left, TRight right, TEpilogue epilogue)
    {
        var shape = new ProductShape(rows, columns, depth);
        _kernel(TiledProduct.Grid(shape), shape, left, right, epilogue);
    }
}
