using System.Buffers.Binary;
using System.Text;
using DeepGen.Serialization;

namespace DeepGen.Text.Tests;

public sealed class HuggingFaceSafeTensorsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deepgen-hf-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void MiniLm_written_as_a_task_models_state_dict_reads_back_equal_under_the_same_names()
    {
        var onnx = MiniLmWeights.FromOnnx;
        var path = Path.Combine(_folder, "model.safetensors");
        // A task model keeps its encoder under "bert."; its head keeps its own name.
        var tensors = onnx.Values.Select(t => new TensorToWrite("bert." + t.Name, t.Shape, t.Values)).ToList();
        tensors.Add(new TensorToWrite("classifier.weight", [2, 384], new float[768]));
        SafeTensorsWriter.Write(path, tensors);

        var read = HuggingFaceSafeTensors.Read(path);

        Assert.Equal(onnx.Keys.Append("classifier.weight").Order(StringComparer.Ordinal), read.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, tensor) in onnx)
        {
            Assert.Equal(name, read[name].Name);
            Assert.Equal(tensor.Shape, read[name].Shape);
            Assert.True(tensor.Values.AsSpan().SequenceEqual(read[name].Values), name);
        }
    }

    [Fact]
    public void F16_and_BF16_are_widened_exactly()
    {
        float[] values = [0f, 1f, -2.5f, 65504f, 0.000061035156f, -0.333251953125f];
        var half = values.SelectMany(v => BitConverter.GetBytes(BitConverter.HalfToUInt16Bits((Half)v))).ToArray();
        // bfloat16 is float32's upper 16 bits; these values need no more mantissa than that.
        float[] brainValues = [0f, 1f, -2.5f, 3.0e38f, 1.0e-38f, -0.333984375f];
        var brain = brainValues.SelectMany(v => BitConverter.GetBytes((ushort)(BitConverter.SingleToUInt32Bits(v) >> 16))).ToArray();
        var path = Write(("embeddings.LayerNorm.weight", "F16", [2, 3], half), ("embeddings.LayerNorm.bias", "BF16", [6], brain));

        var read = HuggingFaceSafeTensors.Read(path);

        Assert.Equal([2, 3], read["embeddings.LayerNorm.weight"].Shape);
        Assert.Equal(values, read["embeddings.LayerNorm.weight"].Values);
        Assert.Equal(brainValues.Select(v => BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(v) & 0xFFFF0000)), read["embeddings.LayerNorm.bias"].Values);
    }

    [Fact]
    public void Integer_index_buffers_are_left_out()
    {
        var ids = Enumerable.Range(0, 4).SelectMany(i => BitConverter.GetBytes((long)i)).ToArray();
        var path = Write(("bert.embeddings.position_ids", "I64", [1, 4], ids), ("bert.embeddings.token_type_ids", "I64", [1, 4], new byte[32]),
            ("bert.embeddings.LayerNorm.bias", "F32", [1], BitConverter.GetBytes(0.5f)));

        var read = HuggingFaceSafeTensors.Read(path);

        Assert.Equal(["embeddings.LayerNorm.bias"], read.Keys);
    }

    [Theory]
    [InlineData("F64", 8)]
    [InlineData("I64", 8)]
    [InlineData("F8_E4M3", 1)]
    public void Other_dtypes_are_refused_naming_the_tensor(string dtype, int size)
    {
        var path = Write(("encoder.layer.0.output.dense.weight", dtype, [2], new byte[2 * size]));

        var error = Assert.Throws<InvalidModelFileException>(() => HuggingFaceSafeTensors.Read(path));

        Assert.Contains($"tensor 'encoder.layer.0.output.dense.weight' is {dtype}", error.Message);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void A_name_that_occurs_with_and_without_the_prefix_is_refused()
    {
        var one = BitConverter.GetBytes(1f);
        var path = Write(("bert.pooler.dense.bias", "F32", [1], one), ("pooler.dense.bias", "F32", [1], one));

        var error = Assert.Throws<InvalidModelFileException>(() => HuggingFaceSafeTensors.Read(path));

        Assert.Contains("'bert.pooler.dense.bias' and 'pooler.dense.bias' are both 'pooler.dense.bias'", error.Message);
    }

    [Fact]
    public void A_malformed_file_is_refused_by_the_safetensors_reader()
    {
        var path = Path.Combine(_folder, "broken.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);

        Assert.Throws<InvalidModelFileException>(() => HuggingFaceSafeTensors.Read(path));
    }

    /// <summary>A safetensors file of any dtypes, written by hand since DeepGen's writer writes F32 only.</summary>
    private string Write(params (string Name, string DType, long[] Shape, byte[] Data)[] tensors)
    {
        var header = new StringBuilder("{");
        long offset = 0;
        foreach (var (name, dtype, shape, data) in tensors)
        {
            if (header.Length > 1) header.Append(',');
            header.Append($"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{offset},{offset + data.Length}]}}");
            offset += data.Length;
        }

        var json = Encoding.UTF8.GetBytes(header.Append('}').ToString());
        var path = Path.Combine(_folder, $"{Guid.NewGuid():N}.safetensors");
        using var file = File.Create(path);
        var prefix = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)json.Length);
        file.Write(prefix);
        file.Write(json);
        foreach (var tensor in tensors) file.Write(tensor.Data);
        return path;
    }
}
