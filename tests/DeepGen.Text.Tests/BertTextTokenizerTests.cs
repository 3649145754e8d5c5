using DeepGen.Samples;
using DeepGen.Tests.MiniLm;

namespace DeepGen.Text.Tests;

public sealed class BertTextTokenizerTests
{
    private static readonly Lazy<BertTextTokenizer> Shared = new(() =>
    {
        using var vocabulary = MiniLmResources.OpenVocabulary();
        return BertTextTokenizer.Create(vocabulary);
    });

    /// <summary>vocab.txt by hand: a token's id is its line number from 0.</summary>
    private static readonly Lazy<Dictionary<string, int>> Vocabulary = new(() =>
    {
        using var reader = new StreamReader(MiniLmResources.OpenVocabulary());
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var id = 0;
        while (reader.ReadLine() is { } line) ids[line] = id++;
        return ids;
    });

    private static BertTextTokenizer Tokenizer => Shared.Value;

    private static int[] Ids(params string[] pieces) => [101, .. pieces.Select(p => Vocabulary.Value[p]), 102];

    [Fact]
    public void Hello_world_is_cls_hello_world_sep() => Assert.Equal([101, 7592, 2088, 102], Tokenizer.Encode("hello world"));

    [Fact]
    public void The_special_tokens_are_the_vocabularys()
    {
        Assert.Equal(Vocabulary.Value["[CLS]"], Tokenizer.ClassificationId);
        Assert.Equal(Vocabulary.Value["[SEP]"], Tokenizer.SeparatorId);
        Assert.Equal(0, Vocabulary.Value["[PAD]"]);
    }

    [Theory]
    [InlineData("Hello, World!", new[] { "hello", ",", "world", "!" })]
    [InlineData("The café's naïve résumé.", new[] { "the", "cafe", "'", "s", "naive", "resume", "." })]
    [InlineData("unaffable", new[] { "una", "##ffa", "##ble" })]
    [InlineData("GNU General Public License, version 3", new[] { "gnu", "general", "public", "license", ",", "version", "3" })]
    [InlineData("e-mail U.S.A. 3.14", new[] { "e", "-", "mail", "u", ".", "s", ".", "a", ".", "3", ".", "14" })]
    [InlineData("中文 text", new[] { "中", "文", "text" })]
    [InlineData("ÉCOLE Ñandú Ångström Øre ŁÓDŹ", new[] { "ecole", "nan", "##du", "ang", "##strom", "ø", "##re", "łodz" })]
    [InlineData("e\u0301te\u0301", new[] { "et", "##e" })]
    [InlineData("", new string[0])]
    public void Texts_give_the_ids_of_their_lower_cased_accent_free_word_pieces(string text, string[] pieces) =>
        Assert.Equal(Ids(pieces), Tokenizer.Encode(text));

    [Theory]
    [InlineData("first line\nsecond line")]
    [InlineData("first line\r\nsecond\tline")]
    [InlineData("first\u00a0line second line")]
    public void Line_breaks_and_tabs_separate_words_as_in_Hugging_Face(string text) =>
        Assert.Equal(Ids("first", "line", "second", "line"), Tokenizer.Encode(text));

    [Theory]
    [InlineData("zero\u200bwidth")]
    [InlineData("zero\u00adwidth")]
    [InlineData("\ufeffzerowidth")]
    public void Format_characters_are_deleted_as_in_Hugging_Face(string text) =>
        Assert.Equal(Tokenizer.Encode("zerowidth"), Tokenizer.Encode(text));

    [Fact]
    public void Hangul_syllables_are_read_as_their_jamo_as_NFD_gives_them()
    {
        // 한 = ᄒ ᅡ ᆫ; the uncased vocabulary holds jamo, not syllables.
        Span<char> jamo = stackalloc char[3];
        Assert.Equal(3, AccentStripping.Strip('한', jamo));
        Assert.Equal("\u1112\u1161\u11AB", jamo.ToString());
        Assert.Equal(2, AccentStripping.Strip('가', jamo));
        Assert.Equal("\u1100\u1161", jamo[..2].ToString());
    }

    [Theory]
    [InlineData("é", "e")]
    [InlineData("Å", "A")]
    [InlineData("ǖ", "u")]          // two marks on one letter
    [InlineData("\u0344", "")]     // a combining mark that decomposes into marks only
    [InlineData("ø", "ø")]          // a letter of its own, not o with a mark
    [InlineData("ﬁ", "ﬁ")]          // a compatibility ligature: NFD leaves it, so does Hugging Face
    [InlineData("\uFA6C", "\U000242EE")] // a compatibility ideograph whose canonical form lies beyond the BMP
    public void Accents_come_off_as_NFD_without_nonspacing_marks_leaves_them(string character, string expected)
    {
        // The whole table was compared once with ICU's NFD (53,832 assigned BMP characters, no difference); these
        // are the kinds of entry it holds.
        Span<char> stripped = stackalloc char[AccentStripping.MaxExpansion];
        Assert.Equal(expected, stripped[..AccentStripping.Strip(character[0], stripped)].ToString());
    }

    [Fact]
    public void Truncation_keeps_the_first_pieces_and_ends_with_sep()
    {
        var six = Tokenizer.WithMaxSequence(6);
        Assert.Equal(6, six.MaxSequence);
        Assert.Equal(Ids("one", "two", "three", "four"), six.Encode("one two three four five six"));
        // A word is cut between its pieces, as sentence-transformers cuts it.
        Assert.Equal(Ids("una", "##ffa"), Tokenizer.WithMaxSequence(4).Encode("unaffable"));
        Assert.Equal(Ids(), Tokenizer.WithMaxSequence(2).Encode("unaffable"));
    }

    [Fact]
    public void A_long_text_is_truncated_to_256_tokens_by_default_and_to_the_prefix_of_its_full_encoding()
    {
        var words = string.Join(" ", Enumerable.Range(0, 600).Select(i => i % 3 == 0 ? "unaffable" : "word" + i));
        var full = Tokenizer.WithMaxSequence(5000).Encode(words);
        Assert.True(full.Length > 1000);

        var ids = Tokenizer.Encode(words);

        Assert.Equal(BertTextTokenizer.DefaultMaxSequence, ids.Length);
        Assert.Equal(full[..255], ids[..255]);
        Assert.Equal(102, ids[^1]);
        Assert.Equal(full[..511].Append(102), Tokenizer.WithMaxSequence(512).Encode(words));
    }

    [Fact]
    public void Encoding_into_a_span_writes_the_same_ids_and_refuses_a_short_one()
    {
        Span<int> destination = stackalloc int[8];
        var count = Tokenizer.Encode("hello world", destination);
        Assert.Equal([101, 7592, 2088, 102], destination[..count].ToArray());

        Assert.Throws<ArgumentException>(() => Tokenizer.Encode("hello world", new int[3]));
    }

    [Fact]
    public void Encoding_from_several_threads_gives_what_one_thread_gives()
    {
        var texts = LicenseCorpus.Sentences.Take(200).ToArray();
        var sequential = texts.Select(Tokenizer.Encode).ToArray();

        var parallel = new int[texts.Length][];
        Parallel.For(0, texts.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => parallel[i] = Tokenizer.Encode(texts[i]));

        Assert.Equal(sequential, parallel);
    }

    [Fact]
    public void A_max_sequence_below_two_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.WithMaxSequence(1));
        using var vocabulary = MiniLmResources.OpenVocabulary();
        Assert.Throws<ArgumentOutOfRangeException>(() => BertTextTokenizer.Create(vocabulary, maxSequence: 0));
    }
}
