using System.Text;

namespace DeepGen.Tests.MiniLm;

/// <summary>
/// Real English sentences of varied length for checking sentence embeddings: the license texts Debian's
/// <c>base-files</c> installs in <c>/usr/share/common-licenses</c> (GPL, LGPL, GFDL, Apache, MPL, Artistic, BSD,
/// CC0), present on every Debian and Ubuntu machine, CI images included, split into sentences the same way every
/// time.
/// </summary>
/// <remarks>
/// <para>
/// How the texts are split: files are read in ordinal order of their names (links to another file are skipped, so
/// <c>GPL</c> and <c>GPL-3</c> count once); each file is cut into paragraphs at blank lines, so headings, list items
/// and the address blocks stay apart from the prose around them; within a paragraph all whitespace runs become one
/// space, and a sentence ends after <c>.</c>, <c>?</c> or <c>!</c> (and any closing quotes or brackets) followed by
/// a space and an upper-case letter, a digit, a quote or an opening bracket. A lower-case word after a period
/// (<c>e.g. the</c>, <c>i.e. any</c>) does not start a sentence, which keeps most abbreviations whole.
/// </para>
/// <para>
/// Kept: sentences of <see cref="MinWords"/> to <see cref="MaxWords"/> words that contain a lower-case letter (so
/// neither all-capital headings nor lines of punctuation), each once, in the order first seen. On Debian 12 that is
/// 960 sentences of 5 to 188 tokens (all-MiniLM-L6-v2's tokenizer, [CLS] and [SEP] included; median 33): about 50 of
/// at most 10 tokens (section titles, "All rights reserved."), about 20 of 100 to 190 (the long clauses), none past
/// the 256-token limit, so no sentence is truncated.
/// </para>
/// </remarks>
public static class LicenseCorpus
{
    /// <summary>Where Debian's <c>base-files</c> puts the license texts.</summary>
    public const string Folder = "/usr/share/common-licenses";

    /// <summary>Fewer sentences than this means the folder is not what this corpus was designed on: an error.</summary>
    public const int MinimumSentences = 500;

    /// <summary>Shortest sentence kept, in words.</summary>
    public const int MinWords = 3;

    /// <summary>Longest sentence kept, in words.</summary>
    public const int MaxWords = 300;

    private static readonly Lazy<IReadOnlyList<string>> Default = new(() => Read(Folder));

    /// <summary>The sentences of <see cref="Folder"/>, read once per process.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder is missing (not a Debian-based machine).</exception>
    /// <exception cref="InvalidDataException">It yields fewer than <see cref="MinimumSentences"/> sentences.</exception>
    public static IReadOnlyList<string> Sentences => Default.Value;

    /// <summary>The sentences of the license files in <paramref name="folder"/>, split as described on <see cref="LicenseCorpus"/>.</summary>
    public static IReadOnlyList<string> Read(string folder)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException(
                $"The sentence corpus comes from '{folder}', which is missing: it is installed by Debian's base-files package (every Debian or Ubuntu machine has it).");
        var files = new DirectoryInfo(folder).GetFiles().Where(f => f.LinkTarget is null).Select(f => f.FullName).Order(StringComparer.Ordinal).ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var sentences = new List<string>();
        foreach (var file in files)
        foreach (var sentence in Split(File.ReadAllText(file)))
            if (Keep(sentence) && seen.Add(sentence))
                sentences.Add(sentence);

        if (sentences.Count < MinimumSentences)
            throw new InvalidDataException(
                $"'{folder}' gives {sentences.Count} sentences of {MinWords} to {MaxWords} words; at least {MinimumSentences} are needed. Its license files are not the ones this corpus expects.");
        return sentences;
    }

    /// <summary>The sentences of one text, whitespace collapsed, before any is filtered out.</summary>
    public static IEnumerable<string> Split(string text)
    {
        foreach (var paragraph in Paragraphs(text))
        {
            var start = 0;
            for (var i = 0; i < paragraph.Length; i++)
            {
                if (paragraph[i] is not ('.' or '?' or '!')) continue;
                var end = i + 1;
                while (end < paragraph.Length && paragraph[end] is '"' or '\'' or ')' or ']') end++;
                if (end + 1 >= paragraph.Length || paragraph[end] != ' ' || !StartsSentence(paragraph[end + 1])) continue;
                yield return paragraph[start..end];
                start = end + 1;
                i = end;
            }

            if (start < paragraph.Length) yield return paragraph[start..];
        }
    }

    private static bool StartsSentence(char c) => char.IsUpper(c) || char.IsDigit(c) || c is '"' or '\'' or '(' or '[';

    /// <summary>Blocks of non-blank lines, each with its whitespace collapsed to single spaces.</summary>
    private static IEnumerable<string> Paragraphs(string text)
    {
        var paragraph = new StringBuilder();
        foreach (var line in text.Split('\n'))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                if (paragraph.Length > 0) yield return paragraph.ToString();
                paragraph.Clear();
                continue;
            }

            foreach (var word in line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            {
                if (paragraph.Length > 0) paragraph.Append(' ');
                paragraph.Append(word);
            }
        }

        if (paragraph.Length > 0) yield return paragraph.ToString();
    }

    private static bool Keep(string sentence)
    {
        var words = sentence.Count(c => c == ' ') + 1;
        return words is >= MinWords and <= MaxWords && sentence.Any(char.IsLower);
    }
}
