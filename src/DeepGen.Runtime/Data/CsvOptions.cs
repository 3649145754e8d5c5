using System.Globalization;

namespace DeepGen.Data;

/// <summary>How <see cref="CsvDataset.Load(string, string, CsvOptions?)"/> reads the label column.</summary>
public enum CsvLabelKind
{
    /// <summary>Numeric when every label parses as a finite number, categorical otherwise.</summary>
    Auto,

    /// <summary>Each label is a number, kept as its float value (a regression target, or 0/1 for a sigmoid output).</summary>
    Numeric,

    /// <summary>Each label is a class name, turned into its class index (see <see cref="CsvDataset.ClassNames"/>).</summary>
    Categorical,
}

/// <summary>
/// Options of <see cref="CsvDataset"/>'s loaders. The defaults read a comma-separated file with a header row, numbers
/// in the invariant culture (<c>1.5</c>, never <c>1,5</c>), every column except the label as a feature.
/// </summary>
public sealed record CsvOptions
{
    /// <summary>The field separator; <c>','</c> by default (<c>';'</c>, <c>'\t'</c>, <c>'|'</c> and others work too).</summary>
    public char Separator { get; init; } = ',';

    /// <summary>
    /// Whether the first line names the columns (the default). Without a header, columns are named <c>column0</c>,
    /// <c>column1</c>, … by their zero-based index, and the label must be chosen by index.
    /// </summary>
    public bool HasHeader { get; init; } = true;

    /// <summary>
    /// The feature columns, by header name, in the order their values go into each sample's row; null (the default)
    /// for every column except the label, in the file's order.
    /// </summary>
    public IReadOnlyList<string>? Features { get; init; }

    /// <summary>Whether the label column holds numbers or class names; <see cref="CsvLabelKind.Auto"/> by default.</summary>
    public CsvLabelKind LabelKind { get; init; } = CsvLabelKind.Auto;

    /// <summary>
    /// The class names in index order, for a categorical label whose order you want to fix (so that a file lacking a
    /// class still gives the same indices). Null (the default): the classes found in the file, ordered as described
    /// at <see cref="CsvDataset.ClassNames"/>. A label not in this list is an error naming its line.
    /// </summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>
    /// The culture numbers are written in; the invariant culture by default (a dot for the decimal point, no
    /// thousands separators). With a culture that writes <c>1,5</c>, choose another <see cref="Separator"/>.
    /// </summary>
    public CultureInfo Culture { get; init; } = CultureInfo.InvariantCulture;
}
