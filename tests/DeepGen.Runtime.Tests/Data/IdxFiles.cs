using System.Buffers.Binary;
using System.IO.Compression;

namespace DeepGen.Runtime.Tests.Data;

/// <summary>Builds IDX files byte by byte, from the format's definition.</summary>
internal static class IdxFiles
{
    public static byte[] Build(int[] shape, byte[] data, byte type = 0x08)
    {
        var bytes = new List<byte> { 0, 0, type, (byte)shape.Length };
        var dimension = new byte[4];
        foreach (var size in shape)
        {
            BinaryPrimitives.WriteInt32BigEndian(dimension, size);
            bytes.AddRange(dimension);
        }

        bytes.AddRange(data);
        return bytes.ToArray();
    }

    public static byte[] Gzip(byte[] raw)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest)) gzip.Write(raw);
        return output.ToArray();
    }

    /// <summary>Writes a small MNIST-shaped set of four files: <paramref name="train"/> and <paramref name="test"/> images.</summary>
    public static void WriteMnist(string folder, int train, int test, bool gzip = false)
    {
        void Write(string name, int[] shape, byte[] data)
        {
            var bytes = Build(shape, data);
            File.WriteAllBytes(Path.Combine(folder, gzip ? name + ".gz" : name), gzip ? Gzip(bytes) : bytes);
        }

        Write("train-images-idx3-ubyte", [train, 28, 28], Pixels(train, 1));
        Write("train-labels-idx1-ubyte", [train], Enumerable.Range(0, train).Select(i => (byte)(i % 10)).ToArray());
        Write("t10k-images-idx3-ubyte", [test, 28, 28], Pixels(test, 2));
        Write("t10k-labels-idx1-ubyte", [test], Enumerable.Range(0, test).Select(i => (byte)((i + 3) % 10)).ToArray());
    }

    public static byte[] Pixels(int images, int seed)
    {
        var pixels = new byte[images * 784];
        new Random(seed).NextBytes(pixels);
        return pixels;
    }
}

/// <summary>A stream that can only be read forwards, as a network or pipe stream: its length is unknown to the reader.</summary>
internal sealed class ForwardOnlyStream(byte[] bytes) : Stream
{
    private readonly MemoryStream _inner = new(bytes, writable: false);

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
    public override int Read(Span<byte> buffer) => _inner.Read(buffer);
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
