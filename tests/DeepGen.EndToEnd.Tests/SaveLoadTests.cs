using DeepGen.EndToEnd.Tests.Models;
using DeepGen.Serialization;

namespace DeepGen.EndToEnd.Tests;

public class SaveLoadTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deepgen-save-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void A_saved_model_loads_into_a_fresh_one_and_predicts_the_same()
    {
        var (x, y) = TestData.Blobs(samples: 64, features: 20, classes: 4, seed: 1);
        var trained = new SmallClassifier(seed: 1);
        trained.Fit(x, y, epochs: 2, batchSize: 16, Loss.CategoricalCrossEntropy, new Sgd(0.1f), verbosity: Verbosity.Silent);
        var path = Path.Combine(_folder, "small.safetensors");
        trained.Save(path);

        var loaded = new SmallClassifier(seed: 99);
        loaded.Load(path);
        Assert.Equal(trained.Parameters.ToArray(), loaded.Parameters.ToArray());
        Assert.Equal(trained.Predict(x), loaded.Predict(x));

        var file = SafeTensorsFile.Read(path);
        Assert.Equal("SmallClassifier", file.Metadata[SequentialModel.ModelMetadataKey]);
        Assert.Equal("20-32(relu)-4(softmax)", file.Metadata[SequentialModel.ArchitectureMetadataKey]);
        Assert.Equal(["Hidden.kernel", "Hidden.bias", "Output.kernel", "Output.bias"], file.Tensors.Select(t => t.Name));
        file.TryGetTensor("Hidden.kernel", out var kernel);
        Assert.Equal([20L, 32L], kernel.Shape);
    }

    [Fact]
    public void A_file_from_another_model_is_recognised_and_the_weights_are_kept()
    {
        var path = Path.Combine(_folder, "odd.safetensors");
        new OddShapes(seed: 1).Save(path);
        var model = new SmallClassifier(seed: 1);
        var before = model.Parameters.ToArray();

        var e = Assert.Throws<InvalidModelFileException>(() => model.Load(path));
        Assert.Contains("model 'OddShapes' with architecture 37-45(tanh)-29(relu)-1(sigmoid)", e.Message);
        Assert.Contains("not of 'SmallClassifier' (20-32(relu)-4(softmax))", e.Message);
        Assert.Equal(before, model.Parameters.ToArray());
    }

    [Fact]
    public void A_tensor_of_the_wrong_shape_is_named_with_both_shapes()
    {
        // No architecture metadata, as another tool would write it: the tensors themselves are checked.
        var path = Path.Combine(_folder, "foreign.safetensors");
        SafeTensorsWriter.Write(path,
        [
            new("Hidden.kernel", [20, 31], new float[20 * 31]), new("Hidden.bias", [32], new float[32]),
            new("Output.kernel", [32, 4], new float[128]), new("Output.bias", [4], new float[4]),
        ]);
        var model = new SmallClassifier(seed: 1);
        var before = model.Parameters.ToArray();
        var e = Assert.Throws<InvalidModelFileException>(() => model.Load(path));
        Assert.Contains("Tensor 'Hidden.kernel'", e.Message);
        Assert.Contains("has shape [20, 31], but this model needs [20, 32]", e.Message);
        Assert.Equal(before, model.Parameters.ToArray());
    }

    [Fact]
    public void Missing_and_extra_tensors_are_named()
    {
        var missing = Path.Combine(_folder, "missing.safetensors");
        SafeTensorsWriter.Write(missing, [new("Hidden.kernel", [20, 32], new float[640]), new("Hidden.bias", [32], new float[32])]);
        var e = Assert.Throws<InvalidModelFileException>(() => new SmallClassifier().Load(missing));
        Assert.Contains("has no tensor 'Output.kernel' (shape [32, 4])", e.Message);

        var extra = Path.Combine(_folder, "extra.safetensors");
        SafeTensorsWriter.Write(extra,
        [
            new("Hidden.kernel", [20, 32], new float[640]), new("Hidden.bias", [32], new float[32]),
            new("Output.kernel", [32, 4], new float[128]), new("Output.bias", [4], new float[4]), new("Stray.bias", [1], new float[1]),
        ]);
        e = Assert.Throws<InvalidModelFileException>(() => new SmallClassifier().Load(extra));
        Assert.Contains("does not have: Stray.bias", e.Message);
    }

    [Fact]
    public void Saving_over_an_existing_file_replaces_it_whole()
    {
        var path = Path.Combine(_folder, "model.safetensors");
        var first = new SmallClassifier(seed: 1);
        first.Save(path);
        var second = new SmallClassifier(seed: 2);
        second.Save(path);
        var loaded = new SmallClassifier(seed: 3);
        loaded.Load(path);
        Assert.Equal(second.Parameters.ToArray(), loaded.Parameters.ToArray());
        Assert.Equal(["model.safetensors"], Directory.GetFiles(_folder).Select(Path.GetFileName));
    }
}
