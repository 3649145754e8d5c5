namespace DeepGen.Samples.EmbeddingService;

/// <summary>
/// Settings of the text endpoint (<c>POST /v1/embed/text</c>), bound from the <c>TextModel</c> section (environment:
/// <c>TextModel__Enabled</c>, …). Off by default, so the service starts with only its MNIST model and without the cost
/// of loading the text model (about 90 MB of weights and a few seconds).
/// </summary>
public sealed class TextModelOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "TextModel";

    /// <summary>Load all-MiniLM-L6-v2 at start-up and serve <c>/v1/embed/text</c>. Default false.</summary>
    public bool Enabled { get; set; }

    /// <summary>Most texts one request may carry.</summary>
    public int MaxTexts { get; set; } = 256;

    /// <summary>Most characters (UTF-16 code units, .NET's <c>string.Length</c>) one text may have.</summary>
    public int MaxTextCharacters { get; set; } = 10_000;

    /// <summary>Tokens each text is cut to, [CLS] and [SEP] included: 3 to 512; sentence-transformers uses 256.</summary>
    public int MaxTokens { get; set; } = 256;

    /// <summary>Texts per forward pass: a request's texts are sorted by length and encoded this many at a time.</summary>
    public int BatchSize { get; set; } = 32;
}
