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
        Assert.Contains("Label 5 at index 1 is not below the class count 3", e.Message);
    }
}
