using ILGPU.Runtime;
using static DeepGen.Activation;

namespace DeepGen.Gpu.Tests;

/// <summary>Multi-label output for binary cross-entropy: 45 → 29 relu → 13 sigmoid.</summary>
[Model(Input = 45)]
[Dense(29, Relu)]
[Dense(13, Sigmoid)]
public partial class MultiLabelNet;

/// <summary>
/// The library's loss kernel (<see cref="GpuKernelSet"/>'s Loss) on ILGPU's CPU accelerator against the CPU's
/// <see cref="Loss"/>, for every loss and each output activation it makes sense on: per sample its loss, per element
/// dLoss/d(pre-activation) with the activation folded in (fused forms included), and what the sample adds to the CPU's
/// default accuracy; on an awkward batch (37 samples gathered through a shuffled order, 13 outputs, or 1 for binary
/// cross-entropy), each element within 1e-5 of its own magnitude. Then the same through <see cref="GpuModel"/>:
/// steps, evaluation and the metric names, and the refusals.
/// </summary>
public sealed class LossKernelTests : IDisposable
{
    private const int Batch = 37;
    private const int Units = 13;
    private const double Relative = 1e-5;
    /// <summary>Elements are compared with their own magnitude, down to this (exact zeros must be near-exact).</summary>
    private const double Floor = 1e-9;

    private readonly ComputeDevice _device = TestDevice.Open();

    public void Dispose() => _device.Dispose();

    private static readonly Activation[] Regressions = [.. Enum.GetValues<Activation>()];

    public static TheoryData<string, Activation, int> Cases()
    {
        var data = new TheoryData<string, Activation, int>();
        // A regression loss is fine on any output: every activation, the softmax Jacobian included.
        foreach (var loss in new[] { "mse", "mae", "huber", "huber0.3" })
            foreach (var activation in Regressions)
                data.Add(loss, activation, Units);
        data.Add("mse", Sigmoid, 1);
        data.Add("huber0.3", Linear, 1);
        // Cross-entropies over classes on positive outputs: fused with softmax, through the Jacobian otherwise.
        foreach (var loss in new[] { "cce", "sparse" })
            foreach (var activation in new[] { Softmax, Sigmoid, Softplus, HardSigmoid })
                data.Add(loss, activation, Units);
        // Binary cross-entropy: fused with sigmoid, on one output and on several; otherwise through the Jacobian.
        data.Add("bce", Sigmoid, 1);
        data.Add("bce", Sigmoid, Units);
        data.Add("bce", HardSigmoid, Units);
        data.Add("bce", Softmax, Units);
        data.Add("bce", Linear, Units);
        data.Add("bce", Swish, 1);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void LossGradientAndCorrectCountMatchTheCpu(string lossName, Activation activation, int units)
    {
        var loss = LossNamed(lossName);
        var result = RunLoss(loss, activation, units, seed: lossName.Length * 31 + (int)activation * 7 + units);
        Expect(result.ExpectedLosses, result.Losses, "per-sample loss", result.LossFloor);
        Expect(result.ExpectedGradient, result.Gradient, "dLoss/dz", result.GradientFloor);
        Assert.Equal(result.ExpectedCorrect, result.Correct);
    }

    /// <summary>The comparison can fail: the kernel told the wrong loss disagrees with the CPU.</summary>
    [Fact]
    public void AWrongLossIsCaught()
    {
        var result = RunLoss(Loss.MeanSquaredError, Sigmoid, Units, seed: 3, deviceLoss: GpuLoss.MeanAbsoluteError);
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => Expect(result.ExpectedGradient, result.Gradient, "dLoss/dz"));
    }

    /// <summary>Sparse labels give exactly the loss and gradient of categorical cross-entropy on their one-hot rows.</summary>
    [Fact]
    public void SparseLabelsAreTheirOneHotRows()
    {
        float[] labels = [];
        var sparse = RunLoss(Loss.SparseCategoricalCrossEntropy, Softmax, Units, seed: 5, targetsFrom: t => labels = t);
        var dense = RunLoss(Loss.CategoricalCrossEntropy, Softmax, Units, seed: 5, targetsFrom: _ =>
        {
            var oneHot = new float[labels.Length * Units];
            for (var s = 0; s < labels.Length; s++) oneHot[s * Units + (int)labels[s]] = 1f;
            return oneHot;
        });
        Expect(dense.Losses, sparse.Losses, "sparse against one-hot loss");
        Expect(dense.Gradient, sparse.Gradient, "sparse against one-hot gradient");
        Assert.Equal(dense.Correct, sparse.Correct);
    }

    /// <summary>Huber's delta reaches the kernel: another delta gives another loss, and the CPU's for that delta.</summary>
    [Fact]
    public void HuberUsesItsDelta()
    {
        var narrow = RunLoss(new HuberLoss(0.05f), Linear, Units, seed: 6);
        var wide = RunLoss(new HuberLoss(5f), Linear, Units, seed: 6);
        Expect(narrow.ExpectedLosses, narrow.Losses, "huber(0.05)");
        Expect(wide.ExpectedLosses, wide.Losses, "huber(5)");
        Assert.NotEqual(narrow.Losses, wide.Losses);
        var zero = new GpuBatch { Loss = GpuLoss.Huber, HuberDelta = 0f, Batch = 1 };
        var kernels = new LossOnly(_device.Accelerator, new GpuOutputLayer(0, Units, Linear));
        Assert.Throws<ArgumentOutOfRangeException>(() => kernels.LossForTests(zero));
    }

    /// <summary>Two launches give the same bits.</summary>
    [Fact]
    public void TwoRunsAreBitwiseEqual()
    {
        var first = RunLoss(Loss.CategoricalCrossEntropy, Sigmoid, Units, seed: 8);
        var second = RunLoss(Loss.CategoricalCrossEntropy, Sigmoid, Units, seed: 8);
        Assert.Equal(first.Gradient, second.Gradient);
        Assert.Equal(first.Losses, second.Losses);
    }

    [Fact]
    public void AnOutputThatNeedsItsPreActivationsMustSayWhereTheyAre()
    {
        var error = Assert.Throws<ArgumentException>(() => new LossOnly(_device.Accelerator, new GpuOutputLayer(0, Units, Gelu)));
        Assert.Contains("PreActivationOffsetPerSample", error.Message, StringComparison.Ordinal);
    }

    // ---- Through GpuModel ------------------------------------------------------------------------------------------

    public static TheoryData<string> ModelLosses() => ["mae", "huber0.3", "bce-one", "bce-multi", "sparse"];

    /// <summary>One training step of the generated kernels with each new loss, against the CPU model's step.</summary>
    [Theory]
    [MemberData(nameof(ModelLosses))]
    public void OneTrainingStepMatchesTheCpu(string name)
    {
        const int batch = 37;
        var (cpu, gpu, loss, x, y) = Setup(name, batch);
        using var _ = gpu;
        var cpuLoss = cpu.TrainStep(x, y, batch, loss, new Sgd(0.5f));
        var gpuLoss = gpu.TrainStep(x, y, batch, loss, new Sgd(0.5f));
        Close.Assert([cpuLoss], [gpuLoss], 1e-5f, "loss");
        var gradients = new float[cpu.Architecture.ParameterCount];
        gpu.CopyGradientsTo(gradients);
        Close.Assert(cpu.Gradients, gradients, 1e-5f, "gradients");
    }

    /// <summary>Evaluate reports the CPU's loss and default metric, by the CPU's name, or none for a regression.</summary>
    [Theory]
    [MemberData(nameof(ModelLosses))]
    public void EvaluateReportsTheCpusMetric(string name)
    {
        var (cpu, gpu, loss, x, y) = Setup(name, 90);
        using var _ = gpu;
        var expected = cpu.Evaluate(x, y, batchSize: 25, loss: loss);
        var actual = gpu.Evaluate(x, y, batchSize: 25, loss: loss);
        Close.Assert([expected.Loss], [actual.Loss], 1e-5f, "loss");
        // The same metric, the same count: the correct flags are decisions, equal unless an output sits on a boundary.
        Assert.Equal(expected.Metrics, actual.Metrics);
        Assert.Equal([name == "bce-multi" ? "binary_accuracy" : "accuracy"], actual.Metrics.Keys);
    }

    /// <summary>Binary accuracy on several outputs: the history has it under its name, averaged per output as on the CPU.</summary>
    [Fact]
    public void FitReportsBinaryAccuracyForSeveralLabels()
    {
        var (cpu, gpu, loss, x, y) = Setup("bce-multi", 80);
        using var _ = gpu;
        var cpuHistory = cpu.Fit(x, y, epochs: 1, batchSize: 16, loss, new Sgd(0.1f), seed: 4, verbosity: Verbosity.Silent);
        var gpuHistory = gpu.Fit(x, y, epochs: 1, batchSize: 16, loss, new Sgd(0.1f), seed: 4, verbosity: Verbosity.Silent);
        var expected = cpuHistory.Epochs[0];
        var actual = gpuHistory.Epochs[0];
        Assert.True(float.IsNaN(actual.Accuracy), "EpochResult.Accuracy is the metric named accuracy, as on the CPU");
        Assert.Equal(expected.Logs!.Keys.Order(), actual.Logs!.Keys.Order());
        // The same outputs on both sides up to rounding: at most a decision or two may flip at the 0.5 threshold.
        Assert.InRange(Math.Abs(expected.Logs["binary_accuracy"] - actual.Logs["binary_accuracy"]), 0f, 2f / (80 * MultiLabelNet.OutputSize) + 1e-6f);
        Close.Assert([expected.Loss], [actual.Loss], 1e-5f, "epoch loss");
    }

    /// <summary>Class indices gathered through each epoch's shuffle, one float per sample: two epochs follow the CPU's.</summary>
    [Fact]
    public void FitWithSparseLabelsFollowsTheCpu()
    {
        var (cpu, gpu, loss, x, y) = Setup("sparse", 120);
        using var _ = gpu;
        var cpuHistory = cpu.Fit(x, y, epochs: 2, batchSize: 32, loss, new Sgd(0.2f), seed: 5, verbosity: Verbosity.Silent);
        var gpuHistory = gpu.Fit(x, y, epochs: 2, batchSize: 32, loss, new Sgd(0.2f), seed: 5, verbosity: Verbosity.Silent);
        for (var epoch = 0; epoch < 2; epoch++)
        {
            Close.Assert([cpuHistory.Loss[epoch]], [gpuHistory.Loss[epoch]], 1e-4f, $"epoch {epoch + 1} loss");
            Assert.Equal(cpuHistory.Accuracy[epoch], gpuHistory.Accuracy[epoch]);
        }

        Assert.Equal(cpuHistory.Keys, gpuHistory.Keys);
        Close.Assert(cpu.Parameters, gpu.Model.Parameters, 1e-4f, "trained parameters");
    }

    [Fact]
    public void TargetsAreCheckedAsTheCpuChecksThem()
    {
        var (_, gpu, _, x, y) = Setup("sparse", 10);
        using var _ = gpu;
        var labels = (float[])y.Clone();
        labels[3] = 13f;
        var error = Assert.Throws<ArgumentException>(() => gpu.Evaluate(x, labels, loss: Loss.SparseCategoricalCrossEntropy));
        Assert.Contains("Sample 3 has the label 13", error.Message, StringComparison.Ordinal);
        labels[3] = 2.5f;
        Assert.Throws<ArgumentException>(() => gpu.Fit(x, labels, 1, 5, Loss.SparseCategoricalCrossEntropy, new Sgd(0.1f), verbosity: Verbosity.Silent));
        // One-hot rows where class indices are expected: the width is named.
        error = Assert.Throws<ArgumentException>(() => gpu.Evaluate(x, Data.OneHot(10, AwkwardNet.OutputSize, 1), loss: Loss.SparseCategoricalCrossEntropy));
        Assert.Contains("10 × 1", error.Message, StringComparison.Ordinal);

        var (_, multiGpu, _, mx, my) = Setup("bce-multi", 10);
        using var __ = multiGpu;
        my[20] = 1.5f;
        error = Assert.Throws<ArgumentException>(() => multiGpu.Evaluate(mx, my, loss: Loss.BinaryCrossEntropy));
        Assert.Contains("binary_crossentropy needs targets in [0, 1]", error.Message, StringComparison.Ordinal);

        // Cross-entropy over classes on one output trains nothing: refused as on the CPU.
        var (_, oneGpu, _, ox, oy) = Setup("bce-one", 10);
        using var ___ = oneGpu;
        Assert.Throws<ArgumentException>(() => oneGpu.Fit(ox, oy, 1, 5, Loss.CategoricalCrossEntropy, new Sgd(0.1f), verbosity: Verbosity.Silent));
    }

    /// <summary>A CPU model and its twin on the device (same seed), a loss and data for it.</summary>
    private (SequentialModel Cpu, GpuModel Gpu, Loss Loss, float[] X, float[] Y) Setup(string name, int samples)
    {
        switch (name)
        {
            case "mae":
            case "huber0.3":
            {
                var x = Data.Uniform(samples * AwkwardNet.InputSize, 41, 2f);
                var y = Data.Uniform(samples * AwkwardNet.OutputSize, 42).Select(v => (v + 1f) / 2f).ToArray();
                return (new AwkwardNet(seed: 7), new AwkwardNet(seed: 7).ToDevice(_device), LossNamed(name), x, y);
            }
            case "bce-one":
            {
                var x = Data.Uniform(samples * ReluLinearNet.InputSize, 43, 2f);
                var y = Data.Uniform(samples, 44).Select(v => v > 0 ? 1f : 0f).ToArray();
                return (new ReluLinearNet(seed: 8), new ReluLinearNet(seed: 8).ToDevice(_device), Loss.BinaryCrossEntropy, x, y);
            }
            case "bce-multi":
            {
                var x = Data.Uniform(samples * MultiLabelNet.InputSize, 45, 2f);
                var y = Data.Uniform(samples * MultiLabelNet.OutputSize, 46).Select(v => v > 0.2f ? 1f : 0f).ToArray();
                return (new MultiLabelNet(seed: 9), new MultiLabelNet(seed: 9).ToDevice(_device), Loss.BinaryCrossEntropy, x, y);
            }
            case "sparse":
            {
                var x = Data.Uniform(samples * AwkwardNet.InputSize, 47, 2f);
                var random = new Random(48);
                var y = Enumerable.Range(0, samples).Select(_ => (float)random.Next(AwkwardNet.OutputSize)).ToArray();
                return (new AwkwardNet(seed: 10), new AwkwardNet(seed: 10).ToDevice(_device), Loss.SparseCategoricalCrossEntropy, x, y);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(name), name, null);
        }
    }

    // ---- The kernel against the CPU loss --------------------------------------------------------------------------

    private sealed record LossRun(
        float[] Losses, float[] ExpectedLosses, float[] Gradient, float[] ExpectedGradient, float[] Correct, float[] ExpectedCorrect,
        double[] LossFloor, double[] GradientFloor);

    /// <summary>
    /// Lays out an activation buffer as a model's would (something before the outputs, the outputs, the
    /// pre-activations, something after), gathers the targets through a shuffled order, launches the kernel, and
    /// computes the same with the CPU: the activation's forward, the row softmax, <see cref="Loss.Gradient(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, Activation)"/>
    /// (with Linear and the derivative from the pre-activations for GELU and Swish, as the generated CPU code does),
    /// <see cref="Loss.Sum(ReadOnlySpan{float}, ReadOnlySpan{float}, int, int)"/> per sample, and the default metric.
    /// </summary>
    private LossRun RunLoss(Loss loss, Activation activation, int units, int seed, GpuLoss? deviceLoss = null, Func<float[], float[]>? targetsFrom = null)
    {
        const int before = 5;
        const int after = 3;
        var outputOffset = before;
        var preActivationOffset = before + units;
        var perSample = before + 2 * units + after;
        var width = loss.TargetsPerSample(units);
        var samples = Batch + 6;
        const int orderOffset = 4;
        var order = Data.Permutation(samples, seed);
        var random = new Random(seed + 1);

        // Pre-activations mostly in [-3, 3], a few far out; a softmax or a classifier gets a clear winner now and then.
        var z = new float[Batch * units];
        for (var i = 0; i < z.Length; i++) z[i] = (float)(random.NextDouble() * 6 - 3) * (i % 17 == 5 ? 6f : 1f);
        var targets = Targets(loss, activation, units, samples, random);
        if (targetsFrom is not null) targets = targetsFrom(targets);

        var outputs = (float[])z.Clone();
        if (activation == Softmax) Cpu.RowSoftmax.ForwardRows(outputs, Batch, units);
        else Forward(activation, outputs);

        var activations = Data.Uniform(Batch * perSample, seed + 2, 9f);
        // The device sees the softmax's pre-activations where its outputs go (the forward pass leaves them there).
        (activation == Softmax ? z : outputs).CopyTo(activations, Batch * outputOffset);
        z.CopyTo(activations, Batch * preActivationOffset);
        var output = new GpuOutputLayer(outputOffset, units, activation)
        {
            PreActivationOffsetPerSample = ActivationNeedsZ(activation) ? preActivationOffset : -1,
        };

        var kernels = new LossOnly(_device.Accelerator, output);
        using var h = new KernelHarness(_device);
        var activationView = h.Upload(activations);
        var deltaView = h.Upload(new float[activations.Length]);
        var results = h.Upload(new float[2 * Batch]);
        kernels.LossForTests(new GpuBatch
        {
            Activations = activationView, Deltas = deltaView, Targets = h.Upload(targets), Order = h.Upload(order),
            OrderOffset = orderOffset, Batch = Batch, SampleResults = results,
            Loss = deviceLoss ?? GpuModel.ToGpuLoss(loss), HuberDelta = (loss as HuberLoss)?.Delta ?? 0f,
        });
        var deviceActivations = h.Download(activationView, activations.Length);
        var deviceDeltas = h.Download(deltaView, activations.Length);
        var deviceResults = h.Download(results, 2 * Batch);
        // Nothing outside the output's rows is written.
        Assert.Equal(activations.AsSpan(0, Batch * outputOffset).ToArray(), deviceActivations.AsSpan(0, Batch * outputOffset).ToArray());
        Assert.Equal(activations.AsSpan(Batch * preActivationOffset).ToArray(), deviceActivations.AsSpan(Batch * preActivationOffset).ToArray());
        Assert.All(deviceDeltas.AsSpan(0, Batch * outputOffset).ToArray(), d => Assert.Equal(0f, d));
        Assert.All(deviceDeltas.AsSpan(Batch * preActivationOffset).ToArray(), d => Assert.Equal(0f, d));

        // A softmax is the device's own (DeviceMath.Exp, a sequential sum), within a few ulp of the CPU's row softmax.
        // Where a probability is within an ulp or two of 1, the loss of its sample (and its 1 - p) is that
        // ill-conditioned, so the CPU's loss is computed below from the device's probabilities.
        var deviceOutputs = deviceActivations.AsSpan(Batch * outputOffset, Batch * units).ToArray();
        if (activation == Softmax)
        {
            Expect(outputs, deviceOutputs, "softmax outputs");
            outputs = deviceOutputs;
        }

        // The CPU: the batch's targets through the order, the loss and its gradient.
        var batchTargets = new float[Batch * width];
        for (var r = 0; r < Batch; r++) targets.AsSpan(order[orderOffset + r] * width, width).CopyTo(batchTargets.AsSpan(r * width));
        var gradient = new float[Batch * units];
        loss.Gradient(gradient, outputs, batchTargets, Batch, units, ActivationNeedsZ(activation) ? Linear : activation);
        if (activation == Gelu) Cpu.GeluActivation.Backward(gradient, z);
        if (activation == Swish) Cpu.SwishActivation.Backward(gradient, z);
        // Where the CPU's formula subtracts nearly equal numbers that come out of an order-dependent float reduction
        // (TensorPrimitives' Sum and Dot, whose order depends on the CPU's vector width), the difference carries that
        // reduction's rounding, which no other summation order reproduces: the softmax Jacobian's g_i - Σ g p, and
        // -log(p / Σp) for a probability near 1. Those elements are held to 1e-5 of the terms that cancel.
        var gradientFloor = new double[Batch * units];
        Array.Fill(gradientFloor, Floor);
        if (activation == Softmax && loss.Name is not ("categorical_crossentropy" or "sparse_categorical_crossentropy"))
        {
            var outputGradient = new float[Batch * units];
            loss.Gradient(outputGradient, outputs, batchTargets, Batch, units, Linear);
            for (var r = 0; r < Batch; r++)
            {
                var dot = 0.0;
                for (var j = 0; j < units; j++) dot += (double)outputGradient[r * units + j] * outputs[r * units + j];
                for (var j = 0; j < units; j++)
                {
                    var i = r * units + j;
                    gradientFloor[i] = Math.Max(Floor, outputs[i] * (Math.Abs(outputGradient[i]) + Math.Abs(dot)));
                }
            }
        }

        // -log q near q = 1 is 1 - q: one ulp of Σp moves it by about 1e-7 · units.
        var lossFloor = new double[Batch];
        Array.Fill(lossFloor, loss.Name is "categorical_crossentropy" or "sparse_categorical_crossentropy" ? 1e-7 * units / Relative : Floor);

        var expectedLosses = new float[Batch];
        var expectedCorrect = new float[Batch];
        var metric = DefaultMetric(loss, units, activation);
        for (var r = 0; r < Batch; r++)
        {
            var rowOutputs = outputs.AsSpan(r * units, units);
            var rowTargets = batchTargets.AsSpan(r * width, width);
            expectedLosses[r] = (float)loss.Sum(rowOutputs, rowTargets, 1, units);
            if (metric is null) continue;
            metric.Reset();
            metric.Update(rowOutputs, rowTargets, 1);
            // binary_accuracy over one sample is the fraction of its outputs right; the device counts them.
            expectedCorrect[r] = (float)Math.Round(metric.Result() * (metric is BinaryAccuracy ? units : 1));
        }

        return new LossRun(
            deviceResults[..Batch], expectedLosses,
            deviceDeltas.AsSpan(Batch * outputOffset, Batch * units).ToArray(), gradient,
            deviceResults[Batch..], expectedCorrect, lossFloor, gradientFloor);
    }

    /// <summary>Targets per loss: one-hot rows (a soft row now and then for categorical), class indices, 0/1 or probabilities, regression values.</summary>
    private static float[] Targets(Loss loss, Activation activation, int units, int samples, Random random)
    {
        var width = loss.TargetsPerSample(units);
        var targets = new float[samples * width];
        for (var s = 0; s < samples; s++)
        {
            var row = targets.AsSpan(s * width, width);
            switch (loss.Name)
            {
                case "sparse_categorical_crossentropy":
                    row[0] = random.Next(units);
                    break;
                case "categorical_crossentropy":
                    if (s % 5 == 4)
                    {
                        // A soft target: two classes sharing the weight.
                        row[random.Next(units)] += 0.3f;
                        row[random.Next(units)] += 0.7f;
                    }
                    else
                    {
                        row[random.Next(units)] = 1f;
                    }

                    break;
                case "binary_crossentropy":
                    for (var j = 0; j < width; j++) row[j] = s % 7 == 3 ? (float)random.NextDouble() : random.Next(2);
                    break;
                default:
                    for (var j = 0; j < width; j++) row[j] = (float)(random.NextDouble() * 4 - 2);
                    if (activation == Softmax) { row.Clear(); row[random.Next(units)] = 1f; }
                    break;
            }
        }

        return targets;
    }

    /// <summary>The CPU's default accuracy, as DefaultMetrics picks it (written out here so that the test states it).</summary>
    private static Metric? DefaultMetric(Loss loss, int units, Activation activation) => loss.Name switch
    {
        "categorical_crossentropy" or "sparse_categorical_crossentropy" => new Accuracy(),
        "binary_crossentropy" => units == 1 ? new Accuracy() : new BinaryAccuracy(),
        _ => activation == Softmax && units >= 2 ? new Accuracy() : null,
    };

    private static bool ActivationNeedsZ(Activation activation) => activation is Gelu or Swish;

    private static void Forward(Activation activation, Span<float> values)
    {
        switch (activation)
        {
            case Linear: break;
            case Sigmoid: Cpu.SigmoidActivation.Forward(values); break;
            case Relu: Cpu.ReluActivation.Forward(values); break;
            case Tanh: Cpu.TanhActivation.Forward(values); break;
            case LeakyRelu: Cpu.LeakyReluActivation.Forward(values); break;
            case Elu: Cpu.EluActivation.Forward(values); break;
            case Selu: Cpu.SeluActivation.Forward(values); break;
            case Gelu: Cpu.GeluActivation.Forward(values); break;
            case Softplus: Cpu.SoftplusActivation.Forward(values); break;
            case Swish: Cpu.SwishActivation.Forward(values); break;
            case HardSigmoid: Cpu.HardSigmoidActivation.Forward(values); break;
            default: throw new ArgumentOutOfRangeException(nameof(activation), activation, null);
        }
    }

    private static Loss LossNamed(string name) => name switch
    {
        "mse" => Loss.MeanSquaredError,
        "mae" => Loss.MeanAbsoluteError,
        "huber" => Loss.Huber,
        "huber0.3" => new HuberLoss(0.3f),
        "cce" => Loss.CategoricalCrossEntropy,
        "sparse" => Loss.SparseCategoricalCrossEntropy,
        "bce" => Loss.BinaryCrossEntropy,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    /// <summary>
    /// Each element within <see cref="Relative"/> of its own magnitude, down to <see cref="Floor"/>, or to its entry
    /// of <paramref name="floors"/> where the CPU's own rounding sets a larger one.
    /// </summary>
    private static void Expect(float[] expected, float[] actual, string what, double[]? floors = null)
    {
        Assert.Equal(expected.Length, actual.Length);
        Assert.Contains(expected, value => value != 0f);
        for (var i = 0; i < expected.Length; i++)
        {
            var bound = Relative * Math.Max(Math.Abs(expected[i]), floors?[i] ?? Floor);
            if (!(Math.Abs((double)expected[i] - actual[i]) <= bound))
                Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (allowed ±{bound:R}).");
        }
    }

    /// <summary>The base kernel set alone: the library's loss, softmax and reduction, with no layers.</summary>
    private sealed class LossOnly(Accelerator accelerator, GpuOutputLayer output) : GpuKernelSet(accelerator, output)
    {
        public override void Forward(in GpuBatch batch) => throw new NotSupportedException();
        public override void ForwardAndLoss(in GpuBatch batch) => throw new NotSupportedException();
        public override void TrainStep(in GpuBatch batch) => throw new NotSupportedException();
    }
}
