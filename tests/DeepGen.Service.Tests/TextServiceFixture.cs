using DeepGen.Samples.EmbeddingService;
using DeepGen.Samples.Mnist;
using DeepGen.Text;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace DeepGen.Service.Tests;

/// <summary>
/// The real service with its text model enabled (all-MiniLM-L6-v2, loaded once for every test of the collection),
/// hosted in memory, with small request limits so the tests that exceed them stay cheap. <see cref="Encoder"/> is the
/// service's own encoder, for the answers a request must match.
/// </summary>
public sealed class TextServiceFixture : IDisposable
{
    public const int MaxTexts = 16;
    public const int MaxTextCharacters = 2_000;
    public const int Dimensions = 384;

    private readonly string _folder = Directory.CreateTempSubdirectory("deepgen-text-service-").FullName;

    public TextServiceFixture()
    {
        // The service always serves its MNIST model too; any MnistMlp file will do.
        var mnistPath = Path.Combine(_folder, "mnist-mlp.safetensors");
        new MnistMlp(seed: 1).Save(mnistPath);
        Factory = ServiceFixture.Serve(mnistPath,
            ($"{TextModelOptions.Section}:{nameof(TextModelOptions.Enabled)}", "true"),
            ($"{TextModelOptions.Section}:{nameof(TextModelOptions.MaxTexts)}", MaxTexts.ToString()),
            ($"{TextModelOptions.Section}:{nameof(TextModelOptions.MaxTextCharacters)}", MaxTextCharacters.ToString()),
            ($"{TextModelOptions.Section}:{nameof(TextModelOptions.BatchSize)}", "4"));
        Client = Factory.CreateClient();
        Encoder = Factory.Services.GetRequiredService<TextModelHost>().Encoder
                  ?? throw new InvalidOperationException("The service started without its text model.");
    }

    public WebApplicationFactory<Program> Factory { get; }

    public HttpClient Client { get; }

    /// <summary>The encoder the service answers with.</summary>
    public SentenceEncoder Encoder { get; }

    public void Dispose()
    {
        Client.Dispose();
        Factory.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class TextServiceCollection : ICollectionFixture<TextServiceFixture>
{
    public const string Name = "TextService";
}

/// <summary>Texts for the tests and the vector arithmetic to check answers.</summary>
internal static class Texts
{
    public const string Guitar = "A man is playing a guitar on the street corner.";
    public const string GuitarParaphrase = "Someone strums an acoustic guitar for the people walking past.";
    public const string Markets = "Shares of the technology company fell sharply after its earnings report.";
    public const string Weather = "Heavy rain is expected across the north of the country tomorrow.";

    /// <summary>A text of about <paramref name="words"/> words, different for each <paramref name="seed"/>.</summary>
    public static string Words(int words, int seed)
    {
        string[] vocabulary = ["the", "model", "reads", "a", "sentence", "and", "writes", "vector", "of", "numbers", "search", "finds", "close", "texts", "quickly", "river", "mountain", "bread", "train", "music"];
        var random = new Random(seed);
        return string.Join(' ', Enumerable.Range(0, words).Select(_ => vocabulary[random.Next(vocabulary.Length)])) + ".";
    }

    public static double Dot(float[] a, float[] b)
    {
        var sum = 0.0;
        for (var i = 0; i < a.Length; i++) sum += (double)a[i] * b[i];
        return sum;
    }

    public static double Cosine(float[] a, float[] b) => Dot(a, b) / Math.Sqrt(Dot(a, a) * Dot(b, b));
}
