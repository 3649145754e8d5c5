using System.Globalization;
using Microsoft.ML.Tokenizers;

namespace DeepGen.Text;

/// <summary>
/// BERT's WordPiece tokenization of one text into the token ids a sequence model reads,
/// <c>[CLS] text [SEP]</c>, as Hugging Face's <c>BertTokenizer</c> makes them for an uncased model such as
/// all-MiniLM-L6-v2: lower-cased, accents removed, punctuation and CJK characters split off, and truncated to
/// <see cref="MaxSequence"/> tokens (the two special tokens included). Built on Microsoft.ML.Tokenizers'
/// <see cref="BertTokenizer"/>. Thread-safe: encode from any number of threads.
/// </summary>
/// <remarks>
/// <para>
/// Where Microsoft.ML.Tokenizers 2.0.1 departs from Hugging Face, the text is first cleaned as Hugging Face's
/// <c>BasicTokenizer._clean_text</c> cleans it, so the ids are the ones the model was trained on: a tab, a line feed
/// or a carriage return separates words (Microsoft.ML.Tokenizers deletes them, so <c>"a\nb"</c> became one word
/// <c>ab</c>), and format characters (Unicode category Cf: zero-width space, soft hyphen, byte-order mark) are
/// deleted (Microsoft.ML.Tokenizers split words at them). Accents are removed here too (where the tokenizer removes
/// them, as an uncased one does), since Microsoft.ML.Tokenizers relies on the system's Unicode normalization, which an
/// app with invariant globalization lacks (see <see cref="AccentStripping"/>). A text of printable ASCII is passed on
/// as it is.
/// </para>
/// <para>
/// Truncation keeps the first <c>MaxSequence - 2</c> WordPieces, cutting a word between its pieces if need be, as
/// sentence-transformers does (Microsoft.ML.Tokenizers' own limit stops before a word that does not fit whole).
/// The default of 256 is sentence-transformers' <c>max_seq_length</c> for all-MiniLM-L6-v2; a model reads at most
/// as many tokens as it has positions (512 for BERT), which the model checks when it receives the ids.
/// </para>
/// </remarks>
public sealed class BertTextTokenizer
{
    /// <summary>sentence-transformers' <c>max_seq_length</c> for all-MiniLM-L6-v2 (and most of its sentence models).</summary>
    public const int DefaultMaxSequence = 256;

    /// <summary>Microsoft.ML.Tokenizers' <c>MaxInputCharsPerWord</c>: a longer word is one <c>[UNK]</c>, so no word gives more pieces than this.</summary>
    private const int MaxPiecesPerWord = 100;

    /// <summary>Wraps <paramref name="tokenizer"/>, which must be set up as the model expects (lower-casing, accent removal).</summary>
    /// <param name="maxSequence">Tokens per text at most, <c>[CLS]</c> and <c>[SEP]</c> included; at least 2.</param>
    public BertTextTokenizer(BertTokenizer tokenizer, int maxSequence = DefaultMaxSequence)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSequence, 2);
        Tokenizer = tokenizer;
        MaxSequence = maxSequence;
    }

    /// <summary>
    /// A tokenizer for an uncased BERT model (all-MiniLM-L6-v2, <c>bert-base-uncased</c>) from its <c>vocab.txt</c>,
    /// one token a line, read from the stream's position to its end.
    /// </summary>
    /// <param name="maxSequence">Tokens per text at most, <c>[CLS]</c> and <c>[SEP]</c> included; at least 2.</param>
    public static BertTextTokenizer Create(Stream vocabulary, int maxSequence = DefaultMaxSequence)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSequence, 2);
        return new BertTextTokenizer(BertTokenizer.Create(vocabulary, UncasedOptions()), maxSequence);
    }

    /// <inheritdoc cref="Create(Stream, int)"/>
    public static BertTextTokenizer Create(string vocabularyPath, int maxSequence = DefaultMaxSequence)
    {
        ArgumentNullException.ThrowIfNull(vocabularyPath);
        using var stream = File.OpenRead(vocabularyPath);
        return Create(stream, maxSequence);
    }

    // Hugging Face's do_lower_case = True with strip_accents unset strips accents as well.
    private static BertOptions UncasedOptions() => new() { LowerCaseBeforeTokenization = true, RemoveNonSpacingMarks = true };

    /// <summary>The Microsoft.ML.Tokenizers tokenizer underneath, for what this class does not offer (decoding, offsets).</summary>
    public BertTokenizer Tokenizer { get; }

    /// <summary>Tokens per text at most, <c>[CLS]</c> and <c>[SEP]</c> included.</summary>
    public int MaxSequence { get; }

    /// <summary>The same tokenizer truncating to <paramref name="maxSequence"/> tokens instead.</summary>
    public BertTextTokenizer WithMaxSequence(int maxSequence) => new(Tokenizer, maxSequence);

    /// <summary>The id of <c>[CLS]</c>, the first token of every text.</summary>
    public int ClassificationId => Tokenizer.ClassificationTokenId;

    /// <summary>The id of <c>[SEP]</c>, the last token of every text.</summary>
    public int SeparatorId => Tokenizer.SeparatorTokenId;

    /// <summary>The token ids of <paramref name="text"/>: <c>[CLS]</c>, its WordPieces (truncated), <c>[SEP]</c>.</summary>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new int[MaxSequence];
        return ids[..Encode(text, ids)];
    }

    /// <summary>
    /// Writes the token ids of <paramref name="text"/> (<c>[CLS]</c>, its WordPieces, <c>[SEP]</c>) into
    /// <paramref name="destination"/>, truncated to <see cref="MaxSequence"/>; returns how many were written.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> holds fewer than the text's tokens.</exception>
    public int Encode(ReadOnlySpan<char> text, Span<int> destination)
    {
        // Word-boundary truncation stops before the word that would pass the limit; with room for one more whole
        // word, the pieces up to the limit are all there, and the cut below is exact.
        var pieces = MaxSequence - 2;
        var ids = Tokenizer.EncodeToIds(Clean(text, Tokenizer.RemoveNonSpacingMarks), pieces + MaxPiecesPerWord, addSpecialTokens: false, out _, out _);
        var count = Math.Min(ids.Count, pieces);
        if (destination.Length < count + 2)
            throw new ArgumentException($"The text has {count + 2} tokens but the destination holds {destination.Length}.", nameof(destination));
        destination[0] = ClassificationId;
        for (var i = 0; i < count; i++) destination[i + 1] = ids[i];
        destination[count + 1] = SeparatorId;
        return count + 2;
    }

    /// <summary>
    /// The text as Hugging Face's <c>_clean_text</c> and, for an uncased tokenizer, <c>_run_strip_accents</c> leave it
    /// where Microsoft.ML.Tokenizers would read it otherwise: tab, line feed and carriage return become spaces, format
    /// characters (Cf) are deleted, accents are removed (see <see cref="AccentStripping"/>). Other control characters
    /// are deleted by Microsoft.ML.Tokenizers too and are left to it. Printable ASCII comes back as it is, uncopied.
    /// </summary>
    internal static ReadOnlySpan<char> Clean(ReadOnlySpan<char> text, bool stripAccents)
    {
        var first = text.IndexOfAnyExceptInRange(' ', '~');
        if (first < 0) return text;
        var cleaned = new char[first + AccentStripping.MaxExpansion * (text.Length - first)];
        text[..first].CopyTo(cleaned);
        var length = first;
        foreach (var c in text[first..])
        {
            if (c is '\t' or '\n' or '\r') cleaned[length++] = ' ';
            else if (c < 0x80) cleaned[length++] = c;
            else if (char.GetUnicodeCategory(c) == UnicodeCategory.Format) continue;
            else if (stripAccents) length += AccentStripping.Strip(c, cleaned.AsSpan(length));
            else cleaned[length++] = c;
        }

        return cleaned.AsSpan(0, length);
    }
}
