using DeepGen.Serialization;
using static DeepGen.Activation;

namespace DeepGen.EndToEnd.Tests;

/// <summary>A normalization of raw features before a Linear layer: <c>fc</c> in the state dict.</summary>
[Model(Input = 3)]
[Normalization(Name = "Scale")]
[Dense(2, Linear, Name = "Fc")]
public partial class TorchNormalizedLinear;

/// <summary>A convolution whose flattened output is normalized before the Linear layer reads it.</summary>
[Model(InputShape = new[] { 4, 3, 2 })]
[Conv2D(3, 2, Tanh, Name = "Conv")]
[Flatten(Name = "Flat")]
[Normalization(Name = "Scale")]
[Dense(2, Linear, Name = "Fc")]
public partial class TorchConvFlatNormalized;

/// <summary>
/// PyTorch weights into a model with a normalization: the state dict has nothing for it, so it keeps its statistics,
/// refuses to predict until adapted, and a dense layer reading a normalized flattened image is still permuted from
/// PyTorch's channels-first order.
/// </summary>
public sealed class PyTorchNormalizationImportTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deepgen-pytorch-normalization-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void The_normalization_takes_nothing_from_the_file_and_must_be_adapted_before_predicting()
    {
        float[] weight = [0.5f, -1f, 2f, 1.5f, 0.25f, -0.75f]; // PyTorch's [out 2, in 3]
        float[] bias = [0.1f, -0.2f];
        var path = Path.Combine(_folder, "fc.safetensors");
        SafeTensorsWriter.Write(path, [new TensorToWrite("fc.weight", [2, 3], weight), new TensorToWrite("fc.bias", [2], bias)]);

        var model = new TorchNormalizedLinear(seed: 1);
        model.LoadPyTorch(path);
        Assert.False(model.Scale.IsAdapted);
        var x = TestData.Uniform(10 * 3, -5f, 20f, seed: 2);
        Assert.Contains("'Scale'", Assert.Throws<InvalidOperationException>(() => model.Predict(x)).Message);
        Assert.Throws<ArgumentException>(() => model.LoadPyTorch(path, new Dictionary<string, string> { ["Scale"] = "fc", ["Fc"] = "fc" }));

        model.Adapt(x);
        var mean = model.NonTrainableWeights[..3].ToArray();
        var variance = model.NonTrainableWeights.Slice(3, 3).ToArray();
        var predictions = model.Predict(x);
        for (var s = 0; s < 10; s++)
            for (var o = 0; o < 2; o++)
            {
                double expected = bias[o];
                for (var i = 0; i < 3; i++) expected += (x[s * 3 + i] - mean[i]) / Math.Sqrt(variance[i]) * weight[o * 3 + i];
                Assert.Equal(expected, predictions[s * 2 + o], 1e-4);
            }

        // Importing again keeps the adapted statistics.
        model.LoadPyTorch(path);
        Assert.True(model.Scale.IsAdapted);
        Assert.Equal(predictions, model.Predict(x));
    }

    [Fact]
    public void A_dense_layer_reading_a_normalized_flattened_image_is_permuted_from_channels_first()
    {
        var layers = new TorchConvFlatNormalized().Architecture.Layers;
        Assert.Equal(new TensorShape(3, 2, 3), PyTorchWeights.FlattenedImage(layers, 3));
    }
}
