using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Running;
using DeepGen;
using DeepGen.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace DeepGen.Benchmarks;

/// <summary>
/// Inference of the seed network: DeepGen's <see cref="SequentialModel.Predict(ReadOnlySpan{float}, Span{float}, int)"/>
/// into a caller's span, side by side with ONNX Runtime running the same graph with the same weights. ONNX Runtime
/// is the baseline, so DeepGen's Ratio is its time as a fraction of ONNX Runtime's.
/// </summary>
/// <remarks>
/// Fairness: ONNX Runtime gets as many intra-op threads as there are cores (DeepGen uses the same), its input and
/// output are pre-allocated <see cref="OrtValue"/>s over managed arrays bound once with an <see cref="OrtIoBinding"/>,
/// and the whole batch goes through one run. <see cref="DeepGen"/> is the plain <c>Predict(x, predictions)</c> a user
/// writes, which runs the forward pass over chunks of 256 samples (its default <c>batchSize</c>); at batch 10,000
/// <see cref="DeepGenOnePass"/> also shows one forward pass over the whole batch, as ONNX Runtime does it. At setup
/// all of them run once and must agree within 1e-4, so the timings are of the same computation.
/// </remarks>
[MemoryDiagnoser]
[Gflops]
[Config(typeof(Config))]
public class InferenceBenchmarks
{
    private const float Tolerance = 1e-4f;

    private SeedMlp _model = null!;
    private float[] _x = [];
    private float[] _predictions = [];
    private float[] _ortOutput = [];
    private InferenceSession? _session;
    private SessionOptions? _sessionOptions;
    private RunOptions? _runOptions;
    private OrtValue? _ortInput;
    private OrtValue? _ortOutputValue;
    private OrtIoBinding? _binding;

    [Params(1, 100, 10_000)]
    public int Batch { get; set; }

    /// <summary>2 FLOPs per multiply-add of the three layers, per sample.</summary>
    public static double Flops(BenchmarkCase benchmarkCase) =>
        2.0 * (int)benchmarkCase.Parameters["Batch"] * (784 * 500 + 500 * 500 + 500 * 10);

    [GlobalSetup]
    public void Setup()
    {
        // A model a little way into training, so the outputs are not all near 1/10 and the check below means something.
        _model = new SeedMlp(seed: 1);
        var warmUp = new SyntheticMnist(2_000, seed: 4);
        _model.Fit(warmUp.Images, warmUp.Labels, epochs: 1, batchSize: 100, Loss.MeanSquaredError, new Sgd(0.1f),
            seed: 1, verbosity: Verbosity.Silent);

        _x = SyntheticMnist.Test.Images.AsSpan(0, Batch * SeedMlp.InputSize).ToArray();
        _predictions = new float[Batch * SeedMlp.OutputSize];
        _ortOutput = new float[Batch * SeedMlp.OutputSize];

        _sessionOptions = new SessionOptions { IntraOpNumThreads = Environment.ProcessorCount };
        _session = new InferenceSession(OnnxExporter.ToOnnx(_model), _sessionOptions);
        _runOptions = new RunOptions();
        _ortInput = OrtValue.CreateTensorValueFromMemory(_x, [Batch, SeedMlp.InputSize]);
        _ortOutputValue = OrtValue.CreateTensorValueFromMemory(_ortOutput, [Batch, SeedMlp.OutputSize]);
        _binding = _session.CreateIoBinding();
        _binding.BindInput(OnnxExporter.InputName, _ortInput);
        _binding.BindOutput(OnnxExporter.OutputName, _ortOutputValue);

        OnnxRuntime();
        DeepGen();
        var difference = CheckSameOutputs(_predictions, _ortOutput, Batch);
        DeepGenOnePass();
        difference = Math.Max(difference, CheckSameOutputs(_predictions, _ortOutput, Batch));
        Console.WriteLine($"// ONNX Runtime {OrtEnv.Instance().GetVersionString()} and DeepGen agree at batch {Batch}: " +
                          $"largest difference {difference:G3} (tolerance {Tolerance:G3})");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _binding?.Dispose();
        _ortOutputValue?.Dispose();
        _ortInput?.Dispose();
        _runOptions?.Dispose();
        _session?.Dispose();
        _sessionOptions?.Dispose();
        (_binding, _ortOutputValue, _ortInput, _runOptions, _session, _sessionOptions) = (null, null, null, null, null, null);
    }

    [Benchmark(Baseline = true)]
    public void OnnxRuntime() => _session!.RunWithBinding(_runOptions, _binding);

    /// <summary><c>Predict(x, predictions)</c> as a user calls it: forward passes over chunks of 256 samples.</summary>
    [Benchmark]
    public void DeepGen() => _model.Predict(_x, _predictions);

    /// <summary>One forward pass over the whole batch (shown at batch 10,000 only: below 256 it is <see cref="DeepGen"/>).</summary>
    [Benchmark]
    public void DeepGenOnePass() => _model.Predict(_x, _predictions, batchSize: Batch);

    /// <summary>Throws unless ONNX Runtime's outputs equal DeepGen's within <see cref="Tolerance"/> (absolute).</summary>
    /// <returns>The largest absolute difference.</returns>
    public static float CheckSameOutputs(ReadOnlySpan<float> deepGen, ReadOnlySpan<float> onnxRuntime, int batch)
    {
        var worst = 0f;
        var at = 0;
        for (var i = 0; i < deepGen.Length; i++)
        {
            var difference = Math.Abs(deepGen[i] - onnxRuntime[i]);
            if (!(difference <= worst)) (worst, at) = (difference, i); // NaN counts as worst
        }

        if (!(worst <= Tolerance))
            throw new InvalidOperationException(
                $"ONNX Runtime and DeepGen disagree at batch {batch}: output {at} is {onnxRuntime[at]} against {deepGen[at]} " +
                $"(difference {worst}, tolerance {Tolerance}). The benchmark would not compare the same computation.");
        return worst;
    }

    /// <summary>Leaves out <see cref="DeepGenOnePass"/> where the batch fits in one default chunk (it would repeat <see cref="DeepGen"/>).</summary>
    private sealed class Config : ManualConfig
    {
        public Config() =>
            AddFilter(new SimpleFilter(benchmarkCase =>
                benchmarkCase.Descriptor.WorkloadMethod.Name != nameof(DeepGenOnePass) || (int)benchmarkCase.Parameters["Batch"] > 256));
    }
}
