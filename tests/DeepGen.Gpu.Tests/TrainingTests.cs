namespace DeepGen.Gpu.Tests;

/// <summary>Whole steps and whole fits on ILGPU's CPU accelerator against the CPU path, determinism, and moving weights between devices.</summary>
public sealed class TrainingTests : IDisposable
{
    private readonly ComputeDevice _device = TestDevice.Open();

    public void Dispose() => _device.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void OneTrainingStepMatchesTheCpu(bool crossEntropy)
    {
        const int batch = 37;
        var loss = crossEntropy ? Loss.CategoricalCrossEntropy : Loss.MeanSquaredError;
        var x = Data.Uniform(batch * AwkwardNet.InputSize, 11, 2f);
        var y = Data.OneHot(batch, AwkwardNet.OutputSize, 12);
        var cpu = new AwkwardNet(seed: 5);
        var onDevice = new AwkwardNet(seed: 5);
        using var gpu = onDevice.ToDevice(_device);

        var cpuLoss = cpu.TrainStep(x, y, batch, loss, new Sgd(0.5f));
        var gpuLoss = gpu.TrainStep(x, y, batch, loss, new Sgd(0.5f));

        Close.Assert([cpuLoss], [gpuLoss], 1e-5f, "loss");
        var gradients = new float[AwkwardNet.ParameterCount];
        gpu.CopyGradientsTo(gradients);
        Close.Assert(cpu.Gradients, gradients, 1e-5f, "gradients");
        var parameters = new float[AwkwardNet.ParameterCount];
        gpu.CopyParametersTo(parameters);
        Close.Assert(cpu.Parameters, parameters, 1e-5f, "parameters after the step");
    }

    [Fact]
    public void OneTrainingStepMatchesTheCpuWithReluAndLinear()
    {
        const int batch = 37;
        var x = Data.Uniform(batch * ReluLinearNet.InputSize, 21, 2f);
        var y = Data.Uniform(batch, 22).Select(v => v > 0 ? 1f : 0f).ToArray();
        var cpu = new ReluLinearNet(seed: 6);
        using var gpu = new ReluLinearNet(seed: 6).ToDevice(_device);

        Close.Assert([cpu.TrainStep(x, y, batch, Loss.MeanSquaredError, new Sgd(0.1f))],
            [gpu.TrainStep(x, y, batch, Loss.MeanSquaredError, new Sgd(0.1f))], 1e-5f, "loss");
        var parameters = new float[ReluLinearNet.ParameterCount];
        gpu.CopyParametersTo(parameters);
        Close.Assert(cpu.Parameters, parameters, 1e-5f, "parameters after the step");
    }

    [Fact]
    public void FitFollowsTheCpuFitWithTheSameShuffle()
    {
        var (x, y) = Classification(200);
        var cpu = new AwkwardNet(seed: 2);
        var model = new AwkwardNet(seed: 2);
        using var gpu = model.ToDevice(_device);

        var cpuHistory = cpu.Fit(x, y, epochs: 2, batchSize: 32, Loss.MeanSquaredError, new Sgd(0.5f), seed: 9, verbosity: Verbosity.Silent);
        var gpuHistory = gpu.Fit(x, y, epochs: 2, batchSize: 32, Loss.MeanSquaredError, new Sgd(0.5f), seed: 9, verbosity: Verbosity.Silent);

        for (var epoch = 0; epoch < 2; epoch++)
        {
            Close.Assert([cpuHistory.Loss[epoch]], [gpuHistory.Loss[epoch]], 1e-4f, $"epoch {epoch + 1} loss");
            Assert.Equal(cpuHistory.Accuracy[epoch], gpuHistory.Accuracy[epoch]);
        }

        Assert.Equal(["loss", "accuracy"], gpuHistory.Keys); // a softmax classifier trained by MSE: accuracy, as on the CPU
        Assert.Equal(cpuHistory.Keys, gpuHistory.Keys);

        // Fit copied the trained weights back into the CPU model.
        Close.Assert(cpu.Parameters, model.Parameters, 1e-4f, "trained parameters");
    }

    [Fact]
    public void WithoutAClassifierOutputNeitherPathReportsAccuracy()
    {
        // One sigmoid unit trained by MSE: the default metrics are the loss alone, on the device as on the CPU.
        var x = Data.Uniform(60 * ReluLinearNet.InputSize, 31, 2f);
        var y = Data.Uniform(60, 32).Select(v => v > 0 ? 1f : 0f).ToArray();
        var cpu = new ReluLinearNet(seed: 7);
        using var gpu = new ReluLinearNet(seed: 7).ToDevice(_device);
        var cpuHistory = cpu.Fit(x, y, epochs: 1, batchSize: 20, Loss.MeanSquaredError, new Sgd(0.1f), seed: 3, verbosity: Verbosity.Silent);
        var output = new StringWriter();
        var gpuHistory = gpu.Fit(x, y, epochs: 1, batchSize: 20, Loss.MeanSquaredError, new Sgd(0.1f), seed: 3, output: output, verbosity: Verbosity.OneLinePerEpoch);

        Assert.Equal(["loss"], gpuHistory.Keys);
        Assert.Equal(cpuHistory.Keys, gpuHistory.Keys);
        Assert.DoesNotContain("accuracy", output.ToString());
        Assert.Matches(@"^3/3 - \d+s - \d+(s|ms|us)/step - loss: \S+$", output.ToString().Split('\n')[1].TrimEnd());
        var evaluation = gpu.Evaluate(x, y, loss: Loss.MeanSquaredError);
        Assert.Equal(["loss"], evaluation.Names);
        Assert.Contains("measured no accuracy", Assert.Throws<InvalidOperationException>(() => evaluation.Accuracy).Message);
    }

    [Fact]
    public void TwoRunsAreBitwiseIdentical()
    {
        var (x, y) = Classification(150);
        float[] Run(out IReadOnlyList<float> losses)
        {
            var model = new AwkwardNet(seed: 4);
            using var gpu = model.ToDevice(_device);
            losses = gpu.Fit(x, y, epochs: 2, batchSize: 40, Loss.CategoricalCrossEntropy, new Sgd(0.2f), seed: 3, verbosity: Verbosity.Silent).Loss;
            return model.Parameters.ToArray();
        }

        var first = Run(out var firstLosses);
        var second = Run(out var secondLosses);
        Assert.Equal(firstLosses.Select(BitConverter.SingleToInt32Bits), secondLosses.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(first.Select(BitConverter.SingleToInt32Bits), second.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void WeightsTrainedOnTheDeviceSaveLoadAndPredictOnTheCpu()
    {
        var (x, y) = Classification(120);
        var trained = new AwkwardNet(seed: 8);
        float[] devicePredictions;
        using (var gpu = trained.ToDevice(_device))
        {
            gpu.Fit(x, y, epochs: 1, batchSize: 30, Loss.MeanSquaredError, new Sgd(0.5f), verbosity: Verbosity.Silent);
            devicePredictions = gpu.Predict(x);
            // Copying into another CPU model's parameters works the same way: one flat buffer.
            var copy = new AwkwardNet(seed: 99);
            gpu.CopyParametersTo(copy.Parameters);
            Assert.Equal(trained.Parameters.ToArray(), copy.Parameters.ToArray());
        }

        Assert.NotEqual(new AwkwardNet(seed: 8).Parameters.ToArray(), trained.Parameters.ToArray());
        var path = Path.Combine(Path.GetTempPath(), $"deepgen-gpu-{Guid.NewGuid():N}.safetensors");
        try
        {
            trained.Save(path);
            var loaded = new AwkwardNet(seed: 123);
            loaded.Load(path);
            Close.Assert(devicePredictions, loaded.Predict(x), 1e-5f, "CPU predictions of the loaded model");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void EvaluateMatchesTheCpu()
    {
        var (x, y) = Classification(90);
        var model = new AwkwardNet(seed: 1);
        using var gpu = model.ToDevice(_device);
        var cpu = model.Evaluate(x, y, batchSize: 25, loss: Loss.CategoricalCrossEntropy);
        var device = gpu.Evaluate(x, y, batchSize: 25, loss: Loss.CategoricalCrossEntropy);
        Close.Assert([cpu.Loss], [device.Loss], 1e-5f, "loss");
        Assert.Equal(cpu.Accuracy, device.Accuracy);
    }

    [Fact]
    public void UnsupportedLossesAndOptimizersAreRefusedByName()
    {
        var (x, y) = Classification(10);
        using var gpu = new AwkwardNet().ToDevice(_device);
        // Every optimizer of the runtime runs on the device (OptimizerTests); one written elsewhere is refused by its name.
        var error = Assert.Throws<NotSupportedException>(() => gpu.Fit(x, y, 1, 5, Loss.MeanSquaredError, new NotSgd(), verbosity: Verbosity.Silent));
        Assert.Contains(typeof(NotSgd).FullName!, error.Message, StringComparison.Ordinal);
        Assert.Contains("custom optimizer", error.Message, StringComparison.Ordinal);
        gpu.Fit(x, y, 1, 5, Loss.MeanSquaredError, new Sgd(0.1f, momentum: 0.9f), verbosity: Verbosity.Silent);
        error = Assert.Throws<NotSupportedException>(() => gpu.Fit(x, y, 1, 5, new SquaredHingeOfMyOwn(), new Sgd(0.1f), verbosity: Verbosity.Silent));
        Assert.Contains("'my_squared_hinge' (SquaredHingeOfMyOwn)", error.Message, StringComparison.Ordinal);
        Assert.Contains("CPU only", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A loss written by a user: the CPU trains with it, the GPU has no kernel for it.</summary>
    private sealed class SquaredHingeOfMyOwn : Loss
    {
        public override string Name => "my_squared_hinge";

        protected override double SampleLoss(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets)
        {
            var sum = 0.0;
            for (var i = 0; i < outputs.Length; i++) sum += Math.Pow(Math.Max(0.0, 1.0 - outputs[i] * targets[i]), 2);
            return sum / outputs.Length;
        }

        protected override void OutputGradient(Span<float> gradient, ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, float scale)
        {
            for (var i = 0; i < outputs.Length; i++)
                gradient[i] = -2f * scale / outputs.Length * MathF.Max(0f, 1f - outputs[i] * targets[i]) * targets[i];
        }
    }

    [Fact]
    public void WeightsAreRefusedNotIgnored()
    {
        var (x, y) = Classification(10);
        using var gpu = new AwkwardNet().ToDevice(_device);
        var error = Assert.Throws<NotSupportedException>(() => gpu.Fit(x, y, 1, 5, Loss.MeanSquaredError, new Sgd(0.1f), verbosity: Verbosity.Silent,
            sampleWeight: new float[10]));
        Assert.Contains("does not weight samples: 'sampleWeight' was given", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<NotSupportedException>(() => gpu.Fit(x, y, 1, 5, Loss.MeanSquaredError, new Sgd(0.1f), verbosity: Verbosity.Silent,
            classWeight: new Dictionary<int, float> { [0] = 2f }));
        Assert.Contains("'classWeight' was given", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InputsThatAreNotFiniteAreNamedBySampleAndFeature()
    {
        var (x, y) = Classification(10);
        using var gpu = new AwkwardNet().ToDevice(_device);
        var width = x.Length / 10;
        x[7 * width + 2] = float.NaN;
        var error = Assert.Throws<ArgumentException>(() => gpu.Fit(x, y, 1, 5, Loss.MeanSquaredError, new Sgd(0.1f), verbosity: Verbosity.Silent));
        Assert.Contains("'x' holds NaN at sample 7, feature 2", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<ArgumentException>(() => gpu.Predict(x));
        Assert.Contains("'x' holds NaN at sample 7, feature 2", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// DeepGen's side of a step allocates nothing: no arrays, no boxing, no closures. ILGPU's CPU accelerator itself
    /// allocates a little per launch (its hand-off to the simulated threads), so here the check is that a step's
    /// bytes do not depend on the batch or the data and stay under that per-launch overhead; on a real GPU the same
    /// measurement must be zero (docs/GPU.md).
    /// </summary>
    [Fact]
    public void AStepAllocatesNothingBeyondTheAcceleratorsLaunchOverhead()
    {
        var (x, y) = Classification(64);
        using var gpu = new AwkwardNet().ToDevice(_device);
        gpu.PrepareTraining(x, y, batchSize: 32, steps: 4);
        long Step(int offset, int batch, int index)
        {
            gpu.EnqueueTrainStep(offset, batch, index, 0.1f, GpuLoss.MeanSquaredError);
            _device.Accelerator.Synchronize();
            var before = GC.GetAllocatedBytesForCurrentThread();
            gpu.EnqueueTrainStep(offset, batch, index, 0.1f, GpuLoss.MeanSquaredError);
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            _device.Accelerator.Synchronize();
            return allocated;
        }

        var small = Step(0, 8, 0);
        var large = Step(32, 32, 1);
        // Four times the samples allocate no more: what a step allocates does not grow with the batch. (The CPU
        // accelerator's own bookkeeping differs by a few hundred bytes between grid sizes, either way.)
        Assert.True(large <= small + 256, $"batch 8: {small} bytes; batch 32: {large} bytes");
        // 3 forward + loss + reduce + 1 input gradient + 2 paired backward launches (weight gradients with the bias as a
        // row of ones, each beside the independent product below it) = 8 launches.
        // ILGPU's CPU accelerator allocates for each launch, more for more arguments (a paired product passes nine): at
        // most 384 bytes a launch on average here, and the same for any batch, so nothing grows with the data.
        const int launches = 8;
        Assert.True(large <= launches * 384, $"{large} bytes for {launches} launches");
    }

    private static (float[] X, float[] Y) Classification(int samples)
    {
        var x = Data.Uniform(samples * AwkwardNet.InputSize, samples, 2f);
        var y = new float[samples * AwkwardNet.OutputSize];
        // A learnable rule: the class is set by which block of inputs has the largest sum.
        for (var s = 0; s < samples; s++)
        {
            var best = 0;
            var bestSum = float.NegativeInfinity;
            for (var c = 0; c < AwkwardNet.OutputSize; c++)
            {
                var sum = 0f;
                for (var k = c * 3; k < c * 3 + 3; k++) sum += x[s * AwkwardNet.InputSize + k];
                if (sum > bestSum) (best, bestSum) = (c, sum);
            }

            y[s * AwkwardNet.OutputSize + best] = 1f;
        }

        return (x, y);
    }

    private sealed class NotSgd() : Optimizer(0.1f)
    {
        public override void Update(Span<float> parameters, ReadOnlySpan<float> gradients) { }
    }
}
