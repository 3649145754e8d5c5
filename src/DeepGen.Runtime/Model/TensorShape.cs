using System.Globalization;

namespace DeepGen;

/// <summary>
/// The shape of one sample's tensor, one to three dimensions, channels last as Keras orders them: a vector
/// <c>[units]</c>, a matrix <c>[rows, columns]</c> or an image <c>[height, width, channels]</c>. The values are stored
/// flat, row-major in this shape.
/// </summary>
public readonly record struct TensorShape
{
    private readonly int _d0, _d1, _d2;

    /// <summary>A vector of <paramref name="length"/> values.</summary>
    public TensorShape(int length) : this(1, length, 1, 1) { }

    /// <summary>A <paramref name="rows"/> × <paramref name="columns"/> matrix.</summary>
    public TensorShape(int rows, int columns) : this(2, rows, columns, 1) { }

    /// <summary>An image of <paramref name="height"/> × <paramref name="width"/> pixels of <paramref name="channels"/> channels.</summary>
    public TensorShape(int height, int width, int channels) : this(3, height, width, channels) { }

    private TensorShape(int rank, int d0, int d1, int d2)
    {
        if (d0 <= 0 || d1 <= 0 || d2 <= 0)
            throw new ArgumentOutOfRangeException(nameof(d0), $"Every dimension of a tensor shape must be positive; got {Describe(rank, d0, d1, d2)}.");
        if ((long)d0 * d1 * d2 > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(d0), $"The shape {Describe(rank, d0, d1, d2)} holds more than {int.MaxValue} values.");
        Rank = rank;
        (_d0, _d1, _d2) = (d0, d1, d2);
    }

    /// <summary>The shape of the given dimensions (one to three).</summary>
    public static TensorShape Of(IReadOnlyList<int> dimensions) => dimensions.Count switch
    {
        1 => new TensorShape(dimensions[0]),
        2 => new TensorShape(dimensions[0], dimensions[1]),
        3 => new TensorShape(dimensions[0], dimensions[1], dimensions[2]),
        _ => throw new ArgumentException($"A sample's shape has one to three dimensions; got {dimensions.Count}.", nameof(dimensions)),
    };

    /// <summary>Number of dimensions, 1 to 3 (0 for <c>default</c>).</summary>
    public int Rank { get; }

    /// <summary>The size of dimension <paramref name="axis"/>.</summary>
    public int this[int axis] => (uint)axis < (uint)Rank
        ? axis switch { 0 => _d0, 1 => _d1, _ => _d2 }
        : throw new ArgumentOutOfRangeException(nameof(axis), axis, $"The shape {this} has {Rank} dimensions.");

    /// <summary>Values per sample.</summary>
    public int ElementCount => Rank == 0 ? 0 : _d0 * _d1 * _d2;

    /// <summary>Height of an image shape (rank 3).</summary>
    public int Height => Rank == 3 ? _d0 : throw NotAnImage();

    /// <summary>Width of an image shape (rank 3).</summary>
    public int Width => Rank == 3 ? _d1 : throw NotAnImage();

    /// <summary>The last dimension: channels of an image, the length of a vector.</summary>
    public int Channels => Rank == 0 ? 0 : this[Rank - 1];

    /// <summary>The dimensions, outermost first.</summary>
    public int[] ToArray() => Rank switch { 0 => [], 1 => [_d0], 2 => [_d0, _d1], _ => [_d0, _d1, _d2] };

    /// <summary>Keras's way of writing it, e.g. <c>(28, 28, 1)</c>, <c>(10,)</c>.</summary>
    public override string ToString() => Rank == 1 ? $"({_d0.ToString(CultureInfo.InvariantCulture)},)" : "(" + string.Join(", ", ToArray()) + ")";

    /// <summary>The dimensions joined with '×', e.g. <c>13×13×32</c>, as the shape diagnostics and tables write them.</summary>
    public string ToDimensionsText() => string.Join("×", ToArray());

    private InvalidOperationException NotAnImage() => new($"The shape {this} is not an image (height, width, channels).");

    private static string Describe(int rank, int d0, int d1, int d2) =>
        rank switch { 1 => $"({d0},)", 2 => $"({d0}, {d1})", _ => $"({d0}, {d1}, {d2})" };
}
