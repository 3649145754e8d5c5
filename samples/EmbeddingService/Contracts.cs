using System.Text.Json.Serialization;

namespace DeepGen.Samples.EmbeddingService;

/// <summary>A JSON request: exactly one of <see cref="Input"/> (one sample) or <see cref="Inputs"/> (a batch).</summary>
public sealed class InferenceRequest
{
    /// <summary>One sample: 784 pixel values.</summary>
    [JsonPropertyName("input")]
    public float[]? Input { get; set; }

    /// <summary>A batch of samples, 784 values each.</summary>
    [JsonPropertyName("inputs")]
    public float[][]? Inputs { get; set; }
}

/// <summary>The answer to a single-sample prediction.</summary>
public sealed record PredictResponse(
    [property: JsonPropertyName("output")] float[] Output,
    [property: JsonPropertyName("label")] int Label);

/// <summary>The answer to a batch prediction.</summary>
public sealed record PredictBatchResponse(
    [property: JsonPropertyName("outputs")] float[][] Outputs,
    [property: JsonPropertyName("labels")] int[] Labels);

/// <summary>The answer to a single-sample embedding.</summary>
public sealed record EmbedResponse(
    [property: JsonPropertyName("layer")] string Layer,
    [property: JsonPropertyName("embedding")] float[] Embedding);

/// <summary>The answer to a batch embedding.</summary>
public sealed record EmbedBatchResponse(
    [property: JsonPropertyName("layer")] string Layer,
    [property: JsonPropertyName("embeddings")] float[][] Embeddings);

/// <summary>A text request: <c>{"texts": ["...", ...]}</c>.</summary>
public sealed class TextEmbeddingRequest
{
    /// <summary>The texts to embed, answered in this order (a null element is a 400, not a text).</summary>
    [JsonPropertyName("texts")]
    public string[]? Texts { get; set; }
}

/// <summary>The answer to a text request: one unit vector per text, in the request's order.</summary>
public sealed record TextEmbeddingResponse(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("dimensions")] int Dimensions,
    [property: JsonPropertyName("embeddings")] float[][] Embeddings);

/// <summary>The text model in <c>/healthz</c>, when it is enabled.</summary>
public sealed record TextModelHealth(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("dimensions")] int Dimensions,
    [property: JsonPropertyName("maxTokens")] int MaxTokens,
    [property: JsonPropertyName("maxTexts")] int MaxTexts,
    [property: JsonPropertyName("maxTextCharacters")] int MaxTextCharacters);

/// <summary>What <c>/healthz</c> reports.</summary>
public sealed record HealthResponse(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("architecture")] string Architecture,
    [property: JsonPropertyName("inputSize")] int InputSize,
    [property: JsonPropertyName("outputSize")] int OutputSize,
    [property: JsonPropertyName("layers")] string[] Layers,
    [property: JsonPropertyName("defaultEmbeddingLayer")] string DefaultEmbeddingLayer,
    [property: JsonPropertyName("maxBatchSize")] int MaxBatchSize,
    [property: JsonPropertyName("textModel")] TextModelHealth? TextModel);

/// <summary>Source-generated JSON metadata: no reflection at run time, and ready for trimming.</summary>
[JsonSerializable(typeof(InferenceRequest))]
[JsonSerializable(typeof(PredictResponse))]
[JsonSerializable(typeof(PredictBatchResponse))]
[JsonSerializable(typeof(EmbedResponse))]
[JsonSerializable(typeof(EmbedBatchResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(TextEmbeddingRequest))]
[JsonSerializable(typeof(TextEmbeddingResponse))]
public sealed partial class ServiceJsonContext : JsonSerializerContext;
