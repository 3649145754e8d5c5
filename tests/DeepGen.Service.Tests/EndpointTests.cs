using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using DeepGen.Samples.EmbeddingService;

namespace DeepGen.Service.Tests;

/// <summary>Each endpoint, single and batch, JSON and raw float32, against the in-process answers.</summary>
[Collection(ServiceCollection.Name)]
public class EndpointTests(ServiceFixture service)
{
    private HttpClient Client => service.Client;

    [Fact]
    public async Task Health_reports_the_model_and_its_layers()
    {
        var health = await Client.GetFromJsonAsync<JsonElement>("/healthz");
        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Equal("MnistMlp", health.GetProperty("model").GetString());
        Assert.Equal("784-500(sigmoid)-500(sigmoid)-10(softmax)", health.GetProperty("architecture").GetString());
        Assert.Equal(["Dense0", "Dense1", "Dense2"], health.GetProperty("layers").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("Dense1", health.GetProperty("defaultEmbeddingLayer").GetString());
        Assert.Equal(ServiceFixture.MaxBatchSize, health.GetProperty("maxBatchSize").GetInt32());
    }

    [Fact]
    public async Task Predict_one_sample_as_json()
    {
        var x = Samples.Pixels(1, seed: 1);
        var response = await Client.PostAsJsonAsync("/v1/predict", new { input = x });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<PredictResponse>();
        var expected = service.Reference.Predict(x);
        Assert.Equal(expected, body!.Output);
        Assert.Equal(Array.IndexOf(expected, expected.Max()), body.Label);
    }

    [Fact]
    public async Task Predict_a_batch_as_json()
    {
        var x = Samples.Pixels(5, seed: 2);
        var response = await Client.PostAsJsonAsync("/v1/predict", new { inputs = Samples.Rows(x, Samples.InputSize) });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<PredictBatchResponse>();
        var expected = Samples.Rows(service.Reference.Predict(x), 10);
        Assert.Equal(expected, body!.Outputs);
        Assert.Equal(expected.Select(row => Array.IndexOf(row, row.Max())), body.Labels);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    public async Task Predict_as_raw_float32(int samples)
    {
        var x = Samples.Pixels(samples, seed: 3);
        var response = await PostBinary("/v1/predict", x);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(samples.ToString(), response.Headers.GetValues(InferenceEndpoints.SamplesHeader).Single());
        Assert.Equal("10", response.Headers.GetValues(InferenceEndpoints.WidthHeader).Single());
        Assert.Equal(service.Reference.Predict(x), Samples.ToFloats(await response.Content.ReadAsByteArrayAsync()));
    }

    [Fact]
    public async Task Embed_defaults_to_the_last_hidden_layer()
    {
        var x = Samples.Pixels(1, seed: 4);
        var response = await Client.PostAsJsonAsync("/v1/embed", new { input = x });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<EmbedResponse>();
        Assert.Equal("Dense1", body!.Layer);
        Assert.Equal(service.Reference.Embed("Dense1", x), body.Embedding);
    }

    [Fact]
    public async Task Embed_a_named_layer_for_a_batch_as_json()
    {
        var x = Samples.Pixels(3, seed: 5);
        var response = await Client.PostAsJsonAsync("/v1/embed?layer=Dense0", new { inputs = Samples.Rows(x, Samples.InputSize) });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<EmbedBatchResponse>();
        Assert.Equal("Dense0", body!.Layer);
        Assert.Equal(Samples.Rows(service.Reference.Embed("Dense0", x), 500), body.Embeddings);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(9)]
    public async Task Embed_as_raw_float32(int samples)
    {
        var x = Samples.Pixels(samples, seed: 6);
        var response = await PostBinary("/v1/embed?layer=Dense1", x);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("500", response.Headers.GetValues(InferenceEndpoints.WidthHeader).Single());
        Assert.Equal(service.Reference.Embed("Dense1", x), Samples.ToFloats(await response.Content.ReadAsByteArrayAsync()));
    }

    [Fact]
    public async Task A_full_batch_is_accepted()
    {
        var x = Samples.Pixels(ServiceFixture.MaxBatchSize, seed: 7);
        var response = await PostBinary("/v1/predict", x);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(service.Reference.Predict(x), Samples.ToFloats(await response.Content.ReadAsByteArrayAsync()));
    }

    [Fact]
    public async Task The_openapi_document_describes_every_endpoint()
    {
        var response = await Client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = await response.Content.ReadFromJsonAsync<JsonElement>();
        var paths = document.GetProperty("paths");
        foreach (var path in new[] { "/v1/predict", "/v1/embed", "/v1/embed/text", "/healthz" })
            Assert.True(paths.TryGetProperty(path, out _), $"The OpenAPI document has no '{path}'.");
        var predict = paths.GetProperty("/v1/predict").GetProperty("post");
        var content = predict.GetProperty("requestBody").GetProperty("content");
        Assert.True(content.TryGetProperty("application/json", out _));
        Assert.True(content.TryGetProperty("application/octet-stream", out _));
        Assert.True(predict.GetProperty("responses").TryGetProperty("400", out _));
        var text = paths.GetProperty("/v1/embed/text").GetProperty("post");
        Assert.True(text.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _));
        Assert.True(text.GetProperty("responses").TryGetProperty("400", out _));
    }

    [Fact]
    public async Task Without_its_text_model_the_service_says_how_to_enable_it()
    {
        var response = await Client.PostAsJsonAsync("/v1/embed/text", new { texts = new[] { "A sentence." } });
        await Problems.Assert(response, HttpStatusCode.NotFound, "TextModel__Enabled=true", "text model disabled");
        var health = await Client.GetFromJsonAsync<JsonElement>("/healthz");
        Assert.Equal(JsonValueKind.Null, health.GetProperty("textModel").ValueKind);
    }

    private Task<HttpResponseMessage> PostBinary(string path, float[] values)
    {
        var content = new ByteArrayContent(Samples.ToBytes(values));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return Client.PostAsync(path, content);
    }
}
