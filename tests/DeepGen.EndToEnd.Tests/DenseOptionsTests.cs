using DeepGen.Cpu;
using DeepGen.EndToEnd.Tests.Models;

namespace DeepGen.EndToEnd.Tests;

/// <summary>
/// Dropout, regularizers, UseBias = false and initializers through generated models: gradients against finite
/// differences of the double-precision reference with the masks the step drew, dropout statistics, inference
/// without dropout, reproducible masks, the fused SGD update with penalties, and the default initialisation unchanged.
/// </summary>
// Its allocation tests must not overlap the tests that change CpuBackend.MaxDegreeOfParallelism: a product that ran on
// one thread during their warm-up would first fetch its per-thread parallel job inside the measured calls.
[Collection(ThreadSettingsCollection.Name)]
public class DenseOptionsTests
{
    [Fact]
    public void Evaluated_loss_includes_the_weight_penalties_as_in_keras()
    {
        var model = new RegularizedMlp(seed: 3);
        var x = TestData.Uniform(8 * RegularizedMlp.InputSize, -1f, 1f, seed: 4);
        var y = TestData.OneHot(8, RegularizedMlp.OutputSize, seed: 5);
        var outputs = model.Predict(x);
        var plain = Loss.CategoricalCrossEntropy.Sum(outputs, y, 8, RegularizedMlp.OutputSize) / 8;
        var penalty = model.RegularizationPenalty();
        Assert.True(penalty > 0f);
        Assert.Equal(plain + penalty, model.Evaluate(x, y, batchSize: 3, loss: Loss.CategoricalCrossEntropy).Loss, 5);
    }

    [Fact]
    public void Gradients_with_dropout_regularizers_and_no_bias_match_finite_differences()
    {
        const int batch = 7;
        var model = new GradFeatures(seed: 3);
        var x = TestData.Uniform(batch * 6, -2f, 2f, seed: 31);
        var y = TestData.Uniform(batch * 3, -0.5f, 1.5f, seed: 32);

        var reported = model.TrainStep(x, y, batch, Loss.MeanSquaredError, new NoUpdate());
        var reference = ReferenceNetwork.WithLastMasks(model, batch);
        Assert.Equal(2, reference.DropoutMasks.Count);
        Assert.Contains(reference.DropoutMasks[0], m => m == 0f);

        Assert.Equal(reference.Loss(x, y, Loss.MeanSquaredError), reported, 1e-5 * Math.Max(1, Math.Abs(reported)));
        var expected = reference.FiniteDifferenceGradient(x, y, Loss.MeanSquaredError);
        var actual = model.Gradients.ToArray();
        Assert.Equal(model.Architecture.ParameterCount, actual.Length);
        for (var k = 0; k < actual.Length; k++)
            Assert.True(Math.Abs(actual[k] - expected[k]) <= 2e-5 + 2e-3 * Math.Abs(expected[k]),
                $"Parameter {k}: backward gives {actual[k]:G9}, finite differences {expected[k]:G9}.");
    }

    [Fact]
    public void A_layer_without_bias_has_no_bias_parameters_or_tensor()
    {
        var model = new GradFeatures(seed: 1);
        var layer = model.Layers[1];
        Assert.False(layer.Info.UseBias);
        Assert.Equal(0, layer.Bias.Length);
        Assert.Equal(6 * 5 + 5 + 5 * 4 + 4 * 3 + 3, model.Architecture.ParameterCount);
        Assert.Contains("4(gelu,nobias)", model.Architecture.Signature);
    }

    [Fact]
    public void Inference_ignores_dropout_and_matches_the_reference()
    {
        var model = new DropoutMlp(seed: 2);
        var x = TestData.Uniform(9 * 64, -1f, 1f, seed: 5);
        var first = model.Predict(x);
        // A training step draws masks and moves the stream; inference must not care.
        model.TrainStep(x, TestData.OneHot(9, 10, seed: 6), 9, Loss.CategoricalCrossEntropy, new NoUpdate());
        Assert.Equal(first, model.Predict(x));
        GradientCheckTests.AssertClose(ReferenceNetwork.Of(model).Predict(x), first, 1e-5);
    }

    [Fact]
    public void Dropout_masks_drop_the_rate_and_scale_the_rest()
    {
        const int batch = 64;
        var model = new DropoutMlp(seed: 4);
        var x = TestData.Uniform(batch * 64, -1f, 1f, seed: 7);
        var y = TestData.OneHot(batch, 10, seed: 8);
        model.TrainStep(x, y, batch, Loss.CategoricalCrossEntropy, new NoUpdate());
        foreach (var layer in model.Architecture.Layers.Where(l => l.DropoutRate is not null))
        {
            var rate = layer.DropoutRate!.Value;
            var mask = model.ActivationBuffer.Slice(batch * layer.DropoutMaskOffsetPerSample, batch * layer.Units).ToArray();
            var dropped = mask.Count(m => m == 0f);
            var n = mask.Length;
            // Binomial(n, rate): five standard deviations either side.
            var sd = Math.Sqrt(n * rate * (1 - rate));
            Assert.InRange(dropped, n * rate - 5 * sd, n * rate + 5 * sd);
            Assert.All(mask.Where(m => m != 0f), m => Assert.Equal(1f / (1f - rate), m));

            var outputs = model.ActivationBuffer.Slice(batch * layer.OutputOffsetPerSample, batch * layer.Units);
            var after = model.ActivationBuffer.Slice(batch * layer.DropoutOutputOffsetPerSample, batch * layer.Units);
            for (var i = 0; i < n; i++) Assert.Equal(outputs[i] * mask[i], after[i]);
        }
    }

    [Fact]
    public void Dropout_masks_are_reproducible_from_the_seed_and_the_saved_state()
    {
        const int batch = 8;
        var x = TestData.Uniform(batch * 64, -1f, 1f, seed: 9);
        var y = TestData.OneHot(batch, 10, seed: 10);
        var layer = DropoutMlpLayer0();
        float[] Mask(SequentialModel m) => m.ActivationBuffer.Slice(batch * layer.DropoutMaskOffsetPerSample, batch * layer.Units).ToArray();

        var a = new DropoutMlp(seed: 11);
        var b = new DropoutMlp(seed: 11);
        var state = a.TrainingRandomState;
        Assert.Equal(state, b.TrainingRandomState);
        Assert.NotEqual(state, new DropoutMlp(seed: 12).TrainingRandomState);

        a.TrainStep(x, y, batch, Loss.CategoricalCrossEntropy, new NoUpdate());
        b.TrainStep(x, y, batch, Loss.CategoricalCrossEntropy, new NoUpdate());
        var firstMask = Mask(a);
        Assert.Equal(firstMask, Mask(b));
        Assert.NotEqual(state, a.TrainingRandomState);

        a.TrainStep(x, y, batch, Loss.CategoricalCrossEntropy, new NoUpdate());
        Assert.NotEqual(firstMask, Mask(a));

        // Restoring the state replays the first step's masks, as a resumed checkpoint must.
        a.TrainingRandomState = state;
        a.TrainStep(x, y, batch, Loss.CategoricalCrossEntropy, new NoUpdate());
        Assert.Equal(firstMask, Mask(a));
        Assert.Throws<ArgumentException>(() => a.TrainingRandomState = new RandomState(0, 0, 0, 0));
        Assert.Throws<InvalidOperationException>(() => a.TrainingRandomState = null);
        Assert.Null(new SmallClassifier(seed: 1).TrainingRandomState);
    }

    [Fact]
    public void Fused_sgd_with_penalties_equals_the_unfused_update_bit_for_bit()
    {
        const int batch = 13;
        var x = TestData.Uniform(batch * 37, -1f, 1f, seed: 14);
        var y = TestData.OneHot(batch, 3, seed: 15);
        var fused = new RegularizedMlp(seed: 5);
        var unfused = new RegularizedMlp(seed: 5);
        var fusedOptimizer = new Sgd(0.05f);
        var unfusedOptimizer = new UnfusedSgd(0.05f);
        for (var step = 0; step < 4; step++)
        {
            var a = fused.TrainStep(x, y, batch, Loss.CategoricalCrossEntropy, fusedOptimizer);
            var b = unfused.TrainStep(x, y, batch, Loss.CategoricalCrossEntropy, unfusedOptimizer);
            Assert.Equal(a, b);
            Assert.True(fused.Parameters.SequenceEqual(unfused.Parameters), $"Parameters differ after step {step + 1}.");
        }
    }

    [Fact]
    public void Regularized_gradients_match_finite_differences()
    {
        const int batch = 5;
        var model = new RegularizedMlp(seed: 6);
        var x = TestData.Uniform(batch * 37, -1f, 1f, seed: 16);
        var y = TestData.OneHot(batch, 3, seed: 17);
        var reported = model.TrainStep(x, y, batch, Loss.CategoricalCrossEntropy, new NoUpdate());
        var reference = ReferenceNetwork.Of(model);
        Assert.Equal(reference.Loss(x, y, Loss.CategoricalCrossEntropy), reported, 1e-5 * Math.Max(1, Math.Abs(reported)));
        reference.IncludePenalties = false;
        Assert.True(reported > reference.Loss(x, y, Loss.CategoricalCrossEntropy) + 1e-4, "The penalty was not added to the loss.");
        reference.IncludePenalties = true;
        var random = new Random(3);
        for (var n = 0; n < 120; n++)
        {
            var k = random.Next(model.Architecture.ParameterCount);
            var expected = reference.FiniteDifference(x, y, Loss.CategoricalCrossEntropy, k, step: 1e-6);
            Assert.True(Math.Abs(model.Gradients[k] - expected) <= 2e-5 + 2e-3 * Math.Abs(expected),
                $"Parameter {k}: backward gives {model.Gradients[k]:G9}, finite differences {expected:G9}.");
        }
    }

    [Fact]
    public void Initializers_reach_the_parameters()
    {
        var model = new GradFeatures(seed: 8);
        Assert.All(model.Layers[2].Bias.ToArray(), b => Assert.Equal(1f, b));
        Assert.All(model.Layers[0].Bias.ToArray(), b => Assert.Equal(0f, b));
        var lecunLimit = MathF.Sqrt(3f / 4);
        Assert.All(model.Layers[2].Weights.ToArray(), w => Assert.InRange(w, -lecunLimit, lecunLimit));
        var heTruncation = 2 * Math.Sqrt(2.0 / 5) / 0.87962566103423978;
        Assert.All(model.Layers[1].Weights.ToArray(), w => Assert.InRange(w, -heTruncation, heTruncation));
    }

    /// <summary>The default must draw what the original Glorot-only code drew: written out here as it was.</summary>
    [Fact]
    public void Default_initialisation_is_unchanged_bit_for_bit()
    {
        var model = new SeedMlp(seed: 1);
        var expected = new float[model.Architecture.ParameterCount];
        var random = new SeededRandom(1);
        foreach (var layer in model.Architecture.Layers)
        {
            var limit = MathF.Sqrt(6f / (layer.Inputs + layer.Units));
            for (var i = 0; i < layer.Inputs * layer.Units; i++)
                expected[layer.WeightsOffset + i] = (2f * random.NextSingle() - 1f) * limit;
        }

        Assert.True(expected.AsSpan().SequenceEqual(model.Parameters), "The default initialisation changed.");
    }

    [Fact]
    public void Training_with_dropout_and_gelu_allocates_nothing()
    {
        var model = new DropoutMlp(seed: 1);
        var x = TestData.Uniform(50 * 64, -1f, 1f, seed: 1);
        var y = TestData.OneHot(50, 10, seed: 2);
        var optimizer = new Sgd(0.1f);
        for (var i = 0; i < 3; i++) model.TrainStep(x, y, 50, Loss.CategoricalCrossEntropy, optimizer);
        foreach (var threads in new[] { 1, 2 })
            Assert.Equal(0, AllocationTests.LeastAllocated(threads, () =>
            {
                for (var i = 0; i < 5; i++) model.TrainStep(x, y, 50, Loss.CategoricalCrossEntropy, optimizer);
            }));
    }

    [Fact]
    public void Summary_lists_layers_shapes_and_parameter_counts()
    {
        var summary = new DropoutMlp(seed: 1).SummaryText();
        Assert.StartsWith("Model: \"DropoutMlp\"\n", summary);
        Assert.Contains("Dense0 (Dense, gelu)", summary);
        Assert.Contains("Dropout0 (Dropout, rate 0.5)", summary);
        Assert.Contains("Dropout1 (Dropout, rate 0.2)", summary);
        Assert.Contains("(None, 256)", summary);
        Assert.Contains("16,640", summary); // 64 × 256 + 256
        Assert.Contains(" Total params: 50,826 (198.54 KB)\n", summary);
        Assert.Contains(" Trainable params: 50,826 (198.54 KB)\n", summary);
        Assert.Contains(" Non-trainable params: 0 (0.00 B)\n", summary);
        var lines = summary.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var tableLines = lines.Where(l => l[0] is '┃' or '│' or '┏' or '┡' or '├' or '└').ToList();
        Assert.All(tableLines, l => Assert.Equal(tableLines[0].Length, l.Length));

        var seed = new SeedMlp(seed: 1).SummaryText();
        Assert.Contains(" Total params: 648,010 (2.47 MB)\n", seed);
        var writer = new StringWriter();
        new SeedMlp(seed: 1).Summary(writer);
        Assert.Equal(seed, writer.ToString());

        // Keras's habit: model.Summary(); as a statement prints the table to the console.
        var console = Console.Out;
        var captured = new StringWriter();
        Console.SetOut(captured);
        try
        {
            new SeedMlp(seed: 1).Summary();
        }
        finally
        {
            Console.SetOut(console);
        }

        Assert.Contains(seed, captured.ToString());
    }

    [Fact]
    public void A_model_without_some_biases_saves_and_loads_only_the_tensors_it_has()
    {
        var folder = Directory.CreateTempSubdirectory("deepgen-options-");
        try
        {
            var path = Path.Combine(folder.FullName, "features.safetensors");
            var model = new GradFeatures(seed: 1);
            model.Save(path);
            var file = DeepGen.Serialization.SafeTensorsFile.Read(path);
            Assert.Equal(["Dense0.kernel", "Dense0.bias", "Dense1.kernel", "Dense2.kernel", "Dense2.bias"], file.Tensors.Select(t => t.Name));
            var loaded = new GradFeatures(seed: 2);
            loaded.Load(path);
            Assert.Equal(model.Parameters.ToArray(), loaded.Parameters.ToArray());
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void The_reported_training_loss_includes_the_penalty()
    {
        const int batch = 4;
        var model = new RegularizedMlp(seed: 2);
        var x = TestData.Uniform(batch * 37, -1f, 1f, seed: 20);
        var y = TestData.OneHot(batch, 3, seed: 21);
        var penalty = model.RegularizationPenalty();
        Assert.True(penalty > 0f);
        var withPenalty = model.TrainStep(x, y, batch, Loss.CategoricalCrossEntropy, new NoUpdate());
        var plain = Loss.CategoricalCrossEntropy.Sum(model.Predict(x), y, batch, 3) / batch;
        Assert.Equal(plain + penalty, withPenalty, 1e-5);
        Assert.Equal(0f, new SeedMlp(seed: 1).RegularizationPenalty());
    }

    private static LayerInfo DropoutMlpLayer0() => new DropoutMlp(seed: 0).Architecture.Layers[0];

    /// <summary>Plain SGD applied after the backward pass, element by element as the fused kernel does it.</summary>
    private sealed class UnfusedSgd(float learningRate) : Optimizer(learningRate)
    {
        public override void Update(Span<float> parameters, ReadOnlySpan<float> gradients)
        {
            for (var i = 0; i < parameters.Length; i++) parameters[i] -= LearningRate * gradients[i];
        }
    }
}
