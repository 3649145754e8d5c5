using DeepGen.Data;

namespace DeepGen.Runtime.Tests.Data;

public class IdxReaderTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reads_shape_and_values_raw_and_gzipped(bool gzip)
    {
        using var folder = new TempFolder();
        var data = Enumerable.Range(0, 2 * 3 * 4).Select(i => (byte)(i * 7)).ToArray();
        var bytes = IdxFiles.Build([2, 3, 4], data);
        var path = folder.File("array.idx");
        File.WriteAllBytes(path, gzip ? IdxFiles.Gzip(bytes) : bytes);

        var array = IdxReader.Read(path);
        Assert.Equal([2, 3, 4], array.Shape);
        Assert.Equal(data, array.Data);
    }

    public static TheoryData<string, byte[], string> Malformed() => new()
    {
        { "empty", [], "ends inside its 4-byte magic number" },
        { "bad magic", [1, 2, 8, 1, 0, 0, 0, 1, 5], "magic number starts 01 02, not 00 00" },
        { "float values", IdxFiles.Build([2], [0, 0, 0, 0, 0, 0, 0, 0], type: 0x0D), "type 0x0D; only unsigned bytes" },
        { "zero dimensions", [0, 0, 8, 0], "declares zero dimensions" },
        { "truncated header", [0, 0, 8, 3, 0, 0, 0, 2, 0, 0], "ends inside its header (dimension 2 of 3)" },
        { "negative dimension", IdxFiles.Build([2, -1], []), "dimension 2 is -1" },
        { "zero dimension", IdxFiles.Build([0], []), "dimension 1 is 0" },
        { "overflowing dimensions", IdxFiles.Build([65536, 65536, 65536], []), "describe more than" },
        { "truncated data", IdxFiles.Build([3, 4], new byte[10]), "expected 12 bytes of data for shape [3, 4], found 10: the file is truncated" },
        { "trailing bytes", IdxFiles.Build([2], new byte[3]), "bytes follow the 2 values its header declares" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_files_are_refused_naming_the_file_and_the_problem(string name, byte[] bytes, string problem)
    {
        using var folder = new TempFolder();
        foreach (var gzip in new[] { false, true })
        {
            var path = folder.File($"{name.Replace(' ', '-')}{(gzip ? ".gz" : "")}");
            File.WriteAllBytes(path, gzip ? IdxFiles.Gzip(bytes) : bytes);
            var e = Assert.Throws<InvalidIdxFileException>(() => IdxReader.Read(path));
            Assert.Contains(path, e.Message);
            Assert.Contains(problem, e.Message);
        }
    }

    [Fact]
    public void The_size_limit_is_what_a_dotnet_array_can_hold() =>
        // The values become a byte[] and then, for images, a float[] of the same length: both must be possible.
        Assert.Equal(IdxReader.MaxElements, Array.MaxLength);

    public static TheoryData<int[], bool> HugeShapes() => new()
    {
        { [int.MaxValue], false },
        { [int.MaxValue], true },
        { [32_768, 65_536], false }, // exactly 2^31 values
        { [32_768, 65_536], true },
        { [Array.MaxLength + 1], false },
        { [Array.MaxLength + 1], true },
    };

    [Theory]
    [MemberData(nameof(HugeShapes))]
    public void A_header_claiming_more_values_than_an_array_holds_is_refused_before_allocating(int[] shape, bool gzip)
    {
        using var folder = new TempFolder();
        var bytes = IdxFiles.Build(shape, new byte[16]);
        var path = folder.File(gzip ? "huge.gz" : "huge");
        File.WriteAllBytes(path, gzip ? IdxFiles.Gzip(bytes) : bytes);

        var e = Assert.Throws<InvalidIdxFileException>(() => IdxReader.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains($"describe more than {Array.MaxLength:N0} values", e.Message);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(false, true)]
    public void A_small_file_claiming_a_large_count_fails_having_allocated_only_what_it_held(bool gzip, bool seekable)
    {
        // 40-odd bytes that claim a billion values: the reader must find the end of the data, not allocate a gigabyte first.
        const int claimed = 1_000_000_000;
        var bytes = IdxFiles.Build([claimed], new byte[20]);
        if (gzip) bytes = IdxFiles.Gzip(bytes);
        Stream stream = seekable ? new MemoryStream(bytes) : new ForwardOnlyStream(bytes);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidIdxFileException>(() => IdxReader.Read(stream, "claims-a-billion"));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains($"expected {claimed:N0} bytes of data for shape [{claimed}], found 20: the file is truncated", e.Message);
        Assert.True(allocated < 4 << 20, $"Reading a {bytes.Length}-byte file allocated {allocated:N0} bytes.");
    }

    [Fact]
    public void A_stream_that_cannot_seek_is_read_in_full_when_it_holds_its_values()
    {
        // Larger than the first chunk the reader takes, so the growth path is exercised, and not a power of two.
        var data = new byte[300_001];
        new Random(5).NextBytes(data);
        foreach (var gzip in new[] { false, true })
        {
            var bytes = IdxFiles.Build([300_001], data);
            var array = IdxReader.Read(new ForwardOnlyStream(gzip ? IdxFiles.Gzip(bytes) : bytes), "forward-only");
            Assert.Equal([300_001], array.Shape);
            Assert.Equal(data, array.Data);
        }
    }

    [Fact]
    public void A_corrupt_gzip_stream_is_refused()
    {
        using var folder = new TempFolder();
        var gz = IdxFiles.Gzip(IdxFiles.Build([100], new byte[100]));
        var path = folder.File("corrupt.gz");
        File.WriteAllBytes(path, gz[..(gz.Length / 2)]);
        var e = Assert.Throws<InvalidIdxFileException>(() => IdxReader.Read(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void One_hot_encodes_and_rejects_out_of_range_labels()
    {
        Assert.Equal([0f, 1f, 0f, 1f, 0f, 0f], Labels.OneHot([1, 0], 3));
        var e = Assert.Throws<ArgumentException>(() => Labels.OneHot([1, 5], 3));
        Assert.Contains("Label 5 of sample 1 is not below the class count 3", e.Message);
    }
}
