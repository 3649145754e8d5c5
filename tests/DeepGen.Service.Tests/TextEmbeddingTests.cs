using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DeepGen.Samples.EmbeddingService;

namespace DeepGen.Service.Tests;

/// <summary><c>POST /v1/embed/text</c> with all-MiniLM-L6-v2: answers, their order, their meaning, and every 400.</summary>
[Collection(TextServiceCollection.Name)]
public class TextEmbeddingTests(TextServiceFixture service)
{
    private const string Path = "/v1/embed/text";

    [Fact]
    public async Task Texts_become_unit_vectors_of_384_in_the_request_order()
    {
        string[] texts = [Texts.Guitar, Texts.Markets, Texts.GuitarParaphrase, Texts.Guitar, Texts.Weather];
        var body = await Embed(texts);

        Assert.Equal("all-MiniLM-L6-v2", body.Model);
        Assert.Equal(TextServiceFixture.Dimensions, body.Dimensions);
        Assert.Equal(texts.Length, body.Embeddings.Length);
        Assert.All(body.Embeddings, vector =>
        {
            Assert.Equal(TextServiceFixture.Dimensions, vector.Length);
            Assert.All(vector, value => Assert.True(float.IsFinite(value)));
            Assert.Equal(1.0, Math.Sqrt(Texts.Dot(vector, vector)), 5);
        });

        // The same text twice in one request: the same vector, bit for bit.
        Assert.Equal(body.Embeddings[0], body.Embeddings[3]);

        // Exactly what the service's encoder gives in-process for the same list.
        var expected = service.Encoder.Encode(texts);
        Assert.Equal(Samples.Rows(expected, TextServiceFixture.Dimensions), body.Embeddings);
    }

    [Fact]
    public async Task A_paraphrase_is_closer_than_an_unrelated_sentence()
    {
        var body = await Embed([Texts.Guitar, Texts.GuitarParaphrase, Texts.Markets, Texts.Weather]);
        var paraphrase = Texts.Cosine(body.Embeddings[0], body.Embeddings[1]);
        var markets = Texts.Cosine(body.Embeddings[0], body.Embeddings[2]);
        var weather = Texts.Cosine(body.Embeddings[0], body.Embeddings[3]);
        Assert.True(paraphrase > markets + 0.2 && paraphrase > weather + 0.2,
            $"cosine to the paraphrase {paraphrase:0.000}, to unrelated sentences {markets:0.000} and {weather:0.000}");
    }

    [Fact]
    public async Task Texts_of_very_different_lengths_keep_their_order()
    {
        // The encoder sorts a request's texts by length into batches (of 4 here); each answer must still be its own
        // text's vector: the one that text gets alone, up to the float rounding a different padding may bring.
        var texts = new[] { 60, 1, 25, 3, 90, 8, 2, 40, 12 }.Select((words, i) => Texts.Words(words, seed: i)).ToArray();
        var body = await Embed(texts);
        for (var i = 0; i < texts.Length; i++)
        {
            var alone = service.Encoder.Encode(texts[i]);
            var cosine = Texts.Cosine(alone, body.Embeddings[i]);
            Assert.True(cosine > 0.99999, $"text {i} ({texts[i].Length} characters): cosine {cosine} to its vector alone");
        }
    }

    [Fact]
    public async Task A_request_at_both_limits_is_accepted()
    {
        // MaxTexts texts, one of them MaxTextCharacters long (cut to the model's MaxTokens); the rest repeat one text.
        var longest = string.Concat(Enumerable.Repeat("word ", TextServiceFixture.MaxTextCharacters / 5));
        Assert.Equal(TextServiceFixture.MaxTextCharacters, longest.Length);
        var texts = Enumerable.Repeat(Texts.Weather, TextServiceFixture.MaxTexts).ToArray();
        texts[5] = longest;
        var body = await Embed(texts);
        Assert.Equal(TextServiceFixture.MaxTexts, body.Embeddings.Length);
        Assert.Equal(1.0, Math.Sqrt(Texts.Dot(body.Embeddings[5], body.Embeddings[5])), 5);
        Assert.All(body.Embeddings.Where((_, i) => i != 5), vector => Assert.True(Texts.Cosine(vector, body.Embeddings[0]) > 0.99999));
    }

    [Fact]
    public async Task Health_reports_the_text_model()
    {
        var health = await service.Client.GetFromJsonAsync<JsonElement>("/healthz");
        var text = health.GetProperty("textModel");
        Assert.Equal("all-MiniLM-L6-v2", text.GetProperty("model").GetString());
        Assert.Equal(TextServiceFixture.Dimensions, text.GetProperty("dimensions").GetInt32());
        Assert.Equal(256, text.GetProperty("maxTokens").GetInt32());
        Assert.Equal(TextServiceFixture.MaxTexts, text.GetProperty("maxTexts").GetInt32());
        Assert.Equal(TextServiceFixture.MaxTextCharacters, text.GetProperty("maxTextCharacters").GetInt32());
    }

    public static TheoryData<string, string, string> BadBodies => new()
    {
        // body, what the detail must mention, case
        { "{\"texts\": []}", "'texts' is empty", "empty list" },
        { "{\"texts\": [\"fine\", null]}", "'texts[1]' is null", "null text" },
        { "{\"texts\": [\"fine\", \"\"]}", "'texts[1]' is empty", "empty text" },
        { "{\"texts\": [\" \\t \"]}", "'texts[0]' is only white space", "blank text" },
        { $"{{\"texts\": [{string.Join(", ", Enumerable.Repeat("\"a\"", TextServiceFixture.MaxTexts + 1))}]}}", $"'texts' holds {TextServiceFixture.MaxTexts + 1} texts; at most {TextServiceFixture.MaxTexts}", "too many texts" },
        { $"{{\"texts\": [\"fine\", \"fine\", \"{new string('x', TextServiceFixture.MaxTextCharacters + 1)}\"]}}", $"'texts[2]' holds {TextServiceFixture.MaxTextCharacters + 1} characters; at most {TextServiceFixture.MaxTextCharacters}", "too long a text" },
        { "{\"texts\": null}", "must have 'texts'", "texts null" },
        { "{\"text\": \"one\"}", "must have 'texts'", "no texts" },
        { "null", "must have 'texts'", "JSON null" },
        { "{\"texts\": [\"a\",", "not valid JSON", "truncated JSON" },
        { "{\"texts\": \"one text\"}", "not valid JSON", "a string, not an array" },
        { "{\"texts\": [1, 2]}", "not valid JSON", "numbers, not strings" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task A_bad_body_is_a_400_saying_what_is_wrong(string body, string mentioned, string name)
    {
        var response = await service.Client.PostAsync(Path, new StringContent(body, Encoding.UTF8, "application/json"));
        await Problems.Assert(response, HttpStatusCode.BadRequest, mentioned, name);
    }

    [Fact]
    public async Task Another_content_type_or_an_empty_body_is_a_400()
    {
        await Problems.Assert(await service.Client.PostAsync(Path, new StringContent("{\"texts\": [\"a\"]}", Encoding.UTF8, "text/plain")),
            HttpStatusCode.BadRequest, "Content-Type must be 'application/json'", "text/plain");
        await Problems.Assert(await service.Client.PostAsync(Path, new StringContent("", Encoding.UTF8, "application/json")),
            HttpStatusCode.BadRequest, "empty", "empty body");
    }

    [Fact]
    public async Task Concurrent_requests_answer_exactly_as_sequential_ones()
    {
        // Requests of 1 to 6 texts of 2 to 20 words: batches of 4 on the shared model, from many threads at once.
        const int Distinct = 6;
        var requests = Enumerable.Range(0, Distinct)
            .Select(r => Enumerable.Range(0, 1 + r).Select(t => Texts.Words(2 + (t * 7 + r * 3) % 19, seed: 100 * r + t)).ToArray())
            .ToArray();
        var sequential = new float[Distinct][][];
        for (var r = 0; r < Distinct; r++) sequential[r] = (await Embed(requests[r])).Embeddings;

        var concurrent = await Task.WhenAll(Enumerable.Range(0, 3 * Distinct).Select(n => Task.Run(() => Embed(requests[n % Distinct]))));
        for (var n = 0; n < concurrent.Length; n++)
            Assert.True(concurrent[n].Embeddings.Zip(sequential[n % Distinct]).All(pair => pair.First.AsSpan().SequenceEqual(pair.Second)),
                $"Concurrent request {n} differs from its sequential answer.");
    }

    private async Task<TextEmbeddingResponse> Embed(string[] texts)
    {
        var response = await service.Client.PostAsJsonAsync(Path, new { texts });
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<TextEmbeddingResponse>())!;
    }
}

/// <summary>Checks a problem-details answer.</summary>
internal static class Problems
{
    public static async Task Assert(HttpResponseMessage response, HttpStatusCode status, string mentioned, string name)
    {
        var text = await response.Content.ReadAsStringAsync();
        Xunit.Assert.True(response.StatusCode == status, $"{name}: {(int)response.StatusCode} {text}");
        Xunit.Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Xunit.Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        var detail = problem.GetProperty("detail").GetString();
        Xunit.Assert.True(detail is not null && detail.Contains(mentioned, StringComparison.Ordinal), $"{name}: the detail '{detail}' does not mention '{mentioned}'.");
    }
}
