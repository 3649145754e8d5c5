namespace DeepGen.Samples.SentenceEmbeddings;

/// <summary>The sample's command line.</summary>
internal sealed record Options
{
    /// <summary>The example texts shipped with the sample, copied beside the program by the build.</summary>
    public static readonly string ExampleTexts = Path.Combine(AppContext.BaseDirectory, "sentences.txt");

    public string InputPath { get; init; } = ExampleTexts;
    public string? OutputPath { get; init; }
    public string? Query { get; init; }
    public int BatchSize { get; init; } = 32;
    public int MaxTokens { get; init; } = MiniLm.DefaultMaxTokens;
    public int? Threads { get; init; }

    public static readonly OptionParser<Options> Parser =
        new OptionParser<Options>("dotnet run --project samples/SentenceEmbeddings -c Release --",
                "Embeds each line of a text file with all-MiniLM-L6-v2 and ranks the lines against a query.")
            .String("--input", "FILE", "UTF-8 text, one text per line (default: the sample's sentences.txt). Blank lines " +
                "(empty or only white space) are skipped, so output line N belongs to the Nth non-blank line; other lines " +
                "are taken as they are, leading and trailing spaces included", (o, path) => o with { InputPath = path })
            .String("--output", "FILE", "write the embeddings: one line per text, its 384 floats tab-separated (round-trip " +
                "format, invariant culture); written to a temporary file first, then renamed", (o, path) => o with { OutputPath = path })
            .String("--query", "TEXT", "print the 5 input texts closest to TEXT by cosine similarity, with their scores",
                (o, text) => o with { Query = text })
            .Int("--batch-size", "texts per forward pass (default 32)", (o, n) => o with { BatchSize = n }, min: 1)
            .Alias("--batch", "--batch-size")
            .Int("--max-tokens", $"cut each text to N tokens, [CLS] and [SEP] included (default {MiniLm.DefaultMaxTokens}, as " +
                "sentence-transformers does for this model)", (o, n) => o with { MaxTokens = n }, min: 3, max: MiniLmL6.MaxSequence)
            .Int("--threads", "threads for the matrix products (default: all cores)", (o, n) => o with { Threads = n }, min: 1);
}
