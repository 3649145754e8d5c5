using System.Buffers.Binary;
using System.Text;
using DeepGen.Serialization;
using static DeepGen.Activation;

namespace DeepGen.EndToEnd.Tests;

/// <summary>A PyTorch <c>nn.Sequential</c> of 11 Linear layers (indices 0, 2, …, 20 with Tanh between): names that sort wrongly as text.</summary>
[Model(Input = 4)]
[Dense(4, Tanh)] [Dense(4, Tanh)] [Dense(4, Tanh)] [Dense(4, Tanh)] [Dense(4, Tanh)] [Dense(4, Tanh)]
[Dense(4, Tanh)] [Dense(4, Tanh)] [Dense(4, Tanh)] [Dense(4, Tanh)] [Dense(2, Linear)]
public partial class TorchSequential11;

/// <summary>A two-layer PyTorch MLP with named modules.</summary>
[Model(Input = 5)]
[Dense(7, Tanh, Name = "Hidden")]
[Dense(3, Softmax, Name = "Output")]
public partial class TorchNamedMlp;

/// <summary>A PyTorch MLP whose hidden layer was built with <c>bias=False</c>.</summary>
[Model(Input = 5)]
[Dense(7, Tanh, UseBias = false, Name = "Hidden")]
[Dense(3, Softmax, Name = "Output")]
public partial class TorchBiasFreeHidden;

/// <summary>A PyTorch MLP whose last layer was built with <c>bias=False</c>: nothing follows its bias's place.</summary>
[Model(Input = 5)]
[Dense(7, Tanh, Name = "Hidden")]
[Dense(3, Linear, UseBias = false, Name = "Output")]
public partial class TorchBiasFreeOutput;

/// <summary>
/// Weights saved by PyTorch (<c>[out, in]</c>, module names) load into DeepGen models: written here in PyTorch's
/// layout with <see cref="SafeTensorsWriter"/>, then the model's outputs are checked against a double-precision
/// forward pass computed straight from the <c>[out, in]</c> arrays.
/// </summary>
public sealed class PyTorchImportTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "deepgen-pytorch-" + Guid.NewGuid().ToString("N"));

    public PyTorchImportTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>One PyTorch Linear layer as its state dict holds it.</summary>
    private sealed record TorchLinear(string Prefix, int In, int Out, float[] Weight, float[]? Bias, Activation Activation);

    [Fact]
    public void Sequential_layers_load_in_numeric_order_and_give_the_reference_outputs()
    {
        var layers = Enumerable.Range(0, 11).Select(i => RandomLinear((2 * i).ToString(System.Globalization.CultureInfo.InvariantCulture), 4, i == 10 ? 2 : 4, i == 10 ? Linear : Tanh, seed: i)).ToList();
        var path = Write("sequential.safetensors", layers);
        var model = new TorchSequential11(seed: 1);

        model.LoadPyTorch(path);

        AssertMatchesReference(model, layers);
    }

    [Fact]
    public void An_explicit_map_loads_modules_whose_names_do_not_sort_in_layer_order()
    {
        // "decoder" sorts before "encoder", so the default order would give the 5 → 7 layer the 7 → 3 weights.
        var layers = new List<TorchLinear> { RandomLinear("encoder", 5, 7, Tanh, seed: 1), RandomLinear("decoder", 7, 3, Softmax, seed: 2) };
        var path = Write("named.safetensors", layers);

        var byOrder = Assert.Throws<InvalidModelFileException>(() => new TorchNamedMlp(seed: 1).LoadPyTorch(path));
        Assert.Contains("decoder.weight", byOrder.Message);
        Assert.Contains("[3, 7]", byOrder.Message);

        var model = new TorchNamedMlp(seed: 1);
        model.LoadPyTorch(path, new Dictionary<string, string> { ["Hidden"] = "encoder", ["Output"] = "decoder" });
        AssertMatchesReference(model, layers);
    }

    [Fact]
    public void Linear_layer_prefixes_sort_digit_runs_as_numbers()
    {
        var layers = new[] { "fc10", "fc2", "fc1", "layers.10.lin", "layers.9.lin" }.Select((p, i) => RandomLinear(p, 1, 1, Linear, seed: i)).ToList();
        var file = SafeTensorsFile.Read(Write("order.safetensors", layers));
        Assert.Equal(["fc1", "fc2", "fc10", "layers.9.lin", "layers.10.lin"], PyTorchWeights.LinearLayerPrefixes(file));
    }

    [Fact]
    public void A_missing_bias_is_named_and_the_model_keeps_its_weights()
    {
        var layers = new List<TorchLinear> { RandomLinear("fc1", 5, 7, Tanh, seed: 1), RandomLinear("fc2", 7, 3, Softmax, seed: 2) };
        var path = WriteTensors("missing.safetensors", [.. Tensors(layers).Where(t => t.Name != "fc2.bias")]);
        var model = new TorchNamedMlp(seed: 1);
        var before = model.Parameters.ToArray();

        var error = Assert.Throws<InvalidModelFileException>(() => model.LoadPyTorch(path));

        Assert.Contains("'fc2.bias'", error.Message);
        Assert.Contains("Output", error.Message);
        Assert.Equal(before, model.Parameters.ToArray());
    }

    [Fact]
    public void A_tensor_the_model_has_no_place_for_is_named()
    {
        var layers = new List<TorchLinear> { RandomLinear("fc1", 5, 7, Tanh, seed: 1), RandomLinear("fc2", 7, 3, Softmax, seed: 2) };
        var path = WriteTensors("extra.safetensors", [.. Tensors(layers), new TensorToWrite("norm.running_mean", [7], new float[7])]);
        var error = Assert.Throws<InvalidModelFileException>(() => new TorchNamedMlp(seed: 1).LoadPyTorch(path));
        Assert.Contains("norm.running_mean [7]", error.Message);
    }

    [Fact]
    public void A_weight_in_deepgens_layout_instead_of_pytorchs_is_a_shape_error()
    {
        var layers = new List<TorchLinear> { RandomLinear("fc1", 5, 7, Tanh, seed: 1), RandomLinear("fc2", 7, 3, Softmax, seed: 2) };
        var tensors = Tensors(layers).Select(t => t.Name == "fc1.weight" ? t with { Shape = [5, 7] } : t).ToList();
        var error = Assert.Throws<InvalidModelFileException>(() => new TorchNamedMlp(seed: 1).LoadPyTorch(WriteTensors("shape.safetensors", tensors)));
        Assert.Contains("'fc1.weight'", error.Message);
        Assert.Contains("[5, 7]", error.Message);
        Assert.Contains("[7, 5]", error.Message);
        Assert.Contains("out_features", error.Message);
    }

    [Fact]
    public void A_half_precision_tensor_is_refused_with_its_dtype()
    {
        // Built by hand: SafeTensorsWriter writes F32 only. One F16 tensor [1, 1] (2 bytes) and F32 others.
        var path = Path.Combine(_folder, "f16.safetensors");
        var header = """{"fc1.weight":{"dtype":"F16","shape":[1,1],"data_offsets":[0,2]},"fc1.bias":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}""";
        var headerBytes = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + headerBytes.Length + 6];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)headerBytes.Length);
        headerBytes.CopyTo(bytes, 8);
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<InvalidModelFileException>(() => new OneByOne(seed: 1).LoadPyTorch(path));
        Assert.Contains("F16", error.Message);
        Assert.Contains("fc1.weight", error.Message);
    }

    [Fact]
    public void A_layer_count_mismatch_lists_both_sides()
    {
        var path = Write("three.safetensors", [RandomLinear("0", 5, 7, Tanh, 1), RandomLinear("2", 7, 3, Tanh, 2), RandomLinear("4", 3, 3, Softmax, 3)]);
        var error = Assert.Throws<InvalidModelFileException>(() => new TorchNamedMlp(seed: 1).LoadPyTorch(path));
        Assert.Contains("3 Linear layer(s) (0, 2, 4)", error.Message);
        Assert.Contains("Hidden, Output", error.Message);
    }

    [Fact]
    public void A_map_naming_an_unknown_layer_or_leaving_one_out_is_refused()
    {
        var path = Write("named.safetensors", [RandomLinear("a", 5, 7, Tanh, 1), RandomLinear("b", 7, 3, Softmax, 2)]);
        var model = new TorchNamedMlp(seed: 1);
        Assert.Contains("'Hiden'", Assert.Throws<ArgumentException>(() => model.LoadPyTorch(path, new Dictionary<string, string> { ["Hiden"] = "a", ["Output"] = "b" })).Message);
        Assert.Contains("Hidden", Assert.Throws<ArgumentException>(() => model.LoadPyTorch(path, new Dictionary<string, string> { ["Output"] = "b" })).Message);
        Assert.Contains("more than one", Assert.Throws<ArgumentException>(() => model.LoadPyTorch(path, new Dictionary<string, string> { ["Hidden"] = "a", ["Output"] = "a" })).Message);
    }

    [Fact]
    public void A_non_finite_weight_is_refused()
    {
        var layers = new List<TorchLinear> { RandomLinear("fc1", 5, 7, Tanh, seed: 1), RandomLinear("fc2", 7, 3, Softmax, seed: 2) };
        layers[1].Weight[4] = float.NaN;
        var error = Assert.Throws<InvalidModelFileException>(() => new TorchNamedMlp(seed: 1).LoadPyTorch(Write("nan.safetensors", layers)));
        Assert.Contains("fc2.weight", error.Message);
        Assert.Contains("NaN", error.Message);
    }

    [Fact]
    public void Bias_free_layers_load_files_saved_from_bias_false_layers()
    {
        var hiddenFree = new List<TorchLinear> { RandomLinear("fc1", 5, 7, Tanh, seed: 1) with { Bias = null }, RandomLinear("fc2", 7, 3, Softmax, seed: 2) };
        var model = new TorchBiasFreeHidden(seed: 1);
        model.LoadPyTorch(Write("hidden-free.safetensors", hiddenFree));
        AssertMatchesReference(model, hiddenFree);

        var outputFree = new List<TorchLinear> { RandomLinear("fc1", 5, 7, Tanh, seed: 3), RandomLinear("fc2", 7, 3, Linear, seed: 4) with { Bias = null } };
        var last = new TorchBiasFreeOutput(seed: 1);
        last.LoadPyTorch(Write("output-free.safetensors", outputFree), new Dictionary<string, string> { ["Hidden"] = "fc1", ["Output"] = "fc2" });
        AssertMatchesReference(last, outputFree);
    }

    [Fact]
    public void A_bias_for_a_bias_free_layer_is_refused_by_name_and_the_model_keeps_its_weights()
    {
        // Before, this bias was written over the next layer's first weights (then overwritten), so the load "worked".
        var layers = new List<TorchLinear> { RandomLinear("fc1", 5, 7, Tanh, seed: 1), RandomLinear("fc2", 7, 3, Softmax, seed: 2) };
        var model = new TorchBiasFreeHidden(seed: 1);
        var before = model.Parameters.ToArray();

        var error = Assert.Throws<InvalidModelFileException>(() => model.LoadPyTorch(Write("hidden-bias.safetensors", layers)));

        Assert.Contains("'fc1.bias'", error.Message);
        Assert.Contains("Hidden", error.Message);
        Assert.Contains("UseBias = false", error.Message);
        Assert.Equal(before, model.Parameters.ToArray());
    }

    [Fact]
    public void A_bias_for_a_bias_free_last_layer_is_refused_by_name()
    {
        // Before, the bias's place ran past the end of the parameters: ArgumentOutOfRangeException.
        var layers = new List<TorchLinear> { RandomLinear("fc1", 5, 7, Tanh, seed: 1), RandomLinear("fc2", 7, 3, Linear, seed: 2) };
        var model = new TorchBiasFreeOutput(seed: 1);
        var before = model.Parameters.ToArray();

        var error = Assert.Throws<InvalidModelFileException>(() => model.LoadPyTorch(Write("output-bias.safetensors", layers)));

        Assert.Contains("'fc2.bias'", error.Message);
        Assert.Contains("Output", error.Message);
        Assert.Equal(before, model.Parameters.ToArray());
    }

    private static TorchLinear RandomLinear(string prefix, int inputs, int outputs, Activation activation, int seed)
    {
        var random = new Random(seed);
        float Next() => (float)(random.NextDouble() * 2 - 1);
        return new TorchLinear(prefix, inputs, outputs,
            [.. Enumerable.Range(0, inputs * outputs).Select(_ => Next())], [.. Enumerable.Range(0, outputs).Select(_ => Next())], activation);
    }

    /// <summary>
    /// The layers' tensors as <c>torch.save_file(state_dict)</c> names and shapes them: weight [out, in], bias [out]
    /// (none for a layer built with <c>bias=False</c>).
    /// </summary>
    private static IEnumerable<TensorToWrite> Tensors(IEnumerable<TorchLinear> layers)
    {
        foreach (var l in layers)
        {
            yield return new TensorToWrite(l.Prefix + ".weight", [l.Out, l.In], l.Weight);
            if (l.Bias is not null) yield return new TensorToWrite(l.Prefix + ".bias", [l.Out], l.Bias);
        }
    }

    private string Write(string name, IReadOnlyList<TorchLinear> layers) => WriteTensors(name, [.. Tensors(layers)]);

    private string WriteTensors(string name, IReadOnlyList<TensorToWrite> tensors)
    {
        var path = Path.Combine(_folder, name);
        SafeTensorsWriter.Write(path, tensors);
        return path;
    }

    /// <summary>y = activation(W x + b) layer after layer, in double, reading W as PyTorch's [out, in].</summary>
    private static void AssertMatchesReference(SequentialModel model, IReadOnlyList<TorchLinear> layers)
    {
        const int samples = 9;
        var random = new Random(42);
        var x = Enumerable.Range(0, samples * layers[0].In).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        var predictions = model.Predict(x);
        for (var s = 0; s < samples; s++)
        {
            var values = x.AsSpan(s * layers[0].In, layers[0].In).ToArray().Select(v => (double)v).ToArray();
            foreach (var layer in layers)
            {
                var next = new double[layer.Out];
                for (var o = 0; o < layer.Out; o++)
                {
                    var sum = layer.Bias is null ? 0.0 : layer.Bias[o];
                    for (var i = 0; i < layer.In; i++) sum += layer.Weight[o * layer.In + i] * values[i];
                    next[o] = layer.Activation switch { Tanh => Math.Tanh(sum), Linear => sum, Softmax => sum, _ => throw new NotSupportedException() };
                }

                if (layer.Activation == Softmax)
                {
                    var max = next.Max();
                    var exps = next.Select(v => Math.Exp(v - max)).ToArray();
                    next = [.. exps.Select(e => e / exps.Sum())];
                }

                values = next;
            }

            for (var o = 0; o < values.Length; o++)
                Assert.True(Math.Abs(predictions[s * values.Length + o] - values[o]) <= 1e-5 * Math.Max(1, Math.Abs(values[o])),
                    $"Sample {s}, output {o}: DeepGen {predictions[s * values.Length + o]}, reference {values[o]}.");
        }
    }
}

[Model(Input = 1)]
[Dense(1, Linear)]
public partial class OneByOne;
