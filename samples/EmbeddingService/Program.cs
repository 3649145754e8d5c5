using DeepGen.Samples.EmbeddingService;
using Microsoft.OpenApi;

// An HTTP service around one trained MnistMlp: predictions and embeddings for single samples and batches, as JSON
// or raw float32; and, when TextModel:Enabled is true, sentence embeddings of all-MiniLM-L6-v2 for texts. The models
// are loaded once at start-up (and the service refuses to start if one is wrong); every request thread then shares
// them, because DeepGen's predictions are thread-safe.
var builder = WebApplication.CreateBuilder(args);

builder.Services.AddOptions<ServiceOptions>().Bind(builder.Configuration.GetSection(ServiceOptions.Section));
builder.Services.AddSingleton<ModelHost>();
builder.Services.AddOptions<TextModelOptions>().Bind(builder.Configuration.GetSection(TextModelOptions.Section));
builder.Services.AddSingleton<TextModelHost>();
builder.Services.AddProblemDetails();
builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, ServiceJsonContext.Default));
builder.Services.AddOpenApi(openApi => openApi.AddOperationTransformer(DescribeInferenceBody));
builder.WebHost.ConfigureKestrel((context, kestrel) =>
{
    // One byte over the service's own limit, so its 400 with a clear message comes before Kestrel's 413.
    var limit = context.Configuration.GetValue<long?>($"{ServiceOptions.Section}:{nameof(ServiceOptions.MaxRequestBytes)}") ?? new ServiceOptions().MaxRequestBytes;
    kestrel.Limits.MaxRequestBodySize = Math.Min(limit, ServiceOptions.MaxRequestBytesLimit) + 1;
});

var app = builder.Build();

try
{
    // Fail fast: load (and check) the model now, not on the first request.
    var host = app.Services.GetRequiredService<ModelHost>();
    app.Logger.LogInformation("Serving {Model} ({Architecture}) from {Path}.", host.Model.Architecture.ModelName, host.Model.Architecture.Signature, host.Options.Path);
    var text = app.Services.GetRequiredService<TextModelHost>();
    if (text.Encoder is { } encoder)
        app.Logger.LogInformation("Serving {TextModel} on /v1/embed/text: {Dimensions} dimensions, texts cut to {MaxTokens} tokens.", text.ModelName, encoder.Dimensions, encoder.MaxTokens);
    else
        app.Logger.LogInformation("No text model: /v1/embed/text answers 404 until {Setting} is true.", $"{TextModelOptions.Section}:{nameof(TextModelOptions.Enabled)}");
}
catch (ModelStartupException error)
{
    app.Logger.LogCritical("The service cannot start: {Reason}", error.Message);
    throw;
}

app.UseExceptionHandler();
app.UseStatusCodePages();
app.MapOpenApi();

app.MapGet("/healthz", InferenceEndpoints.Health)
    .WithSummary("The model served and the service's limits.")
    .Produces<HealthResponse>();

app.MapPost("/v1/predict", InferenceEndpoints.PredictAsync)
    .WithSummary("The model's outputs (class probabilities) for one sample or a batch.")
    .WithDescription("JSON: {\"input\": [784 numbers]} or {\"inputs\": [[784 numbers], ...]}. Raw: application/octet-stream, samples of 784 little-endian float32 back to back; answered the same way ([samples, 10] float32).")
    .Produces<PredictResponse>(StatusCodes.Status200OK, RequestBody.JsonContentType)
    .Produces<PredictBatchResponse>(StatusCodes.Status200OK, RequestBody.JsonContentType)
    .Produces(StatusCodes.Status200OK, contentType: RequestBody.BinaryContentType)
    .ProducesProblem(StatusCodes.Status400BadRequest);

app.MapPost("/v1/embed", InferenceEndpoints.EmbedAsync)
    .WithSummary("The activations of a named layer (default: the last hidden layer) for one sample or a batch.")
    .WithDescription("Same bodies as /v1/predict; the query parameter 'layer' names the layer (see /healthz for the names).")
    .Produces<EmbedResponse>(StatusCodes.Status200OK, RequestBody.JsonContentType)
    .Produces<EmbedBatchResponse>(StatusCodes.Status200OK, RequestBody.JsonContentType)
    .Produces(StatusCodes.Status200OK, contentType: RequestBody.BinaryContentType)
    .ProducesProblem(StatusCodes.Status400BadRequest);

app.MapPost("/v1/embed/text", TextEndpoints.EmbedTextsAsync)
    .WithSummary("Sentence embeddings of all-MiniLM-L6-v2: one 384-float unit vector per text, in the request's order.")
    .WithDescription("JSON {\"texts\": [\"...\", ...]}: 1 to TextModel:MaxTexts (default 256) texts, none null, blank or longer than TextModel:MaxTextCharacters (default 10,000) characters; each is cut to TextModel:MaxTokens (default 256) tokens. 404 when the service runs without its text model (TextModel:Enabled).")
    .Produces<TextEmbeddingResponse>(StatusCodes.Status200OK, RequestBody.JsonContentType)
    .ProducesProblem(StatusCodes.Status400BadRequest)
    .ProducesProblem(StatusCodes.Status404NotFound);

app.Run();

// The request bodies are read by hand (two content types, and a 400 with a reason for anything wrong), so they are
// described here rather than with Accepts<T>(), whose metadata would make routing answer a wrong content type with a
// bare 415 before the handler could explain.
static async Task DescribeInferenceBody(OpenApiOperation operation, Microsoft.AspNetCore.OpenApi.OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
{
    if (context.Description.RelativePath == "v1/embed/text")
    {
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Description = "The texts to embed.",
            Content = new Dictionary<string, OpenApiMediaType>
            {
                [RequestBody.JsonContentType] = new() { Schema = await context.GetOrCreateSchemaAsync(typeof(TextEmbeddingRequest), null, cancellationToken) },
            },
        };
        return;
    }

    if (context.Description.RelativePath is not ("v1/predict" or "v1/embed")) return;
    var json = await context.GetOrCreateSchemaAsync(typeof(InferenceRequest), null, cancellationToken);
    operation.RequestBody = new OpenApiRequestBody
    {
        Required = true,
        Description = "One sample or a batch: JSON, or 784 little-endian float32 per sample back to back.",
        Content = new Dictionary<string, OpenApiMediaType>
        {
            [RequestBody.JsonContentType] = new() { Schema = json },
            [RequestBody.BinaryContentType] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" } },
        },
    };
}

/// <summary>The application's entry point; public so tests can host it in memory.</summary>
public partial class Program;
