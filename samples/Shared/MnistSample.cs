using System.Diagnostics.CodeAnalysis;
using DeepGen.Cpu;
using DeepGen.Data;

namespace DeepGen.Samples;

/// <summary>
/// The start the MNIST samples and <c>bench/DeepGen.Probes</c> share: load the images, and the line that says what
/// was loaded and on what CPU. Compiled into each program that uses it (see its .csproj).
/// </summary>
internal static class MnistSample
{
    /// <summary>
    /// Loads MNIST from <paramref name="dataDirectory"/> (or the download), its progress messages on the console. A
    /// file that cannot be read or written is reported as one line on standard error, not a stack trace, and gives
    /// <see langword="false"/>: the program then exits with 1.
    /// </summary>
    public static bool TryLoad(string? dataDirectory, [NotNullWhen(true)] out MnistData? data)
    {
        try
        {
            // Qualified: in the samples, DeepGen.Samples.Mnist is also a namespace.
            data = DeepGen.Data.Mnist.Load(new MnistOptions { DataDirectory = dataDirectory, Log = Console.WriteLine });
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"Could not load MNIST: {e.Message}");
            data = null;
            return false;
        }
    }

    /// <summary>"60000 training and 10000 test images; 256-bit vectors, 2 threads": the data and the CPU it trains on.</summary>
    public static string CpuDataLine(MnistData data) =>
        $"{data.TrainCount} training and {data.TestCount} test images; {CpuBackend.VectorBits}-bit vectors, " +
        $"{CpuBackend.MaxDegreeOfParallelism} threads";
}
