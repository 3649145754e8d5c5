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
public class InferenceBenchmarks : OnnxComparison
{
    [Params(1, 100, 10_000)]
    public override int Batch { get; set; }

    /// <summary>2 FLOPs per multiply-add of the three layers, per sample.</summary>
    public static double Flops(BenchmarkCase benchmarkCase) =>
        2.0 * (int)benchmarkCase.Parameters["Batch"] * (784 * 500 + 500 * 500 + 500 * 10);

    /// <summary>A model a little way into training, so the outputs are not all near 1/10 and the check means something.</summary>
    protected override SequentialModel CreateModel(out float[] images)
    {
        var model = new SeedMlp(seed: 1);
        var warmUp = new SyntheticMnist(2_000, seed: 4);
        model.Fit(warmUp.Images, warmUp.Labels, epochs: 1, batchSize: 100, Loss.MeanSquaredError, new Sgd(0.1f),
            seed: 1, verbosity: Verbosity.Silent);
        images = SyntheticMnist.Test.Images;
        return model;
    }
}

/// <summary>
/// The Keras MNIST convnet (two convolutions with max pooling, dropout, softmax), trained a little on 0–1 pixels,
/// against ONNX Runtime running DeepGen's own ONNX export of it: the same comparison as
/// <see cref="InferenceBenchmarks"/>.
/// </summary>
[MemoryDiagnoser]
[Gflops]
[Config(typeof(Config))]
public class ConvnetInferenceBenchmarks : OnnxComparison
{
    [Params(1, 100, 10_000)]
    public override int Batch { get; set; }

    /// <summary>2 FLOPs per multiply-add of the two convolutions and the dense layer, per sample.</summary>
    public static double Flops(BenchmarkCase benchmarkCase) =>
        2.0 * (int)benchmarkCase.Parameters["Batch"] * (26 * 26 * 9 * 32 + 11 * 11 * 288 * 64 + 1600 * 10);

    protected override SequentialModel CreateModel(out float[] images)
    {
        var model = new MnistConvnet(seed: 1);
        var warmUp = new SyntheticMnist(1_000, seed: 4);
        var x = Array.ConvertAll(warmUp.Images, v => v / 255f);
        model.Fit(x, warmUp.Labels, epochs: 1, batchSize: 128, Loss.CategoricalCrossEntropy, new Adam(0.001f),
            seed: 1, verbosity: Verbosity.Silent);
        images = Array.ConvertAll(SyntheticMnist.Test.Images, v => v / 255f);
        return model;
    }
}

/// <summary>
/// DeepGen's <c>Predict</c> into a caller's span against ONNX Runtime running the model's ONNX export (the
/// baseline), on the same inputs; the outputs must agree before anything is timed.
/// </summary>
public abstract class OnnxComparison
{
    private const float Tolerance = 1e-4f;

    private SequentialModel _model = null!;
    private float[] _x = [];
    private float[] _predictions = [];
    private float[] _ortOutput = [];
    private InferenceSession? _session;
    private SessionOptions? _sessionOptions;
    private RunOptions? _runOptions;
    private OrtValue? _ortInput;
    private OrtValue? _ortOutputValue;
    private OrtIoBinding? _binding;

    /// <summary>Samples per call.</summary>
    public abstract int Batch { get; set; }

    /// <summary>The model to time, and the images (at least 10,000) to feed it.</summary>
    protected abstract SequentialModel CreateModel(out float[] images);

    [GlobalSetup]
    public void Setup()
    {
        _model = CreateModel(out var images);
        var (inputs, outputs) = (_model.Architecture.InputSize, _model.Architecture.OutputSize);
        _x = images.AsSpan(0, Batch * inputs).ToArray();
        _predictions = new float[Batch * outputs];
        _ortOutput = new float[Batch * outputs];

        _sessionOptions = new SessionOptions { IntraOpNumThreads = Environment.ProcessorCount };
        _session = new InferenceSession(OnnxExporter.ToOnnx(_model), _sessionOptions);
        _runOptions = new RunOptions();
        _ortInput = OrtValue.CreateTensorValueFromMemory(_x, [Batch, inputs]);
        _ortOutputValue = OrtValue.CreateTensorValueFromMemory(_ortOutput, [Batch, outputs]);
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
    protected sealed class Config : ManualConfig
    {
        public Config() =>
            AddFilter(new SimpleFilter(benchmarkCase =>
                benchmarkCase.Descriptor.WorkloadMethod.Name != nameof(DeepGenOnePass) || (int)benchmarkCase.Parameters["Batch"] > 256));
    }
}
