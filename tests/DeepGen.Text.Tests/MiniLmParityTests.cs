using DeepGen.Samples.SentenceEmbeddings;
using DeepGen.Serialization;
using DeepGen.Samples;
using DeepGen.Tests.MiniLm;
using Xunit;
using Xunit.Abstractions;

namespace DeepGen.Text.Tests;

/// <summary>One loaded model and tokenizer for all the parity tests (loading reads 90 MB).</summary>
public sealed class MiniLmFixture
{
    public MiniLmFixture()
    {
        Model = new MiniLmL6();
        Model.LoadWeights(MiniLmWeights.FromOnnx);
        using var vocabulary = MiniLmResources.OpenVocabulary();
        Tokenizer = BertTextTokenizer.Create(vocabulary);
        Encoder = new SentenceEncoder(Model, Tokenizer);
    }

    public MiniLmL6 Model { get; }

    public BertTextTokenizer Tokenizer { get; }

    public SentenceEncoder Encoder { get; }
}

/// <summary>
/// DeepGen's all-MiniLM-L6-v2 against ONNX Runtime running the same <c>model.onnx</c>, with the same tokens and the
/// same pooling: the bar is a cosine similarity of at least 0.99999 for every one of at least 500 real
/// sentences.
/// </summary>
public sealed class MiniLmParityTests(MiniLmFixture fixture, ITestOutputHelper output) : IClassFixture<MiniLmFixture>
{
    private const double RequiredCosine = 0.99999;

    private static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, aa = 0, bb = 0;
        for (var i = 0; i < a.Length; i++) (dot, aa, bb) = (dot + (double)a[i] * b[i], aa + (double)a[i] * a[i], bb + (double)b[i] * b[i]);
        return dot / Math.Sqrt(aa * bb);
    }

    [Fact]
    public void Every_license_sentence_embeds_as_onnx_runtime_embeds_it()
    {
        var sentences = LicenseCorpus.Sentences;
        Assert.True(sentences.Count >= LicenseCorpus.MinimumSentences);
        var ours = fixture.Encoder.Encode(sentences);

        // ONNX Runtime on exactly the same padded batches.
        using var runtime = new OnnxRuntimeEmbedder(intraOpThreads: 2);
        var theirs = new float[ours.Length];
        var batchOutput = new float[32 * MiniLmResources.Dimensions];
        foreach (var batch in TokenBatches.Create(fixture.Tokenizer, sentences, batchSize: 32))
        {
            var vectors = batchOutput.AsSpan(0, batch.Batch * MiniLmResources.Dimensions);
            runtime.Embed(batch.Ids.Span, batch.AttentionMask.Span, batch.TokenTypes.Span, batch.Batch, batch.Sequence, vectors);
            var indices = batch.TextIndices.Span;
            for (var row = 0; row < indices.Length; row++)
                vectors.Slice(row * MiniLmResources.Dimensions, MiniLmResources.Dimensions).CopyTo(theirs.AsSpan(indices[row] * MiniLmResources.Dimensions));
        }

        var (worstCosine, worstAt, largestDifference) = (1.0, -1, 0f);
        for (var s = 0; s < sentences.Count; s++)
        {
            var a = ours.AsSpan(s * MiniLmResources.Dimensions, MiniLmResources.Dimensions);
            var b = theirs.AsSpan(s * MiniLmResources.Dimensions, MiniLmResources.Dimensions);
            var cosine = Cosine(a, b);
            if (!(cosine >= worstCosine)) (worstCosine, worstAt) = (cosine, s);
            for (var i = 0; i < a.Length; i++) largestDifference = Math.Max(largestDifference, Math.Abs(a[i] - b[i]));
        }

        var tokens = sentences.Select(s => fixture.Tokenizer.Encode(s).Length).ToArray();
        output.WriteLine($"{sentences.Count} sentences of {tokens.Min()}–{tokens.Max()} tokens (mean {tokens.Average():F1}): " +
                         $"worst cosine {worstCosine:F9} (sentence {worstAt}, {tokens[Math.Max(worstAt, 0)]} tokens), largest absolute difference {largestDifference:G3}");
        Assert.True(worstCosine >= RequiredCosine,
            $"Sentence {worstAt} ({tokens[worstAt]} tokens) has cosine {worstCosine:F9} to ONNX Runtime's vector, below {RequiredCosine}: \"{sentences[worstAt]}\"");
        Assert.True(largestDifference < 1e-4f, $"The largest element difference is {largestDifference}.");
    }

    [Fact]
    public void Batching_by_length_gives_each_text_the_vector_it_gets_alone()
    {
        var texts = LicenseCorpus.Sentences.Take(40).ToArray();
        var batched = fixture.Encoder.Encode(texts);
        for (var i = 0; i < texts.Length; i++)
        {
            var alone = fixture.Encoder.Encode(texts[i]);
            Assert.True(Cosine(alone, batched.AsSpan(i * 384, 384)) >= 0.999999, $"Text {i} differs alone and in its batch.");
        }
    }

    [Fact]
    public void Similar_sentences_are_closer_than_unrelated_ones()
    {
        var v = fixture.Encoder.Encode(["A man is eating food.", "A man is eating a piece of bread.", "The girl is carrying a baby.", "Someone is having a meal."]);
        var eating = Cosine(v.AsSpan(0, 384), v.AsSpan(384, 384));
        var meal = Cosine(v.AsSpan(0, 384), v.AsSpan(3 * 384, 384));
        var unrelated = Cosine(v.AsSpan(0, 384), v.AsSpan(2 * 384, 384));
        Assert.True(eating > unrelated + 0.3 && meal > unrelated, $"eating {eating:F3}, meal {meal:F3}, unrelated {unrelated:F3}");
        for (var i = 0; i < 4; i++) Assert.Equal(1.0, Math.Sqrt(v.AsSpan(i * 384, 384).ToArray().Sum(x => (double)x * x)), 5);
    }

    [Fact]
    public void A_hugging_face_safetensors_state_dict_loads_the_same_weights_as_the_onnx_file()
    {
        var path = Path.Combine(Path.GetTempPath(), $"deepgen-minilm-{Guid.NewGuid():N}.safetensors");
        try
        {
            // What a user's model.safetensors holds: the state dict under Hugging Face's names, PyTorch's layout.
            SafeTensorsWriter.Write(path, MiniLmWeights.FromOnnx.Values.Select(t => new TensorToWrite(t.Name, t.Shape, t.Values)).ToList());
            var fromSafeTensors = new MiniLmL6(seed: 1);
            fromSafeTensors.LoadWeights(HuggingFaceSafeTensors.Read(path));
            Assert.True(fixture.Model.Parameters.SequenceEqual(fromSafeTensors.Parameters));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void The_encoder_refuses_what_cannot_work()
    {
        Assert.Contains("more than MiniLmL6 reads (512)",
            Assert.Throws<ArgumentException>(() => new SentenceEncoder(fixture.Model, fixture.Tokenizer.WithMaxSequence(600))).Message);
        Assert.Contains("Text 1 is null", Assert.Throws<ArgumentException>(() => fixture.Encoder.Encode(["fine", null!])).Message);
        Assert.Contains("2 texts × 384 = 768", Assert.Throws<ArgumentException>(() => fixture.Encoder.Encode(["a", "b"], new float[700])).Message);
        Assert.Empty(fixture.Encoder.Encode([]));
    }
}
