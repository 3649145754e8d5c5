using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using DeepGen.Cpu;

namespace DeepGen.Benchmarks;

/// <summary>
/// What the three product benchmarks share: a layer shape <c>batch×inputs×units</c> as a parameter (the seed
/// network's real shapes at batch 100), deterministic operands, and the FLOP count of one product,
/// <c>2 · batch · inputs · units</c> (the same for all three products of a layer).
/// </summary>
[MemoryDiagnoser]
[Gflops]
public abstract class ProductBenchmarkBase
{
    public const string Dense0 = "100x784x500";
    public const string Dense1 = "100x500x500";

    protected int BatchSize;
    protected int Inputs;
    protected int Units;

    public static double Flops(BenchmarkCase benchmarkCase)
    {
        var (batch, inputs, units) = Parse((string)benchmarkCase.Parameters["Shape"]);
        return 2.0 * batch * inputs * units;
    }

    protected void ParseShape(string shape) => (BatchSize, Inputs, Units) = Parse(shape);

    private static (int Batch, int Inputs, int Units) Parse(string shape)
    {
        var parts = shape.Split('x');
        return (int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture),
            int.Parse(parts[2], CultureInfo.InvariantCulture));
    }

    /// <summary>Uniform values in [low, high), the same for the same seed.</summary>
    protected static float[] RandomValues(int count, int seed, float low = -1f, float high = 1f)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (var i = 0; i < values.Length; i++) values[i] = low + (high - low) * random.NextSingle();
        return values;
    }

    /// <summary>Throws unless the kernel's result is the naive one up to float rounding (both are computed once here).</summary>
    protected static void CheckClose(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, string what)
    {
        var scale = 1f;
        foreach (var e in expected) scale = Math.Max(scale, Math.Abs(e));
        for (var i = 0; i < actual.Length; i++)
            if (!(Math.Abs(actual[i] - expected[i]) <= 1e-4f * scale))
                throw new InvalidOperationException($"{what}: element {i} is {actual[i]}, the naive loop gives {expected[i]}.");
    }
}

/// <summary>
/// The forward product <c>output[batch, units] = input[batch, inputs] · weights[inputs, units] + bias</c>
/// (<see cref="DenseKernels.Forward{TActivation}"/> with a linear activation: the bias epilogue only).
/// </summary>
public class ForwardProductBenchmarks : ProductBenchmarkBase
{
    private float[] _output = [], _input = [], _weights = [], _bias = [];

    /// <summary>The layer's shape: batch × inputs × units.</summary>
    [Params(Dense0, Dense1)]
    public string Shape { get; set; } = Dense0;

    [GlobalSetup]
    public void Setup()
    {
        ParseShape(Shape);
        _input = RandomValues(BatchSize * Inputs, 1, 0f, 1f);
        _weights = RandomValues(Inputs * Units, 2, -0.07f, 0.07f);
        _bias = RandomValues(Units, 3, -0.1f, 0.1f);
        _output = new float[BatchSize * Units];
        var expected = new float[_output.Length];
        NaiveKernels.Forward(expected, _input, _weights, _bias, BatchSize, Inputs, Units);
        DeepGen();
        CheckClose(_output, expected, "Forward");
    }

    [Benchmark(Baseline = true)]
    public void Naive() => NaiveKernels.Forward(_output, _input, _weights, _bias, BatchSize, Inputs, Units);

    [Benchmark]
    public void DeepGen() => DenseKernels.Forward<LinearActivation>(_output, _input, _weights, _bias, BatchSize, Inputs, Units);
}

/// <summary>
/// The weight-gradient product <c>dW[inputs, units] = inputᵀ · dZ[batch, units]</c> plus the bias gradient
/// (<see cref="DenseKernels.WeightGradients"/>).
/// </summary>
public class WeightGradientProductBenchmarks : ProductBenchmarkBase
{
    private float[] _weightGradients = [], _biasGradients = [], _input = [], _outputGradient = [];

    /// <summary>The layer's shape: batch × inputs × units.</summary>
    [Params(Dense0, Dense1)]
    public string Shape { get; set; } = Dense0;

    [GlobalSetup]
    public void Setup()
    {
        ParseShape(Shape);
        _input = RandomValues(BatchSize * Inputs, 1, 0f, 1f);
        _outputGradient = RandomValues(BatchSize * Units, 2, -0.01f, 0.01f);
        _weightGradients = new float[Inputs * Units];
        _biasGradients = new float[Units];
        var expected = new float[_weightGradients.Length];
        var expectedBias = new float[Units];
        NaiveKernels.WeightGradients(expected, expectedBias, _input, _outputGradient, BatchSize, Inputs, Units);
        DeepGen();
        CheckClose(_weightGradients, expected, "WeightGradients");
        CheckClose(_biasGradients, expectedBias, "WeightGradients (bias)");
    }

    [Benchmark(Baseline = true)]
    public void Naive() =>
        NaiveKernels.WeightGradients(_weightGradients, _biasGradients, _input, _outputGradient, BatchSize, Inputs, Units);

    [Benchmark]
    public void DeepGen() =>
        DenseKernels.WeightGradients(_weightGradients, _biasGradients, _input, _outputGradient, BatchSize, Inputs, Units);
}

/// <summary>
/// The input-gradient product <c>dX[batch, inputs] = dZ[batch, units] · weightsᵀ</c>
/// (<see cref="DenseKernels.InputGradients{TPreviousActivation}"/> with a linear previous layer, so no derivative
/// factor; the kernel's transpose of the weights into scratch is part of the timed work). Only Dense1's shape: the
/// first layer needs no input gradient in training.
/// </summary>
public class InputGradientProductBenchmarks : ProductBenchmarkBase
{
    private float[] _inputGradient = [], _outputGradient = [], _weights = [], _previousOutput = [], _scratch = [];

    /// <summary>The layer's shape: batch × inputs × units.</summary>
    [Params(Dense1)]
    public string Shape { get; set; } = Dense1;

    [GlobalSetup]
    public void Setup()
    {
        ParseShape(Shape);
        _outputGradient = RandomValues(BatchSize * Units, 1, -0.01f, 0.01f);
        _weights = RandomValues(Inputs * Units, 2, -0.07f, 0.07f);
        _previousOutput = RandomValues(BatchSize * Inputs, 3, 0f, 1f);
        _scratch = new float[DenseKernels.InputGradientScratchSize(BatchSize, Inputs, Units)];
        _inputGradient = new float[BatchSize * Inputs];
        var expected = new float[_inputGradient.Length];
        NaiveKernels.InputGradients(expected, _outputGradient, _weights, BatchSize, Inputs, Units);
        DeepGen();
        CheckClose(_inputGradient, expected, "InputGradients");
    }

    [Benchmark(Baseline = true)]
    public void Naive() => NaiveKernels.InputGradients(_inputGradient, _outputGradient, _weights, BatchSize, Inputs, Units);

    [Benchmark]
    public void DeepGen() =>
        DenseKernels.InputGradients<LinearActivation>(
            _inputGradient, _outputGradient, _weights, _previousOutput, _scratch, BatchSize, Inputs, Units);
}
