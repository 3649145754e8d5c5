namespace DeepGen.Samples.EmbeddingService;

/// <summary>Settings of the service, bound from the <c>Model</c> section (environment: <c>Model__Path</c>, …).</summary>
public sealed class ServiceOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Model";

    /// <summary>The safetensors file saved by <c>MnistMlp.Save</c>. Required.</summary>
    public string? Path { get; set; }

    /// <summary>Most samples one request may carry.</summary>
    public int MaxBatchSize { get; set; } = 1024;

    /// <summary>Largest request body accepted, in bytes (a JSON batch of 1024 MNIST images takes about 4 MiB).</summary>
    public long MaxRequestBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>The largest <see cref="MaxRequestBytes"/> allowed: a body is read into one array.</summary>
    public const long MaxRequestBytesLimit = 1L << 30;

    /// <summary>The layer <c>/v1/embed</c> returns when the request names none; by default the last hidden layer.</summary>
    public string? DefaultEmbeddingLayer { get; set; }
}
