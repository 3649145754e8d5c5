using DeepGen.Layout;
using Xunit;

namespace DeepGen.Runtime.Tests.Model;

/// <summary>
/// The runtime side of sequence models that does not need the kernels: the architecture's checks, the parameter
/// layout and names, the Hugging Face BERT import's checks, and save/load.
/// </summary>
public sealed class SequenceArchitectureTests
{
    private const int Vocabulary = 11, MaxSequence = 6, Hidden = 4, FeedForward = 6;

    /// <summary>A tiny BERT: embedding with positions and types, LayerNorm, <paramref name="layers"/> encoder layers, pooling.</summary>
    internal static SequenceArchitecture TinyBert(int layers = 2)
    {
        var embedding = new EmbeddingLayout(Vocabulary, Hidden, MaxSequence, 2).Parameters;
        var encoder = layers * new EncoderLayerLayout(Hidden, FeedForward).Parameters;
        return new SequenceArchitecture("TinyBert", Vocabulary, MaxSequence,
        [
            new(0, "embedding", SequenceLayerKind.Embedding, 0, Hidden, 0, (int)embedding) { Vocabulary = Vocabulary, Positions = MaxSequence, TokenTypes = 2 },
            new(1, "norm", SequenceLayerKind.LayerNormalization, Hidden, Hidden, (int)embedding, 2 * Hidden) { Epsilon = 1e-12f },
            new(2, "encoder", SequenceLayerKind.TransformerEncoder, Hidden, Hidden, (int)embedding + 2 * Hidden, (int)encoder)
                { Layers = layers, Heads = 2, FeedForward = FeedForward, Activation = Activation.Gelu, Epsilon = 1e-12f },
            new(3, "pool", SequenceLayerKind.MeanPooling, Hidden, Hidden, (int)(embedding + 2 * Hidden + encoder), 0),
        ]);
    }

    private sealed class WeightsOnly(SequenceArchitecture architecture) : SequenceModel(architecture, seed: 3)
    {
        protected override void Forward(in SequencePass pass) => throw new NotSupportedException();

        protected override void Backward(in SequencePass pass) => throw new NotSupportedException();
    }

    [Fact]
    public void Stages_are_one_per_layer_and_one_per_encoder_layer()
    {
        var architecture = TinyBert(layers: 3);
        Assert.Equal(6, architecture.StageCount);
        Assert.Equal([0, 1, 2, 5], Enumerable.Range(0, 4).Select(architecture.FirstStage));
        Assert.True(architecture.IsPooled);
        Assert.Equal(Hidden, architecture.OutputSize);
    }

    [Fact]
    public void Tensors_tile_the_parameters_in_layout_order()
    {
        var architecture = TinyBert();
        var next = 0;
        foreach (var tensor in architecture.Tensors)
        {
            Assert.Equal(next, tensor.Offset);
            Assert.Equal(tensor.Shape.Aggregate(1, (a, b) => a * b), tensor.Length);
            next += tensor.Length;
        }

        Assert.Equal(architecture.ParameterCount, next);
        Assert.Contains(architecture.Tensors, t => t.Name == "encoder.1.feed_forward_outer.weights" && t.Shape.SequenceEqual([FeedForward, Hidden]));
    }

    public static TheoryData<string, Func<SequenceArchitecture>> Broken => new()
    {
        { "starts with its one Embedding", () => new SequenceArchitecture("M", 5, 4, [new(0, "n", SequenceLayerKind.LayerNormalization, 4, 4, 0, 8)]) },
        { "fewer than the model's longest sequence", () => new SequenceArchitecture("M", 5, 4, [new(0, "e", SequenceLayerKind.Embedding, 0, 4, 0, 5 * 4 + 2 * 4) { Vocabulary = 5, Positions = 2 }]) },
        { "put a MeanPooling before it", () => new SequenceArchitecture("M", 5, 4,
            [new(0, "e", SequenceLayerKind.Embedding, 0, 4, 0, 20) { Vocabulary = 5 }, new(1, "d", SequenceLayerKind.Dense, 4, 2, 20, 10) { Activation = Activation.Softmax }]) },
        { "a head count that divides 4", () => new SequenceArchitecture("M", 5, 4,
            [new(0, "e", SequenceLayerKind.Embedding, 0, 4, 0, 20) { Vocabulary = 5 }, new(1, "t", SequenceLayerKind.TransformerEncoder, 4, 4, 20, 0) { Layers = 1, Heads = 3, FeedForward = 2 }]) },
        { "the layout rule puts them at [20, +8)", () => new SequenceArchitecture("M", 5, 4,
            [new(0, "e", SequenceLayerKind.Embedding, 0, 4, 0, 20) { Vocabulary = 5 }, new(1, "n", SequenceLayerKind.LayerNormalization, 4, 4, 21, 8)]) },
        { "reads 3 features, but 'e' writes 4", () => new SequenceArchitecture("M", 5, 4,
            [new(0, "e", SequenceLayerKind.Embedding, 0, 4, 0, 20) { Vocabulary = 5 }, new(1, "n", SequenceLayerKind.LayerNormalization, 3, 3, 20, 6)]) },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void A_broken_architecture_is_refused_with_its_reason(string reason, Func<SequenceArchitecture> build)
    {
        var error = Assert.Throws<ArgumentException>(build);
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void Token_batches_refuse_wrong_lengths_bad_masks_and_empty_sequences()
    {
        Assert.Contains("2 sequences × 3 tokens = 6", Assert.Throws<ArgumentException>(() => new TokenBatch(new int[5], 2, 3)).Message);
        Assert.Contains("holds 2 at sample 1, position 0", Assert.Throws<ArgumentException>(() => new TokenBatch(new int[4], [1, 1, 2, 0], [], 2, 2)).Message);
        Assert.Contains("Sample 1 has no token", Assert.Throws<ArgumentException>(() => new TokenBatch(new int[4], [1, 0, 0, 0], [], 2, 2)).Message);
        Assert.Contains("one per token", Assert.Throws<ArgumentException>(() => new TokenBatch(new int[4], [], [0, 0, 0], 2, 2)).Message);
    }

    /// <summary>A Hugging Face state dict for <see cref="TinyBert"/>, in PyTorch's layout, with distinct values per tensor.</summary>
    internal static Dictionary<string, NamedTensor> TinyBertStateDict(int layers = 2)
    {
        var dict = new Dictionary<string, NamedTensor>();
        var counter = 0f;
        void Add(string name, params int[] shape)
        {
            var values = new float[shape.Aggregate(1, (a, b) => a * b)];
            for (var i = 0; i < values.Length; i++) values[i] = counter++;
            dict[name] = new NamedTensor(name, shape, values);
        }

        Add("embeddings.word_embeddings.weight", Vocabulary, Hidden);
        Add("embeddings.position_embeddings.weight", MaxSequence, Hidden);
        Add("embeddings.token_type_embeddings.weight", 2, Hidden);
        Add("embeddings.LayerNorm.weight", Hidden);
        Add("embeddings.LayerNorm.bias", Hidden);
        for (var n = 0; n < layers; n++)
        {
            var p = $"encoder.layer.{n}.";
            foreach (var name in new[] { "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense" })
            {
                Add(p + name + ".weight", Hidden, Hidden);
                Add(p + name + ".bias", Hidden);
            }

            Add(p + "attention.output.LayerNorm.weight", Hidden);
            Add(p + "attention.output.LayerNorm.bias", Hidden);
            Add(p + "intermediate.dense.weight", FeedForward, Hidden);
            Add(p + "intermediate.dense.bias", FeedForward);
            Add(p + "output.dense.weight", Hidden, FeedForward);
            Add(p + "output.dense.bias", Hidden);
            Add(p + "output.LayerNorm.weight", Hidden);
            Add(p + "output.LayerNorm.bias", Hidden);
        }

        Add("pooler.dense.weight", Hidden, Hidden);
        return dict;
    }

    [Fact]
    public void A_bert_state_dict_lands_in_its_tensors_with_linear_weights_transposed()
    {
        var model = new WeightsOnly(TinyBert());
        var dict = TinyBertStateDict();
        model.LoadWeights(dict);

        var tensors = model.Architecture.Tensors.ToDictionary(t => t.Name);
        var words = tensors["embedding.tokens"];
        Assert.Equal(dict["embeddings.word_embeddings.weight"].Values, model.Parameters.Slice(words.Offset, words.Length).ToArray());
        // PyTorch's intermediate.dense.weight is [out = 6, in = 4]; DeepGen keeps [in, out].
        var inner = tensors["encoder.1.feed_forward_inner.weights"];
        var source = dict["encoder.layer.1.intermediate.dense.weight"].Values;
        for (var i = 0; i < Hidden; i++)
            for (var o = 0; o < FeedForward; o++)
                Assert.Equal(source[o * Hidden + i], model.Parameters[inner.Offset + i * FeedForward + o]);
        var gamma = tensors["encoder.0.output_norm.gamma"];
        Assert.Equal(dict["encoder.layer.0.output.LayerNorm.weight"].Values, model.Parameters.Slice(gamma.Offset, gamma.Length).ToArray());
    }

    [Fact]
    public void A_bert_prefix_is_ignored()
    {
        var model = new WeightsOnly(TinyBert());
        model.LoadWeights(TinyBertStateDict().ToDictionary(pair => "bert." + pair.Key, pair => pair.Value));
        Assert.Equal(TinyBertStateDict()["embeddings.LayerNorm.bias"].Values, model.Parameters.Slice(model.Architecture.Tensors.Single(t => t.Name == "norm.beta").Offset, Hidden).ToArray());
    }

    [Fact]
    public void Missing_unknown_and_misshaped_tensors_are_all_named_and_nothing_is_written()
    {
        var model = new WeightsOnly(TinyBert());
        var before = model.Parameters.ToArray();
        var dict = TinyBertStateDict();
        dict.Remove("encoder.layer.1.attention.self.key.bias");
        dict["encoder.layer.0.intermediate.dense.weight"] = new NamedTensor("encoder.layer.0.intermediate.dense.weight", [Hidden, FeedForward], new float[Hidden * FeedForward]);
        dict["encoder.layer.2.output.dense.bias"] = new NamedTensor("encoder.layer.2.output.dense.bias", [Hidden], new float[Hidden]);

        var error = Assert.Throws<DeepGen.Serialization.InvalidModelFileException>(() => model.LoadWeights(dict));
        Assert.Contains("3 problems", error.Message);
        Assert.Contains("missing 'encoder.layer.1.attention.self.key.bias'", error.Message);
        Assert.Contains("'encoder.layer.0.intermediate.dense.weight' is [4, 6]", error.Message);
        Assert.Contains("needs [6, 4]", error.Message);
        Assert.Contains("unknown tensor 'encoder.layer.2.output.dense.bias'", error.Message);
        Assert.Equal(before, model.Parameters.ToArray());
    }

    [Fact]
    public void Saved_parameters_load_back_and_another_architecture_is_refused()
    {
        using var folder = new TempFolder();
        var path = folder.File("tiny.safetensors");
        var model = new WeightsOnly(TinyBert());
        model.LoadWeights(TinyBertStateDict());
        model.Save(path);
        Assert.Equal(["tiny.safetensors"], folder.Entries());

        var loaded = new WeightsOnly(TinyBert());
        Assert.NotEqual(model.Parameters.ToArray(), loaded.Parameters.ToArray());
        loaded.Load(path);
        Assert.Equal(model.Parameters.ToArray(), loaded.Parameters.ToArray());

        var deeper = new WeightsOnly(TinyBert(layers: 3));
        var error = Assert.Throws<DeepGen.Serialization.InvalidModelFileException>(() => deeper.Load(path));
        Assert.Contains("another architecture", error.Message);
    }
}
