using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace DeepGen.Serialization;

/// <summary>
/// Reads a Hugging Face / PyTorch state dict saved as safetensors (a model's <c>model.safetensors</c>) into
/// <see cref="NamedTensor"/>s, names and layout as the file has them: PyTorch's <c>[out, in]</c> for a linear
/// weight. Mapping the names onto a model's parameters is the loader's job (<c>SequenceModel.LoadWeights</c>).
/// </summary>
/// <remarks>
/// <para>
/// Floating-point tensors are read as float32: <c>F32</c> as they are, <c>F16</c> and <c>BF16</c> widened exactly
/// (every half and bfloat16 value is a float32 value). Other dtypes are refused by name, except the integer index
/// buffers Hugging Face saves with some BERT checkpoints (<c>embeddings.position_ids</c>, <c>embeddings.token_type_ids</c>:
/// <c>0, 1, …</c> and zeros, which a model derives itself), which are left out.
/// </para>
/// <para>
/// A task model (<c>BertForSequenceClassification</c>, …) keeps its encoder under <c>bert.</c>: that prefix is removed
/// from every name that has it, so the encoder's tensors get the same names as in a plain <c>BertModel</c> file (and
/// in <c>BertOnnxWeights.Read</c>); the task head's tensors keep their names. A name that would then occur twice is
/// refused. Values are returned as stored, NaN included: checking them is the loader's.
/// </para>
/// </remarks>
public static class HuggingFaceSafeTensors
{
    /// <summary>The prefix under which Hugging Face's task models keep their BERT encoder.</summary>
    public const string TaskModelPrefix = "bert.";

    /// <summary>Reads every floating-point tensor of the safetensors file at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidModelFileException">
    /// The file is not valid safetensors, holds a tensor of a dtype that is not read (naming it), or names a tensor
    /// twice once <see cref="TaskModelPrefix"/> is removed.
    /// </exception>
    public static IReadOnlyDictionary<string, NamedTensor> Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        // Tensors are read one at a time from the file, so memory is the floats returned plus one half-precision tensor.
        var file = SafeTensorsFile.Open(handle, path);
        var tensors = new Dictionary<string, NamedTensor>(file.Tensors.Count, StringComparer.Ordinal);
        var fileNames = new Dictionary<string, string>(StringComparer.Ordinal);
        byte[]? scratch = null;
        foreach (var entry in file.Tensors)
        {
            var name = entry.Name.StartsWith(TaskModelPrefix, StringComparison.Ordinal) ? entry.Name[TaskModelPrefix.Length..] : entry.Name;
            if (IsIndexBuffer(entry, name)) continue;
            if (!fileNames.TryAdd(name, entry.Name))
                throw Invalid(path, $"'{fileNames[name]}' and '{entry.Name}' are both '{name}' once the task model's '{TaskModelPrefix}' is removed");
            var shape = Shape(entry, path);
            var values = new float[checked((int)(entry.ByteLength / ElementBytes(entry, path)))];
            switch (entry.DType)
            {
                case "F32":
                    file.ReadFloat32(entry, values);
                    break;
                case "F16" or "BF16":
                    if (scratch is null || scratch.Length < entry.ByteLength) scratch = new byte[entry.ByteLength];
                    var bytes = scratch.AsSpan(0, (int)entry.ByteLength);
                    file.ReadBytes(entry, bytes);
                    Widen(entry.DType, MemoryMarshal.Cast<byte, ushort>(bytes), values);
                    break;
            }

            tensors.Add(name, new NamedTensor(name, shape, values));
        }

        return tensors;
    }

    private static bool IsIndexBuffer(SafeTensorEntry entry, string name) =>
        entry.DType is "I64" or "I32" &&
        (name.EndsWith("embeddings.position_ids", StringComparison.Ordinal) || name.EndsWith("embeddings.token_type_ids", StringComparison.Ordinal));

    private static int ElementBytes(SafeTensorEntry entry, string path) => entry.DType switch
    {
        "F32" => 4,
        "F16" or "BF16" => 2,
        _ => throw Invalid(path, $"tensor '{entry.Name}' is {entry.DType}; F32, F16 and BF16 tensors are read"),
    };

    private static int[] Shape(SafeTensorEntry entry, string path)
    {
        var shape = new int[entry.Shape.Length];
        for (var i = 0; i < shape.Length; i++)
            shape[i] = entry.Shape[i] <= Array.MaxLength
                ? (int)entry.Shape[i]
                : throw Invalid(path, $"tensor '{entry.Name}' has a dimension of {entry.Shape[i]:N0}, more than an array holds");
        // The header check guarantees byte length = elements × element size; the element count must also fit an array.
        if (entry.ByteLength / ElementBytes(entry, path) > Array.MaxLength)
            throw Invalid(path, $"tensor '{entry.Name}' holds more values than an array can");
        return shape;
    }

    /// <summary>Half-precision bits to float32: F16 through the hardware conversion, BF16 as float32's upper half.</summary>
    private static void Widen(string dtype, Span<ushort> bits, Span<float> destination)
    {
        if (!BitConverter.IsLittleEndian) BinaryPrimitives.ReverseEndianness(bits, bits);
        if (dtype == "F16")
        {
            TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<ushort, Half>(bits), destination);
            return;
        }

        var words = MemoryMarshal.Cast<float, uint>(destination);
        for (var i = 0; i < bits.Length; i++) words[i] = (uint)bits[i] << 16;
    }

    private static InvalidModelFileException Invalid(string path, string problem) =>
        new($"'{path}' is not a state dict DeepGen can read: {problem}.");
}
