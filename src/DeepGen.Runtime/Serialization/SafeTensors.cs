using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace DeepGen.Serialization;

/// <summary>A tensor to write: its name, its shape, and its values in row-major order.</summary>
public readonly record struct TensorToWrite(string Name, int[] Shape, ReadOnlyMemory<float> Data);

/// <summary>One tensor described by a safetensors header.</summary>
/// <param name="Name">The tensor's name.</param>
/// <param name="DType">Its element type as the file names it (<c>F32</c>, <c>F16</c>, …).</param>
/// <param name="Shape">Its dimensions.</param>
/// <param name="ByteOffset">Start of its bytes, from the start of the data section.</param>
/// <param name="ByteLength">Length of its bytes.</param>
public sealed record SafeTensorEntry(string Name, string DType, long[] Shape, long ByteOffset, long ByteLength);

/// <summary>
/// A parsed safetensors file, held in memory: an 8-byte little-endian header length, a JSON header naming each
/// tensor's dtype, shape and byte range, then the data. Every rule of the format is checked on reading.
/// </summary>
public sealed class SafeTensorsFile
{
    /// <summary>Headers above this size are refused rather than read (the format's reference reader uses the same limit).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private readonly byte[] _data;
    private readonly Dictionary<string, SafeTensorEntry> _byName;

    private SafeTensorsFile(IReadOnlyList<SafeTensorEntry> tensors, IReadOnlyDictionary<string, string> metadata, byte[] data)
    {
        Tensors = tensors;
        Metadata = metadata;
        _data = data;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The header's <c>__metadata__</c> entries.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensors, in the order of their data.</summary>
    public IReadOnlyList<SafeTensorEntry> Tensors { get; }

    public static SafeTensorsFile Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return Read(stream, path);
    }

    /// <param name="sourceName">Names the source in error messages.</param>
    public static SafeTensorsFile Read(Stream stream, string sourceName)
    {
        Span<byte> prefix = stackalloc byte[8];
        if (stream.ReadAtLeast(prefix, prefix.Length, throwOnEndOfStream: false) < 8)
            throw Invalid(sourceName, "it is shorter than the 8-byte header length every safetensors file starts with");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeaderBytes)
            throw Invalid(sourceName, $"its header claims {headerLength:N0} bytes, more than the {MaxHeaderBytes:N0} allowed");
        if (stream.CanSeek && (long)headerLength > stream.Length - 8)
            throw Invalid(sourceName, $"its header claims {headerLength:N0} bytes but only {stream.Length - 8:N0} follow");

        var header = new byte[headerLength];
        if (stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length)
            throw Invalid(sourceName, $"it ends inside its {headerLength:N0}-byte header");
        using var data = new MemoryStream();
        stream.CopyTo(data);
        var bytes = data.ToArray();

        var (tensors, metadata) = ParseHeader(header, sourceName);
        CheckLayout(tensors, bytes.LongLength, sourceName);
        return new SafeTensorsFile(tensors, metadata, bytes);
    }

    public bool TryGetTensor(string name, out SafeTensorEntry entry) => _byName.TryGetValue(name, out entry!);

    /// <summary>Copies a float32 tensor into <paramref name="destination"/>, which must hold exactly its elements.</summary>
    public void ReadFloat32(SafeTensorEntry entry, Span<float> destination)
    {
        if (entry.DType != "F32")
            throw new InvalidModelFileException($"Tensor '{entry.Name}' is {entry.DType}; DeepGen reads F32 tensors only.");
        if (destination.Length * 4L != entry.ByteLength)
            throw new ArgumentException($"Tensor '{entry.Name}' holds {entry.ByteLength / 4} floats; the destination holds {destination.Length}.", nameof(destination));
        var source = _data.AsSpan((int)entry.ByteOffset, (int)entry.ByteLength);
        MemoryMarshal.Cast<byte, float>(source).CopyTo(destination);
        if (!BitConverter.IsLittleEndian)
        {
            var raw = MemoryMarshal.Cast<float, int>(destination);
            BinaryPrimitives.ReverseEndianness(raw, raw);
        }
    }

    private static (List<SafeTensorEntry>, Dictionary<string, string>) ParseHeader(byte[] header, string source)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header.AsMemory().TrimEnd((byte)' '));
        }
        catch (JsonException e)
        {
            throw Invalid(source, $"its header is not valid JSON ({e.Message})", e);
        }
        catch (ArgumentException e)
        {
            throw Invalid(source, "its header is not valid UTF-8", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw Invalid(source, "its header is not a JSON object");
            var tensors = new List<SafeTensorEntry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    if (property.Value.ValueKind != JsonValueKind.Object)
                        throw Invalid(source, "its __metadata__ is not an object");
                    foreach (var item in property.Value.EnumerateObject())
                    {
                        if (metadata.ContainsKey(item.Name)) throw Invalid(source, $"metadata '{item.Name}' is given twice");
                        if (item.Value.ValueKind != JsonValueKind.String)
                            throw Invalid(source, $"metadata '{item.Name}' is not a string");
                        metadata[item.Name] = item.Value.GetString()!;
                    }

                    continue;
                }

                if (tensors.Exists(t => t.Name == property.Name))
                    throw Invalid(source, $"tensor '{property.Name}' is described twice");
                tensors.Add(ParseTensor(property, source));
            }

            tensors.Sort((a, b) => a.ByteOffset.CompareTo(b.ByteOffset));
            return (tensors, metadata);
        }
    }

    private static SafeTensorEntry ParseTensor(JsonProperty property, string source)
    {
        var name = property.Name;
        var value = property.Value;
        if (value.ValueKind != JsonValueKind.Object)
            throw Invalid(source, $"tensor '{name}' is not described by an object");
        if (!value.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != JsonValueKind.String)
            throw Invalid(source, $"tensor '{name}' has no dtype string");
        if (!value.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array)
            throw Invalid(source, $"tensor '{name}' has no shape array");
        if (!value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            throw Invalid(source, $"tensor '{name}' has no data_offsets pair");

        var dims = new long[shape.GetArrayLength()];
        var i = 0;
        foreach (var dim in shape.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out var d) || d < 0)
                throw Invalid(source, $"tensor '{name}' has a dimension that is not a non-negative integer");
            dims[i++] = d;
        }

        var begin = ReadOffset(offsets[0], name, source);
        var end = ReadOffset(offsets[1], name, source);
        if (end < begin) throw Invalid(source, $"tensor '{name}' ends (byte {end}) before it begins (byte {begin})");

        var elementSize = ElementSize(dtype.GetString()!);
        if (elementSize > 0)
        {
            long count = 1;
            try
            {
                foreach (var d in dims) count = checked(count * d);
                if (checked(count * elementSize) != end - begin)
                    throw Invalid(source, $"tensor '{name}' of shape [{string.Join(", ", dims)}] needs {count * elementSize} bytes but spans {end - begin}");
            }
            catch (OverflowException)
            {
                throw Invalid(source, $"tensor '{name}' has a shape too large to address");
            }
        }

        return new SafeTensorEntry(name, dtype.GetString()!, dims, begin, end - begin);
    }

    private static long ReadOffset(JsonElement element, string name, string source) =>
        element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out var offset) && offset >= 0
            ? offset
            : throw Invalid(source, $"tensor '{name}' has a data offset that is not a non-negative integer");

    /// <summary>Tensors must tile the data section exactly: no gaps, no overlaps, nothing after the last.</summary>
    private static void CheckLayout(List<SafeTensorEntry> tensors, long dataLength, string source)
    {
        long expected = 0;
        foreach (var tensor in tensors)
        {
            if (tensor.ByteOffset != expected)
                throw Invalid(source, tensor.ByteOffset < expected
                    ? $"tensor '{tensor.Name}' overlaps the tensor before it"
                    : $"there is a gap of {tensor.ByteOffset - expected} bytes before tensor '{tensor.Name}'");
            expected += tensor.ByteLength;
        }

        if (expected != dataLength)
            throw Invalid(source, expected > dataLength
                ? $"its data section holds {dataLength:N0} bytes but its tensors need {expected:N0}: the file is truncated"
                : $"{dataLength - expected:N0} bytes follow the last tensor");
    }

    private static int ElementSize(string dtype) => dtype switch
    {
        "F64" or "I64" or "U64" => 8,
        "F32" or "I32" or "U32" => 4,
        "F16" or "BF16" or "I16" or "U16" => 2,
        "I8" or "U8" or "BOOL" or "F8_E4M3" or "F8_E5M2" => 1,
        _ => 0, // unknown to us: its size is not checked, and reading it as F32 is refused
    };

    private static InvalidModelFileException Invalid(string source, string problem, Exception? inner = null) =>
        new($"'{source}' is not a valid safetensors file: {problem}.", inner);
}

/// <summary>Writes safetensors files: float32 tensors in the given order, a deterministic header padded to 8 bytes.</summary>
public static class SafeTensorsWriter
{
    /// <summary>
    /// Writes atomically: into a temporary file in the same folder, flushed to disk, then renamed over
    /// <paramref name="path"/>. A failure leaves any existing file untouched and no temporary file behind.
    /// </summary>
    public static void Write(string path, IReadOnlyList<TensorToWrite> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"Cannot save '{path}': the folder '{folder}' does not exist.");
        var header = BuildHeader(tensors, metadata); // validate before touching the disk
        var temporary = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                WriteTo(stream, header, tensors);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    public static void Write(Stream stream, IReadOnlyList<TensorToWrite> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        WriteTo(stream, BuildHeader(tensors, metadata), tensors);

    private static void WriteTo(Stream stream, byte[] header, IReadOnlyList<TensorToWrite> tensors)
    {
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
        stream.Write(prefix);
        stream.Write(header);
        foreach (var tensor in tensors)
        {
            if (BitConverter.IsLittleEndian)
            {
                stream.Write(MemoryMarshal.AsBytes(tensor.Data.Span));
                continue;
            }

            var swapped = MemoryMarshal.Cast<float, int>(tensor.Data.ToArray().AsSpan());
            BinaryPrimitives.ReverseEndianness(swapped, swapped);
            stream.Write(MemoryMarshal.AsBytes((ReadOnlySpan<int>)swapped));
        }
    }

    private static byte[] BuildHeader(IReadOnlyList<TensorToWrite> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal)) json.WriteString(key, value);
                json.WriteEndObject();
            }

            long offset = 0;
            foreach (var tensor in tensors)
            {
                if (string.IsNullOrEmpty(tensor.Name)) throw new ArgumentException("Every tensor needs a name.", nameof(tensors));
                if (tensor.Name == "__metadata__") throw new ArgumentException("'__metadata__' is reserved by the format and cannot name a tensor.", nameof(tensors));
                if (!names.Add(tensor.Name)) throw new ArgumentException($"Two tensors are named '{tensor.Name}'.", nameof(tensors));
                long count = 1;
                foreach (var d in tensor.Shape)
                {
                    if (d < 0) throw new ArgumentException($"Tensor '{tensor.Name}' has a negative dimension.", nameof(tensors));
                    count *= d;
                }

                if (count != tensor.Data.Length)
                    throw new ArgumentException($"Tensor '{tensor.Name}' has shape [{string.Join(", ", tensor.Shape)}] ({count} values) but {tensor.Data.Length} values.", nameof(tensors));

                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", "F32");
                json.WriteStartArray("shape");
                foreach (var d in tensor.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset += 4L * tensor.Data.Length);
                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
        var length = (int)buffer.Length;
        var padded = (length + 7) / 8 * 8;
        var header = new byte[padded];
        buffer.GetBuffer().AsSpan(0, length).CopyTo(header);
        header.AsSpan(length).Fill((byte)' ');
        return header;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
