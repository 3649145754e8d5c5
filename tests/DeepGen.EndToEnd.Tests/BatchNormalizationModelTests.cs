using DeepGen.Cpu;
using DeepGen.EndToEnd.Tests.Models;

namespace DeepGen.EndToEnd.Tests;

/// <summary>
/// Batch normalization in generated models: inference against the reference with moving statistics, training-mode
/// gradients against finite differences through the batch statistics, the moving statistics' update, saving and
/// resuming them, one and two threads bitwise, and no allocation.
/// </summary>
[Collection(ThreadSettingsCollection.Name)]
public sealed class BatchNormalizationModelTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deepgen-batchnorm-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static BatchNormConvnet CreateWithState(int seed)
    {
        var model = new BatchNormConvnet(seed);
        var random = new Random(seed);
        foreach (var layer in model.Architecture.Layers.Where(l => l.Kind == LayerKind.BatchNormalization))
        {
            var channels = layer.OutputShape.Channels;
            for (var c = 0; c < channels; c++)
            {
                model.NonTrainableWeights[layer.StateOffset + c] = (float)(random.NextDouble() - 0.5);
                model.NonTrainableWeights[layer.StateOffset + channels + c] = (float)(0.5 + random.NextDouble());
                model.Parameters[layer.WeightsOffset + c] = (float)(0.5 + random.NextDouble());
                model.Parameters[layer.BiasOffset + c] = (float)(random.NextDouble() - 0.5);
            }
        }

        return model;
    }

    [Fact]
    public void Inference_uses_the_moving_statistics_as_the_reference_does()
    {
        var model = CreateWithState(seed: 2);
        var x = TestData.Uniform(6 * model.Architecture.InputSize, -1f, 1f, seed: 3);
        GradientCheckTests.AssertClose(ReferenceNetwork.Of(model).Predict(x), model.Predict(x), 1e-5);
        // A sample's prediction does not depend on the batch it is in.
        Assert.Equal(model.Predict(x, batchSize: 6), model.Predict(x, batchSize: 1));
    }

    [Fact]
    public void Training_gradients_match_finite_differences_through_the_batch_statistics()
    {
        const int Batch = 4;
        var model = CreateWithState(seed: 5);
        var x = TestData.Uniform(Batch * model.Architecture.InputSize, -1.5f, 1.5f, seed: 6);
        var y = TestData.OneHot(Batch, 3, seed: 7);
        var reported = model.TrainStep(x, y, Batch, Loss.CategoricalCrossEntropy, new NoUpdate());

        var reference = ReferenceNetwork.WithLastMasks(model, Batch);
        reference.BatchStatistics = true;
        Assert.Equal(reference.Loss(x, y, Loss.CategoricalCrossEntropy), reported, 1e-5 * Math.Max(1, Math.Abs(reported)));
        var expected = reference.FiniteDifferenceGradient(x, y, Loss.CategoricalCrossEntropy, step: 1e-5);
        var actual = model.Gradients.ToArray();
        Assert.True(actual.Count(g => Math.Abs(g) > 1e-4) > actual.Length / 4, "Most gradients are zero: the check would prove little.");
        for (var k = 0; k < actual.Length; k++)
            Assert.True(Math.Abs(actual[k] - expected[k]) <= 3e-5 + 3e-3 * Math.Abs(expected[k]),
                $"Parameter {k}: backward gives {actual[k]:G9}, finite differences {expected[k]:G9}.");
    }

    [Fact]
    public void A_training_step_moves_the_moving_statistics_by_the_momentum_and_evaluation_does_not()
    {
        const int Batch = 5;
        var model = new BatchNormConvnet(seed: 1);
        var x = TestData.Uniform(Batch * model.Architecture.InputSize, -1f, 2f, seed: 2);
        var y = TestData.OneHot(Batch, 3, seed: 3);
        var norm1 = model.Architecture.Layers.Single(l => l.Name == "Norm1");
        Assert.Equal(0f, model.NonTrainableWeights[norm1.StateOffset]);
        Assert.Equal(1f, model.NonTrainableWeights[norm1.StateOffset + 4]);

        model.TrainStep(x, y, Batch, Loss.CategoricalCrossEntropy, new NoUpdate());
        // Norm1's input is Conv's output, kept in the activation buffer: its batch mean and variance per channel.
        var conv = model.Architecture.Layers.Single(l => l.Name == "Conv");
        var outputs = model.ActivationBuffer.Slice(Batch * conv.OutputOffsetPerSample, Batch * conv.Units).ToArray();
        for (var c = 0; c < 4; c++)
        {
            var values = Enumerable.Range(0, outputs.Length / 4).Select(i => (double)outputs[i * 4 + c]).ToArray();
            var mean = values.Average();
            var variance = values.Select(v => (v - mean) * (v - mean)).Average();
            Assert.Equal(0.01 * mean, model.NonTrainableWeights[norm1.StateOffset + c], 1e-6);
            Assert.Equal(0.99 + 0.01 * variance, model.NonTrainableWeights[norm1.StateOffset + 4 + c], 1e-6);
        }

        var state = model.NonTrainableWeights.ToArray();
        model.Evaluate(x, y, batchSize: Batch, loss: Loss.CategoricalCrossEntropy);
        model.Predict(x);
        Assert.Equal(state, model.NonTrainableWeights.ToArray());
    }

    [Fact]
    public void Moving_statistics_are_saved_loaded_and_counted_as_non_trainable()
    {
        var model = CreateWithState(seed: 8);
        var path = Path.Combine(_folder, "norm.safetensors");
        model.Save(path);
        var loaded = new BatchNormConvnet(seed: 99);
        loaded.Load(path);
        Assert.Equal(model.NonTrainableWeights.ToArray(), loaded.NonTrainableWeights.ToArray());
        Assert.Equal(model.Parameters.ToArray(), loaded.Parameters.ToArray());
        var x = TestData.Uniform(3 * model.Architecture.InputSize, -1f, 1f, seed: 9);
        Assert.Equal(model.Predict(x), loaded.Predict(x));

        var summary = model.SummaryText();
        // Keras: Norm1 has 4 × 4 parameters (gamma, beta trainable; moving mean, variance not), Norm2 7 × 4.
        Assert.Contains("Non-trainable params: 22 ", summary);
        Assert.Contains("(BatchNormalization)", summary);
    }

    [Fact]
    public void Resuming_a_run_with_batch_normalization_and_dropout_equals_an_uninterrupted_one_bitwise()
    {
        var x = TestData.Uniform(96 * 60, -1f, 1f, seed: 4);
        var y = TestData.OneHot(96, 3, seed: 5);
        History Train(SequentialModel model, string? backup, IProgress<EpochResult>? progress, CancellationToken token) =>
            model.Fit(x, y, epochs: 4, batchSize: 16, Loss.CategoricalCrossEntropy, new Adam(0.01f), seed: 7, verbosity: Verbosity.Silent,
                validationSplit: 0.25f, callbacks: backup is null ? [] : [new BackupAndRestore(backup)], progress: progress, cancellationToken: token);

        var straight = new BatchNormConvnet(seed: 1);
        var resumed = new BatchNormConvnet(seed: 12345);
        InterruptedTraining.RunStraightAndResumed(Train, straight, interrupted: new BatchNormConvnet(seed: 1), resumed, Path.Combine(_folder, "backup.ckpt"));
        InterruptedTraining.AssertSameBits(straight, resumed);
        Assert.NotEqual(new BatchNormConvnet(seed: 1).NonTrainableWeights.ToArray(), straight.NonTrainableWeights.ToArray());
    }

    [Fact]
    public void One_and_two_threads_train_to_the_same_bits_and_steps_allocate_nothing()
    {
        var x = TestData.Uniform(50 * 60, -1f, 1f, seed: 1);
        var y = TestData.OneHot(50, 3, seed: 2);
        float[] Run(int threads)
        {
            CpuBackend.MaxDegreeOfParallelism = threads;
            try
            {
                var model = new BatchNormConvnet(seed: 3);
                model.Fit(x, y, epochs: 2, batchSize: 17, Loss.CategoricalCrossEntropy, new Adam(0.01f), seed: 4, verbosity: Verbosity.Silent);
                return [.. model.Parameters.ToArray(), .. model.NonTrainableWeights.ToArray()];
            }
            finally
            {
                CpuBackend.MaxDegreeOfParallelism = Environment.ProcessorCount;
            }
        }

        Assert.Equal(Run(1).Select(BitConverter.SingleToInt32Bits), Run(2).Select(BitConverter.SingleToInt32Bits));

        var model = new BatchNormConvnet(seed: 5);
        var optimizer = new Adam(0.001f);
        var predictions = new float[50 * 3];
        foreach (var threads in new[] { 1, 2 })
            Assert.Equal(0, AllocationTests.LeastAllocated(threads, () =>
            {
                model.TrainStep(x, y, 50, Loss.CategoricalCrossEntropy, optimizer);
                model.Predict(x, predictions, batchSize: 50);
            }));
    }
}
