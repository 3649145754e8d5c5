namespace DeepGen.Text;

/// <summary>
/// What Hugging Face's uncased BERT tokenizer does to accents (<c>_run_strip_accents</c>: Unicode canonical
/// decomposition, NFD, then every nonspacing mark deleted), one character at a time and without the operating
/// system's Unicode library. Needed because Microsoft.ML.Tokenizers removes accents through
/// <see cref="string.Normalize()"/>, which decomposes nothing in an app with invariant globalization (as DeepGen's
/// projects and most NativeAOT apps are): there <c>café</c> stayed <c>café</c>, which is not in the vocabulary, and
/// became <c>[UNK]</c>.
/// </summary>
/// <remarks>
/// Decompositions come from a table generated from Python's <c>unicodedata</c> (<c>Generated/accent_table.py</c>);
/// Hangul syllables decompose by Unicode's arithmetic rule into their jamo, as NFD has it. Characters beyond the
/// Basic Multilingual Plane pass unchanged (a handful of them have decompositions; none are letters with accents).
/// </remarks>
internal static partial class AccentStripping
{
    private const int HangulFirst = 0xAC00, HangulCount = 11172;
    private const int LeadingBase = 0x1100, VowelBase = 0x1161, TrailingBase = 0x11A7;
    private const int VowelCount = 21, TrailingCount = 28;

    /// <summary>The most characters <see cref="Strip"/> writes for one.</summary>
    public const int MaxExpansion = 3;

    /// <summary>
    /// Writes <paramref name="c"/> decomposed and without nonspacing marks into <paramref name="destination"/>
    /// (at least <see cref="MaxExpansion"/> long); returns how many characters that is, 0 for a mark itself.
    /// </summary>
    public static int Strip(char c, Span<char> destination)
    {
        if (c < 0xC0)
        {
            destination[0] = c;
            return 1;
        }

        if (c - HangulFirst is >= 0 and < HangulCount)
        {
            var index = c - HangulFirst;
            destination[0] = (char)(LeadingBase + index / (VowelCount * TrailingCount));
            destination[1] = (char)(VowelBase + index % (VowelCount * TrailingCount) / TrailingCount);
            var trailing = index % TrailingCount;
            if (trailing == 0) return 2;
            destination[2] = (char)(TrailingBase + trailing);
            return 3;
        }

        if (char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.NonSpacingMark) return 0;
        var at = DecomposedCharacters.BinarySearch(c);
        if (at < 0)
        {
            destination[0] = c;
            return 1;
        }

        var replacement = WithoutMarks.Slice(2 * at, 2);
        var length = replacement[1] == '\0' ? replacement[0] == '\0' ? 0 : 1 : 2;
        replacement[..length].CopyTo(destination);
        return length;
    }
}
