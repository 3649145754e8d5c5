using DeepGen.Samples.SentenceEmbeddings;
using DeepGen.Text;
using Microsoft.Extensions.Options;

namespace DeepGen.Samples.EmbeddingService;

/// <summary>
/// The text model, when <see cref="TextModelOptions.Enabled"/>: all-MiniLM-L6-v2 (the SentenceEmbeddings sample's
/// <see cref="MiniLmL6"/>, linked into this project) behind one <see cref="SentenceEncoder"/>, loaded at start-up.
/// Every request thread shares it: encoding keeps no state between calls, and the model's predictions are
/// thread-safe, each call renting its own buffers.
/// </summary>
public sealed class TextModelHost
{
    /// <summary>Checks the settings and, when enabled, loads the model; throws <see cref="ModelStartupException"/> saying what is wrong.</summary>
    public TextModelHost(IOptions<TextModelOptions> options)
    {
        Options = options.Value;
        if (!Options.Enabled) return;

        var section = TextModelOptions.Section;
        if (Options.MaxTexts <= 0 || Options.MaxTextCharacters <= 0 || Options.BatchSize <= 0)
            throw new ModelStartupException(
                $"'{section}:{nameof(TextModelOptions.MaxTexts)}', '{section}:{nameof(TextModelOptions.MaxTextCharacters)}' and '{section}:{nameof(TextModelOptions.BatchSize)}' must be positive; they are {Options.MaxTexts}, {Options.MaxTextCharacters} and {Options.BatchSize}.");
        if (Options.MaxTokens is < 3 or > MiniLmL6.MaxSequence)
            throw new ModelStartupException($"'{section}:{nameof(TextModelOptions.MaxTokens)}' is {Options.MaxTokens}; it must be 3 to {MiniLmL6.MaxSequence} (the model's positions).");

        try
        {
            Encoder = MiniLm.Load(Options.MaxTokens, Options.BatchSize);
        }
        catch (Exception error) when (error is IOException or InvalidDataException)
        {
            throw new ModelStartupException($"The text model {MiniLm.Name} cannot be loaded: {error.Message}", error);
        }
    }

    /// <summary>The settings in force.</summary>
    public TextModelOptions Options { get; }

    /// <summary>The encoder, or null when the text model is not enabled.</summary>
    public SentenceEncoder? Encoder { get; }

    /// <summary>The model's name in answers.</summary>
    public string ModelName => MiniLm.Name;
}
