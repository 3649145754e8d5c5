using System.Buffers.Binary;
using System.Diagnostics;
using DeepGen.Data;

namespace DeepGen.Runtime.Tests.Data;

/// <summary>
/// Mutated IDX files, raw and gzip-compressed: whatever the bytes say, the reader either returns an array that holds
/// exactly what its header declares or throws <see cref="InvalidIdxFileException"/>, quickly and without allocating
/// more than the file could hold. Seeded, so a failure names the case that reproduces it.
/// </summary>
public class IdxReaderFuzzTests
{
    private const int Cases = 12_000;

    /// <summary>Bytes one file may allocate while being read: far above these small files, far below a bad header's claim.</summary>
    private const long AllocationLimit = 16L << 20;

    /// <summary>Time one file may take; generous for a loaded machine, far below what decompressing a false claim would need.</summary>
    private static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(2);

    [Fact]
    public void Mutated_files_are_read_or_refused_with_InvalidIdxFileException_in_bounded_time_and_memory()
    {
        var seeds = new[]
        {
            IdxFiles.Build([3, 5, 7], Values(105, 1)),
            IdxFiles.Build([40], Values(40, 2)),
            IdxFiles.Build([2, 28, 28], Values(2 * 784, 3)),
            IdxFiles.Build([1, 1, 1, 1], [9]),
        };
        var random = new Random(20261201);
        var total = Stopwatch.StartNew();
        int read = 0, refused = 0;
        for (var i = 0; i < Cases; i++)
        {
            var seed = seeds[i % seeds.Length];
            var gzip = i % 3 == 1;
            var mutation = (Mutation)random.Next(Enum.GetValues<Mutation>().Length);
            var bytes = Mutate(gzip ? IdxFiles.Gzip(seed) : (byte[])seed.Clone(), mutation, gzip, random);
            // Half the raw files come through a stream whose length the reader cannot ask.
            Stream stream = i % 2 == 0 ? new MemoryStream(bytes, writable: false) : new ForwardOnlyStream(bytes);
            var name = $"case {i} ({mutation}, {(gzip ? "gzip" : "raw")}, {bytes.Length} bytes)";

            var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            var watch = Stopwatch.StartNew();
            try
            {
                var array = IdxReader.Read(stream, name);
                Assert.Equal(array.Shape.Aggregate(1L, (product, size) => product * size), array.Data.LongLength);
                Assert.All(array.Shape, size => Assert.True(size > 0, $"{name}: read a shape of [{string.Join(", ", array.Shape)}]"));
                read++;
            }
            catch (InvalidIdxFileException e)
            {
                Assert.Contains(name, e.Message);
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"{name} threw {e.GetType().Name}, not InvalidIdxFileException: {e.Message}\nBytes: {Convert.ToHexString(bytes)}");
            }

            var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            Assert.True(allocated < AllocationLimit, $"{name} allocated {allocated:N0} bytes.\nBytes: {Convert.ToHexString(bytes)}");
            Assert.True(watch.Elapsed < TimeLimit, $"{name} took {watch.Elapsed.TotalSeconds:0.00} s.\nBytes: {Convert.ToHexString(bytes)}");
        }

        // The mutations must reach both outcomes, or the fuzzing checks less than it claims.
        Assert.True(read > Cases / 20, $"Only {read} of {Cases} mutated files were still valid.");
        Assert.True(refused > Cases / 2, $"Only {refused} of {Cases} mutated files were refused.");
        Assert.True(total.Elapsed < TimeSpan.FromSeconds(60), $"{Cases} files took {total.Elapsed.TotalSeconds:0.0} s.");
    }

    private enum Mutation
    {
        /// <summary>The file as built (valid), to keep the successful path in the mix.</summary>
        None,
        FlipBits,
        Truncate,
        /// <summary>A dimension of the header set to a value from a list of edges, in the raw file before compression.</summary>
        EditDimension,
        /// <summary>The dimension count byte changed, so the header and the data are read at other offsets.</summary>
        EditRank,
        AppendBytes,
    }

    private static readonly int[] DimensionEdges =
        [0, 1, -1, 2, 27, 28, 29, 255, 256, 65_535, 65_536, 1 << 20, 1_000_000_000, int.MaxValue, int.MinValue, Array.MaxLength, Array.MaxLength + 1, 1 << 30];

    private static byte[] Mutate(byte[] bytes, Mutation mutation, bool gzip, Random random)
    {
        switch (mutation)
        {
            case Mutation.None:
                return bytes;
            case Mutation.FlipBits:
                for (var flips = random.Next(1, 4); flips > 0; flips--)
                    bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                return bytes;
            case Mutation.Truncate:
                return bytes[..random.Next(bytes.Length)];
            case Mutation.AppendBytes:
                var tail = new byte[random.Next(1, 64)];
                random.NextBytes(tail);
                return [.. bytes, .. tail];
            case Mutation.EditDimension:
            case Mutation.EditRank:
                // Header edits are made to the IDX bytes, then compressed again, so a gzip file carries the edit inside.
                var raw = gzip ? Gunzip(bytes) : bytes;
                if (mutation == Mutation.EditRank)
                {
                    raw[3] = (byte)random.Next(256);
                }
                else
                {
                    var rank = raw[3];
                    var offset = 4 + 4 * random.Next(rank);
                    var value = random.Next(3) == 0 ? random.Next(int.MinValue, int.MaxValue) : DimensionEdges[random.Next(DimensionEdges.Length)];
                    BinaryPrimitives.WriteInt32BigEndian(raw.AsSpan(offset), value);
                }

                return gzip ? IdxFiles.Gzip(raw) : raw;
            default:
                throw new ArgumentOutOfRangeException(nameof(mutation), mutation, null);
        }
    }

    private static byte[] Gunzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(new MemoryStream(bytes), System.IO.Compression.CompressionMode.Decompress))
            gzip.CopyTo(output);
        return output.ToArray();
    }

    private static byte[] Values(int count, int seed)
    {
        var values = new byte[count];
        new Random(seed).NextBytes(values);
        return values;
    }
}
