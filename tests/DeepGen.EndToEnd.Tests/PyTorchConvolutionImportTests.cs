using DeepGen.Serialization;
using static DeepGen.Activation;

namespace DeepGen.EndToEnd.Tests;

/// <summary><c>nn.Conv2d(2, 3, 2)</c>, Tanh, <c>nn.Flatten()</c>, <c>nn.Linear(18, 2)</c> on 4×3 images of 2 channels.</summary>
[Model(InputShape = new[] { 4, 3, 2 })]
[Conv2D(3, 2, Tanh, Name = "Conv")]
[Flatten(Name = "Flat")]
[Dense(2, Linear, Name = "Fc")]
public partial class TorchConvFlatten;

/// <summary>
/// Two convolutions (the second same-padded and bias-free) around a max pooling, a flatten, two dense layers: as a
/// PyTorch <c>nn.Sequential</c> it saves modules 0, 3, 7 and 9.
/// </summary>
[Model(InputShape = new[] { 7, 6, 2 })]
[Conv2D(3, 3, Tanh, Name = "C1")]
[MaxPooling2D(2, Name = "Pool")]
[Conv2D(4, 2, Relu, Padding = Padding.Same, UseBias = false, Name = "C2")]
[Flatten(Name = "Flat")]
[Dense(5, Tanh, Name = "Hidden")]
[Dense(2, Linear, Name = "Out")]
public partial class TorchConvnet;

/// <summary>A convolution, global average pooling and a dense layer that reads one value per channel.</summary>
[Model(InputShape = new[] { 5, 5, 2 })]
[Conv2D(3, 3, Relu, Name = "Conv")]
[GlobalAveragePooling2D(Name = "Gap")]
[Dense(2, Linear, Name = "Fc")]
public partial class TorchGapConvnet;

/// <summary>
/// PyTorch <c>nn.Conv2d</c> weights (<c>[out, in, kh, kw]</c>) load into DeepGen convolutions, and a Linear after a
/// flatten, which PyTorch feeds in (channels, height, width) order, has its inputs reordered to DeepGen's (height,
/// width, channels). The files are written here in PyTorch's layout; one test checks the outputs against a
/// double-precision forward pass done PyTorch's way (channels first), the others against a model whose weights were
/// set by hand in Keras's layout.
/// </summary>
public sealed class PyTorchConvolutionImportTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "deepgen-pytorch-conv-" + Guid.NewGuid().ToString("N"));

    public PyTorchConvolutionImportTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void A_conv2d_and_the_linear_after_its_flatten_give_pytorchs_outputs_on_the_same_image()
    {
        const int height = 4, width = 3, channels = 2, filters = 3, k = 2, outH = 3, outW = 2, classes = 2;
        var convWeight = RandomValues(filters * channels * k * k, seed: 1);
        var convBias = RandomValues(filters, seed: 2);
        var fcWeight = RandomValues(classes * filters * outH * outW, seed: 3);
        var fcBias = RandomValues(classes, seed: 4);
        var path = WriteTensors("conv-flatten.safetensors",
        [
            new TensorToWrite("conv.weight", [filters, channels, k, k], convWeight),
            new TensorToWrite("conv.bias", [filters], convBias),
            new TensorToWrite("fc.weight", [classes, filters * outH * outW], fcWeight),
            new TensorToWrite("fc.bias", [classes], fcBias),
        ]);
        var model = new TorchConvFlatten(seed: 1);

        model.LoadPyTorch(path);

        const int samples = 5;
        var x = RandomValues(samples * height * width * channels, seed: 5); // DeepGen's layout: [sample, h, w, c]
        var predictions = model.Predict(x);
        for (var s = 0; s < samples; s++)
        {
            // PyTorch's forward on the same image, channels first: conv, tanh, flatten in (c, h, w) order, linear.
            double Pixel(int c, int h, int w) => x[s * height * width * channels + (h * width + w) * channels + c];
            var flat = new double[filters * outH * outW];
            for (var f = 0; f < filters; f++)
                for (var oy = 0; oy < outH; oy++)
                    for (var ox = 0; ox < outW; ox++)
                    {
                        double sum = convBias[f];
                        for (var c = 0; c < channels; c++)
                            for (var ky = 0; ky < k; ky++)
                                for (var kx = 0; kx < k; kx++)
                                    sum += convWeight[((f * channels + c) * k + ky) * k + kx] * Pixel(c, oy + ky, ox + kx);
                        flat[(f * outH + oy) * outW + ox] = Math.Tanh(sum);
                    }

            for (var o = 0; o < classes; o++)
            {
                double expected = fcBias[o];
                for (var i = 0; i < flat.Length; i++) expected += fcWeight[o * flat.Length + i] * flat[i];
                var actual = predictions[s * classes + o];
                Assert.True(Math.Abs(actual - expected) <= 1e-5 * Math.Max(1, Math.Abs(expected)),
                    $"Sample {s}, output {o}: DeepGen {actual}, PyTorch's forward {expected}.");
            }
        }
    }

    [Fact]
    public void A_convnet_loads_into_the_weights_set_by_hand_in_keras_layout()
    {
        var byHand = new TorchConvnet(seed: 1);
        RandomValues(byHand.Parameters.Length, seed: 7).CopyTo(byHand.Parameters);
        var path = WriteTensors("convnet.safetensors",
        [
            .. TorchConvolution("0", byHand.Layers[0]),
            .. TorchConvolution("3", byHand.Layers[2]),
            .. TorchLinear("7", byHand.Layers[4], image: new TensorShape(2, 2, 4)),
            .. TorchLinear("9", byHand.Layers[5], image: null),
        ]);
        var model = new TorchConvnet(seed: 2);

        model.LoadPyTorch(path);

        Assert.Equal(byHand.Parameters.ToArray(), model.Parameters.ToArray());
        var x = RandomValues(6 * byHand.Architecture.InputSize, seed: 8);
        Assert.Equal(byHand.Predict(x), model.Predict(x));
    }

    [Fact]
    public void A_linear_after_global_pooling_is_not_reordered()
    {
        var byHand = new TorchGapConvnet(seed: 1);
        RandomValues(byHand.Parameters.Length, seed: 9).CopyTo(byHand.Parameters);
        var path = WriteTensors("gap.safetensors",
            [.. TorchConvolution("features.0", byHand.Layers[0]), .. TorchLinear("head", byHand.Layers[2], image: null)]);
        var model = new TorchGapConvnet(seed: 2);

        model.LoadPyTorch(path, new Dictionary<string, string> { ["Conv"] = "features.0", ["Fc"] = "head" });

        Assert.Equal(byHand.Parameters.ToArray(), model.Parameters.ToArray());
    }

    [Fact]
    public void A_conv2d_weight_in_keras_layout_is_a_shape_error_naming_the_tensor()
    {
        var model = new TorchConvFlatten(seed: 1);
        var before = model.Parameters.ToArray();
        var path = WriteTensors("keras-layout.safetensors",
        [
            new TensorToWrite("conv.weight", [2, 2, 2, 3], new float[24]),
            new TensorToWrite("conv.bias", [3], new float[3]),
            new TensorToWrite("fc.weight", [2, 18], new float[36]),
            new TensorToWrite("fc.bias", [2], new float[2]),
        ]);

        var error = Assert.Throws<InvalidModelFileException>(() => model.LoadPyTorch(path));

        Assert.Contains("'conv.weight'", error.Message);
        Assert.Contains("[2, 2, 2, 3]", error.Message);
        Assert.Contains("[3, 2, 2, 2]", error.Message);
        Assert.Contains("out_channels", error.Message);
        Assert.Equal(before, model.Parameters.ToArray());
    }

    [Fact]
    public void A_bias_for_a_bias_free_convolution_is_refused_by_name()
    {
        var byHand = new TorchConvnet(seed: 1);
        List<TensorToWrite> tensors =
        [
            .. TorchConvolution("0", byHand.Layers[0]),
            .. TorchConvolution("3", byHand.Layers[2]),
            new TensorToWrite("3.bias", [4], new float[4]),
            .. TorchLinear("7", byHand.Layers[4], image: new TensorShape(2, 2, 4)),
            .. TorchLinear("9", byHand.Layers[5], image: null),
        ];

        var error = Assert.Throws<InvalidModelFileException>(() => new TorchConvnet(seed: 2).LoadPyTorch(WriteTensors("conv-bias.safetensors", tensors)));

        Assert.Contains("'3.bias'", error.Message);
        Assert.Contains("C2", error.Message);
        Assert.Contains("UseBias = false", error.Message);
    }

    [Fact]
    public void A_layer_count_mismatch_counts_only_layers_with_weights()
    {
        var byHand = new TorchConvnet(seed: 1);
        var path = WriteTensors("three.safetensors",
            [.. TorchConvolution("0", byHand.Layers[0]), .. TorchLinear("9", byHand.Layers[5], image: null)]);

        var error = Assert.Throws<InvalidModelFileException>(() => new TorchConvnet(seed: 2).LoadPyTorch(path));

        Assert.Contains("2 Linear or Conv2d layer(s) (0, 9)", error.Message);
        Assert.Contains("4 with weights (C1, C2, Hidden, Out)", error.Message);
    }

    [Fact]
    public void A_map_naming_a_layer_without_weights_is_refused()
    {
        var byHand = new TorchGapConvnet(seed: 1);
        var path = WriteTensors("gap.safetensors",
            [.. TorchConvolution("conv", byHand.Layers[0]), .. TorchLinear("fc", byHand.Layers[2], image: null)]);
        var map = new Dictionary<string, string> { ["Conv"] = "conv", ["Gap"] = "pool", ["Fc"] = "fc" };

        var error = Assert.Throws<ArgumentException>(() => new TorchGapConvnet(seed: 2).LoadPyTorch(path, map));

        Assert.Contains("'Gap'", error.Message);
        Assert.Contains("no weights", error.Message);
    }

    /// <summary>A DeepGen convolution's tensors as PyTorch saves them: weight <c>[out, in, kh, kw]</c> from Keras's <c>[kh, kw, in, out]</c>, bias <c>[out]</c>.</summary>
    private static IEnumerable<TensorToWrite> TorchConvolution(string prefix, DenseLayer layer)
    {
        var info = layer.Info;
        int k = info.KernelSize, inChannels = info.InputShape.Channels, filters = info.OutputShape.Channels;
        var keras = layer.Weights.ToArray();
        var torch = new float[keras.Length];
        for (var y = 0; y < k; y++)
            for (var x = 0; x < k; x++)
                for (var c = 0; c < inChannels; c++)
                    for (var f = 0; f < filters; f++)
                        torch[((f * inChannels + c) * k + y) * k + x] = keras[((y * k + x) * inChannels + c) * filters + f];
        yield return new TensorToWrite(prefix + ".weight", [filters, inChannels, k, k], torch);
        if (info.UseBias) yield return new TensorToWrite(prefix + ".bias", [filters], layer.Bias.ToArray());
    }

    /// <summary>
    /// A DeepGen dense layer's tensors as PyTorch saves them: weight <c>[out, in]</c>, and where the layer reads a
    /// flattened <paramref name="image"/> its inputs in PyTorch's (c, h, w) order instead of DeepGen's (h, w, c).
    /// </summary>
    private static IEnumerable<TensorToWrite> TorchLinear(string prefix, DenseLayer layer, TensorShape? image)
    {
        var info = layer.Info;
        var keras = layer.Weights.ToArray();
        var torch = new float[keras.Length];
        var (height, width, channels) = image is { } s ? (s.Height, s.Width, s.Channels) : (1, info.Inputs, 1);
        for (var h = 0; h < height; h++)
            for (var w = 0; w < width; w++)
                for (var c = 0; c < channels; c++)
                    for (var o = 0; o < info.Units; o++)
                        torch[o * info.Inputs + (c * height + h) * width + w] = keras[((h * width + w) * channels + c) * info.Units + o];
        yield return new TensorToWrite(prefix + ".weight", [info.Units, info.Inputs], torch);
        if (info.UseBias) yield return new TensorToWrite(prefix + ".bias", [info.Units], layer.Bias.ToArray());
    }

    private static float[] RandomValues(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1))];
    }

    private string WriteTensors(string name, IReadOnlyList<TensorToWrite> tensors)
    {
        var path = Path.Combine(_folder, name);
        SafeTensorsWriter.Write(path, tensors);
        return path;
    }
}
