namespace DeepGen.Data;

/// <summary>
/// A CSV file that <see cref="CsvDataset"/> cannot turn into a dataset: empty, a missing column, a ragged row, a
/// missing or non-numeric value. The message names the file, the line (1-based, as a text editor counts lines), the
/// column and the offending text; the same facts are properties, for programs that report them their own way.
/// </summary>
public sealed class CsvFormatException : FormatException
{
    /// <summary>Creates the exception; <paramref name="message"/> is the whole message.</summary>
    public CsvFormatException(string message, string source, int? line = null, string? column = null, string? text = null, Exception? innerException = null)
        : base(message, innerException)
    {
        SourceName = source;
        Line = line;
        Column = column;
        Text = text;
    }

    /// <summary>The file's path, or the name given for text that did not come from a file.</summary>
    public string SourceName { get; }

    /// <summary>The 1-based line the problem is on, where it is on one.</summary>
    public int? Line { get; }

    /// <summary>The column's name (its header text, or <c>column3</c> in a file without a header), where one column is at fault.</summary>
    public string? Column { get; }

    /// <summary>The field's text that could not be read, where one is at fault.</summary>
    public string? Text { get; }
}
