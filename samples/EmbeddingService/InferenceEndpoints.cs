using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace DeepGen.Samples.EmbeddingService;

/// <summary>The handlers of <c>/v1/predict</c>, <c>/v1/embed</c> and <c>/healthz</c> (the text endpoint is <see cref="TextEndpoints"/>).</summary>
public static class InferenceEndpoints
{
    /// <summary>Response header: samples in a raw float32 answer.</summary>
    public const string SamplesHeader = "X-DeepGen-Samples";

    /// <summary>Response header: floats per sample in a raw float32 answer.</summary>
    public const string WidthHeader = "X-DeepGen-Width";

    public static async Task<IResult> PredictAsync(HttpContext context, ModelHost host)
    {
        using var input = await RequestBody.ReadAsync(context.Request, host.InputSize, host.Options, context.RequestAborted);
        if (input.Error is not null) return BadRequest(input.Error);

        var width = host.Model.Architecture.OutputSize;
        var outputs = ArrayPool<float>.Shared.Rent(input.Samples * width);
        host.Model.Predict(input.Values, outputs.AsSpan(0, input.Samples * width));
        if (input.IsBinary) return new FloatsResult(outputs, input.Samples, width);
        try
        {
            if (input.IsSingle)
            {
                var output = outputs.AsSpan(0, width).ToArray();
                return Results.Json(new PredictResponse(output, TensorPrimitives.IndexOfMax<float>(output)), ServiceJsonContext.Default.PredictResponse);
            }

            var rows = Rows(outputs, input.Samples, width);
            var labels = Array.ConvertAll(rows, row => TensorPrimitives.IndexOfMax<float>(row));
            return Results.Json(new PredictBatchResponse(rows, labels), ServiceJsonContext.Default.PredictBatchResponse);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(outputs);
        }
    }

    public static async Task<IResult> EmbedAsync(HttpContext context, ModelHost host, string? layer)
    {
        LayerInfo? target = host.DefaultEmbeddingLayer;
        if (!string.IsNullOrEmpty(layer) && !host.Model.TryGetLayer(layer, out target))
            return BadRequest($"The model has no layer named '{layer}'. Its layers are: {string.Join(", ", host.Model.LayerNames)}.");

        using var input = await RequestBody.ReadAsync(context.Request, host.InputSize, host.Options, context.RequestAborted);
        if (input.Error is not null) return BadRequest(input.Error);

        var width = target!.Units;
        var embeddings = ArrayPool<float>.Shared.Rent(input.Samples * width);
        host.Model.Embed(target.Name, input.Values, embeddings.AsSpan(0, input.Samples * width));
        if (input.IsBinary) return new FloatsResult(embeddings, input.Samples, width);
        try
        {
            return input.IsSingle
                ? Results.Json(new EmbedResponse(target.Name, embeddings.AsSpan(0, width).ToArray()), ServiceJsonContext.Default.EmbedResponse)
                : Results.Json(new EmbedBatchResponse(target.Name, Rows(embeddings, input.Samples, width)), ServiceJsonContext.Default.EmbedBatchResponse);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(embeddings);
        }
    }

    public static IResult Health(ModelHost host, TextModelHost text)
    {
        var architecture = host.Model.Architecture;
        var textModel = text.Encoder is { } encoder
            ? new TextModelHealth(text.ModelName, encoder.Dimensions, encoder.MaxTokens, text.Options.MaxTexts, text.Options.MaxTextCharacters)
            : null;
        return Results.Json(
            new HealthResponse("ok", architecture.ModelName, architecture.Signature, architecture.InputSize, architecture.OutputSize,
                [.. host.Model.LayerNames], host.DefaultEmbeddingLayer.Name, host.Options.MaxBatchSize, textModel),
            ServiceJsonContext.Default.HealthResponse);
    }

    internal static IResult BadRequest(string detail) =>
        Results.Problem(detail: detail, statusCode: StatusCodes.Status400BadRequest, title: "The request is not valid.");

    private static float[][] Rows(float[] values, int samples, int width)
    {
        var rows = new float[samples][];
        for (var s = 0; s < samples; s++) rows[s] = values.AsSpan(s * width, width).ToArray();
        return rows;
    }

    /// <summary>Writes <c>[samples, width]</c> floats as raw little-endian float32 and gives the pooled array back.</summary>
    private sealed class FloatsResult(float[] pooled, int samples, int width) : IResult
    {
        public async Task ExecuteAsync(HttpContext context)
        {
            try
            {
                var response = context.Response;
                response.ContentType = RequestBody.BinaryContentType;
                response.Headers[SamplesHeader] = samples.ToString(System.Globalization.CultureInfo.InvariantCulture);
                response.Headers[WidthHeader] = width.ToString(System.Globalization.CultureInfo.InvariantCulture);
                response.ContentLength = (long)samples * width * sizeof(float);
                WriteLittleEndian(response, pooled.AsSpan(0, samples * width));
                await response.BodyWriter.FlushAsync(context.RequestAborted);
            }
            finally
            {
                ArrayPool<float>.Shared.Return(pooled);
            }
        }

        private static void WriteLittleEndian(HttpResponse response, Span<float> values)
        {
            if (!BitConverter.IsLittleEndian)
            {
                var words = MemoryMarshal.Cast<float, int>(values);
                System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(words, words);
            }

            response.BodyWriter.Write(MemoryMarshal.AsBytes(values));
        }
    }
}
