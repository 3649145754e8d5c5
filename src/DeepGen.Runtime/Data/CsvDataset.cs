using System.Globalization;
using nietras.SeparatedValues;

namespace DeepGen.Data;

// The parsing is Sep's (nietras/Sep, MIT), not ours. Chosen over CsvHelper 34 for three reasons:
//  - NativeAOT and trimming: Sep is annotated AOT/trim-compatible and reads fields as spans with no reflection;
//    CsvHelper's record mapping (GetRecords<T>) is built on reflection and expression compilation, which this
//    runtime (IsAotCompatible) must not pull in, and its low-level parser alone would leave us the column work.
//  - Speed and allocation: Sep parses with SIMD and hands out each field as a ReadOnlySpan<char>, so a numeric
//    field becomes a float without a string; CsvHelper allocates a string per field read through GetField.
//  - Upkeep: both are maintained; Sep ships for the current .NET (net8/9/10 builds) with frequent releases.
// Sep does the RFC 4180 work (quotes, doubled quotes, separators and line breaks inside quotes, CRLF); this file
// decides what the fields mean and reports every problem by file, line and column.

/// <summary>
/// A table of numbers read from a CSV file: a float feature matrix, one row per sample, and one label per sample,
/// numeric or categorical. Built by <see cref="Load(string, string, CsvOptions?)"/> and its overloads.
/// </summary>
/// <remarks>
/// What the loader does: a header row (or none), any one-character separator, quoted fields (RFC 4180: doubled
/// quotes, separators and line breaks inside quotes), CRLF or LF line ends, a UTF-8 byte-order mark, spaces around
/// fields (trimmed), blank lines (skipped), numbers in a chosen culture (invariant by default). What it does not do:
/// fill in missing values, encode categorical <em>features</em> (only the label may be text), scale features, or
/// read more than one label column. Each of those is an error naming the line and column, never a silent guess.
/// </remarks>
public sealed class CsvDataset
{
    private readonly int[] _lines;

    private CsvDataset(float[] features, string[] featureNames, string labelName, float[] labels, string[]? classNames, int[] lines, string source)
    {
        Features = features;
        FeatureNames = featureNames;
        LabelName = labelName;
        Labels = labels;
        ClassNames = classNames;
        _lines = lines;
        SourceName = source;
    }

    /// <summary>The features, <c>[SampleCount, FeatureCount]</c> row-major: the <c>x</c> that <c>Fit</c> takes.</summary>
    public float[] Features { get; }

    /// <summary>The feature columns' names, in the order of each row of <see cref="Features"/>.</summary>
    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>The label column's name.</summary>
    public string LabelName { get; }

    /// <summary>
    /// One float per sample: the label's value for a numeric label, or its class index (into
    /// <see cref="ClassNames"/>) for a categorical one, the sparse targets of a sparse categorical loss.
    /// </summary>
    public float[] Labels { get; }

    /// <summary>
    /// For a categorical label, the class names by index; null for a numeric label. Unless
    /// <see cref="CsvOptions.ClassNames"/> fixed them, the classes are sorted: by numeric value when every class name
    /// is a number (<c>2</c> before <c>10</c>), otherwise by ordinal string comparison (as scikit-learn's
    /// <c>LabelEncoder</c> does), so the indices do not depend on the order of the rows.
    /// </summary>
    public IReadOnlyList<string>? ClassNames { get; }

    /// <summary>The number of classes of a categorical label; 0 for a numeric label.</summary>
    public int ClassCount => ClassNames?.Count ?? 0;

    /// <summary>The number of samples (data rows; blank lines are not samples).</summary>
    public int SampleCount => Labels.Length;

    /// <summary>The number of features per sample.</summary>
    public int FeatureCount => FeatureNames.Count;

    /// <summary>The file the data came from (or the name given to <see cref="Read(TextReader, string, CsvOptions?, string?)"/>).</summary>
    public string SourceName { get; }

    /// <summary>The 1-based line of the file on which <paramref name="sample"/> (0-based) begins, for messages about it.</summary>
    public int LineOf(int sample)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sample);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(sample, _lines.Length);
        return _lines[sample];
    }

    /// <summary>
    /// The categorical labels as one-hot rows, <c>[SampleCount, ClassCount]</c>: the targets of a softmax output with
    /// categorical cross-entropy.
    /// </summary>
    /// <exception cref="InvalidOperationException">The label is numeric.</exception>
    public float[] OneHotLabels()
    {
        if (ClassNames is null)
            throw new InvalidOperationException($"The label '{LabelName}' of {SourceName} is numeric; only a categorical label has one-hot rows. Load it with LabelKind = CsvLabelKind.Categorical.");
        return Data.Labels.OneHot(Labels, ClassNames.Count);
    }

    /// <summary>Reads a CSV file whose label column is named <paramref name="label"/> in its header.</summary>
    /// <param name="path">The file; UTF-8, with or without a byte-order mark.</param>
    /// <param name="label">The label column's name, as the header writes it (compared exactly, after trimming spaces).</param>
    /// <param name="options">Separator, header, feature columns, label kind and culture; the defaults when null.</param>
    /// <exception cref="CsvFormatException">The file cannot be read as a dataset; the message names the line, the column and the text.</exception>
    public static CsvDataset Load(string path, string label, CsvOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(label);
        using var reader = new StreamReader(path, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return ReadCore(reader, LabelColumn.Named(label), options ?? new CsvOptions(), path);
    }

    /// <summary>Reads a CSV file whose label is the column at zero-based <paramref name="labelColumn"/> (negative counts from the end: -1 is the last).</summary>
    /// <inheritdoc cref="Load(string, string, CsvOptions?)"/>
    public static CsvDataset Load(string path, int labelColumn, CsvOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var reader = new StreamReader(path, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return ReadCore(reader, LabelColumn.At(labelColumn), options ?? new CsvOptions(), path);
    }

    /// <summary>Reads CSV text from <paramref name="reader"/>; <paramref name="sourceName"/> names it in messages (by default "CSV text").</summary>
    /// <inheritdoc cref="Load(string, string, CsvOptions?)"/>
    public static CsvDataset Read(TextReader reader, string label, CsvOptions? options = null, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(label);
        return ReadCore(reader, LabelColumn.Named(label), options ?? new CsvOptions(), sourceName ?? "CSV text");
    }

    /// <summary>Reads CSV text from <paramref name="reader"/> with the label at zero-based <paramref name="labelColumn"/> (negative counts from the end).</summary>
    /// <inheritdoc cref="Read(TextReader, string, CsvOptions?, string?)"/>
    public static CsvDataset Read(TextReader reader, int labelColumn, CsvOptions? options = null, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return ReadCore(reader, LabelColumn.At(labelColumn), options ?? new CsvOptions(), sourceName ?? "CSV text");
    }

    private readonly record struct LabelColumn(string? Name, int Index)
    {
        public static LabelColumn Named(string name) => new(name.Trim(), 0);

        public static LabelColumn At(int index) => new(null, index);
    }

    private static CsvDataset ReadCore(TextReader text, LabelColumn label, CsvOptions options, string source)
    {
        ArgumentNullException.ThrowIfNull(options.Culture, nameof(options));
        if (options.Separator is '"' or '\r' or '\n')
            throw new ArgumentException($"'{Printable(options.Separator.ToString())}' cannot separate fields: it is a quote or a line break.", nameof(options));

        SepReader reader;
        try
        {
            reader = Sep.New(options.Separator).Reader(o => o with
            {
                HasHeader = options.HasHeader,
                Unescape = true,
                Trim = SepTrim.All,
                DisableColCountCheck = true, // checked below, so the message can name the line and the counts
                CultureInfo = options.Culture,
            }).From(text);
        }
        catch (ArgumentException e) // Sep refuses a header that names a column twice
        {
            throw new CsvFormatException($"{source}, line 1 (the header): {e.Message}", source, line: 1, innerException: e);
        }

        using (reader)
        {
            string[] columns;
            if (options.HasHeader)
            {
                if (reader.Header.IsEmpty || reader.Header.ColNames is [""])
                    throw new CsvFormatException($"{source} is empty: it has no header row and no data.", source);
                columns = [.. reader.Header.ColNames];
                if (columns[0].StartsWith('\uFEFF')) columns[0] = columns[0][1..].Trim();
                for (var c = 0; c < columns.Length; c++)
                    if (columns[c].Length == 0)
                        throw new CsvFormatException($"{source}, line 1 (the header): column {c} has no name.", source, line: 1);
            }
            else
            {
                columns = [];
            }

            return ReadRows(reader, columns, label, options, source);
        }
    }

    private static CsvDataset ReadRows(SepReader reader, string[] columns, LabelColumn label, CsvOptions options, string source)
    {
        int labelIndex = -1;
        int[] featureIndices = [];
        var features = new List<float>();
        var lines = new List<int>();
        var numericLabels = new List<float>();
        var classOfSample = new List<int>();
        var classesSeen = new Dictionary<string, int>(StringComparer.Ordinal);
        Dictionary<string, int>? fixedClasses = null;
        if (options.ClassNames is { } given)
        {
            fixedClasses = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var name in given)
                if (!fixedClasses.TryAdd(name ?? throw new ArgumentException("A class name in the options is null.", nameof(options)), fixedClasses.Count))
                    throw new ArgumentException($"The class name '{name}' appears twice in the options' ClassNames.", nameof(options));
        }

        // With a header the columns are known before any row, so a missing label or feature column is named even in a
        // file without data; without one, the first row fixes them.
        if (columns.Length > 0) (labelIndex, featureIndices) = ChooseColumns(columns, label, options, source);
        var allNumeric = options.LabelKind != CsvLabelKind.Categorical && fixedClasses is null;
        var culture = options.Culture;

        try
        {
            foreach (var row in reader)
            {
                // Sep 0.17.1 gives the first row of a file without a header the line it ends on, not 1; later rows are right.
                var line = row.RowIndex == 0 && !options.HasHeader ? 1 : row.LineNumberFrom;
                if (row.ColCount == 1 && row[0].Span.IsEmpty) continue; // a blank line
                if (columns.Length == 0) // no header: the first row fixes the column count and names
                {
                    columns = new string[row.ColCount];
                    for (var c = 0; c < columns.Length; c++) columns[c] = string.Create(CultureInfo.InvariantCulture, $"column{c}");
                }

                if (labelIndex < 0) (labelIndex, featureIndices) = ChooseColumns(columns, label, options, source);
                if (row.ColCount != columns.Length)
                    throw new CsvFormatException(
                        $"{source}, line {line}: the row has {row.ColCount} field{(row.ColCount == 1 ? "" : "s")}, but {(options.HasHeader ? "the header has" : "the first row has")} {columns.Length}.",
                        source, line);

                var sample = lines.Count;
                for (var f = 0; f < featureIndices.Length; f++)
                {
                    var column = featureIndices[f];
                    features.Add(ParseNumber(row[column].Span, culture, source, line, sample, columns[column], $"feature {f}"));
                }

                var labelText = row[labelIndex].Span;
                if (labelText.IsEmpty)
                    throw new CsvFormatException($"{source}, line {line} (sample {sample}), column '{columns[labelIndex]}' (the label): the value is missing.", source, line, columns[labelIndex], "");
                if (options.LabelKind == CsvLabelKind.Numeric)
                {
                    numericLabels.Add(ParseNumber(labelText, culture, source, line, sample, columns[labelIndex], "the label"));
                }
                else
                {
                    if (allNumeric)
                    {
                        if (float.TryParse(labelText, NumberStyles.Float, culture, out var value) && float.IsFinite(value)) numericLabels.Add(value);
                        else allNumeric = false;
                    }

                    int classIndex;
                    if (fixedClasses is not null)
                    {
                        var name = labelText.ToString();
                        if (!fixedClasses.TryGetValue(name, out classIndex))
                            throw new CsvFormatException(
                                $"{source}, line {line} (sample {sample}), column '{columns[labelIndex]}' (the label): '{Printable(name)}' is not one of the class names given ({string.Join(", ", fixedClasses.Keys)}).",
                                source, line, columns[labelIndex], name);
                    }
                    else
                    {
                        var lookup = classesSeen.GetAlternateLookup<ReadOnlySpan<char>>();
                        if (!lookup.TryGetValue(labelText, out classIndex))
                        {
                            classIndex = classesSeen.Count;
                            classesSeen.Add(labelText.ToString(), classIndex);
                        }
                    }

                    classOfSample.Add(classIndex);
                }

                lines.Add(line);
            }
        }
        catch (InvalidDataException e) // what Sep itself reports about the text
        {
            throw new CsvFormatException($"{source}: {e.Message}", source, innerException: e);
        }

        if (lines.Count == 0)
            throw new CsvFormatException(options.HasHeader ? $"{source} has a header but no data rows." : $"{source} is empty: it has no data rows.", source);

        var featureNames = featureIndices.Select(c => columns[c]).ToArray();
        var labelName = columns[labelIndex];
        if (options.LabelKind == CsvLabelKind.Numeric || (allNumeric && options.LabelKind == CsvLabelKind.Auto))
            return new CsvDataset([.. features], featureNames, labelName, [.. numericLabels], null, [.. lines], source);

        string[] classNames;
        int[] indexOfSeen;
        if (fixedClasses is not null)
        {
            classNames = [.. fixedClasses.Keys];
            indexOfSeen = [.. Enumerable.Range(0, classNames.Length)];
        }
        else
        {
            var seen = classesSeen.OrderBy(p => p.Value).Select(p => p.Key).ToArray();
            classNames = SortClasses(seen, culture);
            indexOfSeen = new int[seen.Length];
            for (var i = 0; i < seen.Length; i++) indexOfSeen[i] = Array.IndexOf(classNames, seen[i]);
        }

        var labels = new float[classOfSample.Count];
        for (var s = 0; s < labels.Length; s++) labels[s] = indexOfSeen[classOfSample[s]];
        return new CsvDataset([.. features], featureNames, labelName, labels, classNames, [.. lines], source);
    }

    /// <summary>Numbers by value when every name is one, otherwise ordinal: the same indices whatever the row order.</summary>
    private static string[] SortClasses(string[] names, CultureInfo culture)
    {
        var values = new double[names.Length];
        var numeric = true;
        for (var i = 0; i < names.Length && numeric; i++)
            numeric = double.TryParse(names[i], NumberStyles.Float, culture, out values[i]) && double.IsFinite(values[i]);
        var order = Enumerable.Range(0, names.Length);
        return numeric
            ? [.. order.OrderBy(i => values[i]).ThenBy(i => names[i], StringComparer.Ordinal).Select(i => names[i])]
            : [.. names.Order(StringComparer.Ordinal)];
    }

    private static (int Label, int[] Features) ChooseColumns(string[] columns, LabelColumn label, CsvOptions options, string source)
    {
        int labelIndex;
        if (label.Name is { } name)
        {
            if (!options.HasHeader)
                throw new ArgumentException($"The label '{name}' is chosen by name, but the options say {source} has no header: choose the label by its column index.", nameof(label));
            labelIndex = Array.IndexOf(columns, name);
            if (labelIndex < 0)
                throw new CsvFormatException($"{source} has no column named '{name}' for the label. Its columns: {string.Join(", ", columns.Select(c => $"'{c}'"))}.", source, 1, name);
        }
        else
        {
            labelIndex = label.Index < 0 ? columns.Length + label.Index : label.Index;
            if (labelIndex < 0 || labelIndex >= columns.Length)
                throw new CsvFormatException($"{source} has {columns.Length} columns, so there is no column {label.Index} for the label.", source);
        }

        int[] featureIndices;
        if (options.Features is { } chosen)
        {
            if (chosen.Count == 0) throw new ArgumentException("The options list no feature columns; leave Features null for every column except the label.", nameof(options));
            if (!options.HasHeader) throw new ArgumentException($"Feature columns are chosen by name, but the options say {source} has no header.", nameof(options));
            featureIndices = new int[chosen.Count];
            for (var f = 0; f < chosen.Count; f++)
            {
                var index = Array.IndexOf(columns, chosen[f]?.Trim());
                if (index < 0)
                    throw new CsvFormatException($"{source} has no column named '{chosen[f]}' for feature {f}. Its columns: {string.Join(", ", columns.Select(c => $"'{c}'"))}.", source, 1, chosen[f]);
                if (index == labelIndex)
                    throw new ArgumentException($"The column '{chosen[f]}' is the label; it cannot also be feature {f}.", nameof(options));
                if (Array.IndexOf(featureIndices, index, 0, f) >= 0)
                    throw new ArgumentException($"The column '{chosen[f]}' is listed twice among the features.", nameof(options));
                featureIndices[f] = index;
            }
        }
        else
        {
            featureIndices = [.. Enumerable.Range(0, columns.Length).Where(c => c != labelIndex)];
            if (featureIndices.Length == 0)
                throw new CsvFormatException($"{source} has only the label column '{columns[labelIndex]}': there are no feature columns.", source);
        }

        return (labelIndex, featureIndices);
    }

    private static float ParseNumber(ReadOnlySpan<char> text, CultureInfo culture, string source, int line, int sample, string column, string role)
    {
        if (text.IsEmpty)
            throw new CsvFormatException($"{source}, line {line} (sample {sample}), column '{column}' ({role}): the value is missing. The loader does not fill in missing values; impute them or drop the row first.", source, line, column, "");
        if (!float.TryParse(text, NumberStyles.Float, culture, out var value))
            throw new CsvFormatException($"{source}, line {line} (sample {sample}), column '{column}' ({role}): '{Printable(text.ToString())}' is not a number.", source, line, column, text.ToString());
        if (!float.IsFinite(value))
            throw new CsvFormatException($"{source}, line {line} (sample {sample}), column '{column}' ({role}): '{Printable(text.ToString())}' is not a finite number{(float.IsNaN(value) ? " (a missing value?)" : " (too large for a float?)")}.", source, line, column, text.ToString());
        return value;
    }

    /// <summary>The text as it can be shown in one line of a message: at most 40 characters, line breaks escaped.</summary>
    private static string Printable(string text)
    {
        var shown = text.Length > 40 ? text[..40] + "…" : text;
        return shown.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal);
    }
}
