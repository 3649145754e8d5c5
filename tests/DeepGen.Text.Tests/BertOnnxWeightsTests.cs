using DeepGen.Onnx;
using DeepGen.Serialization;

namespace DeepGen.Text.Tests;

public sealed class BertOnnxWeightsTests
{
    [Fact]
    public void MiniLm_gives_every_parameter_of_BertModel_under_its_Hugging_Face_name()
    {
        var weights = MiniLmWeights.FromOnnx;

        // 5 embedding tensors, 16 per encoder layer, and the pooler's 2 (in the graph though last_hidden_state skips it).
        Assert.Equal(5 + 16 * MiniLmWeights.Layers + 2, weights.Count);
        Assert.Equal(MiniLmWeights.ExpectedNames(MiniLmWeights.Layers).Order(StringComparer.Ordinal), weights.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, tensor) in weights)
        {
            Assert.Equal(name, tensor.Name);
            Assert.Equal(tensor.Shape.Aggregate(1, (a, d) => a * d), tensor.Values.Length);
            Assert.All(tensor.Values, v => Assert.True(float.IsFinite(v), name));
        }
    }

    [Theory]
    [InlineData("embeddings.word_embeddings.weight", 30522, 384)]
    [InlineData("embeddings.position_embeddings.weight", 512, 384)]
    [InlineData("embeddings.token_type_embeddings.weight", 2, 384)]
    [InlineData("embeddings.LayerNorm.weight", 384)]
    [InlineData("encoder.layer.0.attention.self.query.weight", 384, 384)]
    [InlineData("encoder.layer.3.attention.self.value.bias", 384)]
    [InlineData("encoder.layer.5.attention.output.dense.weight", 384, 384)]
    [InlineData("encoder.layer.2.intermediate.dense.weight", 1536, 384)]
    [InlineData("encoder.layer.2.intermediate.dense.bias", 1536)]
    [InlineData("encoder.layer.4.output.dense.weight", 384, 1536)]
    [InlineData("encoder.layer.1.output.LayerNorm.bias", 384)]
    [InlineData("pooler.dense.weight", 384, 384)]
    public void MiniLm_tensors_have_PyTorch_shapes(string name, params int[] shape) =>
        Assert.Equal(shape, MiniLmWeights.FromOnnx[name].Shape);

    [Fact]
    public void MiniLm_anonymous_weights_each_go_to_a_different_layer()
    {
        // Were two MatMuls named alike, one weight would be lost (the reader refuses that) or two names would share
        // values; 36 distinct value sets mean each anonymous initializer landed on its own name.
        var linear = MiniLmWeights.FromOnnx.Values
            .Where(t => t.Name.StartsWith("encoder.", StringComparison.Ordinal) && t.Name.EndsWith(".weight", StringComparison.Ordinal) && t.Shape.Length == 2)
            .ToList();
        Assert.Equal(36, linear.Count);
        Assert.Equal(36, linear.Select(t => string.Join(",", t.Values.Take(16))).Distinct().Count());
    }

    [Fact]
    public void Anonymous_MatMul_weights_are_named_by_their_bias_and_transposed_to_out_in()
    {
        var model = TinyBertOnnx.Create();
        var weights = BertOnnxWeights.Read(model.ToStream());

        Assert.Equal(MiniLmWeights.ExpectedNames(2, pooler: false).Order(StringComparer.Ordinal), weights.Keys.Order(StringComparer.Ordinal));
        // Layer 1's intermediate dense is the 11th anonymous weight: 900 + 6 + 4.
        var source = model["910"];
        var weight = weights["encoder.layer.1.intermediate.dense.weight"];
        Assert.Equal([TinyBertOnnx.FeedForward, TinyBertOnnx.Hidden], weight.Shape);
        for (var i = 0; i < TinyBertOnnx.Hidden; i++)
        for (var o = 0; o < TinyBertOnnx.FeedForward; o++)
            Assert.Equal(source.Values[i * TinyBertOnnx.FeedForward + o], weight.Values[o * TinyBertOnnx.Hidden + i]);
        Assert.Equal(model["encoder.layer.1.intermediate.dense.bias"].Values, weights["encoder.layer.1.intermediate.dense.bias"].Values);
        Assert.Equal(model["embeddings.word_embeddings.weight"].Values, weights["embeddings.word_embeddings.weight"].Values);
    }

    [Fact]
    public void Packed_float_data_reads_like_raw_data()
    {
        var raw = BertOnnxWeights.Read(TinyBertOnnx.Create().ToStream());
        var model = TinyBertOnnx.Create();
        foreach (var name in model.Initializers.Where(i => i.DataType == 1).Select(i => i.Name).ToList())
            model.Replace(name, i => i with { AsFloatData = true });

        var packed = BertOnnxWeights.Read(model.ToStream());

        Assert.Equal(raw.Keys.Order(), packed.Keys.Order());
        foreach (var (name, tensor) in raw) Assert.Equal(tensor.Values, packed[name].Values);
    }

    [Fact]
    public void Packed_dims_read_like_one_field_per_dimension()
    {
        var unpacked = BertOnnxWeights.Read(TinyBertOnnx.Create().ToStream());

        var packed = BertOnnxWeights.Read(TinyBertOnnx.Create(packDims: true).ToStream());

        Assert.Equal(unpacked.Keys.Order(), packed.Keys.Order());
        foreach (var (name, tensor) in unpacked) Assert.Equal(tensor.Shape, packed[name].Shape);
    }

    [Theory]
    [InlineData(1L, false)]
    [InlineData(0L, true)]
    public void A_Gemm_weight_is_transposed_unless_transB_says_it_is_out_in_already(long transB, bool transposed)
    {
        var model = TinyBertOnnx.Create(layers: 1);
        var pooler = model.Add("pooler.dense.weight", TinyBertOnnx.Hidden, TinyBertOnnx.Hidden);
        model.Add("pooler.dense.bias", TinyBertOnnx.Hidden);
        model.Nodes.Add(new TinyBertOnnx.Node("Gemm", ["cls", "pooler.dense.weight", "pooler.dense.bias"], ["pooled"], "Gemm_pooler", transB));

        var weight = BertOnnxWeights.Read(model.ToStream())["pooler.dense.weight"];

        const int h = TinyBertOnnx.Hidden;
        Assert.Equal(pooler.Values[1 * h + 2], weight.Values[(transposed ? 2 * h + 1 : 1 * h + 2)]);
    }

    [Fact]
    public void A_task_model_prefix_bert_is_removed()
    {
        var model = TinyBertOnnx.Create(layers: 1);
        foreach (var initializer in model.Initializers.ToList())
            if (!char.IsDigit(initializer.Name[0])) model.Replace(initializer.Name, i => i with { Name = "bert." + i.Name });
        var renamed = model.Nodes.Select(n => n with { Inputs = n.Inputs.Select(x => x.Contains('.') ? "bert." + x : x).ToArray() }).ToList();
        model.Nodes.Clear();
        model.Nodes.AddRange(renamed);

        var weights = BertOnnxWeights.Read(model.ToStream());

        Assert.Equal(MiniLmWeights.ExpectedNames(1, pooler: false).Order(StringComparer.Ordinal), weights.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_MatMul_weight_without_a_named_bias_is_refused_naming_it_and_its_node()
    {
        var model = TinyBertOnnx.Create();
        // Layer 0's key projection (901) loses its Add: nothing names it any more.
        model.Nodes.RemoveAll(n => n.Name == "Add_901");

        var error = Assert.Throws<InvalidModelFileException>(() => BertOnnxWeights.Read(model.ToStream()));

        Assert.Contains("'901'", error.Message);
        Assert.Contains("MatMul node 'MatMul_901'", error.Message);
    }

    [Fact]
    public void A_missing_bias_is_refused_by_name()
    {
        var model = TinyBertOnnx.Create();
        // The Add now takes an unnamed value: the weight cannot be named, and the bias is gone from the file.
        model.Initializers.RemoveAll(i => i.Name == "encoder.layer.1.output.dense.bias");

        var error = Assert.Throws<InvalidModelFileException>(() => BertOnnxWeights.Read(model.ToStream()));

        Assert.Contains("'911'", error.Message);
    }

    [Fact]
    public void A_missing_parameter_is_named()
    {
        var model = TinyBertOnnx.Create();
        model.Initializers.RemoveAll(i => i.Name == "encoder.layer.1.attention.output.LayerNorm.weight");

        var error = Assert.Throws<InvalidModelFileException>(() => BertOnnxWeights.Read(model.ToStream()));

        Assert.Contains("'encoder.layer.1.attention.output.LayerNorm.weight'", error.Message);
        Assert.Contains("missing", error.Message);
    }

    [Fact]
    public void A_weight_that_does_not_fit_its_bias_is_refused_naming_both_names()
    {
        var model = TinyBertOnnx.Create();
        model.Replace("encoder.layer.0.attention.self.value.bias", i => i with { Dims = [3], Values = [1, 2, 3] });

        var error = Assert.Throws<InvalidModelFileException>(() => BertOnnxWeights.Read(model.ToStream()));

        Assert.Contains("'encoder.layer.0.attention.self.value.bias'", error.Message);
        Assert.Contains("[3]", error.Message);
        Assert.Contains("[4]", error.Message);
    }

    [Fact]
    public void A_misshaped_anonymous_weight_is_refused_naming_its_initializer()
    {
        var model = TinyBertOnnx.Create();
        // The output projection reads the feed-forward width (6); give it 5 rows (as [in, out]) and a matching bias shape.
        model.Replace("905", i => i with { Dims = [5, TinyBertOnnx.Hidden], Values = new float[5 * TinyBertOnnx.Hidden] });

        var error = Assert.Throws<InvalidModelFileException>(() => BertOnnxWeights.Read(model.ToStream()));

        Assert.Contains("'encoder.layer.0.output.dense.weight' (initializer '905', [5, 4] in the graph)", error.Message);
    }

    [Fact]
    public void An_unknown_float_initializer_is_refused_naming_it_and_its_user()
    {
        var model = TinyBertOnnx.Create();
        model.Add("classifier.weight", 2, TinyBertOnnx.Hidden);
        model.Nodes.Add(new TinyBertOnnx.Node("Mul", ["h", "classifier.weight"], ["logits"], "Mul_7"));

        var error = Assert.Throws<InvalidModelFileException>(() => BertOnnxWeights.Read(model.ToStream()));

        Assert.Contains("'classifier.weight'", error.Message);
        Assert.Contains("Mul node 'Mul_7'", error.Message);
    }

    [Fact]
    public void Integer_constants_and_float_scalars_are_not_weights()
    {
        var model = TinyBertOnnx.Create(layers: 1);
        model.Add("1234", 1);
        model.Nodes.Add(new TinyBertOnnx.Node("Div", ["scores", "1234"], ["scaled"]));

        var weights = BertOnnxWeights.Read(model.ToStream());

        Assert.DoesNotContain("1234", weights.Keys);
        Assert.DoesNotContain("embeddings.position_ids", weights.Keys);
    }

    [Fact]
    public void External_data_is_refused_with_what_to_do()
    {
        var model = TinyBertOnnx.Create(layers: 1);
        model.Replace("900", i => i with { External = true });

        var error = Assert.Throws<InvalidModelFileException>(() => BertOnnxWeights.Read(model.ToStream()));

        Assert.Contains("'encoder.layer.0.attention.self.query.weight' (initializer '900')", error.Message);
        Assert.Contains("external data", error.Message);
    }

    [Fact]
    public void A_parameter_that_is_not_float32_is_refused()
    {
        var model = TinyBertOnnx.Create(layers: 1);
        model.Replace("embeddings.LayerNorm.bias", i => i with { DataType = 7 });

        var error = Assert.Throws<InvalidModelFileException>(() => BertOnnxWeights.Read(model.ToStream()));

        Assert.Contains("'embeddings.LayerNorm.bias' is int64", error.Message);
    }

    [Fact]
    public void Values_that_do_not_fill_the_shape_are_refused()
    {
        var model = TinyBertOnnx.Create(layers: 1);
        model.Replace("embeddings.LayerNorm.weight", i => i with { Values = [1, 2, 3] });

        var error = Assert.Throws<InvalidModelFileException>(() => BertOnnxWeights.Read(model.ToStream()));

        Assert.Contains("'embeddings.LayerNorm.weight' has shape [4] (4 values) but holds 3 values", error.Message);
    }

    [Fact]
    public void Truncated_bytes_are_an_invalid_model_not_an_index_error()
    {
        var bytes = TinyBertOnnx.Create(layers: 1).ToOnnx();
        foreach (var length in new[] { 1, 7, bytes.Length / 2, bytes.Length - 1 })
        {
            var error = Assert.Throws<InvalidModelFileException>(() => BertOnnxWeights.Read(new MemoryStream(bytes[..length])));
            Assert.Contains("not a valid ONNX model", error.Message);
        }
    }

    [Fact]
    public void The_path_overload_names_the_file()
    {
        var path = Path.Combine(Path.GetTempPath(), $"deepgen-tiny-{Guid.NewGuid():N}.onnx");
        var model = TinyBertOnnx.Create(layers: 1);
        model.Initializers.RemoveAll(i => i.Name == "embeddings.LayerNorm.bias");
        File.WriteAllBytes(path, model.ToOnnx());
        try
        {
            var error = Assert.Throws<InvalidModelFileException>(() => BertOnnxWeights.Read(path));
            Assert.Contains(path, error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
