using System.Buffers;
using System.Text.Json;
using Microsoft.Net.Http.Headers;

namespace DeepGen.Samples.EmbeddingService;

/// <summary>
/// Reads and checks the body of <c>POST /v1/embed/text</c>: JSON <c>{"texts": ["...", ...]}</c>, at least one text
/// and at most <see cref="TextModelOptions.MaxTexts"/>, none null, blank or longer than
/// <see cref="TextModelOptions.MaxTextCharacters"/>. Everything a client can get wrong comes back as a message for a
/// 400, never as an exception.
/// </summary>
public static class TextRequestBody
{
    public static async Task<(string[]? Texts, string? Error)> ReadAsync(HttpRequest request, ServiceOptions service, TextModelOptions text, CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType) ||
            !mediaType.MediaType.Equals(RequestBody.JsonContentType, StringComparison.OrdinalIgnoreCase))
            return (null, $"The Content-Type must be '{RequestBody.JsonContentType}'; the request has {(string.IsNullOrEmpty(request.ContentType) ? "none" : $"'{request.ContentType}'")}.");

        var (body, length, error) = await RequestBody.ReadBytesAsync(request, service.MaxRequestBytes, cancellationToken);
        if (error is not null) return (null, error);
        try
        {
            return Parse(body.AsSpan(0, length), text);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body);
        }
    }

    private static (string[]? Texts, string? Error) Parse(ReadOnlySpan<byte> body, TextModelOptions limits)
    {
        TextEmbeddingRequest? request;
        try
        {
            request = JsonSerializer.Deserialize(body, ServiceJsonContext.Default.TextEmbeddingRequest);
        }
        catch (JsonException error)
        {
            return (null, $"The body is not valid JSON for this request: {error.Message}");
        }

        if (request?.Texts is not { } texts)
            return (null, "The JSON body must have 'texts': an array of strings, e.g. {\"texts\": [\"A first sentence.\", \"A second one.\"]}.");
        if (texts.Length == 0) return (null, "'texts' is empty: send at least one text.");
        if (texts.Length > limits.MaxTexts)
            return (null, $"'texts' holds {texts.Length} texts; at most {limits.MaxTexts} are accepted per request.");
        for (var i = 0; i < texts.Length; i++)
        {
            // The JSON reader does not enforce the contract's non-null elements: a null arrives as null.
            var text = texts[i];
            if (text is null) return (null, $"'texts[{i}]' is null; each text is a string.");
            if (string.IsNullOrWhiteSpace(text)) return (null, $"'texts[{i}]' is {(text.Length == 0 ? "empty" : "only white space")}; each text must have something to embed.");
            if (text.Length > limits.MaxTextCharacters)
                return (null, $"'texts[{i}]' holds {text.Length} characters; at most {limits.MaxTextCharacters} are accepted per text.");
        }

        return (texts, null);
    }
}
