using ILGPU;
using ILGPU.Runtime;

namespace DeepGen.Gpu.Tests;

/// <summary>
/// Every optimizer of the runtime on the device: the update kernel against the CPU optimizer's own Update on random
/// buffers, the global-norm kernels against a naive sum, and whole fits against the CPU Fit (parameters, optimizer
/// state and iteration count), bitwise between two device runs.
/// </summary>
public sealed class OptimizerTests : IDisposable
{
    private const int Samples = 64;
    private const int BatchSize = 16;

    private readonly ComputeDevice _device = TestDevice.Open();

    public void Dispose() => _device.Dispose();

    /// <summary>The configurations the issue names, each a fresh optimizer per call so two runs start alike.</summary>
    public static TheoryData<string> Configurations => [.. Optimizers.Keys];

    private static readonly Dictionary<string, Func<Optimizer>> Optimizers = new()
    {
        ["sgd-momentum"] = () => new Sgd(0.1f, momentum: 0.9f),
        ["sgd-nesterov"] = () => new Sgd(0.1f, momentum: 0.9f, nesterov: true),
        ["sgd-weight-decay"] = () => new Sgd(0.1f, weightDecay: 0.05f),
        ["adam"] = () => new Adam(0.01f),
        ["adamw-amsgrad"] = () => new AdamW(0.01f, weightDecay: 0.05f, amsgrad: true),
        ["rmsprop"] = () => new RmsProp(0.01f),
        ["rmsprop-momentum"] = () => new RmsProp(0.01f, momentum: 0.9f),
        ["rmsprop-centered"] = () => new RmsProp(0.01f, centered: true),
        ["rmsprop-centered-momentum"] = () => new RmsProp(0.01f, momentum: 0.5f, centered: true),
        ["adagrad"] = () => new Adagrad(0.05f),
        ["nadam"] = () => new Nadam(0.01f),
        ["adam-cosine-schedule"] = () => new Adam { Schedule = new CosineDecay(0.02f, decaySteps: 6, alpha: 0.1f, warmupTarget: 0.05f, warmupSteps: 2) },
        ["sgd-exponential-schedule"] = () => new Sgd { Schedule = new ExponentialDecay(0.5f, decaySteps: 2, decayRate: 0.5f) },
        ["sgd-momentum-clip-value"] = () => new Sgd(0.1f, momentum: 0.5f) { ClipValue = 0.002f },
        ["adam-global-clip-norm"] = () => new Adam(0.01f) { GlobalClipNorm = ClipNorm },
        ["sgd-global-clip-norm"] = () => new Sgd(0.5f) { GlobalClipNorm = ClipNorm },
    };

    /// <summary>Fit against Fit, relative to each tensor's largest magnitude (<see cref="Close"/>).</summary>
    internal const float TrajectoryTolerance = 5e-5f;

    /// <summary>Far below the gradient norm of the test model's batches, so every step clips.</summary>
    private const float ClipNorm = 0.01f;

    [Theory]
    [MemberData(nameof(Configurations))]
    public void UpdateKernelMatchesTheCpuOptimizerOnRandomBuffers(string name)
    {
        // An awkward length: no multiple of a vector width, a group or the partial sums' stride.
        const int length = 1237;
        var cpu = Optimizers[name]();
        var device = Optimizers[name]();
        var parameters = Data.Uniform(length, 1);
        using var deviceParameters = _device.Accelerator.Allocate1D(parameters);
        using var deviceGradients = _device.Accelerator.Allocate1D<float>(length);
        cpu.Initialize(length);
        using var onDevice = DeviceOptimizer.Create(device, new DeviceOptimizerKernels(_device.Accelerator), length);

        for (var step = 0; step < 4; step++)
        {
            var gradients = Data.Uniform(length, 10 + step, 0.5f);
            if (name.Contains("clip-norm")) Assert.True(Norm(gradients) > 10 * ClipNorm, "the gradients must be clipped");
            cpu.Step(parameters, gradients, appliedInBackward: false);
            deviceGradients.View.CopyFromCPU(gradients);
            onDevice.Step(deviceParameters.View, deviceGradients.View);
            device.Iterations++;
        }

        onDevice.DownloadState();
        var onDeviceParameters = KernelHarness.Download<float>(_device.Accelerator, deviceParameters.View, length);
        OwnMagnitude.Assert(parameters, onDeviceParameters, $"{name}: parameters");
        AssertSameState(cpu, device, name);
        Assert.Equal(cpu.Iterations, device.Iterations);
        // On the CPU accelerator each element takes the CPU's operations in the CPU's order: the same bits, except where
        // the global norm (summed in double here, in float blocks there) rounds the clip scale differently.
        if (_device.Accelerator.AcceleratorType == AcceleratorType.CPU && !name.Contains("clip-norm"))
        {
            Bitwise.Assert(parameters, onDeviceParameters, $"{name}: parameters on the CPU accelerator");
            for (var s = 0; s < cpu.State.Count; s++)
                Bitwise.Assert(cpu.State[s].Values, device.State[s].Values, $"{name}: {cpu.State[s].Name} on the CPU accelerator");
        }
    }

    [Theory]
    [InlineData(1, 0.5f)]
    [InlineData(1237, 0.01f)] // clips
    [InlineData(1237, 1e6f)] // does not clip: the scale is exactly 1
    [InlineData(2_000_003, 1f)] // more than MaxPartials × ElementsPerPartial: each partial sums more
    public void ClipScaleKernelMatchesANaiveNorm(int length, float clipNorm)
    {
        var gradients = Data.Uniform(length, 3, 0.5f);
        var kernels = new DeviceOptimizerKernels(_device.Accelerator);
        using var deviceGradients = _device.Accelerator.Allocate1D(gradients);
        using var partials = _device.Accelerator.Allocate1D<double>(DeviceOptimizerKernels.PartialCount(length));
        using var scale = _device.Accelerator.Allocate1D<float>(1);
        kernels.ClipScale(deviceGradients.View, length, partials.View, scale.View, clipNorm);
        var actual = KernelHarness.Download<float>(_device.Accelerator, scale.View, 1)[0];

        var norm = Norm(gradients);
        var expected = norm > clipNorm ? (float)(clipNorm / norm) : 1f;
        if (expected == 1f) Assert.Equal(1f, actual);
        else OwnMagnitude.Assert([expected], [actual], "clip scale");
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void EachDeviceStepIsTheCpuOptimizersStepOnTheDevicesGradients(string name)
    {
        // The optimizer alone, inside real training steps: the device steps the model, and the CPU optimizer takes the
        // same step from the same parameters, state and gradients. Each step is compared on its own (the CPU side is
        // set to the device's values before it), so the parity rule holds per element, whatever the gradient kernels'
        // summation order does to the trajectory.
        var (x, y) = Classification();
        var model = new AwkwardNet(seed: 3);
        var optimizer = Optimizers[name]();
        var reference = Optimizers[name]();
        reference.Initialize(AwkwardNet.ParameterCount);
        using var gpu = model.ToDevice(_device);
        var parameters = model.Parameters.ToArray();
        var gradients = new float[AwkwardNet.ParameterCount];
        var stepped = new float[AwkwardNet.ParameterCount];
        for (var step = 0; step < 4; step++)
        {
            var start = step * BatchSize;
            gpu.TrainStep(x.AsSpan(start * AwkwardNet.InputSize, BatchSize * AwkwardNet.InputSize),
                y.AsSpan(start * AwkwardNet.OutputSize, BatchSize * AwkwardNet.OutputSize), BatchSize, Loss.CategoricalCrossEntropy, optimizer);
            gpu.CopyGradientsTo(gradients);
            var parametersBefore = parameters.ToArray();
            var stateBefore = reference.State.Select(s => s.Values.ToArray()).ToArray();
            reference.Step(parameters, gradients, appliedInBackward: false);
            gpu.CopyParametersTo(stepped);
            OwnMagnitude.Assert(parameters, stepped, $"{name}: parameters after step {step + 1}", parametersBefore);
            AssertSameState(reference, optimizer, $"{name} after step {step + 1}", stateBefore);
            Assert.Equal(reference.Iterations, optimizer.Iterations);
            stepped.CopyTo(parameters);
            for (var s = 0; s < reference.State.Count; s++) optimizer.State[s].Values.CopyTo(reference.State[s].Values, 0);
        }
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void FitMatchesTheCpuFitAndTwoDeviceRunsAreBitwiseEqual(string name)
    {
        var (x, y) = Classification();
        var cpuModel = new AwkwardNet(seed: 3);
        var cpuOptimizer = Optimizers[name]();
        var cpuHistory = cpuModel.Fit(x, y, epochs: 2, BatchSize, Loss.CategoricalCrossEntropy, cpuOptimizer, seed: 5, verbosity: Verbosity.Silent);

        // Both device runs on one GpuModel (compiling the kernels is most of a run's time on the CPU accelerator), each
        // from the initial weights and a fresh optimizer.
        var model = new AwkwardNet(seed: 3);
        var initial = model.Parameters.ToArray();
        using var gpu = model.ToDevice(_device);
        (float[] Parameters, Optimizer Optimizer, History History) RunOnDevice()
        {
            initial.CopyTo(model.Parameters);
            gpu.UploadParameters();
            var optimizer = Optimizers[name]();
            var history = gpu.Fit(x, y, epochs: 2, BatchSize, Loss.CategoricalCrossEntropy, optimizer, seed: 5, verbosity: Verbosity.Silent);
            return (model.Parameters.ToArray(), optimizer, history);
        }

        var first = RunOnDevice();
        var second = RunOnDevice();

        Assert.Equal(cpuOptimizer.Iterations, first.Optimizer.Iterations);
        Assert.Equal(2 * Samples / BatchSize, first.Optimizer.Iterations);
        // Eight steps apart from the CPU's, the gradient kernels' own summation order (not the optimizer: see the test
        // above) moves elements that cancel to near zero by more than 1e-5 of themselves; measured against the
        // tensor's largest value the worst is under 1e-5 (7.8e-6, Adam with a cosine schedule), held here to 5e-5.
        Close.Assert(cpuModel.Parameters, first.Parameters, TrajectoryTolerance, $"{name}: parameters");
        Assert.Equal(cpuOptimizer.State.Select(s => s.Name), first.Optimizer.State.Select(s => s.Name));
        for (var s = 0; s < cpuOptimizer.State.Count; s++)
            Close.Assert(cpuOptimizer.State[s].Values, first.Optimizer.State[s].Values, TrajectoryTolerance, $"{name}: {cpuOptimizer.State[s].Name}");
        for (var epoch = 0; epoch < 2; epoch++)
            Close.Assert([cpuHistory.Loss[epoch]], [first.History.Loss[epoch]], 1e-5f, $"{name}: epoch {epoch + 1} loss");
        if (name.Contains("schedule"))
            Assert.Equal(cpuHistory.Epochs.Select(e => e.LearningRate), first.History.Epochs.Select(e => e.LearningRate));

        Bitwise.Assert(first.Parameters, second.Parameters, $"{name}: parameters of two device runs");
        for (var s = 0; s < first.Optimizer.State.Count; s++)
            Bitwise.Assert(first.Optimizer.State[s].Values, second.Optimizer.State[s].Values, $"{name}: {first.Optimizer.State[s].Name} of two device runs");
        Bitwise.Assert([.. first.History.Loss], [.. second.History.Loss], $"{name}: losses of two device runs");
    }

    [Fact]
    public void GlobalClipNormClipsTheModelsGradients()
    {
        // The fit tests above hold only if the clip acts: the first batch's gradient is far above the clip norm.
        var (x, y) = Classification();
        var probe = new AwkwardNet(seed: 3);
        probe.TrainStep(x.AsSpan(0, BatchSize * AwkwardNet.InputSize), y.AsSpan(0, BatchSize * AwkwardNet.OutputSize), BatchSize,
            Loss.CategoricalCrossEntropy, new Sgd(1e-30f));
        Assert.True(Norm(probe.Gradients) > 10 * ClipNorm, $"gradient norm {Norm(probe.Gradients)}");
    }

    [Fact]
    public void TrainStepKeepsTheOptimizerStateOnTheCpuBetweenCalls()
    {
        // TrainStep uploads the state and copies it back, so steps alternate freely between the two devices.
        var (x, y) = Classification();
        var input = x.AsSpan(0, BatchSize * AwkwardNet.InputSize).ToArray();
        var targets = y.AsSpan(0, BatchSize * AwkwardNet.OutputSize).ToArray();
        var cpuModel = new AwkwardNet(seed: 4);
        var cpuOptimizer = new Adam(0.01f, amsgrad: true);
        var model = new AwkwardNet(seed: 4);
        var optimizer = new Adam(0.01f, amsgrad: true);
        using var gpu = model.ToDevice(_device);
        for (var step = 0; step < 3; step++)
        {
            cpuModel.TrainStep(input, targets, BatchSize, Loss.CategoricalCrossEntropy, cpuOptimizer);
            gpu.TrainStep(input, targets, BatchSize, Loss.CategoricalCrossEntropy, optimizer);
        }

        gpu.DownloadParameters();
        Assert.Equal(3, optimizer.Iterations);
        Close.Assert(cpuModel.Parameters, model.Parameters, TrajectoryTolerance, "parameters");
        for (var s = 0; s < cpuOptimizer.State.Count; s++)
            Close.Assert(cpuOptimizer.State[s].Values, optimizer.State[s].Values, TrajectoryTolerance, cpuOptimizer.State[s].Name);
    }

    /// <summary>
    /// A device optimizer step allocates nothing of DeepGen's own: the scalars are computed into structs, the clip scale
    /// stays on the device. As in <see cref="TrainingTests"/>, ILGPU's CPU accelerator allocates a little per launch, so
    /// the check is that a step's bytes stay under that overhead (measured: 248 to 280 bytes for the one launch of the
    /// eight-argument update kernel, varying by a few words from step to step with the accelerator's own bookkeeping).
    /// </summary>
    [Theory]
    [InlineData("adam-global-clip-norm", 3)] // the two passes of the norm, then the update
    [InlineData("nadam", 1)]
    [InlineData("adam-cosine-schedule", 1)]
    public void AnOptimizerStepAllocatesNothingBeyondTheLaunchOverhead(string name, int launches)
    {
        const int length = 1237;
        var optimizer = Optimizers[name]();
        using var parameters = _device.Accelerator.Allocate1D(Data.Uniform(length, 1));
        using var gradients = _device.Accelerator.Allocate1D(Data.Uniform(length, 2));
        using var onDevice = DeviceOptimizer.Create(optimizer, new DeviceOptimizerKernels(_device.Accelerator), length);
        long Step()
        {
            _device.Accelerator.Synchronize();
            var before = GC.GetAllocatedBytesForCurrentThread();
            onDevice.Step(parameters.View, gradients.View);
            optimizer.Iterations++;
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            _device.Accelerator.Synchronize();
            return allocated;
        }

        for (var i = 0; i < 5; i++) Step(); // the first step compiles the kernels; the accelerator's threads warm up
        var steps = Enumerable.Range(0, 5).Select(_ => Step()).ToArray();
        Assert.True(steps.Max() <= launches * 320, $"{string.Join(", ", steps)} bytes for {launches} launches");
    }

    [Fact]
    public void ACustomOptimizerIsRefusedByName()
    {
        var error = Assert.Throws<NotSupportedException>(() =>
            DeviceOptimizer.Create(new HalvingOptimizer(), new DeviceOptimizerKernels(_device.Accelerator), 10));
        Assert.Contains(typeof(HalvingOptimizer).FullName!, error.Message, StringComparison.Ordinal);
        // A subclass of Adam (which is not sealed) may change its rule: refused too, not run as Adam.
        error = Assert.Throws<NotSupportedException>(() =>
            DeviceOptimizer.Create(new MyAdam(), new DeviceOptimizerKernels(_device.Accelerator), 10));
        Assert.Contains(nameof(MyAdam), error.Message, StringComparison.Ordinal);
    }

    private static void AssertSameState(Optimizer expected, Optimizer actual, string name, float[][]? before = null)
    {
        Assert.Equal(expected.State.Select(s => s.Name), actual.State.Select(s => s.Name));
        for (var s = 0; s < expected.State.Count; s++)
            OwnMagnitude.Assert(expected.State[s].Values, actual.State[s].Values, $"{name}: {expected.State[s].Name}", before is null ? default : before[s]);
    }

    private static double Norm(ReadOnlySpan<float> values)
    {
        var sum = 0.0;
        foreach (var value in values) sum += (double)value * value;
        return Math.Sqrt(sum);
    }

    private static (float[] X, float[] Y) Classification() =>
        (Data.Uniform(Samples * AwkwardNet.InputSize, 41, 2f), Data.OneHot(Samples, AwkwardNet.OutputSize, 42));

    private sealed class HalvingOptimizer() : Optimizer(0.1f)
    {
        public override void Update(Span<float> parameters, ReadOnlySpan<float> gradients)
        {
            foreach (ref var parameter in parameters) parameter *= 0.5f;
        }
    }

    private sealed class MyAdam : Adam
    {
        public override void Update(Span<float> parameters, ReadOnlySpan<float> gradients) { }
    }
}

/// <summary>Two runs' floats, bit for bit.</summary>
internal static class Bitwise
{
    public static void Assert(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Xunit.Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Xunit.Assert.Fail($"{what}[{i}]: {expected[i]:R} then {actual[i]:R}.");
    }
}
