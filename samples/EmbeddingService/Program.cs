using DeepGen.Samples.EmbeddingService;
using Microsoft.OpenApi;

// An HTTP service around one trained MnistMlp: predictions and embeddings for single samples and batches, as JSON
// or raw float32. The model is loaded once at start-up (and the service refuses to start if the file is wrong);
// every request thread then shares it, because DeepGen's Predict and Embed are thread-safe and allocation-free.
var builder = WebApplication.CreateBuilder(args);

builder.Services.AddOptions<ServiceOptions>().Bind(builder.Configuration.GetSection(ServiceOptions.Section));
builder.Services.AddSingleton<ModelHost>();
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

app.Run();

// The request body is read by hand (two content types, and a 400 with a reason for anything wrong), so it is
// described here rather than with Accepts<T>(), whose metadata would make routing answer a wrong content type with a
// bare 415 before the handler could explain.
static async Task DescribeInferenceBody(OpenApiOperation operation, Microsoft.AspNetCore.OpenApi.OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
{
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
