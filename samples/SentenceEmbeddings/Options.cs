namespace DeepGen.Samples.SentenceEmbeddings;

/// <summary>The sample's command line.</summary>
internal sealed record Options
{
    /// <summary>The example texts shipped with the sample, copied beside the program by the build.</summary>
    public static readonly string ExampleTexts = Path.Combine(AppContext.BaseDirectory, "sentences.txt");

    public const string Usage = """
        Usage: dotnet run --project samples/SentenceEmbeddings -c Release -- [options]
          --input FILE        UTF-8 text, one text per line (default: the sample's sentences.txt). Blank lines (empty
                              or only white space) are skipped, so output line N belongs to the Nth non-blank line;
                              other lines are taken as they are, leading and trailing spaces included
          --output FILE       write the embeddings: one line per text, its 384 floats tab-separated (round-trip
                              format, invariant culture); written to a temporary file first, then renamed
          --query TEXT        print the 5 input texts closest to TEXT by cosine similarity, with their scores
          --batch-size N      texts per forward pass (default 32; --batch N is the same)
          --max-tokens N      cut each text to N tokens, [CLS] and [SEP] included, 3 to 512 (default 256, as
                              sentence-transformers does for this model)
          --threads N         threads for the matrix products (default: all cores)
        """;

    public string InputPath { get; init; } = ExampleTexts;
    public string? OutputPath { get; init; }
    public string? Query { get; init; }
    public int BatchSize { get; init; } = 32;
    public int MaxTokens { get; init; } = MiniLm.DefaultMaxTokens;
    public int? Threads { get; init; }

    /// <summary>Parses the arguments; on failure <paramref name="error"/> says which one and why (null for --help).</summary>
    public static bool TryParse(string[] args, out Options options, out string? error)
    {
        options = new Options();
        return OptionPairs.TryRead(args, ref options, static (o, name, value) => name switch
        {
            "--input" when value.Length > 0 => o with { InputPath = value },
            "--output" when value.Length > 0 => o with { OutputPath = value },
            "--query" when !string.IsNullOrWhiteSpace(value) => o with { Query = value },
            "--batch-size" or "--batch" when OptionPairs.PositiveInt(value) is { } n => o with { BatchSize = n },
            "--max-tokens" when OptionPairs.PositiveInt(value) is { } n && n is >= 3 and <= MiniLmL6.MaxSequence => o with { MaxTokens = n },
            "--threads" when OptionPairs.PositiveInt(value) is { } n => o with { Threads = n },
            _ => null,
        }, out error);
    }
}
