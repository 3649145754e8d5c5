using System.Globalization;
using System.Text;

namespace DeepGen;

/// <summary>
/// Keras's <c>CSVLogger</c>: one row per epoch with every logged value, columns in sorted key order after
/// <c>epoch</c>, numbers in the invariant culture (shortest round-trip form). The <c>epoch</c> column is
/// zero-based, as Keras writes it. Each row is appended and the file closed at once, so it survives a crash
/// and no handle stays open when Fit ends by an exception.
/// </summary>
/// <param name="path">The file to write.</param>
/// <param name="separator">Between columns.</param>
/// <param name="append">Append to an existing file (its header is kept and not written again) instead of replacing it.</param>
public sealed class CsvLogger(string path, char separator = ',', bool append = false) : Callback
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);
    private string[]? _keys;
    private bool _begun;

    /// <summary>The file written.</summary>
    public string Path { get; } = string.IsNullOrEmpty(path) ? throw new ArgumentException("The CSV path must not be empty.", nameof(path)) : path;

    /// <summary>Between columns.</summary>
    public char Separator { get; } = separator;

    /// <summary>Whether rows are appended to an existing file.</summary>
    public bool Append { get; } = append;

    /// <inheritdoc />
    public override void OnTrainBegin(TrainingContext context)
    {
        var hasRows = Append && File.Exists(Path) && new FileInfo(Path).Length > 0;
        _keys = hasRows ? ReadHeader() : null;
        if (!Append) File.WriteAllText(Path, "", Utf8);
        _begun = true;
    }

    /// <inheritdoc />
    public override void OnEpochEnd(TrainingContext context, EpochResult result)
    {
        if (!_begun) throw new InvalidOperationException("CsvLogger got an epoch before training began.");
        var text = new StringBuilder();
        if (_keys is null)
        {
            _keys = [.. result.Logs.Keys.Order(StringComparer.Ordinal)];
            text.Append(string.Join(Separator, ["epoch", .. _keys])).Append('\n');
        }

        var row = text.Append((result.Epoch - 1).ToString(CultureInfo.InvariantCulture));
        foreach (var key in _keys)
        {
            row.Append(Separator);
            if (result.Logs.TryGetValue(key, out var value)) row.Append(value.ToString("R", CultureInfo.InvariantCulture));
        }

        row.Append('\n');
        // Opened and closed for each row: nothing stays open if Fit ends by an exception, and each row is on disk.
        File.AppendAllText(Path, row.ToString(), Utf8);
    }

    /// <inheritdoc />
    public override void OnTrainEnd(TrainingContext context) => _begun = false;

    private string[] ReadHeader()
    {
        using var reader = new StreamReader(Path);
        var header = reader.ReadLine() ?? "";
        var columns = header.Split(Separator);
        if (columns.Length == 0 || columns[0] != "epoch")
            throw new InvalidDataException($"Cannot append to '{Path}': its first line is not a CsvLogger header (it should start with 'epoch').");
        return columns[1..];
    }
}
