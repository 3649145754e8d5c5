using DeepGen.Samples;
using DeepGen.Tests.MiniLm;
using Xunit.Abstractions;

namespace DeepGen.Text.Tests;

public sealed class OnnxRuntimeEmbedderTests : IClassFixture<OnnxRuntimeEmbedderTests.Fixture>
{
    public sealed class Fixture : IDisposable
    {
        public OnnxRuntimeEmbedder Embedder { get; } = new();

        public BertTextTokenizer Tokenizer { get; } = BertTextTokenizer.Create(MiniLmResources.OpenVocabulary());

        public void Dispose() => Embedder.Dispose();
    }

    private readonly Fixture _fixture;
    private readonly ITestOutputHelper _output;

    public OnnxRuntimeEmbedderTests(Fixture fixture, ITestOutputHelper output) => (_fixture, _output) = (fixture, output);

    [Theory]
    [InlineData("hello world")]
    [InlineData("The GNU General Public License is a free, copyleft license for software and other kinds of works.")]
    public void The_imported_weights_run_plainly_give_ONNX_Runtimes_last_hidden_state(string text)
    {
        var ids = _fixture.Tokenizer.Encode(text);
        var expected = _fixture.Embedder.LastHiddenState(ids, [], [], 1, ids.Length);

        var actual = NaiveBert.LastHiddenState(MiniLmWeights.FromOnnx, ids, MiniLmWeights.Layers, heads: 12);

        var worst = 0.0;
        for (var t = 0; t < ids.Length; t++)
        for (var i = 0; i < MiniLmWeights.Hidden; i++)
            worst = Math.Max(worst, Math.Abs(actual[t][i] - expected[t * MiniLmWeights.Hidden + i]));
        _output.WriteLine($"{ids.Length} tokens: largest difference {worst:E2}");
        // float32 inference against double: about 1.5e-6 measured, on values of order 1. A weight in the wrong place
        // or transposed the wrong way gives differences of order 1.
        Assert.True(worst < 1e-4, $"largest difference {worst}");
    }

    [Fact]
    public void Embeddings_are_unit_vectors_and_padding_does_not_change_them()
    {
        string[] texts = ["hello world", "A much longer sentence, padded less than the short one beside it in the batch."];
        var batches = TokenBatches.Create(_fixture.Tokenizer, texts, batchSize: 2);
        var batch = Assert.Single(batches);

        var together = _fixture.Embedder.Embed(batch.Ids.Span, batch.AttentionMask.Span, batch.TokenTypes.Span, batch.Batch, batch.Sequence);

        for (var row = 0; row < 2; row++)
        {
            var vector = together.AsSpan(row * 384, 384);
            Assert.Equal(1.0, Math.Sqrt(vector.ToArray().Sum(v => (double)v * v)), 5);
            var ids = _fixture.Tokenizer.Encode(texts[batch.TextIndices.Span[row]]);
            var alone = _fixture.Embedder.Embed(ids, [], [], 1, ids.Length);
            Assert.True(Cosine(alone, vector) > 0.99999, $"row {row}: cosine {Cosine(alone, vector)}");
        }
    }

    [Fact]
    public void Similar_sentences_are_closer_than_unrelated_ones()
    {
        string[] texts = ["The license allows you to copy the program.", "You may make copies of the software.", "The cat sat on the warm windowsill."];
        var batches = TokenBatches.Create(_fixture.Tokenizer, texts, batchSize: 3);
        var batch = batches[0];
        var vectors = _fixture.Embedder.Embed(batch.Ids.Span, batch.AttentionMask.Span, batch.TokenTypes.Span, batch.Batch, batch.Sequence);
        float[] Of(int text) => vectors.AsSpan(batch.TextIndices.ToArray().AsSpan().IndexOf(text) * 384, 384).ToArray();

        Assert.True(Cosine(Of(0), Of(1)) > Cosine(Of(0), Of(2)) + 0.2);
    }

    [Fact]
    public void Wrong_sizes_are_refused()
    {
        Assert.Throws<ArgumentException>(() => _fixture.Embedder.Embed([101, 102], [], [], 1, 3));
        Assert.Throws<ArgumentException>(() => _fixture.Embedder.Embed([101, 102], [1], [], 1, 2));
        Assert.Throws<ArgumentException>(() => _fixture.Embedder.Embed([101, 102], [], [], 1, 2, new float[10]));
    }

    private static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++) (dot, na, nb) = (dot + (double)a[i] * b[i], na + (double)a[i] * a[i], nb + (double)b[i] * b[i]);
        return dot / Math.Sqrt(na * nb);
    }
}
