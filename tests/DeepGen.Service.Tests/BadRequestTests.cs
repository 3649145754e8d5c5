using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace DeepGen.Service.Tests;

/// <summary>Everything a client can get wrong is a 400 with a problem-details body that says what, and the service lives on.</summary>
[Collection(ServiceCollection.Name)]
public class BadRequestTests(ServiceFixture service)
{
    public static TheoryData<string, string, string, string> JsonCases => new()
    {
        // endpoint, body, what the detail must mention, case
        { "/v1/predict", "{\"input\": [1, 2, 3]}", "'input' holds 3 values; the model takes 784", "too short" },
        { "/v1/embed", $"{{\"input\": [{Numbers(785)}]}}", "'input' holds 785 values", "too long" },
        { "/v1/predict", $"{{\"inputs\": [[{Numbers(784)}], [1]]}}", "'inputs[1]' holds 1 values", "one short sample in a batch" },
        { "/v1/predict", "{\"inputs\": []}", "'inputs' is empty", "empty batch" },
        { "/v1/predict", "{\"inputs\": [null]}", "'inputs[0]' is null", "null sample" },
        { "/v1/predict", $"{{\"input\": [{Numbers(784)}], \"inputs\": [[{Numbers(784)}]]}}", "exactly one of 'input'", "both forms" },
        { "/v1/predict", "{}", "exactly one of 'input'", "neither form" },
        { "/v1/predict", "null", "exactly one of 'input'", "JSON null" },
        { "/v1/predict", "{\"input\": [1, 2,", "not valid JSON", "truncated JSON" },
        { "/v1/embed", "not json at all", "not valid JSON", "not JSON" },
        { "/v1/predict", "{\"input\": \"pixels\"}", "not valid JSON", "wrong JSON type" },
        { "/v1/predict", $"{{\"input\": [NaN, {Numbers(783)}]}}", "not valid JSON", "NaN literal" },
        { "/v1/predict", $"{{\"input\": [\"NaN\", {Numbers(783)}]}}", "not valid JSON", "NaN as a string" },
        { "/v1/predict", $"{{\"input\": [{Numbers(783)}, 1e39]}}", "", "a number beyond float32" },
        { "/v1/predict", $"{{\"inputs\": [{string.Join(", ", Enumerable.Repeat("[0]", ServiceFixture.MaxBatchSize + 1))}]}}", "at most 64", "too many samples" },
    };

    [Theory]
    [MemberData(nameof(JsonCases))]
    public async Task A_bad_json_body_is_a_400_saying_what_is_wrong(string endpoint, string body, string mentioned, string name)
    {
        var response = await service.Client.PostAsync(endpoint, new StringContent(body, Encoding.UTF8, "application/json"));
        await AssertProblem(response, mentioned, name);
    }

    [Fact]
    public async Task Raw_float32_of_the_wrong_length_is_refused()
    {
        await AssertProblem(await PostBytes("/v1/predict", new byte[784 * 4 + 4]), "not a whole number of samples of 784 float32", "one float too many");
        await AssertProblem(await PostBytes("/v1/embed", new byte[3]), "not a whole number", "not even one float");
    }

    [Theory]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.PositiveInfinity, "Infinity")]
    [InlineData(float.NegativeInfinity, "-Infinity")]
    public async Task Raw_float32_with_a_non_finite_value_is_refused(float value, string shown)
    {
        var x = Samples.Pixels(3, seed: 1);
        x[2 * 784 + 17] = value;
        await AssertProblem(await PostBytes("/v1/predict", Samples.ToBytes(x)), $"Sample 2, value 17 is {shown}", "non-finite");
        await AssertProblem(await PostBytes("/v1/embed", Samples.ToBytes(x)), "every input must be a finite number", "non-finite");
    }

    [Fact]
    public async Task Empty_bodies_are_refused()
    {
        await AssertProblem(await PostBytes("/v1/predict", []), "empty", "empty raw body");
        await AssertProblem(await service.Client.PostAsync("/v1/embed", new StringContent("", Encoding.UTF8, "application/json")), "empty", "empty JSON body");
    }

    [Fact]
    public async Task Oversized_bodies_are_refused()
    {
        // Over the byte limit, and (below it) over the sample limit.
        await AssertProblem(await PostBytes("/v1/predict", new byte[ServiceFixture.MaxRequestBytes + 4]), "larger than the 1048576 bytes", "over the byte limit");
        await AssertProblem(await PostBytes("/v1/predict", new byte[(ServiceFixture.MaxBatchSize + 1) * 784 * 4]), "65 samples; at most 64", "over the sample limit");
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData("multipart/form-data; boundary=x")]
    [InlineData(null)]
    public async Task A_wrong_or_missing_content_type_is_refused(string? contentType)
    {
        var content = new ByteArrayContent(Samples.ToBytes(Samples.Pixels(1, seed: 2)));
        if (contentType is not null) content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        await AssertProblem(await service.Client.PostAsync("/v1/predict", content), "Content-Type must be", contentType ?? "none");
    }

    [Fact]
    public async Task An_unknown_layer_is_refused_with_the_layer_names()
    {
        var response = await service.Client.PostAsJsonAsync("/v1/embed?layer=dense1", new { input = Samples.Pixels(1, seed: 3) });
        await AssertProblem(response, "no layer named 'dense1'. Its layers are: Dense0, Dense1, Dense2", "unknown layer");
    }

    [Fact]
    public async Task The_service_still_answers_after_a_barrage_of_bad_requests()
    {
        var bad = Enumerable.Range(0, 40).Select(i => (i % 4) switch
        {
            0 => PostBytes("/v1/predict", new byte[i + 1]),
            1 => service.Client.PostAsync("/v1/embed", new StringContent("{\"input\": [", Encoding.UTF8, "application/json")),
            2 => service.Client.PostAsync("/v1/predict", new StringContent("x", Encoding.UTF8, "text/csv")),
            _ => PostBytes("/v1/embed", Samples.ToBytes(Enumerable.Repeat(float.NaN, 784).ToArray())),
        });
        var responses = await Task.WhenAll(bad);
        Assert.All(responses, response => Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode));

        var x = Samples.Pixels(1, seed: 4);
        var ok = await PostBytes("/v1/predict", Samples.ToBytes(x));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(service.Reference.Predict(x), Samples.ToFloats(await ok.Content.ReadAsByteArrayAsync()));
    }

    private Task<HttpResponseMessage> PostBytes(string path, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return service.Client.PostAsync(path, content);
    }

    private static async Task AssertProblem(HttpResponseMessage response, string mentioned, string name)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{name}: {(int)response.StatusCode} {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        var detail = problem.GetProperty("detail").GetString();
        Assert.False(string.IsNullOrWhiteSpace(detail), name);
        Assert.True(detail!.Contains(mentioned, StringComparison.Ordinal), $"{name}: the detail '{detail}' does not mention '{mentioned}'.");
    }

    private static string Numbers(int count) => string.Join(", ", Enumerable.Range(0, count).Select(i => (i % 256).ToString()));
}
