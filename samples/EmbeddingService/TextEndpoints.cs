using System.Buffers;

namespace DeepGen.Samples.EmbeddingService;

/// <summary>The handler of <c>POST /v1/embed/text</c>: sentence embeddings of all-MiniLM-L6-v2.</summary>
public static class TextEndpoints
{
    public static async Task<IResult> EmbedTextsAsync(HttpContext context, ModelHost host, TextModelHost text)
    {
        if (text.Encoder is not { } encoder)
            return Results.Problem(
                detail: $"This service runs without its text model. Start it with '{TextModelOptions.Section}:{nameof(TextModelOptions.Enabled)}' set to true (environment variable {TextModelOptions.Section}__{nameof(TextModelOptions.Enabled)}=true).",
                statusCode: StatusCodes.Status404NotFound, title: "The text model is not enabled.");

        var (texts, error) = await TextRequestBody.ReadAsync(context.Request, host.Options, text.Options, context.RequestAborted);
        if (error is not null) return InferenceEndpoints.BadRequest(error);

        // Encode sorts the texts by length into batches and writes each vector back at its text's index.
        var width = encoder.Dimensions;
        var embeddings = ArrayPool<float>.Shared.Rent(texts!.Length * width);
        try
        {
            encoder.Encode(texts, embeddings.AsSpan(0, texts.Length * width));
            var rows = new float[texts.Length][];
            for (var t = 0; t < rows.Length; t++) rows[t] = embeddings.AsSpan(t * width, width).ToArray();
            return Results.Json(new TextEmbeddingResponse(text.ModelName, width, rows), ServiceJsonContext.Default.TextEmbeddingResponse);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(embeddings);
        }
    }
}
