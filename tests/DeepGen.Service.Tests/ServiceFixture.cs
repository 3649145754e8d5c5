using DeepGen.Samples.Mnist;
using Microsoft.AspNetCore.Mvc.Testing;

namespace DeepGen.Service.Tests;

/// <summary>
/// The real service, hosted in memory, serving a freshly seeded MnistMlp saved to a temporary folder; beside it the
/// same weights loaded in-process, whose answers every response must match bit for bit.
/// </summary>
public sealed class ServiceFixture : IDisposable
{
    public const int MaxBatchSize = 64;
    public const long MaxRequestBytes = 1024 * 1024;

    private readonly string _folder = Directory.CreateTempSubdirectory("deepgen-service-").FullName;

    public ServiceFixture()
    {
        ModelPath = Path.Combine(_folder, "mnist-mlp.safetensors");
        var model = new MnistMlp(seed: 5);
        // Non-zero biases, so a layer mix-up cannot hide behind zeros.
        var random = new Random(6);
        foreach (var layer in model.Layers)
            for (var i = 0; i < layer.Bias.Length; i++) layer.Bias[i] = (float)(random.NextDouble() - 0.5);
        model.Save(ModelPath);

        Reference = new MnistMlp();
        Reference.Load(ModelPath);
        Factory = Serve(ModelPath, ("Model:MaxBatchSize", MaxBatchSize.ToString()), ("Model:MaxRequestBytes", MaxRequestBytes.ToString()));
        Client = Factory.CreateClient();
    }

    public string ModelPath { get; }

    /// <summary>The served weights, loaded in-process: the expected answers.</summary>
    public MnistMlp Reference { get; }

    public WebApplicationFactory<Program> Factory { get; }

    public HttpClient Client { get; }

    public string Folder => _folder;

    /// <summary>The service configured with <paramref name="settings"/>; starting it is up to the caller.</summary>
    public static WebApplicationFactory<Program> Serve(string? modelPath, params (string Key, string Value)[] settings) =>
        new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseSetting("Model:Path", modelPath ?? "");
            foreach (var (key, value) in settings) web.UseSetting(key, value);
        });

    public void Dispose()
    {
        Client.Dispose();
        Factory.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class ServiceCollection : ICollectionFixture<ServiceFixture>
{
    public const string Name = "Service";
}

/// <summary>Inputs and request bodies for the tests.</summary>
internal static class Samples
{
    public const int InputSize = 784;

    /// <summary><paramref name="count"/> samples of pixel-like values in [0, 255).</summary>
    public static float[] Pixels(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count * InputSize];
        for (var i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 255);
        return values;
    }

    public static byte[] ToBytes(ReadOnlySpan<float> values) =>
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(values).ToArray();

    public static float[] ToFloats(byte[] bytes) =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray();

    public static float[][] Rows(float[] values, int width) =>
        Enumerable.Range(0, values.Length / width).Select(r => values.AsSpan(r * width, width).ToArray()).ToArray();
}
