namespace DeepGen.Gpu.Tests;

/// <summary>
/// Each generated kernel, launched alone on ILGPU's CPU accelerator (warp size 32, 256 threads per group), against a
/// naive float reference written from the math: at sizes that are no multiple of the 16-wide tile (a batch of 37,
/// 45 inputs, 29 units) and at the seed network's real sizes.
/// </summary>
public sealed class KernelTests : IDisposable
{
    private const float Tolerance = 1e-5f;
    private readonly ComputeDevice _device = TestDevice.Open();

    public void Dispose() => _device.Dispose();

    [Fact]
    public void ForwardGathersTheBatchThroughTheOrder_37x45x29()
    {
        var kernels = new AwkwardNet.GpuKernels(_device.Accelerator);
        CheckForward(new AwkwardNet().Architecture, 0, 37, b => kernels.Dense0Forward(b));
    }

    [Fact]
    public void ForwardOfHiddenLayers()
    {
        var kernels = new AwkwardNet.GpuKernels(_device.Accelerator);
        var architecture = new AwkwardNet().Architecture;
        CheckForward(architecture, 1, 37, b => kernels.Dense1Forward(b));
        CheckForward(architecture, 2, 37, b => kernels.Dense2Forward(b));
        var relu = new ReluLinearNet.GpuKernels(_device.Accelerator);
        var reluArchitecture = new ReluLinearNet().Architecture;
        CheckForward(reluArchitecture, 0, 37, b => relu.Dense0Forward(b));
        CheckForward(reluArchitecture, 1, 37, b => relu.Dense1Forward(b));
        CheckForward(reluArchitecture, 2, 37, b => relu.Dense2Forward(b));
        var whole = new WholeTiles.GpuKernels(_device.Accelerator);
        CheckForward(new WholeTiles().Architecture, 1, 32, b => whole.Dense1Forward(b));
    }

    [Fact]
    public void ForwardAtTheSeedSizes()
    {
        var kernels = new SeedMlp.GpuKernels(_device.Accelerator);
        var architecture = new SeedMlp().Architecture;
        // 784 × 500 at a batch of 16: one row of tiles; the CPU accelerator's simulated barriers make 100 rows slow.
        CheckForward(architecture, 0, 16, b => kernels.Dense0Forward(b));
        CheckForward(architecture, 2, 100, b => kernels.Dense2Forward(b));
    }

    [Fact]
    public void InputGradients()
    {
        var kernels = new AwkwardNet.GpuKernels(_device.Accelerator);
        var architecture = new AwkwardNet().Architecture;
        CheckInputGradient(architecture, 1, 37, b => kernels.Dense1InputGradient(b));
        CheckInputGradient(architecture, 2, 37, b => kernels.Dense2InputGradient(b));
        var relu = new ReluLinearNet.GpuKernels(_device.Accelerator);
        var reluArchitecture = new ReluLinearNet().Architecture;
        CheckInputGradient(reluArchitecture, 1, 37, b => relu.Dense1InputGradient(b));
        CheckInputGradient(reluArchitecture, 2, 37, b => relu.Dense2InputGradient(b));
    }

    [Fact]
    public void InputGradientAtTheSeedSizes()
    {
        var kernels = new SeedMlp.GpuKernels(_device.Accelerator);
        CheckInputGradient(new SeedMlp().Architecture, 2, 100, b => kernels.Dense2InputGradient(b));
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(0.1f)]
    public void WeightAndBiasGradientsWithTheFusedUpdate(float learningRate)
    {
        var kernels = new AwkwardNet.GpuKernels(_device.Accelerator);
        var architecture = new AwkwardNet().Architecture;
        CheckWeightGradient(architecture, 0, 37, learningRate, b => kernels.Dense0WeightGradient(b));
        CheckWeightGradient(architecture, 1, 37, learningRate, b => kernels.Dense1WeightGradient(b));
        CheckWeightGradient(architecture, 2, 37, learningRate, b => kernels.Dense2WeightGradient(b));
    }

    [Fact]
    public void WeightGradientAtTheSeedSizes()
    {
        var kernels = new SeedMlp.GpuKernels(_device.Accelerator);
        CheckWeightGradient(new SeedMlp().Architecture, 2, 100, 0.1f, b => kernels.Dense2WeightGradient(b));
    }

    [Fact]
    public void SoftmaxRows()
    {
        var kernels = new AwkwardNet.GpuKernels(_device.Accelerator);
        var architecture = new AwkwardNet().Architecture;
        const int batch = 37;
        using var h = new KernelHarness(_device);
        var activations = Data.Uniform(batch * architecture.ActivationsPerSample, 5, 4f);
        var view = h.Upload(activations);
        kernels.SoftmaxForTests(new GpuBatch { Activations = view, Batch = batch });
        var last = architecture.Layers[^1];
        var expected = activations.AsSpan(batch * last.OutputOffsetPerSample, batch * last.Units).ToArray();
        for (var r = 0; r < batch; r++) NaiveSoftmax(expected.AsSpan(r * last.Units, last.Units));
        var actual = h.Download(view, activations.Length).AsSpan(batch * last.OutputOffsetPerSample, batch * last.Units);
        Close.Assert(expected, actual, Tolerance, "softmax");
    }

    [Theory]
    [InlineData(GpuLoss.MeanSquaredError)]
    [InlineData(GpuLoss.CategoricalCrossEntropy)]
    public void LossWithSoftmaxAgainstTheCpuLoss(GpuLoss loss)
    {
        var kernels = new AwkwardNet.GpuKernels(_device.Accelerator);
        CheckLoss(new AwkwardNet().Architecture, 37, loss, b => { kernels.LossForTests(b); kernels.ReduceStepForTests(b); });
    }

    /// <summary>With one output, cross-entropy's renormalised probability is always 1 (clipped, zero gradient): MSE only.</summary>
    [Fact]
    public void LossWithOneSigmoidOutput()
    {
        const GpuLoss loss = GpuLoss.MeanSquaredError;
        var kernels = new ReluLinearNet.GpuKernels(_device.Accelerator);
        CheckLoss(new ReluLinearNet().Architecture, 37, loss, b => { kernels.LossForTests(b); kernels.ReduceStepForTests(b); });
    }

    // ---- Checks against naive references -------------------------------------------------------------------------

    private void CheckForward(ModelArchitecture architecture, int layerIndex, int batch, Action<GpuBatch> launch)
    {
        var layer = architecture.Layers[layerIndex];
        var samples = batch + 5;
        const int orderOffset = 3;
        var parameters = Data.Uniform(architecture.ParameterCount, 1, 0.3f);
        var inputs = Data.Uniform(samples * architecture.InputSize, 2, 2f);
        var order = Data.Permutation(samples, 3);
        var activations = Data.Uniform(batch * architecture.ActivationsPerSample, 4);
        using var h = new KernelHarness(_device);
        var activationView = h.Upload(activations);
        launch(new GpuBatch
        {
            Parameters = h.Upload(parameters), Inputs = h.Upload(inputs), Order = h.Upload(order), OrderOffset = orderOffset,
            Activations = activationView, Batch = batch,
        });

        var expected = new float[batch * layer.Units];
        for (var r = 0; r < batch; r++)
        {
            var input = layerIndex == 0
                ? inputs.AsSpan(order[orderOffset + r] * layer.Inputs, layer.Inputs)
                : activations.AsSpan(batch * (layer.OutputOffsetPerSample - layer.Inputs) + r * layer.Inputs, layer.Inputs);
            for (var n = 0; n < layer.Units; n++)
            {
                var sum = 0f;
                for (var k = 0; k < layer.Inputs; k++) sum += input[k] * parameters[layer.WeightsOffset + k * layer.Units + n];
                expected[r * layer.Units + n] = Activate(layer.Activation, sum + parameters[layer.BiasOffset + n]);
            }
        }

        var actual = h.Download(activationView, activations.Length).AsSpan(batch * layer.OutputOffsetPerSample, batch * layer.Units);
        Close.Assert(expected, actual, Tolerance, $"{architecture.ModelName} layer {layerIndex} forward");
    }

    private void CheckInputGradient(ModelArchitecture architecture, int layerIndex, int batch, Action<GpuBatch> launch)
    {
        var layer = architecture.Layers[layerIndex];
        var previous = architecture.Layers[layerIndex - 1];
        var parameters = Data.Uniform(architecture.ParameterCount, 1, 0.3f);
        // Outputs in (0, 1) suit every activation's derivative; some are negative-free, so a ReLU keeps half of them.
        var activations = Data.Uniform(batch * architecture.ActivationsPerSample, 2).Select(v => v > 0 ? v : 0f).ToArray();
        var deltas = Data.Uniform(batch * architecture.ActivationsPerSample, 3);
        using var h = new KernelHarness(_device);
        var deltaView = h.Upload(deltas);
        launch(new GpuBatch { Parameters = h.Upload(parameters), Activations = h.Upload(activations), Deltas = deltaView, Batch = batch });

        var expected = new float[batch * layer.Inputs];
        for (var r = 0; r < batch; r++)
        for (var k = 0; k < layer.Inputs; k++)
        {
            var sum = 0f;
            for (var n = 0; n < layer.Units; n++)
                sum += deltas[batch * layer.OutputOffsetPerSample + r * layer.Units + n] * parameters[layer.WeightsOffset + k * layer.Units + n];
            var y = activations[batch * previous.OutputOffsetPerSample + r * layer.Inputs + k];
            expected[r * layer.Inputs + k] = Derivative(previous.Activation, sum, y);
        }

        var actual = h.Download(deltaView, deltas.Length).AsSpan(batch * previous.OutputOffsetPerSample, batch * layer.Inputs);
        Close.Assert(expected, actual, Tolerance, $"{architecture.ModelName} layer {layerIndex} input gradient");
    }

    private void CheckWeightGradient(ModelArchitecture architecture, int layerIndex, int batch, float learningRate, Action<GpuBatch> launch)
    {
        var layer = architecture.Layers[layerIndex];
        var samples = batch + 5;
        const int orderOffset = 2;
        var parameters = Data.Uniform(architecture.ParameterCount, 1, 0.3f);
        var inputs = Data.Uniform(samples * architecture.InputSize, 2, 2f);
        var order = Data.Permutation(samples, 3);
        var activations = Data.Uniform(batch * architecture.ActivationsPerSample, 4);
        var deltas = Data.Uniform(batch * architecture.ActivationsPerSample, 5);
        using var h = new KernelHarness(_device);
        var parameterView = h.Upload(parameters);
        var gradientView = h.Upload(new float[architecture.ParameterCount]);
        launch(new GpuBatch
        {
            Parameters = parameterView, Gradients = gradientView, Inputs = h.Upload(inputs), Order = h.Upload(order),
            OrderOffset = orderOffset, Activations = h.Upload(activations), Deltas = h.Upload(deltas), Batch = batch,
            LearningRate = learningRate,
        });

        var gradients = new float[layer.Inputs * layer.Units];
        var updated = new float[gradients.Length];
        for (var k = 0; k < layer.Inputs; k++)
        for (var n = 0; n < layer.Units; n++)
        {
            var sum = 0f;
            for (var r = 0; r < batch; r++)
            {
                var x = layerIndex == 0
                    ? inputs[order[orderOffset + r] * layer.Inputs + k]
                    : activations[batch * (layer.OutputOffsetPerSample - layer.Inputs) + r * layer.Inputs + k];
                sum += x * deltas[batch * layer.OutputOffsetPerSample + r * layer.Units + n];
            }

            gradients[k * layer.Units + n] = sum;
            var weight = parameters[layer.WeightsOffset + k * layer.Units + n];
            updated[k * layer.Units + n] = learningRate != 0f ? weight - learningRate * sum : weight;
        }

        var weights = (layer.WeightsOffset, layer.Inputs * layer.Units);
        Close.Assert(gradients, h.Download(gradientView, architecture.ParameterCount).AsSpan(weights.WeightsOffset, weights.Item2), Tolerance,
            $"{architecture.ModelName} layer {layerIndex} weight gradient");
        Close.Assert(updated, h.Download(parameterView, architecture.ParameterCount).AsSpan(weights.WeightsOffset, weights.Item2), Tolerance,
            $"{architecture.ModelName} layer {layerIndex} updated weights");
        if (layer.BiasCount > 0) CheckBiasGradient(layer, batch, learningRate, parameters, deltas, h, parameterView, gradientView);
    }

    /// <summary>The bias gradient the weight-gradient launch sums as its extra row of ones, and the fused update.</summary>
    private static void CheckBiasGradient(LayerInfo layer, int batch, float learningRate, float[] parameters, float[] deltas,
        KernelHarness h, ILGPU.ArrayView<float> parameterView, ILGPU.ArrayView<float> gradientView)
    {
        var gradients = new float[layer.Units];
        var updated = new float[layer.Units];
        for (var n = 0; n < layer.Units; n++)
        {
            var sum = 0f;
            for (var r = 0; r < batch; r++) sum += deltas[batch * layer.OutputOffsetPerSample + r * layer.Units + n];
            gradients[n] = sum;
            updated[n] = learningRate != 0f ? parameters[layer.BiasOffset + n] - learningRate * sum : parameters[layer.BiasOffset + n];
        }

        Close.Assert(gradients, h.Download(gradientView, parameters.Length).AsSpan(layer.BiasOffset, layer.Units), Tolerance, "bias gradient");
        Close.Assert(updated, h.Download(parameterView, parameters.Length).AsSpan(layer.BiasOffset, layer.Units), Tolerance, "updated bias");
    }

    private void CheckLoss(ModelArchitecture architecture, int batch, GpuLoss loss, Action<GpuBatch> launch)
    {
        var last = architecture.Layers[^1];
        var units = last.Units;
        var samples = batch + 4;
        const int orderOffset = 4;
        var order = Data.Permutation(samples, 7);
        var targets = Data.OneHot(samples, units, 8);
        if (units == 1) targets = Data.Uniform(samples, 8).Select(v => v > 0 ? 1f : 0f).ToArray();
        // Pre-activations for a softmax head; outputs in (0, 1) for a sigmoid one.
        var activations = Data.Uniform(batch * architecture.ActivationsPerSample, 9, 3f);
        if (last.Activation != Activation.Softmax)
            for (var i = 0; i < activations.Length; i++) activations[i] = Activate(last.Activation, activations[i]);
        using var h = new KernelHarness(_device);
        var activationView = h.Upload(activations);
        var deltaView = h.Upload(new float[activations.Length]);
        var stepResults = h.Upload(new float[6]);
        launch(new GpuBatch
        {
            Activations = activationView, Deltas = deltaView, Targets = h.Upload(targets), Order = h.Upload(order),
            OrderOffset = orderOffset, Batch = batch, SampleResults = h.Upload(new float[2 * batch]), StepResults = stepResults,
            StepIndex = 1, Loss = loss,
        });

        // The reference: the CPU's loss on the same rows, softmax applied by a naive loop.
        var outputs = activations.AsSpan(batch * last.OutputOffsetPerSample, batch * units).ToArray();
        if (last.Activation == Activation.Softmax)
            for (var r = 0; r < batch; r++) NaiveSoftmax(outputs.AsSpan(r * units, units));
        var batchTargets = new float[batch * units];
        for (var r = 0; r < batch; r++) targets.AsSpan(order[orderOffset + r] * units, units).CopyTo(batchTargets.AsSpan(r * units));
        var cpuLoss = loss == GpuLoss.MeanSquaredError ? Loss.MeanSquaredError : Loss.CategoricalCrossEntropy;
        var gradient = new float[batch * units];
        var mean = cpuLoss.Gradient(gradient, outputs, batchTargets, batch, units, last.Activation);

        var slice = (batch * last.OutputOffsetPerSample, batch * units);
        Close.Assert(outputs, h.Download(activationView, activations.Length).AsSpan(slice.Item1, slice.Item2), Tolerance, "outputs");
        Close.Assert(gradient, h.Download(deltaView, activations.Length).AsSpan(slice.Item1, slice.Item2), Tolerance, "loss gradient");
        var results = h.Download(stepResults, 6);
        Close.Assert([mean], [results[2]], Tolerance, "mean loss");
        var correct = 0;
        for (var r = 0; r < batch; r++)
        {
            var p = outputs.AsSpan(r * units, units);
            var y = batchTargets.AsSpan(r * units, units);
            // As the CPU's default accuracy: arg-max on a softmax; none for mean squared error on one sigmoid unit.
            if (units > 1 && ArgMax(p) == ArgMax(y)) correct++;
        }

        Assert.Equal(correct, results[3]);
    }

    // ---- Naive math --------------------------------------------------------------------------------------------------

    private static float Activate(Activation activation, float z) => activation switch
    {
        Activation.Linear or Activation.Softmax => z,
        Activation.Sigmoid => 1f / (1f + MathF.Exp(-z)),
        Activation.Relu => Math.Max(z, 0f),
        Activation.Tanh => MathF.Tanh(z),
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };

    private static float Derivative(Activation activation, float gradient, float y) => activation switch
    {
        Activation.Linear => gradient,
        Activation.Sigmoid => gradient * y * (1f - y),
        Activation.Relu => y > 0f ? gradient : 0f,
        Activation.Tanh => gradient * (1f - y * y),
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };

    private static void NaiveSoftmax(Span<float> row)
    {
        var max = float.NegativeInfinity;
        foreach (var value in row) max = Math.Max(max, value);
        var sum = 0f;
        for (var i = 0; i < row.Length; i++)
        {
            row[i] = MathF.Exp(row[i] - max);
            sum += row[i];
        }

        for (var i = 0; i < row.Length; i++) row[i] /= sum;
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
