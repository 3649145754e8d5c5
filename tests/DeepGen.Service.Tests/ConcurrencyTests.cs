using System.Net.Http.Headers;
using System.Net.Http.Json;
using DeepGen.Samples.EmbeddingService;

namespace DeepGen.Service.Tests;

/// <summary>Many requests at once on the one shared model give the answers the same requests give one at a time.</summary>
[Collection(ServiceCollection.Name)]
public class ConcurrencyTests(ServiceFixture service)
{
    [Fact]
    public async Task Concurrent_requests_answer_exactly_as_sequential_ones()
    {
        // Single samples (products on the request thread) and full batches (products on the shared worker pool),
        // predictions and embeddings, JSON and raw.
        const int Distinct = 16;
        var requests = Enumerable.Range(0, Distinct).Select(i => (Kind: i % 4, X: Samples.Pixels(i % 2 == 0 ? 1 : ServiceFixture.MaxBatchSize - i, seed: 50 + i))).ToArray();
        var sequential = new float[Distinct][];
        for (var i = 0; i < Distinct; i++) sequential[i] = await Send(requests[i].Kind, requests[i].X);
        for (var i = 0; i < Distinct; i++)
        {
            var expected = requests[i].Kind < 2 ? service.Reference.Predict(requests[i].X) : service.Reference.Embed("Dense1", requests[i].X);
            Assert.Equal(expected, sequential[i]);
        }

        var concurrent = await Task.WhenAll(Enumerable.Range(0, 8 * Distinct).Select(n => Task.Run(() => Send(requests[n % Distinct].Kind, requests[n % Distinct].X))));
        for (var n = 0; n < concurrent.Length; n++)
            Assert.True(concurrent[n].AsSpan().SequenceEqual(sequential[n % Distinct]), $"Concurrent request {n} differs from its sequential answer.");
    }

    private async Task<float[]> Send(int kind, float[] x)
    {
        var path = kind < 2 ? "/v1/predict" : "/v1/embed";
        if (kind % 2 == 0)
        {
            var content = new ByteArrayContent(Samples.ToBytes(x));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            var response = await service.Client.PostAsync(path, content);
            response.EnsureSuccessStatusCode();
            return Samples.ToFloats(await response.Content.ReadAsByteArrayAsync());
        }

        var json = await service.Client.PostAsJsonAsync(path, new { inputs = Samples.Rows(x, Samples.InputSize) });
        json.EnsureSuccessStatusCode();
        return kind < 2
            ? (await json.Content.ReadFromJsonAsync<PredictBatchResponse>())!.Outputs.SelectMany(row => row).ToArray()
            : (await json.Content.ReadFromJsonAsync<EmbedBatchResponse>())!.Embeddings.SelectMany(row => row).ToArray();
    }
}
