using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Net.Http.Headers;

namespace DeepGen.Samples.EmbeddingService;

/// <summary>The request's samples, flattened to <c>[Samples, inputSize]</c> in a pooled array, or why there are none.</summary>
public sealed class ParsedInput : IDisposable
{
    private float[]? _values;

    private ParsedInput(float[]? values, int samples, int inputSize, bool binary, bool single, string? error)
    {
        _values = values;
        Samples = samples;
        InputSize = inputSize;
        IsBinary = binary;
        IsSingle = single;
        Error = error;
    }

    /// <summary>What was wrong with the request, or null.</summary>
    public string? Error { get; }

    /// <summary>Samples in the request.</summary>
    public int Samples { get; }

    /// <summary>Floats per sample.</summary>
    public int InputSize { get; }

    /// <summary>The request was raw float32; the answer is too.</summary>
    public bool IsBinary { get; }

    /// <summary>A JSON request with <c>input</c> (one sample), answered with a single object.</summary>
    public bool IsSingle { get; }

    /// <summary>The samples, <c>[Samples × InputSize]</c>.</summary>
    public ReadOnlySpan<float> Values => _values.AsSpan(0, Samples * InputSize);

    internal static ParsedInput Failed(string error) => new(null, 0, 0, false, false, error);

    internal static ParsedInput Succeeded(float[] values, int samples, int inputSize, bool binary, bool single) =>
        new(values, samples, inputSize, binary, single, null);

    /// <summary>Returns the pooled array.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _values, null) is { } values) ArrayPool<float>.Shared.Return(values);
    }
}

/// <summary>
/// Reads and checks a request body: JSON (<c>{"input": [...]}</c> or <c>{"inputs": [[...], ...]}</c>) or raw
/// little-endian float32 (<c>application/octet-stream</c>, samples back to back). Everything a client can get wrong
/// comes back as a message for a 400, never as an exception.
/// </summary>
public static class RequestBody
{
    public const string JsonContentType = "application/json";
    public const string BinaryContentType = "application/octet-stream";

    public static async Task<ParsedInput> ReadAsync(HttpRequest request, int inputSize, ServiceOptions options, CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType))
            return ParsedInput.Failed($"The Content-Type must be '{JsonContentType}' or '{BinaryContentType}'; the request has {(string.IsNullOrEmpty(request.ContentType) ? "none" : $"'{request.ContentType}'")}.");
        var binary = mediaType.MediaType.Equals(BinaryContentType, StringComparison.OrdinalIgnoreCase);
        if (!binary && !mediaType.MediaType.Equals(JsonContentType, StringComparison.OrdinalIgnoreCase))
            return ParsedInput.Failed($"The Content-Type must be '{JsonContentType}' or '{BinaryContentType}', not '{mediaType.MediaType}'.");

        var (body, length, error) = await ReadBytesAsync(request, options.MaxRequestBytes, cancellationToken);
        if (error is not null) return ParsedInput.Failed(error);
        try
        {
            return binary
                ? ParseBinary(body.AsSpan(0, length), inputSize, options.MaxBatchSize)
                : ParseJson(body.AsSpan(0, length), inputSize, options.MaxBatchSize);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body);
        }
    }

    /// <summary>
    /// The body, up to <paramref name="limit"/> bytes, in a pooled array the caller returns, or why it cannot be read
    /// (empty, too large, broken off).
    /// </summary>
    internal static async Task<(byte[] Body, int Length, string? Error)> ReadBytesAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        var declared = request.ContentLength;
        if (declared == 0) return ([], 0, "The request body is empty.");
        if (declared > limit) return ([], 0, $"The request body of {declared} bytes is larger than the {limit} bytes accepted.");

        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(declared ?? 64 * 1024, limit) + 1);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(2L * buffer.Length, limit + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0) break;
                length += read;
                if (length > limit)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return ([], 0, $"The request body is larger than the {limit} bytes accepted.");
                }
            }
        }
        catch (BadHttpRequestException badRequest)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return ([], 0, $"The request body could not be read: {badRequest.Message}");
        }

        if (length == 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return ([], 0, "The request body is empty.");
        }

        return (buffer, length, null);
    }

    private static ParsedInput ParseBinary(ReadOnlySpan<byte> body, int inputSize, int maxBatchSize)
    {
        var sampleBytes = inputSize * sizeof(float);
        if (body.Length % sampleBytes != 0)
            return ParsedInput.Failed($"The body holds {body.Length} bytes, not a whole number of samples of {inputSize} float32 values ({sampleBytes} bytes each).");
        var samples = body.Length / sampleBytes;
        if (samples > maxBatchSize)
            return ParsedInput.Failed($"The body holds {samples} samples; at most {maxBatchSize} are accepted per request.");

        var values = ArrayPool<float>.Shared.Rent(samples * inputSize);
        var floats = values.AsSpan(0, samples * inputSize);
        MemoryMarshal.Cast<byte, float>(body).CopyTo(floats);
        if (!BitConverter.IsLittleEndian)
        {
            var words = MemoryMarshal.Cast<float, int>(floats);
            BinaryPrimitives.ReverseEndianness(words, words);
        }

        var parsed = ParsedInput.Succeeded(values, samples, inputSize, binary: true, single: false);
        return CheckFinite(parsed, floats, inputSize);
    }

    private static ParsedInput ParseJson(ReadOnlySpan<byte> body, int inputSize, int maxBatchSize)
    {
        InferenceRequest? request;
        try
        {
            request = JsonSerializer.Deserialize(body, ServiceJsonContext.Default.InferenceRequest);
        }
        catch (JsonException error)
        {
            // The reader's message names the position; NaN and Infinity are not JSON numbers and land here too.
            return ParsedInput.Failed($"The body is not valid JSON for this request: {error.Message}");
        }

        if (request is null || (request.Input is null) == (request.Inputs is null))
            return ParsedInput.Failed("The JSON body must have exactly one of 'input' (one sample) or 'inputs' (a batch of samples).");

        var single = request.Input is not null;
        var rows = single ? [request.Input!] : request.Inputs!;
        if (rows.Length == 0) return ParsedInput.Failed("'inputs' is empty: send at least one sample.");
        if (rows.Length > maxBatchSize)
            return ParsedInput.Failed($"'inputs' holds {rows.Length} samples; at most {maxBatchSize} are accepted per request.");
        for (var s = 0; s < rows.Length; s++)
        {
            if (rows[s] is not { } row)
                return ParsedInput.Failed($"'inputs[{s}]' is null; each sample is an array of {inputSize} numbers.");
            if (row.Length != inputSize)
                return ParsedInput.Failed(single
                    ? $"'input' holds {row.Length} values; the model takes {inputSize}."
                    : $"'inputs[{s}]' holds {row.Length} values; the model takes {inputSize}.");
        }

        var values = ArrayPool<float>.Shared.Rent(rows.Length * inputSize);
        for (var s = 0; s < rows.Length; s++) rows[s].CopyTo(values.AsSpan(s * inputSize, inputSize));
        var parsed = ParsedInput.Succeeded(values, rows.Length, inputSize, binary: false, single);
        return CheckFinite(parsed, values.AsSpan(0, rows.Length * inputSize), inputSize);
    }

    private static ParsedInput CheckFinite(ParsedInput parsed, ReadOnlySpan<float> values, int inputSize)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (float.IsFinite(values[i])) continue;
            parsed.Dispose();
            return ParsedInput.Failed($"Sample {i / inputSize}, value {i % inputSize} is {values[i].ToString(System.Globalization.CultureInfo.InvariantCulture)}; every input must be a finite number.");
        }

        return parsed;
    }
}
