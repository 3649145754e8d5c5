using DeepGen.Samples;
using DeepGen.Tests.MiniLm;

namespace DeepGen.Text.Tests;

public sealed class LicenseCorpusTests
{
    [Fact]
    public void The_license_texts_give_at_least_500_distinct_clean_sentences_of_varied_length()
    {
        var sentences = LicenseCorpus.Sentences;

        Assert.True(sentences.Count >= LicenseCorpus.MinimumSentences, $"{sentences.Count} sentences");
        Assert.Equal(sentences.Count, sentences.Distinct(StringComparer.Ordinal).Count());
        Assert.All(sentences, s =>
        {
            Assert.DoesNotContain("  ", s);
            Assert.DoesNotContain('\n', s);
            Assert.Equal(s.Trim(), s);
            Assert.InRange(s.Split(' ').Length, LicenseCorpus.MinWords, LicenseCorpus.MaxWords);
        });

        using var vocabulary = MiniLmResources.OpenVocabulary();
        var tokenizer = BertTextTokenizer.Create(vocabulary, maxSequence: 10_000);
        var tokens = sentences.Select(s => tokenizer.Encode(s).Length).ToList();
        // Short ones (a benchmark's ~8 tokens), long ones (~128 tokens), and the bulk between.
        Assert.True(tokens.Count(t => t <= 10) >= 20, "short sentences");
        Assert.True(tokens.Count(t => t >= 100) >= 15, "long sentences");
        Assert.True(tokens.Count(t => t is > 10 and < 100) >= 500, "middle sentences");
    }

    [Fact]
    public void Reading_twice_gives_the_same_sentences_in_the_same_order() =>
        Assert.Equal(LicenseCorpus.Sentences, LicenseCorpus.Read(LicenseCorpus.Folder));

    [Fact]
    public void Sentences_end_at_a_stop_before_a_capital_not_inside_abbreviations()
    {
        var text = "First sentence here.  Second one,\n  e.g. with an abbreviation. (Third) in brackets! \"Fourth?\" Yes.\n\nNew paragraph without a stop";

        Assert.Equal(
            ["First sentence here.", "Second one, e.g. with an abbreviation.", "(Third) in brackets!", "\"Fourth?\"", "Yes.", "New paragraph without a stop"],
            LicenseCorpus.Split(text));
    }

    [Fact]
    public void A_missing_folder_fails_loudly()
    {
        var error = Assert.Throws<DirectoryNotFoundException>(() => LicenseCorpus.Read("/no/such/folder"));
        Assert.Contains("base-files", error.Message);
    }

    [Fact]
    public void A_folder_with_too_few_sentences_fails_loudly()
    {
        var folder = Directory.CreateTempSubdirectory("deepgen-corpus-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "one"), "Only a few words here. And here.");
            Assert.Throws<InvalidDataException>(() => LicenseCorpus.Read(folder));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
