using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using DeepGen.Serialization;

namespace DeepGen.Runtime.Tests.Serialization;

public class SafeTensorsTests
{
    [Fact]
    public void Round_trip_is_bit_exact_with_metadata()
    {
        using var folder = new TempFolder();
        float[] special = [float.NaN, -0f, float.Epsilon, -float.Epsilon, float.MaxValue, float.NegativeInfinity, 1.5f];
        var matrix = Enumerable.Range(0, 6).Select(i => i * 0.25f - 1f).ToArray();
        var path = folder.File("model.safetensors");
        SafeTensorsWriter.Write(path, [new("special", [7], special), new("layer.kernel", [2, 3], matrix)],
            new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" });

        var file = SafeTensorsFile.Read(path);
        Assert.Equal(new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" }, file.Metadata);
        Assert.Equal(["special", "layer.kernel"], file.Tensors.Select(t => t.Name));
        Assert.True(file.TryGetTensor("layer.kernel", out var kernel));
        Assert.Equal([2L, 3L], kernel.Shape);
        var read = new float[6];
        file.ReadFloat32(kernel, read);
        Assert.Equal(matrix, read);
        file.TryGetTensor("special", out var entry);
        var readSpecial = new float[7];
        file.ReadFloat32(entry, readSpecial);
        Assert.Equal(special.Select(BitConverter.SingleToInt32Bits), readSpecial.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(0, (BinaryPrimitives.ReadInt64LittleEndian(File.ReadAllBytes(path)) % 8));
    }

    [Fact]
    public void Reads_a_file_built_from_the_format_specification()
    {
        // 8-byte little-endian header length, JSON header, then little-endian float32 data.
        var header = Encoding.UTF8.GetBytes("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{"format":"pt"}}""");
        var bytes = new byte[8 + header.Length + 8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(8 + header.Length), 1.5f);
        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(12 + header.Length), -2f);

        var file = SafeTensorsFile.Read(new MemoryStream(bytes), "spec");
        file.TryGetTensor("a", out var a);
        var values = new float[2];
        file.ReadFloat32(a, values);
        Assert.Equal([1.5f, -2f], values);
        Assert.Equal("pt", file.Metadata["format"]);
    }

    [Fact]
    public void Written_bytes_follow_the_specification()
    {
        var stream = new MemoryStream();
        SafeTensorsWriter.Write(stream, [new("w", [1], new[] { 1f })]);
        var bytes = stream.ToArray();
        var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", Encoding.UTF8.GetString(bytes, 8, length).TrimEnd(' '));
        Assert.Equal(1f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(8 + length)));
        Assert.Equal(8 + length + 4, bytes.Length);
    }

    public static TheoryData<string, string> MalformedHeaders() => new()
    {
        { "[]", "not a JSON object" },
        { "{not json", "not valid JSON" },
        { """{"a":{"shape":[1],"data_offsets":[0,4]}}""", "tensor 'a' has no dtype string" },
        { """{"a":{"dtype":"F32","data_offsets":[0,4]}}""", "tensor 'a' has no shape array" },
        { """{"a":{"dtype":"F32","shape":[1]}}""", "tensor 'a' has no data_offsets pair" },
        { """{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", "dimension that is not a non-negative integer" },
        { """{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}""", "ends (byte 0) before it begins (byte 4)" },
        { """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}""", "needs 8 bytes but spans 4" },
        { """{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", "gap of 4 bytes before tensor 'a'" },
        { """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}""", "overlaps" },
        { """{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}""", "the file is truncated" },
        { """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,2]}}""", "needs 4 bytes but spans 2" },
        { """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", "tensor 'a' is described twice" },
        { """{"__metadata__":{"k":"1","k":"2"}}""", "metadata 'k' is given twice" },
        { """{"__metadata__":{"n":1},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", "metadata 'n' is not a string" },
    };

    [Theory]
    [MemberData(nameof(MalformedHeaders))]
    public void Malformed_headers_are_refused_naming_the_problem(string json, string problem)
    {
        var e = Assert.Throws<InvalidModelFileException>(() => SafeTensorsFile.Read(new MemoryStream(FileWith(json, dataBytes: 8)), "bad.safetensors"));
        Assert.Contains("'bad.safetensors' is not a valid safetensors file", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void Short_files_and_absurd_header_lengths_are_refused()
    {
        var e = Assert.Throws<InvalidModelFileException>(() => SafeTensorsFile.Read(new MemoryStream([1, 2, 3]), "short"));
        Assert.Contains("shorter than the 8-byte header length", e.Message);

        var huge = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(huge, ulong.MaxValue);
        e = Assert.Throws<InvalidModelFileException>(() => SafeTensorsFile.Read(new MemoryStream(huge), "huge"));
        Assert.Contains("more than the", e.Message);

        var beyond = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(beyond, 100);
        e = Assert.Throws<InvalidModelFileException>(() => SafeTensorsFile.Read(new MemoryStream(beyond), "beyond"));
        Assert.Contains("claims 100 bytes but only 8 follow", e.Message);

        e = Assert.Throws<InvalidModelFileException>(() =>
            SafeTensorsFile.Read(new MemoryStream(FileWith("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", dataBytes: 6)), "trailing"));
        Assert.Contains("2 bytes follow the last tensor", e.Message);
    }

    [Fact]
    public void Reading_a_tensor_of_another_dtype_as_float32_is_refused()
    {
        var file = SafeTensorsFile.Read(new MemoryStream(FileWith("""{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}""", dataBytes: 4)), "half");
        file.TryGetTensor("h", out var h);
        var e = Assert.Throws<InvalidModelFileException>(() => file.ReadFloat32(h, new float[1]));
        Assert.Contains("Tensor 'h' is F16", e.Message);
    }

    [Fact]
    public void A_failed_save_leaves_the_old_file_and_no_temporary_file()
    {
        using var folder = new TempFolder();
        var path = folder.File("weights.safetensors");
        SafeTensorsWriter.Write(path, [new("a", [2], new[] { 1f, 2f })]);
        var before = File.ReadAllBytes(path);

        Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(path, [new("a", [3], new[] { 1f, 2f })]));
        Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(path, [new("a", [1], new[] { 1f }), new("a", [1], new[] { 2f })]));
        Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(path, [new("__metadata__", [1], new[] { 1f })]));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["weights.safetensors"], folder.Entries());
    }

    [Fact]
    public void A_save_that_fails_while_writing_leaves_the_old_file_and_no_temporary_file()
    {
        if (OperatingSystem.IsWindows()) return;
        using var folder = new TempFolder();
        var path = folder.File("weights.safetensors");
        SafeTensorsWriter.Write(path, [new("a", [1], new[] { 1f })]);
        var before = File.ReadAllBytes(path);
        // The rename over the destination is what fails: a directory cannot be replaced by a file.
        var blocked = folder.File("blocked.safetensors");
        Directory.CreateDirectory(blocked);
        Assert.ThrowsAny<IOException>(() => SafeTensorsWriter.Write(blocked, [new("a", [1], new[] { 5f })]));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["blocked.safetensors", "weights.safetensors"], folder.Entries());
    }

    [Fact]
    public void Saving_into_a_missing_folder_says_so()
    {
        var e = Assert.Throws<DirectoryNotFoundException>(() =>
            SafeTensorsWriter.Write("/no/such/folder/w.safetensors", [new("a", [1], new[] { 1f })]));
        Assert.Contains("the folder '/no/such/folder' does not exist", e.Message);
    }

    [Fact]
    public void A_header_of_many_tensors_is_checked_in_linear_time()
    {
        // 50,000 empty tensors, the first named again at the end. Checking each name against every name before it
        // took over 3 minutes on a busy 2-core VM (20,000 took 5 s); a hash set takes milliseconds. The bound is a
        // denial-of-service guard, not a benchmark.
        var json = new StringBuilder("{");
        for (var i = 0; i < 50_000; i++) json.Append($"\"t{i}\":{{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}},");
        json.Append("\"t0\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}");
        var bytes = FileWith(json.ToString(), dataBytes: 0);

        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<InvalidModelFileException>(() => SafeTensorsFile.Read(new MemoryStream(bytes), "many"));
        watch.Stop();

        Assert.Contains("tensor 't0' is described twice", e.Message);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"Refusing a {bytes.Length:N0}-byte header took {watch.Elapsed.TotalSeconds:F1} s.");
    }

    [Fact]
    public void A_save_removes_the_temporary_files_that_killed_saves_of_the_same_file_left()
    {
        using var folder = new TempFolder();
        var path = folder.File("weights.safetensors");
        // What a save killed between creating its temporary file and the rename leaves behind.
        var stale = Enumerable.Range(0, 3).Select(_ => folder.File($".weights.safetensors.{Guid.NewGuid():N}.tmp")).ToList();
        foreach (var file in stale) File.WriteAllBytes(file, new byte[100]);
        var otherTarget = folder.File($".other.safetensors.{Guid.NewGuid():N}.tmp");
        var notOurs = folder.File(".weights.safetensors.notes.tmp");
        File.WriteAllBytes(otherTarget, [1]);
        File.WriteAllBytes(notOurs, [1]);
        // A save of the same file still being written by someone else holds its temporary file locked.
        var inProgress = folder.File($".weights.safetensors.{Guid.NewGuid():N}.tmp");
        using (new FileStream(inProgress, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            SafeTensorsWriter.Write(path, [new("a", [1], new[] { 1f })]);

        Assert.All(stale, file => Assert.False(File.Exists(file), $"{file} was left behind."));
        Assert.True(File.Exists(inProgress));
        Assert.True(File.Exists(otherTarget));
        Assert.True(File.Exists(notOurs));
        Assert.True(File.Exists(path));
    }

    [Fact]
    public void The_folder_is_flushed_after_the_rename_where_the_system_allows_it()
    {
        // Without it, a power loss after the rename can lose the new name (and with it the new file). Save calls this
        // after its rename; strace shows the fsync of the folder's descriptor.
        using var folder = new TempFolder();
        if (OperatingSystem.IsLinux()) Assert.True(FolderSync.TryFlush(folder.Path));
        Assert.False(FolderSync.TryFlush(folder.File("missing")));
    }

    private static byte[] FileWith(string json, int dataBytes)
    {
        var header = Encoding.UTF8.GetBytes(json);
        var bytes = new byte[8 + header.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        return bytes;
    }
}
