using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using DeepGen.Serialization;
using Xunit.Sdk;

namespace DeepGen.EndToEnd.Tests;

/// <summary>
/// Seeded fuzzing of the weight-file readers: valid files (a DeepGen save, a PyTorch state dict) are mutated in
/// memory — bit flips, truncations, length-field changes, header edits, appended or removed bytes, non-finite
/// values — and loaded. Each load either succeeds with finite weights or throws <see cref="InvalidModelFileException"/>
/// (the documented type) leaving every weight bit-for-bit as it was, within a bounded time and allocation. A
/// failure names the mutation and its number, and the seed makes it reproducible. Nine files in ten go to the
/// loaders' checks from memory (the internal overloads that take a read file); every tenth is written to a temporary
/// file and loaded by path, through the public method, which reads the header first and then the tensors on demand.
/// </summary>
public sealed class WeightFileFuzzTests : IDisposable
{
    private const int FilesPerReader = 10_000;

    /// <summary>Far above a load of these small files (tens of microseconds); a file that makes a reader loop or scan is caught.</summary>
    private static readonly TimeSpan TimePerFile = TimeSpan.FromSeconds(2);

    /// <summary>Bytes one load may allocate: the header's JSON, messages, the model-sized buffers, far from the data a file may claim.</summary>
    private const long AllocationPerFile = 512 * 1024;

    private readonly string _folder = Directory.CreateTempSubdirectory("deepgen-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Mutated_DeepGen_files_load_or_are_refused_as_invalid_and_the_weights_stay_untouched()
    {
        var path = Path.Combine(_folder, "deepgen.safetensors");
        new TorchNamedMlp(seed: 1).Save(path);
        var original = File.ReadAllBytes(path);
        var model = new TorchNamedMlp(seed: 2);
        Fuzz(original, path, model, seed: 1,
            fromMemory: bytes => model.LoadFrom(SafeTensorsFile.Read(new MemoryStream(bytes), "fuzz"), "fuzz"),
            fromFile: () => model.Load(path));
    }

    [Fact]
    public void Mutated_PyTorch_files_load_or_are_refused_as_invalid_and_the_weights_stay_untouched()
    {
        var random = new Random(5);
        float[] Values(int count) => [.. Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() - 0.5))];
        using var stream = new MemoryStream();
        SafeTensorsWriter.Write(stream,
        [
            new("fc1.weight", [7, 5], Values(35)), new("fc1.bias", [7], Values(7)),
            new("fc2.weight", [3, 7], Values(21)), new("fc2.bias", [3], Values(3)),
        ], new Dictionary<string, string> { ["format"] = "pt" });
        var path = Path.Combine(_folder, "pytorch.safetensors");
        var model = new TorchNamedMlp(seed: 2);
        Fuzz(stream.ToArray(), path, model, seed: 2,
            fromMemory: bytes => PyTorchWeights.LoadFrom(model, SafeTensorsFile.Read(new MemoryStream(bytes), "fuzz"), "fuzz"),
            fromFile: () => model.LoadPyTorch(path));
    }

    [Fact]
    public void Mutated_files_read_from_a_stream_are_refused_as_invalid_or_read_in_full()
    {
        var random = new Random(3);
        using var stream = new MemoryStream();
        SafeTensorsWriter.Write(stream,
        [
            new("a", [3, 4], Enumerable.Range(0, 12).Select(i => (float)i).ToArray()),
            new("b", [2], new[] { 1f, 2f }), new("empty", [0], Array.Empty<float>()),
        ], new Dictionary<string, string> { ["k"] = "v" });
        var original = stream.ToArray();
        for (var n = 0; n < FilesPerReader; n++)
        {
            var (mutated, description) = Mutate(original, random);
            Check(n, description, () =>
            {
                var file = SafeTensorsFile.Read(new MemoryStream(mutated), "fuzz");
                foreach (var tensor in file.Tensors.Where(t => t.DType == "F32"))
                    file.ReadFloat32(tensor, new float[tensor.ByteLength / 4]);
            });
        }
    }

    private static void Fuzz(byte[] original, string path, SequentialModel model, int seed, Action<byte[]> fromMemory, Action fromFile)
    {
        var random = new Random(seed);
        var weights = model.Parameters.ToArray();
        int loaded = 0, refused = 0;
        for (var n = 0; n < FilesPerReader; n++)
        {
            var (mutated, description) = Mutate(original, random);
            var throughFile = n % 10 == 0;
            if (throughFile) File.WriteAllBytes(path, mutated);
            if (Check(n, description, throughFile ? fromFile : () => fromMemory(mutated)))
            {
                loaded++;
                Assert.True(model.Parameters.ToArray().All(float.IsFinite), $"Mutation #{n} ({description}) loaded non-finite weights.");
                weights = model.Parameters.ToArray();
            }
            else
            {
                refused++;
                Assert.True(MemoryMarshal.AsBytes(model.Parameters).SequenceEqual(MemoryMarshal.AsBytes(weights.AsSpan())),
                    $"Mutation #{n} ({description}) was refused but changed the model's weights.");
            }
        }

        // Both outcomes must occur, or the mutations are too tame (or too wild) to test anything.
        Assert.True(loaded > 100 && refused > FilesPerReader / 2, $"{loaded} mutated files loaded, {refused} were refused.");
    }

    /// <summary>Runs one load: true when it succeeded, false when it threw <see cref="InvalidModelFileException"/>.</summary>
    private static bool Check(int n, string description, Action load)
    {
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var started = Stopwatch.GetTimestamp();
        bool succeeded;
        try
        {
            load();
            succeeded = true;
        }
        catch (InvalidModelFileException)
        {
            succeeded = false;
        }
        catch (Exception e)
        {
            throw new XunitException($"Mutation #{n} ({description}) threw {e.GetType().Name}, not InvalidModelFileException: {e}");
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        Assert.True(elapsed < TimePerFile, $"Mutation #{n} ({description}) took {elapsed.TotalSeconds:F2} s.");
        Assert.True(allocated < AllocationPerFile, $"Mutation #{n} ({description}) allocated {allocated:N0} bytes.");
        return succeeded;
    }

    private static readonly byte[] HeaderBytes = "\"{}[],:0123456789-+.eE \\u"u8.ToArray().Concat(new byte[] { 0x00, 0x7F, 0x80, 0xBF, 0xC3, 0xE2, 0xF0, 0xFF }).ToArray();

    private static readonly (string From, string To)[] HeaderEdits =
    [
        ("F32", "F16"), ("F32", "F64"), ("F32", "BF16"), ("F32", "XYZ"), ("kernel", "bias"), ("bias", "kernel"), ("weight", "bias"),
        ("fc1", "fc2"), ("Hidden", "Output"), ("[", "[1,"), ("[", "[0,"), (",", ",0,"), ("]", ",1]"), ("0", "-1"), ("0", "1e3"),
        ("0", "99999999999999999999"), ("\"shape\"", "\"shap\""), ("\"dtype\"", "\"__metadata__\""), ("__metadata__", "__m__"),
        ("\"", "\\\""), ("\"", "\\ud800\""), (":", "::"), ("}", "}}"), ("{", "{\"x\":1,"), ("data_offsets", "offsets"),
    ];

    /// <summary>One to three mutations of <paramref name="original"/>, and what they were.</summary>
    private static (byte[] Bytes, string Description) Mutate(byte[] original, Random random)
    {
        var bytes = original.ToList();
        var description = new List<string>();
        var count = random.Next(1, 4);
        for (var m = 0; m < count; m++)
        {
            var headerLength = bytes.Count >= 8 ? (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes.GetRange(0, 8).ToArray()) : 0;
            var headerEnd = (int)Math.Clamp(8 + headerLength, Math.Min(8, bytes.Count), bytes.Count);
            switch (random.Next(9))
            {
                case 0:
                {
                    var at = random.Next(bytes.Count);
                    var bit = random.Next(8);
                    bytes[at] ^= (byte)(1 << bit);
                    description.Add($"flip bit {bit} of byte {at}");
                    break;
                }
                case 1:
                {
                    var length = random.Next(bytes.Count);
                    bytes.RemoveRange(length, bytes.Count - length);
                    description.Add($"truncate to {length} bytes");
                    break;
                }
                case 2:
                {
                    ulong[] choices = [0, 1, 7, (ulong)headerLength - 1, (ulong)headerLength + 1, (ulong)headerLength + 8, (ulong)bytes.Count,
                        (ulong)random.Next(bytes.Count), SafeTensorsFile.MaxHeaderBytes, SafeTensorsFile.MaxHeaderBytes + 1, long.MaxValue, ulong.MaxValue];
                    var value = choices[random.Next(choices.Length)];
                    if (bytes.Count < 8) bytes.AddRange(new byte[8 - bytes.Count]);
                    var prefix = new byte[8];
                    BinaryPrimitives.WriteUInt64LittleEndian(prefix, value);
                    for (var i = 0; i < 8; i++) bytes[i] = prefix[i];
                    description.Add($"header length {value}");
                    break;
                }
                case 3 when headerEnd > 8:
                {
                    var at = random.Next(8, headerEnd);
                    var value = HeaderBytes[random.Next(HeaderBytes.Length)];
                    bytes[at] = value;
                    description.Add($"header byte {at} = 0x{value:X2}");
                    break;
                }
                case 4 when headerEnd > 8:
                {
                    // A textual edit of the header, with the length field kept right (so the JSON is read) or not.
                    var header = Encoding.Latin1.GetString(bytes.GetRange(8, headerEnd - 8).ToArray());
                    var (from, to) = HeaderEdits[random.Next(HeaderEdits.Length)];
                    var occurrences = CountOf(header, from);
                    if (occurrences == 0) goto default;
                    var index = IndexOf(header, from, random.Next(occurrences));
                    var edited = Encoding.Latin1.GetBytes(header[..index] + to + header[(index + from.Length)..]);
                    bytes.RemoveRange(8, headerEnd - 8);
                    bytes.InsertRange(8, edited);
                    var keepLength = random.Next(4) != 0;
                    if (keepLength)
                    {
                        var prefix = new byte[8];
                        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)edited.Length);
                        for (var i = 0; i < 8; i++) bytes[i] = prefix[i];
                    }

                    description.Add($"header '{from}' → '{to}' at {index}{(keepLength ? "" : ", length not updated")}");
                    break;
                }
                case 5:
                {
                    var extra = random.Next(4) == 0 ? random.Next(1, 64 * 1024) : random.Next(1, 9);
                    var appended = new byte[extra];
                    random.NextBytes(appended);
                    bytes.AddRange(appended);
                    description.Add($"append {extra} bytes");
                    break;
                }
                case 6 when bytes.Count - headerEnd >= 4:
                {
                    // A non-finite value in the data section, where a float starts or anywhere.
                    int[] specials = [BitConverter.SingleToInt32Bits(float.NaN), BitConverter.SingleToInt32Bits(float.PositiveInfinity),
                        BitConverter.SingleToInt32Bits(float.NegativeInfinity), unchecked((int)0xFFFFFFFF)];
                    var at = headerEnd + random.Next(bytes.Count - headerEnd - 3);
                    var value = specials[random.Next(specials.Length)];
                    var raw = new byte[4];
                    BinaryPrimitives.WriteInt32LittleEndian(raw, value);
                    for (var i = 0; i < 4; i++) bytes[at + i] = raw[i];
                    description.Add($"data at {at} = 0x{value:X8}");
                    break;
                }
                case 7 when bytes.Count > 8:
                {
                    var at = random.Next(8, bytes.Count);
                    var length = random.Next(1, Math.Min(16, bytes.Count - at) + 1);
                    if (random.Next(2) == 0)
                    {
                        bytes.RemoveRange(at, length);
                        description.Add($"remove {length} bytes at {at}");
                    }
                    else
                    {
                        bytes.InsertRange(at, bytes.GetRange(at, length));
                        description.Add($"repeat {length} bytes at {at}");
                    }

                    break;
                }
                default:
                {
                    var at = random.Next(bytes.Count);
                    var value = (byte)random.Next(256);
                    bytes[at] = value;
                    description.Add($"byte {at} = 0x{value:X2}");
                    break;
                }
            }

            if (bytes.Count == 0) break;
        }

        return (bytes.ToArray(), string.Join("; ", description));
    }

    private static int CountOf(string text, string value)
    {
        var count = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + 1, StringComparison.Ordinal)) count++;
        return count;
    }

    private static int IndexOf(string text, string value, int occurrence)
    {
        var i = text.IndexOf(value, StringComparison.Ordinal);
        for (var k = 0; k < occurrence; k++) i = text.IndexOf(value, i + 1, StringComparison.Ordinal);
        return i;
    }
}
