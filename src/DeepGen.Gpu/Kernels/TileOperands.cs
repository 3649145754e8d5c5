using ILGPU;

namespace DeepGen.Gpu;

// Where a tiled product reads its operands from. Each is a row-major block of one flat device buffer, read as it is
// or transposed, optionally gathered through the epoch's sample order; the generated file picks one per product.

/// <summary>Row-major <c>[rows, Width]</c> at <see cref="Offset"/>: element <c>(i, j)</c> is <c>View[Offset + i · Width + j]</c>.</summary>
public readonly struct Rows(ArrayView<float> view, long offset, int width) : ITileOperand
{
    /// <summary>The buffer.</summary>
    public ArrayView<float> View { get; } = view;
    /// <summary>Where row 0 starts.</summary>
    public long Offset { get; } = offset;
    /// <summary>Elements per row.</summary>
    public int Width { get; } = width;

    /// <inheritdoc />
    public float Load(int i, int j) => View[Offset + (long)i * Width + j];
}

/// <summary>The transpose of <see cref="Rows"/>: element <c>(i, j)</c> is <c>View[Offset + j · Width + i]</c>.</summary>
public readonly struct Columns(ArrayView<float> view, long offset, int width) : ITileOperand
{
    /// <summary>The buffer.</summary>
    public ArrayView<float> View { get; } = view;
    /// <summary>Where row 0 of the untransposed block starts.</summary>
    public long Offset { get; } = offset;
    /// <summary>Elements per row of the untransposed block.</summary>
    public int Width { get; } = width;

    /// <inheritdoc />
    public float Load(int i, int j) => View[Offset + (long)j * Width + i];
}

/// <summary>
/// The batch's rows of the uploaded data set, gathered through the order: element <c>(sample, feature)</c> is
/// <c>Data[Order[OrderOffset + sample] · Width + feature]</c>. The batch is never copied into place.
/// </summary>
public readonly struct GatheredRows(ArrayView<float> data, ArrayView<int> order, int orderOffset, int width) : ITileOperand
{
    /// <summary>The whole data set, <c>[samples, Width]</c>.</summary>
    public ArrayView<float> Data { get; } = data;
    /// <summary>Sample indices; the batch is <c>Order[OrderOffset ..]</c>.</summary>
    public ArrayView<int> Order { get; } = order;
    /// <summary>Where the batch starts in <see cref="Order"/>.</summary>
    public int OrderOffset { get; } = orderOffset;
    /// <summary>Features per sample.</summary>
    public int Width { get; } = width;

    /// <inheritdoc />
    public float Load(int i, int j) => Data[(long)Order[OrderOffset + i] * Width + j];
}

/// <summary>The transpose of <see cref="GatheredRows"/>: element <c>(feature, sample)</c>.</summary>
public readonly struct GatheredColumns(ArrayView<float> data, ArrayView<int> order, int orderOffset, int width) : ITileOperand
{
    /// <summary>The whole data set, <c>[samples, Width]</c>.</summary>
    public ArrayView<float> Data { get; } = data;
    /// <summary>Sample indices; the batch is <c>Order[OrderOffset ..]</c>.</summary>
    public ArrayView<int> Order { get; } = order;
    /// <summary>Where the batch starts in <see cref="Order"/>.</summary>
    public int OrderOffset { get; } = orderOffset;
    /// <summary>Features per sample.</summary>
    public int Width { get; } = width;

    /// <inheritdoc />
    public float Load(int i, int j) => Data[(long)Order[OrderOffset + j] * Width + i];
}

/// <summary>
/// <typeparamref name="TOperand"/> with one more row of ones at <see cref="OnesRow"/>: <c>inputᵀ</c> extended so the
/// weight-gradient product also sums the bias gradient (<c>Σ over the batch of delta</c>) in its last row, in the same
/// launch.
/// </summary>
public readonly struct WithOnesRow<TOperand>(TOperand operand, int onesRow) : ITileOperand
    where TOperand : struct, ITileOperand
{
    /// <summary>The operand above the row of ones.</summary>
    public TOperand Operand { get; } = operand;
    /// <summary>The index of the row of ones (the operand's row count).</summary>
    public int OnesRow { get; } = onesRow;

    /// <inheritdoc />
    public float Load(int i, int j) => i == OnesRow ? 1f : Operand.Load(i, j);
}
