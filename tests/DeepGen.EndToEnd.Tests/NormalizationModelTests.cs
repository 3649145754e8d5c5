using Xunit.Abstractions;
using DeepGen.EndToEnd.Tests.Models;

namespace DeepGen.EndToEnd.Tests;

/// <summary>
/// Keras's Normalization in generated models: Adapt's statistics against numpy-style mean and variance computed
/// here by naive loops, inference and gradients against the reference network, learning features of very different
/// scales, the refusal to run before Adapt, bad inputs, save/load and checkpoint resume, and no allocation.
/// </summary>
[Collection(ThreadSettingsCollection.Name)]
public sealed class NormalizationModelTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deepgen-normalization-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>
    /// Three features on scales 10⁴, 10⁻² and 1, each contributing about as much to the target:
    /// <c>y = x₀ / 10⁴ + 100 · x₁ + x₂</c> plus a little curvature, so an unscaled network sees one feature drown the others.
    /// </summary>
    private static (float[] X, float[] Y) ScaledRegression(int samples, int seed)
    {
        var random = new Random(seed);
        var x = new float[samples * 3];
        var y = new float[samples];
        for (var s = 0; s < samples; s++)
        {
            var (a, b, c) = (10_000 * random.NextDouble(), 0.01 * random.NextDouble(), 2 * random.NextDouble() - 1);
            (x[3 * s], x[3 * s + 1], x[3 * s + 2]) = ((float)a, (float)b, (float)c);
            y[s] = (float)(a / 10_000 + 100 * b + c + 0.5 * c * c);
        }

        return (x, y);
    }

    /// <summary>numpy's <c>mean(axis=0)</c> and <c>var(axis=0)</c> (population variance) of <c>[rows, features]</c> values, in double.</summary>
    private static (double[] Mean, double[] Variance) NaiveStatistics(IReadOnlyList<double> values, int features)
    {
        var rows = values.Count / features;
        var mean = new double[features];
        var variance = new double[features];
        for (var f = 0; f < features; f++)
        {
            double sum = 0;
            for (var r = 0; r < rows; r++) sum += values[r * features + f];
            mean[f] = sum / rows;
            double squares = 0;
            for (var r = 0; r < rows; r++) squares += (values[r * features + f] - mean[f]) * (values[r * features + f] - mean[f]);
            variance[f] = squares / rows;
        }

        return (mean, variance);
    }

    private static void AssertStatistics(SequentialModel model, LayerInfo layer, IReadOnlyList<double> inputs, double tolerance)
    {
        var features = layer.OutputShape.Channels;
        var (mean, variance) = NaiveStatistics(inputs, features);
        var state = model.NonTrainableWeights.Slice(layer.StateOffset, 2 * features + 1).ToArray();
        for (var f = 0; f < features; f++)
        {
            Assert.True(Math.Abs(state[f] - mean[f]) <= tolerance * Math.Max(1, Math.Abs(mean[f])), $"{layer.Name} mean[{f}]: {state[f]:G9}, naive {mean[f]:G9}.");
            Assert.True(Math.Abs(state[features + f] - variance[f]) <= tolerance * Math.Max(1, variance[f]), $"{layer.Name} variance[{f}]: {state[features + f]:G9}, naive {variance[f]:G9}.");
        }

        Assert.Equal(inputs.Count / features, state[2 * features]);
    }

    private static NormalizedConvnet AdaptedConvnet(int seed, float[] x)
    {
        var model = new NormalizedConvnet(seed);
        model.Adapt(x, batchSize: 8);
        return model;
    }

    [Fact]
    public void Adapt_computes_numpy_mean_and_population_variance_per_feature()
    {
        var (x, _) = ScaledRegression(1000, seed: 1);
        var model = new NormalizedRegressor(seed: 1);
        Assert.False(model.Norm.IsAdapted);
        model.Adapt(x);
        Assert.True(model.Norm.IsAdapted);
        AssertStatistics(model, model.Norm.Info, Array.ConvertAll(x, v => (double)v), 1e-6);
        var variances = model.NonTrainableWeights.Slice(3, 3).ToArray();
        Assert.InRange(variances[0], 7e6, 9.7e6);   // (10⁴)² / 12 ≈ 8.3e6: the scales really differ
        Assert.InRange(variances[1], 7e-6, 9.7e-6);
    }

    [Fact]
    public void Adapt_after_other_layers_reads_their_inference_outputs_and_the_model_matches_the_reference()
    {
        const int Samples = 37;
        var x = TestData.Uniform(Samples * 40, -3f, 5f, seed: 2);
        var model = AdaptedConvnet(seed: 3, x);
        var reference = ReferenceNetwork.Of(model);
        foreach (var layer in model.Architecture.Layers.Where(l => l.Kind == LayerKind.Normalization))
        {
            IReadOnlyList<double> inputs = layer.Index == 0 ? Array.ConvertAll(x, v => (double)v) : reference.Predict(x, layer.Index - 1);
            AssertStatistics(model, layer, inputs, 1e-5);
        }

        // "Mid" sees every pixel of every sample: 37 × 20 values per channel.
        Assert.Equal(Samples * 20, model.NonTrainableWeights[model.Mid.Info.StateOffset + 6]);
        GradientCheckTests.AssertClose(reference.Predict(x), model.Predict(x), 1e-5);

        // Passes of 8 merged by Chan's rule against one pass of all 37: the same statistics to float accuracy.
        var once = new NormalizedConvnet(seed: 3);
        once.Adapt(x, batchSize: 256);
        var merged = model.NonTrainableWeights.ToArray();
        var whole = once.NonTrainableWeights.ToArray();
        for (var i = 0; i < merged.Length; i++) Assert.Equal(whole[i], merged[i], 1e-5 * Math.Max(1, Math.Abs(whole[i])));
    }

    [Fact]
    public void Gradients_through_normalizations_match_finite_differences()
    {
        const int Batch = 4;
        var x = TestData.Uniform(Batch * 40, -1.5f, 1.5f, seed: 6);
        var y = TestData.OneHot(Batch, 2, seed: 7);
        var model = AdaptedConvnet(seed: 5, TestData.Uniform(20 * 40, -1f, 2f, seed: 8));
        var reported = model.TrainStep(x, y, Batch, Loss.CategoricalCrossEntropy, new NoUpdate());

        var reference = ReferenceNetwork.WithLastMasks(model, Batch);
        Assert.Equal(reference.Loss(x, y, Loss.CategoricalCrossEntropy), reported, 1e-5 * Math.Max(1, Math.Abs(reported)));
        var expected = reference.FiniteDifferenceGradient(x, y, Loss.CategoricalCrossEntropy, step: 1e-5);
        var actual = model.Gradients.ToArray();
        Assert.True(actual.Count(g => Math.Abs(g) > 1e-4) > actual.Length / 4, "Most gradients are zero: the check would prove little.");
        for (var k = 0; k < actual.Length; k++)
            Assert.True(Math.Abs(actual[k] - expected[k]) <= 3e-5 + 3e-3 * Math.Abs(expected[k]),
                $"Parameter {k}: backward gives {actual[k]:G9}, finite differences {expected[k]:G9}.");
    }

    [Fact]
    public void Features_of_very_different_scales_are_learned_with_normalization_and_not_without()
    {
        var (x, y) = ScaledRegression(512, seed: 3);
        var (testX, testY) = ScaledRegression(256, seed: 4);
        float Train(SequentialModel model)
        {
            model.Fit(x, y, epochs: 40, batchSize: 32, Loss.MeanSquaredError, new Adam(0.01f), seed: 5, verbosity: Verbosity.Silent);
            return model.Evaluate(testX, testY, batchSize: 64, loss: Loss.MeanSquaredError).Loss;
        }

        var normalized = new NormalizedRegressor(seed: 1);
        normalized.Adapt(x);
        var withNormalization = Train(normalized);
        var withoutNormalization = Train(new UnnormalizedRegressor(seed: 1));
        output.WriteLine($"Test MSE with normalization {withNormalization}, without {withoutNormalization}.");
        // The target's variance is about 0.55: the normalized network explains nearly all of it, the raw one cannot.
        Assert.True(withNormalization < 0.01f, $"With normalization the test MSE is {withNormalization}.");
        Assert.True(withoutNormalization > 5 * withNormalization && withoutNormalization > 0.05f,
            $"Without normalization the test MSE is {withoutNormalization}, with it {withNormalization}.");
    }

    [Fact]
    public void An_unadapted_model_refuses_to_fit_evaluate_predict_step_and_embed()
    {
        var model = new NormalizedConvnet(seed: 1);
        var x = TestData.Uniform(6 * 40, -1f, 1f, seed: 2);
        var y = TestData.OneHot(6, 2, seed: 3);
        void AllRefuse(string layer)
        {
            foreach (var call in new Action[]
                     {
                         () => model.Predict(x),
                         () => model.Predict(x, new float[12]),
                         () => model.Embed("Hidden", x),
                         () => model.Evaluate(x, y, loss: Loss.CategoricalCrossEntropy),
                         () => model.Fit(x, y, epochs: 1, batchSize: 3, Loss.CategoricalCrossEntropy, new Sgd(0.1f), verbosity: Verbosity.Silent),
                         () => model.TrainStep(x, y, 6, Loss.CategoricalCrossEntropy, new Sgd(0.1f)),
                     })
            {
                var error = Assert.Throws<InvalidOperationException>(call);
                Assert.Contains($"Normalization layer '{layer}' of 'NormalizedConvnet' has not been adapted", error.Message);
                Assert.Contains("model.Adapt(xTrain)", error.Message);
            }
        }

        var before = model.Parameters.ToArray();
        AllRefuse("Pixels");
        Assert.Equal(before, model.Parameters.ToArray());

        // One layer adapted by its accessor: the next one unadapted is named.
        model.Pixels.Adapt(x);
        Assert.True(model.Pixels.IsAdapted);
        Assert.False(model.Mid.IsAdapted);
        AllRefuse("Mid");

        Assert.Throws<InvalidOperationException>(() => model.Conv.Adapt(x));
        Assert.False(model.Conv.IsAdapted);
        Assert.Contains("no [Normalization] layer", Assert.Throws<InvalidOperationException>(() => new UnnormalizedRegressor().Adapt(new float[3])).Message);

        model.Adapt(x);
        Assert.Equal(12, model.Predict(x).Length);
        model.Fit(x, y, epochs: 1, batchSize: 3, Loss.CategoricalCrossEntropy, new Sgd(0.1f), verbosity: Verbosity.Silent);
    }

    [Fact]
    public void Bad_inputs_to_Adapt_are_refused_naming_the_sample_and_feature()
    {
        var model = new NormalizedRegressor(seed: 1);
        var x = TestData.Uniform(5 * 3, -1f, 1f, seed: 2);
        x[2 * 3 + 1] = float.NaN;
        var error = Assert.Throws<ArgumentException>(() => model.Adapt(x));
        Assert.Contains("NaN at sample 2, feature 1", error.Message);
        Assert.False(model.Norm.IsAdapted);

        Assert.Contains("not a positive whole number of samples", Assert.Throws<ArgumentException>(() => model.Adapt(new float[7])).Message);
        Assert.Throws<ArgumentException>(() => model.Adapt([]));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Adapt(new float[3], batchSize: 0));

        var image = new NormalizedConvnet(seed: 1);
        var pixels = TestData.Uniform(3 * 40, -1f, 1f, seed: 3);
        pixels[40 + 13] = float.PositiveInfinity;
        Assert.Contains("Infinity at sample 1, input value 13 (channel 1)", Assert.Throws<ArgumentException>(() => image.Adapt(pixels)).Message);
        Assert.False(image.Pixels.IsAdapted);
    }

    [Fact]
    public void A_constant_feature_maps_to_zero_under_the_epsilon_rule_and_the_others_are_standardized()
    {
        var model = new NormalizedRegressor(seed: 1);
        var x = TestData.Uniform(200 * 3, -4f, 9f, seed: 5);
        for (var s = 0; s < 200; s++) x[s * 3 + 2] = 3.5f;
        model.Adapt(x);
        Assert.Equal(0f, model.NonTrainableWeights[3 + 2]);
        var normalized = model.Embed("Norm", x);
        Assert.All(Enumerable.Range(0, 200), s => Assert.Equal(0f, normalized[s * 3 + 2]));
        var (mean, variance) = NaiveStatistics(Array.ConvertAll(normalized, v => (double)v), 3);
        for (var f = 0; f < 2; f++)
        {
            Assert.Equal(0, mean[f], 1e-5);
            Assert.Equal(1, variance[f], 1e-5);
        }
    }

    [Fact]
    public void Statistics_survive_save_and_load_and_predictions_are_unchanged()
    {
        var x = TestData.Uniform(30 * 40, -2f, 3f, seed: 4);
        var y = TestData.OneHot(30, 2, seed: 5);
        var model = AdaptedConvnet(seed: 6, x);
        model.Fit(x, y, epochs: 2, batchSize: 8, Loss.CategoricalCrossEntropy, new Adam(0.01f), verbosity: Verbosity.Silent);
        var path = Path.Combine(_folder, "normalized.safetensors");
        model.Save(path);

        var loaded = new NormalizedConvnet(seed: 99);
        loaded.Load(path);
        Assert.Equal(model.NonTrainableWeights.ToArray(), loaded.NonTrainableWeights.ToArray());
        Assert.True(loaded.Late.IsAdapted);
        Assert.Equal(model.Predict(x), loaded.Predict(x));
        var served = new NormalizedConvnet(seed: 98);
        served.LoadForInference(path);
        Assert.Equal(model.Predict(x), served.Predict(x));

        // A file saved before Adapt carries count 0: the loaded model refuses as the saved one did.
        var unadapted = Path.Combine(_folder, "unadapted.safetensors");
        new NormalizedConvnet(seed: 1).Save(unadapted);
        loaded.Load(unadapted);
        Assert.Contains("'Pixels'", Assert.Throws<InvalidOperationException>(() => loaded.Predict(x)).Message);

        // Keras counts mean, variance and count as non-trainable: (2·2 + 1) + (2·3 + 1) + (2·6 + 1).
        var summary = model.SummaryText();
        Assert.Contains("Non-trainable params: 25 ", summary);
        Assert.Contains("Pixels (Normalization)", summary);
    }

    [Fact]
    public void Resuming_from_a_checkpoint_restores_the_statistics_without_adapting_again()
    {
        var x = TestData.Uniform(64 * 40, -1f, 3f, seed: 4);
        var y = TestData.OneHot(64, 2, seed: 5);
        History Train(SequentialModel model, string? backup, IProgress<EpochResult>? progress, CancellationToken token) =>
            model.Fit(x, y, epochs: 4, batchSize: 16, Loss.CategoricalCrossEntropy, new Adam(0.01f), seed: 7, verbosity: Verbosity.Silent,
                callbacks: backup is null ? [] : [new BackupAndRestore(backup)], progress: progress, cancellationToken: token);

        var straight = AdaptedConvnet(seed: 1, x);
        // A fresh, unadapted model: the checkpoint brings the statistics back before Fit checks them.
        var resumed = new NormalizedConvnet(seed: 12345);
        InterruptedTraining.RunStraightAndResumed(Train, straight, interrupted: AdaptedConvnet(seed: 1, x), resumed, Path.Combine(_folder, "backup.ckpt"));
        InterruptedTraining.AssertSameBits(straight, resumed);
    }

    [Fact]
    public void Training_steps_and_predictions_allocate_nothing()
    {
        var x = TestData.Uniform(50 * 40, -1f, 1f, seed: 1);
        var y = TestData.OneHot(50, 2, seed: 2);
        var model = AdaptedConvnet(seed: 5, x);
        var optimizer = new Adam(0.001f);
        var predictions = new float[50 * 2];
        foreach (var threads in new[] { 1, 2 })
            Assert.Equal(0, AllocationTests.LeastAllocated(threads, () =>
            {
                model.TrainStep(x, y, 50, Loss.CategoricalCrossEntropy, optimizer);
                model.Predict(x, predictions, batchSize: 50);
            }));
    }
}
