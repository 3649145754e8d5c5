using System.Globalization;
using System.Text;

namespace DeepGen.Samples.SentenceEmbeddings;

/// <summary>The sample's files: texts in, one a line; embeddings out, one text a line.</summary>
internal static class EmbeddingFiles
{
    /// <summary>A text of the input and the line it came from (1-based), for messages and search results.</summary>
    public readonly record struct InputText(int Line, string Text);

    /// <summary>
    /// The non-blank lines of <paramref name="path"/> (UTF-8), in order. Throws <see cref="InvalidDataException"/> when
    /// there are none, and the file system's exceptions when it cannot be read.
    /// </summary>
    public static List<InputText> ReadTexts(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"The input file '{path}' does not exist.", path);
        var texts = new List<InputText>();
        var line = 0;
        foreach (var text in File.ReadLines(path, Encoding.UTF8))
        {
            line++;
            if (!string.IsNullOrWhiteSpace(text)) texts.Add(new InputText(line, text));
        }

        return texts.Count > 0
            ? texts
            : throw new InvalidDataException(line == 0
                ? $"The input file '{path}' is empty: write one text per line."
                : $"The input file '{path}' has {line} lines, all blank: write one text per line.");
    }

    /// <summary>
    /// Writes <paramref name="embeddings"/> (<c>[texts, dimensions]</c>) to <paramref name="path"/>, one text a line,
    /// its floats tab-separated in round-trip format with the invariant culture, so that parsing a line gives back
    /// exactly the floats written. Atomic: the lines go to a temporary file beside the target, which then replaces it,
    /// so a reader never sees half a file and a failed run leaves an older file as it was.
    /// </summary>
    public static void WriteEmbeddings(string path, ReadOnlySpan<float> embeddings, int dimensions)
    {
        var target = Path.GetFullPath(path);
        var temporary = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var writer = new StreamWriter(temporary, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 1 << 16))
            {
                Span<char> number = stackalloc char[32];
                for (var row = 0; row < embeddings.Length / dimensions; row++)
                {
                    var vector = embeddings.Slice(row * dimensions, dimensions);
                    for (var i = 0; i < vector.Length; i++)
                    {
                        if (i > 0) writer.Write('\t');
                        vector[i].TryFormat(number, out var written, "R", CultureInfo.InvariantCulture);
                        writer.Write(number[..written]);
                    }

                    writer.Write('\n');
                }
            }

            File.Move(temporary, target, overwrite: true);
        }
        catch
        {
            if (File.Exists(temporary)) File.Delete(temporary);
            throw;
        }
    }
}
