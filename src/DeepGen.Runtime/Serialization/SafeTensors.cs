using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Microsoft.Win32.SafeHandles;

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
/// A parsed safetensors file: an 8-byte little-endian header length, a JSON header naming each tensor's dtype, shape
/// and byte range, then the data. Every rule of the format is checked on reading, and the header is checked against
/// the file's length before any data is read, so a file that claims more (or holds more) than its tensors is refused
/// without reading it. Checks take time linear in the header's size.
/// </summary>
public sealed class SafeTensorsFile
{
    /// <summary>Headers above this size are refused rather than read (the format's reference reader uses the same limit).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private const int PrefixBytes = 8;

    private readonly string _source;
    private readonly Dictionary<string, SafeTensorEntry> _byName;
    private readonly long _dataLength;

    // The data section is either held in memory (Read) or read on demand from a file the caller keeps open (Open).
    private readonly byte[]? _data;
    private readonly SafeFileHandle? _handle;
    private readonly long _dataStart;

    private SafeTensorsFile(string source, Header header, byte[]? data, SafeFileHandle? handle, long dataStart)
    {
        _source = source;
        Tensors = header.Tensors;
        Metadata = header.Metadata;
        _byName = header.ByName;
        _dataLength = header.DataLength;
        _data = data;
        _handle = handle;
        _dataStart = dataStart;
    }

    /// <summary>The header's <c>__metadata__</c> entries.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensors, in the order of their data.</summary>
    public IReadOnlyList<SafeTensorEntry> Tensors { get; }

    /// <summary>Reads and checks a whole file: its header first, then its data into memory.</summary>
    /// <exception cref="InvalidModelFileException">The file is not a valid safetensors file; the message names the problem.</exception>
    public static SafeTensorsFile Read(string path)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var (header, dataStart) = ReadCheckedHeader(handle, path, int.MaxValue);
        RequireInMemorySize(header, path);
        var data = new byte[header.DataLength];
        ReadExactly(handle, data, dataStart, path);
        return new SafeTensorsFile(path, header, data, null, 0);
    }

    /// <summary>Reads and checks a whole file from a stream, from its current position to its end.</summary>
    /// <param name="stream">The file's bytes.</param>
    /// <param name="sourceName">Names the source in error messages.</param>
    /// <exception cref="InvalidModelFileException">The bytes are not a valid safetensors file; the message names the problem.</exception>
    public static SafeTensorsFile Read(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> prefix = stackalloc byte[PrefixBytes];
        if (stream.ReadAtLeast(prefix, PrefixBytes, throwOnEndOfStream: false) < PrefixBytes)
            throw ShorterThanPrefix(sourceName);
        long? available = stream.CanSeek ? Math.Max(0, stream.Length - stream.Position) : null;
        var headerLength = CheckHeaderLength(BinaryPrimitives.ReadUInt64LittleEndian(prefix), available, sourceName);

        var headerBytes = new byte[headerLength];
        if (stream.ReadAtLeast(headerBytes, headerBytes.Length, throwOnEndOfStream: false) < headerBytes.Length)
            throw Invalid(sourceName, $"it ends inside its {headerLength:N0}-byte header");
        var header = ParseHeader(headerBytes, sourceName, int.MaxValue);
        if (available is { } length) CheckDataLength(header, length - headerLength, sourceName);
        RequireInMemorySize(header, sourceName);

        // Exactly what the header describes, then one byte more to find out whether anything follows. Where the
        // stream's length is unknown, memory grows with the bytes that actually come, not with what the header claims.
        var data = ReadUpTo(stream, header.DataLength, knownToBeThere: available is not null);
        if (data.Length < header.DataLength) CheckDataLength(header, data.Length, sourceName);
        Span<byte> probe = stackalloc byte[1];
        if (stream.Read(probe) > 0) throw Invalid(sourceName, "bytes follow the last tensor");
        return new SafeTensorsFile(sourceName, header, data, null, 0);
    }

    /// <summary>
    /// Reads and checks the header of the file open as <paramref name="handle"/>; tensors are read from it on demand,
    /// so the caller keeps it open while it reads them. Nothing but the header is read here. A header describing
    /// more than <paramref name="maxTensors"/> tensors is refused as soon as that many are read, so a loader that
    /// knows how many it can take keeps the memory of a hostile header's entries bounded.
    /// </summary>
    internal static SafeTensorsFile Open(SafeFileHandle handle, string path, int maxTensors = int.MaxValue)
    {
        var (header, dataStart) = ReadCheckedHeader(handle, path, maxTensors);
        return new SafeTensorsFile(path, header, null, handle, dataStart);
    }

    public bool TryGetTensor(string name, out SafeTensorEntry entry) => _byName.TryGetValue(name, out entry!);

    /// <summary>Copies a float32 tensor into <paramref name="destination"/>, which must hold exactly its elements.</summary>
    /// <exception cref="InvalidModelFileException">The tensor is not F32.</exception>
    public void ReadFloat32(SafeTensorEntry entry, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.DType != "F32")
            throw new InvalidModelFileException($"Tensor '{entry.Name}' is {entry.DType} in '{_source}'; DeepGen reads F32 tensors only.");
        if (destination.Length * 4L != entry.ByteLength)
            throw new ArgumentException($"Tensor '{entry.Name}' holds {entry.ByteLength / 4} floats; the destination holds {destination.Length}.", nameof(destination));
        ReadBytes(entry, MemoryMarshal.AsBytes(destination));
        if (!BitConverter.IsLittleEndian)
        {
            var raw = MemoryMarshal.Cast<float, int>(destination);
            BinaryPrimitives.ReverseEndianness(raw, raw);
        }
    }

    /// <summary>
    /// Copies a tensor's bytes as the file holds them, whatever its dtype, into <paramref name="destination"/>, which
    /// must hold exactly <see cref="SafeTensorEntry.ByteLength"/> bytes; the caller decodes them (F16, BF16, …).
    /// </summary>
    internal void ReadBytes(SafeTensorEntry entry, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (destination.Length != entry.ByteLength)
            throw new ArgumentException($"Tensor '{entry.Name}' holds {entry.ByteLength} bytes; the destination holds {destination.Length}.", nameof(destination));
        if (entry.ByteOffset < 0 || entry.ByteOffset > _dataLength - entry.ByteLength)
            throw new ArgumentException($"Tensor '{entry.Name}' lies outside the data of '{_source}': it belongs to another file.", nameof(entry));
        if (_data is not null) _data.AsSpan((int)entry.ByteOffset, destination.Length).CopyTo(destination);
        else ReadExactly(_handle!, destination, _dataStart + entry.ByteOffset, _source);
    }

    /// <summary>The header, checked against the file's length; and where the data section starts.</summary>
    private static (Header, long DataStart) ReadCheckedHeader(SafeFileHandle handle, string path, int maxTensors)
    {
        var fileLength = RandomAccess.GetLength(handle);
        Span<byte> prefix = stackalloc byte[PrefixBytes];
        if (fileLength < PrefixBytes) throw ShorterThanPrefix(path);
        ReadExactly(handle, prefix, 0, path);
        var headerLength = CheckHeaderLength(BinaryPrimitives.ReadUInt64LittleEndian(prefix), fileLength - PrefixBytes, path);
        var headerBytes = new byte[headerLength];
        ReadExactly(handle, headerBytes, PrefixBytes, path);
        var header = ParseHeader(headerBytes, path, maxTensors);
        CheckDataLength(header, fileLength - PrefixBytes - headerLength, path);
        return (header, PrefixBytes + headerLength);
    }

    private static void RequireInMemorySize(Header header, string source)
    {
        if (header.DataLength > Array.MaxLength)
            throw Invalid(source, $"its {header.DataLength:N0} bytes of tensors are more than can be held in memory at once");
    }

    /// <summary>Up to <paramref name="length"/> bytes, fewer where the stream ends first.</summary>
    private static byte[] ReadUpTo(Stream stream, long length, bool knownToBeThere)
    {
        var buffer = new byte[knownToBeThere ? length : Math.Min(length, 1 << 20)];
        var filled = 0;
        while (filled < length)
        {
            if (filled == buffer.Length) Array.Resize(ref buffer, (int)Math.Min(length, 2L * buffer.Length));
            var read = stream.Read(buffer, filled, buffer.Length - filled);
            if (read == 0) return buffer[..filled];
            filled += read;
        }

        return buffer;
    }

    private static long CheckHeaderLength(ulong claimed, long? available, string source)
    {
        if (claimed > MaxHeaderBytes)
            throw Invalid(source, $"its header claims {claimed:N0} bytes, more than the {MaxHeaderBytes:N0} allowed");
        if (available is { } length && (long)claimed > length)
            throw Invalid(source, $"its header claims {claimed:N0} bytes but only {length:N0} follow");
        return (long)claimed;
    }

    /// <summary>Reads exactly <c>destination.Length</c> bytes at <paramref name="offset"/>; a file that ends sooner changed since its header was checked.</summary>
    private static void ReadExactly(SafeFileHandle handle, Span<byte> destination, long offset, string source)
    {
        while (!destination.IsEmpty)
        {
            var read = RandomAccess.Read(handle, destination, offset);
            if (read == 0) throw Invalid(source, "it became shorter while it was read");
            destination = destination[read..];
            offset += read;
        }
    }

    private sealed record Header(
        List<SafeTensorEntry> Tensors, Dictionary<string, string> Metadata, Dictionary<string, SafeTensorEntry> ByName, long DataLength);

    /// <summary>
    /// Parses the header with a forward-only reader: memory is the header's bytes and the entries kept, no document
    /// of the whole header, and at most <paramref name="maxTensors"/> tensors are taken.
    /// </summary>
    private static Header ParseHeader(byte[] header, string source, int maxTensors)
    {
        // The JSON reader checks UTF-8 only outside strings; a name with invalid bytes would throw when it is read.
        if (!Utf8.IsValid(header)) throw Invalid(source, "its header is not valid UTF-8");
        try
        {
            var reader = new Utf8JsonReader(header.AsSpan().TrimEnd((byte)' '));
            return HeaderFrom(ref reader, source, maxTensors);
        }
        catch (JsonException e)
        {
            throw Invalid(source, $"its header is not valid JSON ({e.Message})", e);
        }
        catch (InvalidOperationException e)
        {
            // An escaped lone surrogate ("\ud800") is valid JSON but no string: reading it throws.
            throw Invalid(source, $"its header holds a string that is not valid Unicode ({e.Message})", e);
        }
    }

    /// <summary>The next token; the reader itself throws <see cref="JsonException"/> on malformed JSON.</summary>
    private static JsonTokenType Next(ref Utf8JsonReader reader, string source) =>
        reader.Read() ? reader.TokenType : throw Invalid(source, "its header ends inside its JSON");

    private static Header HeaderFrom(ref Utf8JsonReader reader, string source, int maxTensors)
    {
        if (Next(ref reader, source) != JsonTokenType.StartObject)
            throw Invalid(source, "its header is not a JSON object");
        var tensors = new List<SafeTensorEntry>();
        var byName = new Dictionary<string, SafeTensorEntry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var metadataSeen = false;
        while (Next(ref reader, source) != JsonTokenType.EndObject)
        {
            if (reader.ValueTextEquals("__metadata__"u8))
            {
                if (metadataSeen) throw Invalid(source, "its __metadata__ is given twice");
                metadataSeen = true;
                if (Next(ref reader, source) != JsonTokenType.StartObject)
                    throw Invalid(source, "its __metadata__ is not an object");
                while (Next(ref reader, source) != JsonTokenType.EndObject)
                {
                    var key = reader.GetString()!;
                    if (Next(ref reader, source) != JsonTokenType.String)
                        throw Invalid(source, $"metadata '{key}' is not a string");
                    if (!metadata.TryAdd(key, reader.GetString()!)) throw Invalid(source, $"metadata '{key}' is given twice");
                }

                continue;
            }

            if (tensors.Count == maxTensors)
                throw Invalid(source, $"it describes more than {maxTensors:N0} tensors, more than the model loading it could take");
            var tensor = ParseTensor(ref reader, reader.GetString()!, source);
            if (!byName.TryAdd(tensor.Name, tensor)) throw Invalid(source, $"tensor '{tensor.Name}' is described twice");
            tensors.Add(tensor);
        }

        if (reader.Read()) throw Invalid(source, "its header holds more than one JSON value");
        tensors.Sort((a, b) => a.ByteOffset.CompareTo(b.ByteOffset));
        return new Header(tensors, metadata, byName, CheckLayout(tensors, source));
    }

    private static SafeTensorEntry ParseTensor(ref Utf8JsonReader reader, string name, string source)
    {
        if (Next(ref reader, source) != JsonTokenType.StartObject)
            throw Invalid(source, $"tensor '{name}' is not described by an object");
        string? dtype = null;
        List<long>? dims = null;
        long[]? offsets = null;
        while (Next(ref reader, source) != JsonTokenType.EndObject)
        {
            if (reader.ValueTextEquals("dtype"u8))
            {
                if (Next(ref reader, source) != JsonTokenType.String) throw Invalid(source, $"tensor '{name}' has no dtype string");
                dtype = reader.GetString()!;
            }
            else if (reader.ValueTextEquals("shape"u8))
            {
                if (Next(ref reader, source) != JsonTokenType.StartArray) throw Invalid(source, $"tensor '{name}' has no shape array");
                dims = [];
                while (Next(ref reader, source) != JsonTokenType.EndArray)
                {
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var d) || d < 0)
                        throw Invalid(source, $"tensor '{name}' has a dimension that is not a non-negative integer");
                    dims.Add(d);
                }
            }
            else if (reader.ValueTextEquals("data_offsets"u8))
            {
                if (Next(ref reader, source) != JsonTokenType.StartArray) throw Invalid(source, $"tensor '{name}' has no data_offsets pair");
                offsets = new long[2];
                var count = 0;
                while (Next(ref reader, source) != JsonTokenType.EndArray)
                {
                    if (count == 2) throw Invalid(source, $"tensor '{name}' has no data_offsets pair");
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var offset) || offset < 0)
                        throw Invalid(source, $"tensor '{name}' has a data offset that is not a non-negative integer");
                    offsets[count++] = offset;
                }

                if (count != 2) throw Invalid(source, $"tensor '{name}' has no data_offsets pair");
            }
            else
            {
                // Another key (the format allows none, but readers ignore them): skip its value, however nested.
                Next(ref reader, source);
                reader.Skip();
            }
        }

        if (dtype is null) throw Invalid(source, $"tensor '{name}' has no dtype string");
        if (dims is null) throw Invalid(source, $"tensor '{name}' has no shape array");
        if (offsets is null) throw Invalid(source, $"tensor '{name}' has no data_offsets pair");
        var (begin, end) = (offsets[0], offsets[1]);
        if (end < begin) throw Invalid(source, $"tensor '{name}' ends (byte {end}) before it begins (byte {begin})");

        var elementSize = ElementSize(dtype);
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

        return new SafeTensorEntry(name, dtype, [.. dims], begin, end - begin);
    }

    /// <summary>Tensors must tile the data section exactly, without gaps or overlaps; returns the length they need.</summary>
    private static long CheckLayout(List<SafeTensorEntry> tensors, string source)
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

        return expected;
    }

    /// <summary>The data section must hold exactly what the tensors need: nothing missing, nothing after the last.</summary>
    private static void CheckDataLength(Header header, long dataLength, string source)
    {
        if (header.DataLength != dataLength)
            throw Invalid(source, header.DataLength > dataLength
                ? $"its data section holds {dataLength:N0} bytes but its tensors need {header.DataLength:N0}: the file is truncated"
                : $"{dataLength - header.DataLength:N0} bytes follow the last tensor");
    }

    private static int ElementSize(string dtype) => dtype switch
    {
        "F64" or "I64" or "U64" => 8,
        "F32" or "I32" or "U32" => 4,
        "F16" or "BF16" or "I16" or "U16" => 2,
        "I8" or "U8" or "BOOL" or "F8_E4M3" or "F8_E5M2" => 1,
        _ => 0, // unknown to us: its size is not checked, and reading it as F32 is refused
    };

    private static InvalidModelFileException ShorterThanPrefix(string source) =>
        Invalid(source, "it is shorter than the 8-byte header length every safetensors file starts with");

    private static InvalidModelFileException Invalid(string source, string problem, Exception? inner = null) =>
        new($"'{source}' is not a valid safetensors file: {problem}.", inner);
}

/// <summary>Writes safetensors files: float32 tensors in the given order, a deterministic header padded to 8 bytes.</summary>
public static class SafeTensorsWriter
{
    /// <summary>
    /// Writes atomically: into a temporary file in the same folder, flushed to disk, then renamed over
    /// <paramref name="path"/>, and the folder flushed too where the system allows it (Linux, macOS, FreeBSD), so a
    /// power loss cannot lose the new name. A failure leaves any existing file untouched and no temporary file
    /// behind; temporary files that killed saves of the same <paramref name="path"/> left are removed.
    /// </summary>
    public static void Write(string path, IReadOnlyList<TensorToWrite> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"Cannot save '{path}': the folder '{folder}' does not exist.");
        var header = BuildHeader(tensors, metadata); // validate before touching the disk
        var fileName = Path.GetFileName(full);
        RemoveStaleTemporaries(folder, fileName);
        var temporary = Path.Combine(folder, TemporaryPrefix(fileName) + Guid.NewGuid().ToString("N") + TemporarySuffix);
        FileStream? stream = null;
        try
        {
            stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None);
            WriteTo(stream, header, tensors);
            stream.Flush(flushToDisk: true);
            // Elsewhere the temporary file stays open, and so locked, until it has its final name: a save of the
            // same file starting meanwhile sees it in use and leaves it alone. Windows renames only closed files.
            if (OperatingSystem.IsWindows())
            {
                stream.Dispose();
                stream = null;
            }

            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            stream?.Dispose();
            stream = null;
            TryDelete(temporary);
            throw;
        }
        finally
        {
            stream?.Dispose();
        }

        FolderSync.TryFlush(folder);
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

    private const string TemporarySuffix = ".tmp";

    private static string TemporaryPrefix(string fileName) => "." + fileName + ".";

    /// <summary>
    /// Deletes the temporary files of earlier saves of <paramref name="fileName"/> that were killed before their
    /// rename. A save in progress holds its temporary file open without sharing until the rename, so one that can be
    /// opened that way is abandoned; one that cannot is left alone. Best effort: what cannot be deleted stays.
    /// </summary>
    private static void RemoveStaleTemporaries(string folder, string fileName)
    {
        var prefix = TemporaryPrefix(fileName);
        try
        {
            foreach (var candidate in Directory.EnumerateFiles(folder, "*" + TemporarySuffix))
            {
                var name = Path.GetFileName(candidate.AsSpan());
                if (name.Length != prefix.Length + 32 + TemporarySuffix.Length || !name.StartsWith(prefix, StringComparison.Ordinal) ||
                    !Guid.TryParseExact(name.Slice(prefix.Length, 32), "N", out _))
                    continue;
                try
                {
                    using var abandoned = new FileStream(candidate, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
                }
                catch (IOException)
                {
                    // In use: a save in progress.
                }
                catch (UnauthorizedAccessException)
                {
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
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
