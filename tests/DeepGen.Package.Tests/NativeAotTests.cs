using System.Globalization;
using System.Runtime.InteropServices;
using DeepGen.Samples.Mnist;

namespace DeepGen.Package.Tests;

/// <summary>
/// The MNIST inference sample published with NativeAOT predicts what the JIT build predicts. Each test publishes the
/// sample (about half a minute), runs the native binary and the JIT build on the same weights file and inputs, and
/// compares what they print.
/// </summary>
[Collection(SlowProcessCollection.Name)]
public sealed class NativeAotTests : IDisposable
{
    private const int Images = 200;
    private readonly TempFolder _work = new("deepgen-aot");
    private readonly string _weights;

    public NativeAotTests()
    {
        // Seeded weights with non-zero biases, saved the way the training sample saves them.
        var model = new MnistMlp(seed: 5);
        var random = new Random(5);
        foreach (var layer in model.Layers)
        {
            var bias = layer.Bias;
            for (var i = 0; i < bias.Length; i++) bias[i] = (float)(random.NextDouble() - 0.5);
        }

        _weights = _work.Combine("mnist.safetensors");
        model.Save(_weights);
    }

    public void Dispose() => _work.Dispose();

    [Fact]
    public void Native_binary_for_this_machines_instruction_set_prints_bitwise_the_jit_builds_outputs()
    {
        // With the JIT's instruction set the kernels take the same vector width, so even the last bit must agree.
        var native = RunSample(Publish("native", "-p:IlcInstructionSet=native"));
        var jit = RunJit();

        Assert.StartsWith("runtime: NativeAOT", native[0], StringComparison.Ordinal);
        Assert.StartsWith("runtime: JIT", jit[0], StringComparison.Ordinal);
        Assert.Equal(jit[0]["runtime: JIT".Length..], native[0]["runtime: NativeAOT".Length..]); // the vector width
        Assert.Equal(jit.Length, native.Length);
        Assert.True(jit.Length > Images, "The sample printed fewer lines than one per image.");
        for (var i = 1; i < jit.Length; i++) Assert.Equal(jit[i], native[i]);
    }

    [Fact]
    public void Portable_native_binary_predicts_the_jit_builds_classes()
    {
        // The default target is a baseline x86-64 (128-bit vectors): element-wise functions and the softmax sum may
        // round differently from the JIT's wider vectors, so outputs are compared to 1e-5 relative and classes exactly.
        var portable = Outputs(RunSample(Publish("portable")));
        var jit = Outputs(RunJit());
        Assert.Equal(Images, jit.Count);
        Assert.Equal(jit.Select(o => o.Class), portable.Select(o => o.Class));
        for (var i = 0; i < jit.Count; i++)
            for (var j = 0; j < jit[i].Values.Length; j++)
            {
                var (a, b) = (jit[i].Values[j], portable[i].Values[j]);
                Assert.True(Math.Abs(a - b) <= 1e-5 * Math.Max(Math.Abs(a), Math.Abs(b)), $"Image {i}, output {j}: JIT {a:R}, NativeAOT {b:R}.");
            }
    }

    private string Publish(string name, params string[] extra)
    {
        var output = _work.Combine("publish-" + name);
        var project = Path.Combine(DotNetCli.RepositoryRoot, "samples", "MnistInference", "MnistInference.csproj");
        // BuildProjectReferences=false: the runtime and generator this test project was built with are used as they
        // are, so publishing never rewrites an assembly that another test process may have loaded.
        string[] arguments = ["publish", project, "-c", DotNetCli.Configuration, "-r", RuntimeInformation.RuntimeIdentifier,
            "-o", output, "-p:BuildProjectReferences=false", .. extra];
        var publish = DotNetCli.Dotnet(DotNetCli.RepositoryRoot, null, TimeSpan.FromMinutes(5), arguments);
        Assert.True(publish.ExitCode == 0, publish.Describe("dotnet publish -p:PublishAot=true"));
        // The runtime's CPU path is trimming- and AOT-clean: ILC reports nothing (IL2xxx trimming, IL3xxx AOT).
        Assert.DoesNotContain("warning", publish.StandardOutput, StringComparison.OrdinalIgnoreCase);
        var binary = Path.Combine(output, "MnistInference");
        Assert.True(File.Exists(binary), $"No native binary at {binary}.\n{publish.StandardOutput}");
        Assert.False(File.Exists(Path.Combine(output, "MnistInference.dll")), "The publish produced a managed assembly, not a native binary.");
        return binary;
    }

    private string[] RunSample(string binary) => Lines(DotNetCli.Run(binary, _work.Path, null, TimeSpan.FromMinutes(1), SampleArguments));

    private string[] RunJit()
    {
        var assembly = Path.Combine(DotNetCli.RepositoryRoot, "samples", "MnistInference", "bin", DotNetCli.Configuration, "net10.0", "MnistInference.dll");
        return Lines(DotNetCli.Dotnet(_work.Path, null, TimeSpan.FromMinutes(1), [assembly, .. SampleArguments]));
    }

    private string[] SampleArguments => ["--weights", _weights, "--synthetic", Images.ToString(CultureInfo.InvariantCulture), "--outputs", "true"];

    private static string[] Lines(ProcessResult run)
    {
        Assert.True(run.ExitCode == 0, run.Describe("MnistInference"));
        return run.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>The per-image lines: "index class output0 … output9".</summary>
    private static List<(int Class, double[] Values)> Outputs(string[] lines) =>
        [.. lines.Where(line => char.IsAsciiDigit(line[0])).Select(line =>
        {
            var parts = line.Split(' ');
            return (int.Parse(parts[1], CultureInfo.InvariantCulture), parts[2..].Select(p => double.Parse(p, CultureInfo.InvariantCulture)).ToArray());
        })];
}
