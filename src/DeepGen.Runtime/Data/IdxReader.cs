using System.Buffers.Binary;
using System.IO.Compression;

namespace DeepGen.Data;

/// <summary>An IDX array of unsigned bytes: its dimensions and its values in row-major order.</summary>
public sealed record IdxArray(int[] Shape, byte[] Data);

/// <summary>
/// Reads IDX files, the format MNIST ships in: two zero bytes, a type byte, a dimension count, the dimensions as
/// big-endian 32-bit integers, then the values. Gzip-compressed files are recognised by their magic bytes.
/// </summary>
public static class IdxReader
{
    private const byte UnsignedByte = 0x08;

    /// <summary>
    /// The most values a file may declare: <see cref="Array.MaxLength"/> (2,147,483,591), the longest .NET array, so
    /// the values fit in a <c>byte[]</c> and their conversion to a <c>float[]</c> of the same length (four times the
    /// bytes) fits too. A header that declares more is refused before anything is allocated.
    /// </summary>
    public const long MaxElements = 0x7FFF_FFC7;

    /// <summary>
    /// The first buffer for values whose length cannot be checked up front (gzip, or a stream that cannot seek). It
    /// grows, doubling, only as values arrive, so a short file claiming billions of values costs what it holds.
    /// </summary>
    private const int FirstChunk = 1 << 16;

    public static IdxArray Read(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Read(file, path);
    }

    /// <param name="sourceName">Names the source in error messages.</param>
    public static IdxArray Read(Stream stream, string sourceName)
    {
        var buffered = new BufferedStream(stream, 1 << 16);
        Span<byte> magic = stackalloc byte[4];
        var read = buffered.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
        if (read >= 2 && magic[0] == 0x1f && magic[1] == 0x8b)
        {
            // Gzip: start again, decompressing. The magic bytes read so far are put back in front.
            var prefix = magic[..read].ToArray();
            using var gzip = new GZipStream(new ConcatenatedStream(prefix, buffered), CompressionMode.Decompress);
            return ReadIdx(new BufferedStream(gzip, 1 << 16), sourceName, compressed: true);
        }

        return ReadIdx(new ConcatenatedStream(magic[..read].ToArray(), buffered), sourceName, compressed: false);
    }

    private static IdxArray ReadIdx(Stream stream, string source, bool compressed)
    {
        try
        {
            Span<byte> magic = stackalloc byte[4];
            if (stream.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false) < 4) throw Invalid(source, "the file ends inside its 4-byte magic number");
            if (magic[0] != 0 || magic[1] != 0)
                throw Invalid(source, $"the magic number starts {magic[0]:X2} {magic[1]:X2}, not 00 00: this is not an IDX file");
            if (magic[2] != UnsignedByte)
                throw Invalid(source, $"its values have type 0x{magic[2]:X2}; only unsigned bytes (0x08), as MNIST uses, are supported");
            var rank = magic[3];
            if (rank == 0) throw Invalid(source, "it declares zero dimensions");

            var shape = new int[rank];
            Span<byte> dimension = stackalloc byte[4];
            long count = 1;
            for (var i = 0; i < rank; i++)
            {
                if (stream.ReadAtLeast(dimension, dimension.Length, throwOnEndOfStream: false) < 4)
                    throw Invalid(source, $"the file ends inside its header (dimension {i + 1} of {rank})");
                var size = BinaryPrimitives.ReadInt32BigEndian(dimension);
                if (size <= 0) throw Invalid(source, $"dimension {i + 1} is {size}; every dimension must be positive");
                shape[i] = size;
                count *= size;
                if (count > MaxElements)
                    throw Invalid(source, $"its dimensions [{string.Join(", ", shape[..(i + 1)])}…] describe more than {MaxElements:N0} values");
            }

            var data = ReadValues(stream, (int)count, shape, source, compressed);
            if (stream.ReadByte() >= 0)
                throw Invalid(source, $"bytes follow the {count:N0} values its header declares");
            return new IdxArray(shape, data);
        }
        catch (InvalidDataException e) when (compressed)
        {
            throw new InvalidIdxFileException($"'{source}' is not a valid gzip file: {e.Message}", e);
        }
    }

    /// <summary>
    /// Reads the <paramref name="count"/> values the header declares. A raw file that can seek is checked against its
    /// length first; anything else is read in chunks that grow only after they are filled, so memory follows the data
    /// actually present, never the header's claim.
    /// </summary>
    private static byte[] ReadValues(Stream stream, int count, int[] shape, string source, bool compressed)
    {
        if (!compressed && stream.CanSeek)
        {
            var remaining = stream.Length - stream.Position;
            if (remaining < count) throw Truncated(source, count, shape, remaining);
            var all = new byte[count];
            var got = stream.ReadAtLeast(all, count, throwOnEndOfStream: false);
            if (got < count) throw Truncated(source, count, shape, got);
            return all;
        }

        var data = new byte[Math.Min(count, FirstChunk)];
        var filled = 0;
        while (true)
        {
            filled += stream.ReadAtLeast(data.AsSpan(filled), data.Length - filled, throwOnEndOfStream: false);
            if (filled < data.Length) throw Truncated(source, count, shape, filled);
            if (filled == count) return data;
            Array.Resize(ref data, (int)Math.Min(count, 2L * data.Length));
        }
    }

    private static InvalidIdxFileException Truncated(string source, long count, int[] shape, long found) =>
        Invalid(source, $"expected {count:N0} bytes of data for shape [{string.Join(", ", shape)}], found {found:N0}: the file is truncated");

    private static InvalidIdxFileException Invalid(string source, string problem) => new($"'{source}' is not a valid IDX file: {problem}.");

    /// <summary>Bytes already read, then the rest of a stream; lets the format be sniffed without seeking.</summary>
    private sealed class ConcatenatedStream(byte[] head, Stream tail) : Stream
    {
        private int _headPosition;

        public override bool CanRead => true;
        public override bool CanSeek => tail.CanSeek;
        public override bool CanWrite => false;
        public override long Length => tail.Length;
        public override long Position { get => tail.Position - (head.Length - _headPosition); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_headPosition < head.Length)
            {
                var n = Math.Min(buffer.Length, head.Length - _headPosition);
                head.AsSpan(_headPosition, n).CopyTo(buffer);
                _headPosition += n;
                return n;
            }

            return tail.Read(buffer);
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

/// <summary>A dataset file that is malformed or truncated; the message names the file and what is wrong.</summary>
public sealed class InvalidIdxFileException(string message, Exception? inner = null) : IOException(message, inner);
