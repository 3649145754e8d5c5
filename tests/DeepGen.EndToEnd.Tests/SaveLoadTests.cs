using System.Buffers.Binary;
using System.Text;
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

    [Fact]
    public void Non_finite_weights_are_refused_by_name_as_LoadPyTorch_refuses_them()
    {
        var source = new SmallClassifier(seed: 1);
        var output = source.Architecture.Layers[1];
        source.Parameters[output.WeightsOffset + 5] = float.NaN;
        var nan = Path.Combine(_folder, "nan.safetensors");
        source.Save(nan);
        source.Parameters[output.WeightsOffset + 5] = 0.5f;
        source.Parameters[output.BiasOffset + 2] = float.NegativeInfinity;
        var infinite = Path.Combine(_folder, "infinite.safetensors");
        source.Save(infinite);
        var model = new SmallClassifier(seed: 2);
        var before = model.Parameters.ToArray();

        var e = Assert.Throws<InvalidModelFileException>(() => model.Load(nan));
        Assert.Contains("'Output.kernel'", e.Message);
        Assert.Contains("NaN at index 5", e.Message);
        Assert.Contains(nan, e.Message);
        e = Assert.Throws<InvalidModelFileException>(() => model.LoadForInference(infinite));
        Assert.Contains("'Output.bias'", e.Message);
        Assert.Contains("-Infinity at index 2", e.Message);
        Assert.False(model.IsInferenceOnly);
        Assert.Equal(before, model.Parameters.ToArray());
    }

    [Fact]
    public void Invalid_utf8_in_a_name_or_in_metadata_is_an_invalid_file_for_every_loader()
    {
        // JsonDocument does not check UTF-8 inside strings: reading such a name threw InvalidOperationException.
        var model = new OneByOne(seed: 1);
        var before = model.Parameters.ToArray();
        var badName = WriteRaw("name.safetensors",
            [.. "{\"Dense0.kernel\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[0,4]},\"Dense0.bias"u8, 0xFF,
             .. "\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}"u8], dataBytes: 8);
        var badMetadata = WriteRaw("metadata.safetensors",
            [.. "{\"__metadata__\":{\"k\":\""u8, 0xC3, .. "\"},\"0.weight\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[0,4]}}"u8], dataBytes: 4);
        var loneSurrogate = WriteRaw("surrogate.safetensors",
            [.. "{\"Dense0.kernel\\ud800\":{\"dtype\":\"F32\",\"shape\":[1,1],\"data_offsets\":[0,4]}}"u8], dataBytes: 4);

        foreach (var path in new[] { badName, badMetadata, loneSurrogate })
        {
            foreach (var load in new Action[] { () => model.Load(path), () => model.LoadForInference(path), () => model.LoadPyTorch(path) })
            {
                var e = Assert.Throws<InvalidModelFileException>(load);
                Assert.Contains(path, e.Message);
                Assert.Contains(path == loneSurrogate ? "not valid Unicode" : "not valid UTF-8", e.Message);
            }
        }

        Assert.Equal(before, model.Parameters.ToArray());
        Assert.False(model.IsInferenceOnly);
    }

    [Fact]
    public void A_huge_tail_after_a_valid_file_is_refused_without_reading_it()
    {
        // Before, the whole file was copied into memory first: 2.2 GB appended cost 4.2 GB and ended in
        // "IOException: Stream was too long". The tail is sparse, so the test costs no disk.
        var path = Path.Combine(_folder, "tail.safetensors");
        new SmallClassifier(seed: 1).Save(path);
        var size = new FileInfo(path).Length;
        const long tail = 2_200_000_000;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write)) stream.SetLength(size + tail);
        var model = new SmallClassifier(seed: 2);
        var before = model.Parameters.ToArray();

        foreach (var load in new Action[] { () => model.Load(path), () => model.LoadPyTorch(path) })
            AssertRefusedAllocatingLess(load, $"{tail:N0} bytes follow the last tensor", 4 * size + 256 * 1024, $"the file (the model's own is {size:N0} bytes)");

        Assert.Equal(before, model.Parameters.ToArray());
    }

    [Fact]
    public void A_huge_tensor_the_model_has_no_place_for_is_refused_without_reading_it()
    {
        // A well-formed file whose extra tensor is 1 GB: only the model's own tensors are ever read.
        var model = new SmallClassifier(seed: 2);
        var path = Path.Combine(_folder, "stray.safetensors");
        const long strayFloats = 250_000_000;
        var header = Encoding.UTF8.GetBytes(
            "{\"Hidden.kernel\":{\"dtype\":\"F32\",\"shape\":[20,32],\"data_offsets\":[0,2560]}," +
            "\"Hidden.bias\":{\"dtype\":\"F32\",\"shape\":[32],\"data_offsets\":[2560,2688]}," +
            "\"Output.kernel\":{\"dtype\":\"F32\",\"shape\":[32,4],\"data_offsets\":[2688,3200]}," +
            "\"Output.bias\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[3200,3216]}," +
            $"\"Stray\":{{\"dtype\":\"F32\",\"shape\":[{strayFloats}],\"data_offsets\":[3216,{3216 + 4 * strayFloats}]}}}}");
        using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
        {
            Span<byte> prefix = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
            stream.Write(prefix);
            stream.Write(header);
            stream.SetLength(8 + header.Length + 3216 + 4 * strayFloats);
        }

        var before = model.Parameters.ToArray();
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidModelFileException>(() => model.Load(path));
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        Assert.Contains("does not have: Stray", e.Message);
        Assert.True(allocated < 1024 * 1024, $"Refusing the file allocated {allocated:N0} bytes.");
        Assert.Equal(before, model.Parameters.ToArray());
    }

    [Fact]
    public void A_header_of_200000_tensors_is_refused_with_memory_bounded_by_the_header_not_by_its_entries()
    {
        // A 12 MB header: the loaders read the header once, forward only, and stop at a few more tensors than the
        // model has, instead of building a document of it and an entry per tensor (about ten times its size).
        var json = new StringBuilder("{");
        for (var i = 0; i < 200_000; i++) json.Append($"\"t{i}\":{{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}},");
        json.Length--;
        var path = WriteRaw("many.safetensors", Encoding.UTF8.GetBytes(json.Append('}').ToString()), dataBytes: 0);
        var size = new FileInfo(path).Length;
        var model = new SmallClassifier(seed: 2);
        var before = model.Parameters.ToArray();

        foreach (var load in new Action[] { () => model.Load(path), () => model.LoadPyTorch(path) })
            AssertRefusedAllocatingLess(load, "more than 104 tensors", size + 1024 * 1024, $"a {size:N0}-byte file");

        Assert.Equal(before, model.Parameters.ToArray());
    }

    private string WriteRaw(string name, byte[] header, int dataBytes)
    {
        var bytes = new byte[8 + header.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        var path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>The load is refused with a message containing <paramref name="message"/>, allocating less than <paramref name="limit"/> bytes.</summary>
    private static void AssertRefusedAllocatingLess(Action load, string message, long limit, string what)
    {
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidModelFileException>(load);
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        Assert.Contains(message, e.Message);
        Assert.True(allocated < limit, $"Refusing {what} allocated {allocated:N0} bytes.");
    }
}
