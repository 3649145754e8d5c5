using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using DeepGen.Serialization;
using static DeepGen.Activation;

namespace DeepGen.EndToEnd.Tests;

/// <summary>
/// <c>nn.Sequential(nn.Conv2d(2, 3, 2), nn.Tanh(), nn.BatchNorm2d(3), nn.Flatten(), nn.Linear(18, 2))</c> on 4×3
/// images of 2 channels: modules 0, 2 and 4. PyTorch's default <c>eps</c>, declared.
/// </summary>
[Model(InputShape = new[] { 4, 3, 2 })]
[Conv2D(3, 2, Tanh, Name = "Conv")]
[BatchNormalization(Epsilon = 1e-5, Name = "Norm")]
[Flatten(Name = "Flat")]
[Dense(2, Linear, Name = "Fc")]
public partial class TorchConvBatchNorm;

/// <summary>A Linear, a <c>BatchNorm1d</c> and a Linear with named modules.</summary>
[Model(Input = 5)]
[Dense(4, Tanh, Name = "Hidden")]
[BatchNormalization(Epsilon = 1e-5, Name = "Norm")]
[Dense(2, Linear, Name = "Out")]
public partial class TorchDenseBatchNorm;

/// <summary>
/// PyTorch <c>nn.BatchNorm2d</c> / <c>nn.BatchNorm1d</c> state (<c>weight</c>, <c>bias</c>, <c>running_mean</c>,
/// <c>running_var</c> and the int64 <c>num_batches_tracked</c>) loads into DeepGen's batch normalization: gamma and
/// beta into the parameters, the running statistics into the moving ones. The files are written here as PyTorch
/// writes them, the count as an I64 scalar, which <see cref="SafeTensorsWriter"/> (F32 only) cannot write.
/// </summary>
public sealed class PyTorchBatchNormImportTests : IDisposable
{
    private const int Height = 4, Width = 3, Channels = 2, Filters = 3, K = 2, OutH = 3, OutW = 2, Classes = 2;

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "deepgen-pytorch-bn-" + Guid.NewGuid().ToString("N"));

    public PyTorchBatchNormImportTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>The state dict of the <see cref="TorchConvBatchNorm"/> network, in PyTorch's layouts.</summary>
    private sealed record ConvBatchNormState(float[] ConvWeight, float[] ConvBias, float[] Gamma, float[] Beta, float[] RunningMean, float[] RunningVar, float[] FcWeight, float[] FcBias)
    {
        public static ConvBatchNormState Random() => new(
            RandomValues(Filters * Channels * K * K, seed: 1), RandomValues(Filters, seed: 2),
            RandomValues(Filters, seed: 3, low: 0.5, high: 1.5), RandomValues(Filters, seed: 4),
            RandomValues(Filters, seed: 5, low: -0.5, high: 0.5), RandomValues(Filters, seed: 6, low: 0.05, high: 0.5),
            RandomValues(Classes * Filters * OutH * OutW, seed: 7), RandomValues(Classes, seed: 8));

        public List<TensorToWrite> Tensors(bool withRunningVar = true)
        {
            List<TensorToWrite> tensors =
            [
                new("0.weight", [Filters, Channels, K, K], ConvWeight),
                new("0.bias", [Filters], ConvBias),
                new("2.weight", [Filters], Gamma),
                new("2.bias", [Filters], Beta),
                new("2.running_mean", [Filters], RunningMean),
                new("4.weight", [Classes, Filters * OutH * OutW], FcWeight),
                new("4.bias", [Classes], FcBias),
            ];
            if (withRunningVar) tensors.Insert(5, new TensorToWrite("2.running_var", [Filters], RunningVar));
            return tensors;
        }
    }

    [Fact]
    public void A_conv2d_batchnorm2d_flatten_linear_loads_the_running_statistics_and_gives_pytorchs_outputs()
    {
        var state = ConvBatchNormState.Random();
        var path = WriteTorchFile("conv-bn.safetensors", state.Tensors(), batchCounts: ["2.num_batches_tracked"]);
        var model = new TorchConvBatchNorm(seed: 1);

        model.LoadPyTorch(path);

        var norm = model.Layers[1];
        Assert.Equal(state.Gamma, norm.Weights.ToArray());
        Assert.Equal(state.Beta, norm.Bias.ToArray());
        Assert.Equal(state.RunningMean, model.NonTrainableWeights.Slice(norm.Info.StateOffset, Filters).ToArray());
        Assert.Equal(state.RunningVar, model.NonTrainableWeights.Slice(norm.Info.StateOffset + Filters, Filters).ToArray());

        const int samples = 5;
        var x = RandomValues(samples * Height * Width * Channels, seed: 9); // DeepGen's layout: [sample, h, w, c]
        var predictions = model.Predict(x);
        for (var s = 0; s < samples; s++)
        {
            // PyTorch's forward on the same image, channels first: conv, tanh, batch norm (eval), flatten (c, h, w), linear.
            double Pixel(int c, int h, int w) => x[s * Height * Width * Channels + (h * Width + w) * Channels + c];
            var flat = new double[Filters * OutH * OutW];
            for (var f = 0; f < Filters; f++)
                for (var oy = 0; oy < OutH; oy++)
                    for (var ox = 0; ox < OutW; ox++)
                    {
                        double sum = state.ConvBias[f];
                        for (var c = 0; c < Channels; c++)
                            for (var ky = 0; ky < K; ky++)
                                for (var kx = 0; kx < K; kx++)
                                    sum += state.ConvWeight[((f * Channels + c) * K + ky) * K + kx] * Pixel(c, oy + ky, ox + kx);
                        var normalized = (Math.Tanh(sum) - state.RunningMean[f]) / Math.Sqrt(state.RunningVar[f] + 1e-5);
                        flat[(f * OutH + oy) * OutW + ox] = state.Gamma[f] * normalized + state.Beta[f];
                    }

            for (var o = 0; o < Classes; o++)
            {
                double expected = state.FcBias[o];
                for (var i = 0; i < flat.Length; i++) expected += state.FcWeight[o * flat.Length + i] * flat[i];
                var actual = predictions[s * Classes + o];
                Assert.True(Math.Abs(actual - expected) <= 1e-5 * Math.Max(1, Math.Abs(expected)),
                    $"Sample {s}, output {o}: DeepGen {actual}, PyTorch's forward {expected}.");
            }
        }
    }

    [Fact]
    public void A_batchnorm_without_its_running_variance_is_refused_naming_it_and_changes_nothing()
    {
        var path = WriteTorchFile("no-var.safetensors", ConvBatchNormState.Random().Tensors(withRunningVar: false), batchCounts: ["2.num_batches_tracked"]);
        var model = new TorchConvBatchNorm(seed: 1);
        var parameters = model.Parameters.ToArray();
        var movingStatistics = model.NonTrainableWeights.ToArray();

        var error = Assert.Throws<InvalidModelFileException>(() => model.LoadPyTorch(path));

        Assert.Contains("'2.running_var'", error.Message);
        Assert.Contains("batch normalization 'Norm'", error.Message);
        Assert.Equal(parameters, model.Parameters.ToArray());
        Assert.Equal(movingStatistics, model.NonTrainableWeights.ToArray());
    }

    [Fact]
    public void A_negative_running_variance_is_refused_naming_it_and_changes_nothing()
    {
        var state = ConvBatchNormState.Random();
        state.RunningVar[1] = -0.25f;
        var path = WriteTorchFile("negative-var.safetensors", state.Tensors(), batchCounts: ["2.num_batches_tracked"]);
        var model = new TorchConvBatchNorm(seed: 1);
        var parameters = model.Parameters.ToArray();
        var movingStatistics = model.NonTrainableWeights.ToArray();

        var error = Assert.Throws<InvalidModelFileException>(() => model.LoadPyTorch(path));

        Assert.Contains("'2.running_var'", error.Message);
        Assert.Contains("-0.25 at index 1", error.Message);
        Assert.Equal(parameters, model.Parameters.ToArray());
        Assert.Equal(movingStatistics, model.NonTrainableWeights.ToArray());
    }

    [Fact]
    public void A_batchnorm1d_loads_by_an_explicit_map_with_or_without_its_batch_count()
    {
        var gamma = RandomValues(4, seed: 1, low: 0.5, high: 1.5);
        var beta = RandomValues(4, seed: 2);
        var mean = RandomValues(4, seed: 3);
        var variance = RandomValues(4, seed: 4, low: 0.1, high: 2);
        List<TensorToWrite> tensors =
        [
            new("fc1.weight", [4, 5], RandomValues(20, seed: 5)),
            new("fc1.bias", [4], RandomValues(4, seed: 6)),
            new("bn1.weight", [4], gamma),
            new("bn1.bias", [4], beta),
            new("bn1.running_mean", [4], mean),
            new("bn1.running_var", [4], variance),
            new("fc2.weight", [2, 4], RandomValues(8, seed: 7)),
            new("fc2.bias", [2], RandomValues(2, seed: 8)),
        ];
        var map = new Dictionary<string, string> { ["Hidden"] = "fc1", ["Norm"] = "bn1", ["Out"] = "fc2" };

        foreach (var batchCounts in new string[][] { [], ["bn1.num_batches_tracked"] })
        {
            var model = new TorchDenseBatchNorm(seed: 1);
            model.LoadPyTorch(WriteTorchFile($"dense-bn-{batchCounts.Length}.safetensors", tensors, batchCounts), map);

            var norm = model.Layers[1].Info;
            Assert.Equal(gamma, model.Layers[1].Weights.ToArray());
            Assert.Equal(beta, model.Layers[1].Bias.ToArray());
            Assert.Equal(mean.Concat(variance).ToArray(), model.NonTrainableWeights.Slice(norm.StateOffset, 8).ToArray());
        }
    }

    [Fact]
    public void The_default_order_counts_a_batchnorm_by_its_running_statistics()
    {
        var path = WriteTorchFile("order.safetensors", ConvBatchNormState.Random().Tensors(), batchCounts: ["2.num_batches_tracked"]);

        Assert.Equal(["0", "2", "4"], PyTorchWeights.LayerPrefixes(SafeTensorsFile.Read(path)));
    }

    private static float[] RandomValues(int count, int seed, double low = -1, double high = 1)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (float)(low + random.NextDouble() * (high - low)))];
    }

    /// <summary>
    /// A safetensors file of the F32 <paramref name="tensors"/> followed by an I64 scalar of value 7 for each of
    /// <paramref name="batchCounts"/>, as <c>safetensors.torch.save_file</c> writes a BatchNorm's <c>num_batches_tracked</c>.
    /// </summary>
    private string WriteTorchFile(string name, IReadOnlyList<TensorToWrite> tensors, IReadOnlyList<string> batchCounts)
    {
        using var header = new MemoryStream();
        using var data = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            foreach (var tensor in tensors)
            {
                WriteEntry(json, tensor.Name, "F32", tensor.Shape.Select(d => (long)d), data.Length, 4L * tensor.Data.Length);
                data.Write(MemoryMarshal.AsBytes(tensor.Data.Span));
            }

            var seven = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(seven, 7);
            foreach (var count in batchCounts)
            {
                WriteEntry(json, count, "I64", [], data.Length, seven.Length);
                data.Write(seven);
            }

            json.WriteEndObject();
        }

        while (header.Length % 8 != 0) header.WriteByte((byte)' ');
        var path = Path.Combine(_folder, name);
        using var file = File.Create(path);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(length, header.Length);
        file.Write(length);
        header.WriteTo(file);
        data.WriteTo(file);
        return path;
    }

    private static void WriteEntry(Utf8JsonWriter json, string name, string dtype, IEnumerable<long> shape, long begin, long bytes)
    {
        json.WriteStartObject(name);
        json.WriteString("dtype", dtype);
        json.WriteStartArray("shape");
        foreach (var d in shape) json.WriteNumberValue(d);
        json.WriteEndArray();
        json.WriteStartArray("data_offsets");
        json.WriteNumberValue(begin);
        json.WriteNumberValue(begin + bytes);
        json.WriteEndArray();
        json.WriteEndObject();
    }
}
