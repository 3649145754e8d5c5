using static DeepGen.Activation;

namespace DeepGen.Gpu.Tests;

/// <summary>Dropout after two hidden layers (awkward sizes), so masks apply both forward and backward.</summary>
[Model(Input = 45)]
[Dense(29, Relu)]
[Dropout(0.3)]
[Dense(31, Tanh)]
[Dropout(0.5)]
[Dense(13, Softmax)]
public partial class DropoutNet;

/// <summary>Layers without a bias, one between two with.</summary>
[Model(Input = 45)]
[Dense(29, Sigmoid, UseBias = false)]
[Dense(31, Tanh)]
[Dense(13, Softmax, UseBias = false)]
public partial class BiasFreeNet;

/// <summary>Keras L1L2 penalties: both on one layer, L2 alone on another, none on the last.</summary>
[Model(Input = 45)]
[Dense(29, Tanh, L1 = 0.003, L2 = 0.01)]
[Dense(31, Relu, L2 = 0.02)]
[Dense(13, Softmax)]
public partial class PenaltyNet;

/// <summary>Every Dense activation in hidden layers (GELU and Swish keep pre-activations, one before a dropout) and a Swish output.</summary>
[Model(Input = 45)]
[Dense(29, Gelu)]
[Dense(23, Swish)]
[Dropout(0.2)]
[Dense(19, LeakyRelu)]
[Dense(17, Elu)]
[Dense(13, Selu)]
[Dense(11, Softplus)]
[Dense(9, HardSigmoid)]
[Dense(7, Sigmoid)]
[Dense(5, Swish)]
public partial class ActivationNet;

/// <summary>
/// Dropout, bias-free layers and L1/L2 penalties on the device against the CPU model's TrainStep and Fit, every
/// element within 1e-5 of its own magnitude; and two device runs bitwise equal.
/// </summary>
public sealed class LayerOptionTests : IDisposable
{
    private readonly ComputeDevice _device = TestDevice.Open();

    public void Dispose() => _device.Dispose();

    [Fact]
    public void DropoutStepsDropTheUnitsTheCpuDrops()
    {
        // Three steps: the masks come from the model's dropout stream, so each step's must match the CPU's.
        var (cpu, gpuModel) = (new DropoutNet(seed: 3), new DropoutNet(seed: 3));
        using var gpu = gpuModel.ToDevice(_device);
        CompareSteps(cpu, gpu, steps: 3, Loss.CategoricalCrossEntropy);
        Assert.Equal(cpu.TrainingRandomState, gpuModel.TrainingRandomState);
    }

    /// <summary>A batch of one row, of three (less than a tile), and of 257 (one past sixteen whole tiles).</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(257)]
    public void OddBatchesMatchTheCpu(int batch)
    {
        var (cpu, gpuModel) = (new DropoutNet(seed: 13), new DropoutNet(seed: 13));
        using var gpu = gpuModel.ToDevice(_device);
        CompareSteps(cpu, gpu, steps: 2, Loss.CategoricalCrossEntropy, batch: batch);
    }

    [Fact]
    public void DropoutIsOffInPredictionAndEvaluation()
    {
        var cpu = new DropoutNet(seed: 4);
        using var gpu = new DropoutNet(seed: 4).ToDevice(_device);
        var x = Data.Uniform(23 * DropoutNet.InputSize, 31, 2f);
        var y = Data.OneHot(23, DropoutNet.OutputSize, 32);
        OwnMagnitude.Assert(cpu.Predict(x), gpu.Predict(x), "predictions");
        OwnMagnitude.Assert([cpu.Evaluate(x, y, loss: Loss.CategoricalCrossEntropy).Loss], [gpu.Evaluate(x, y, loss: Loss.CategoricalCrossEntropy).Loss], "loss");
    }

    [Theory]
    [InlineData("mean_squared_error")]
    [InlineData("huber_loss")]
    public void EveryActivationTrainsAsOnTheCpu(string lossName)
    {
        Loss loss = lossName == "huber_loss" ? new HuberLoss(0.5f) : Loss.MeanSquaredError;
        var (cpu, gpuModel) = (new ActivationNet(seed: 9), new ActivationNet(seed: 9));
        using var gpu = gpuModel.ToDevice(_device);
        CompareSteps(cpu, gpu, steps: 2, loss, regression: true);
        var x = Data.Uniform(21 * ActivationNet.InputSize, 51, 2f);
        OwnMagnitude.Assert(cpu.Predict(x), gpu.Predict(x), "predictions after training");
    }

    [Fact]
    public void BiasFreeLayersMatchTheCpu()
    {
        var (cpu, gpuModel) = (new BiasFreeNet(seed: 5), new BiasFreeNet(seed: 5));
        using var gpu = gpuModel.ToDevice(_device);
        Assert.Equal(45 * 29 + 29 * 31 + 31 + 31 * 13, BiasFreeNet.ParameterCount);
        CompareSteps(cpu, gpu, steps: 2, Loss.MeanSquaredError);
    }

    [Fact]
    public void PenaltiesJoinTheLossAndTheGradients()
    {
        var (cpu, gpuModel) = (new PenaltyNet(seed: 6), new PenaltyNet(seed: 6));
        using var gpu = gpuModel.ToDevice(_device);
        Assert.True(cpu.RegularizationPenalty() > 0.01f, "the penalty is big enough to matter");
        CompareSteps(cpu, gpu, steps: 2, Loss.CategoricalCrossEntropy);
        var x = Data.Uniform(19 * PenaltyNet.InputSize, 41, 2f);
        var y = Data.OneHot(19, PenaltyNet.OutputSize, 42);
        OwnMagnitude.Assert([cpu.Evaluate(x, y, loss: Loss.CategoricalCrossEntropy).Loss], [gpu.Evaluate(x, y, loss: Loss.CategoricalCrossEntropy).Loss], "evaluated loss with the penalty");
    }

    [Fact]
    public void FitWithDropoutAndPenaltiesFollowsTheCpuFitAndRepeatsBitwise()
    {
        var (x, y) = Classification(90);
        var cpu = new DropoutNet(seed: 8);
        var cpuHistory = cpu.Fit(x, y, epochs: 2, batchSize: 32, Loss.CategoricalCrossEntropy, new Sgd(0.2f), seed: 3, verbosity: Verbosity.Silent);
        float[] Run()
        {
            var model = new DropoutNet(seed: 8);
            using var gpu = model.ToDevice(_device);
            var history = gpu.Fit(x, y, epochs: 2, batchSize: 32, Loss.CategoricalCrossEntropy, new Sgd(0.2f), seed: 3, verbosity: Verbosity.Silent);
            OwnMagnitude.Assert(cpuHistory.Loss.ToArray(), history.Loss.ToArray(), "epoch losses");
            return model.Parameters.ToArray();
        }

        var first = Run();
        OwnMagnitude.Assert(cpu.Parameters, first, "trained parameters");
        Assert.Equal(first, Run());
    }

    private static void CompareSteps(SequentialModel cpu, GpuModel gpu, int steps, Loss loss, bool regression = false, int batch = 37)
    {
        var architecture = cpu.Architecture;
        for (var step = 0; step < steps; step++)
        {
            var x = Data.Uniform(batch * architecture.InputSize, 100 + step, 2f);
            var y = regression ? Data.Uniform(batch * architecture.OutputSize, 200 + step) : Data.OneHot(batch, architecture.OutputSize, 200 + step);
            var cpuLoss = cpu.TrainStep(x, y, batch, loss, new Sgd(0.3f));
            var gpuLoss = gpu.TrainStep(x, y, batch, loss, new Sgd(0.3f));
            OwnMagnitude.Assert([cpuLoss], [gpuLoss], $"step {step} loss");
            var gradients = new float[architecture.ParameterCount];
            gpu.CopyGradientsTo(gradients);
            OwnMagnitude.Assert(cpu.Gradients, gradients, $"step {step} gradients");
            var parameters = new float[architecture.ParameterCount];
            gpu.CopyParametersTo(parameters);
            OwnMagnitude.Assert(cpu.Parameters, parameters, $"step {step} parameters");
        }
    }

    private static (float[] X, float[] Y) Classification(int samples)
    {
        var x = Data.Uniform(samples * 45, 61, 1f);
        var y = new float[samples * 13];
        for (var i = 0; i < samples; i++)
        {
            // The class is the block of inputs with the largest sum (a learnable rule).
            var best = 0;
            var bestSum = float.MinValue;
            for (var c = 0; c < 13; c++)
            {
                var sum = 0f;
                for (var k = c * 3; k < c * 3 + 3; k++) sum += x[i * 45 + k];
                if (sum > bestSum) (best, bestSum) = (c, sum);
            }

            y[i * 13 + best] = 1f;
        }

        return (x, y);
    }
}
