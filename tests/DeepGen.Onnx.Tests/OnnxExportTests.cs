using DeepGen.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace DeepGen.Onnx.Tests;

/// <summary>
/// Every exported graph is run in ONNX Runtime and must give DeepGen's outputs: the file is proof, not the bytes.
/// </summary>
public sealed class OnnxExportTests : IDisposable
{
    /// <summary>
    /// Largest difference allowed, relative to the larger magnitude of the two outputs, with no absolute floor: an
    /// output of exactly zero (a ReLU's) must be zero in both.
    /// </summary>
    private const double RelativeTolerance = 1e-5;

    /// <summary>
    /// The models with a convolution or a batch normalization, whose outputs are compared at the scale of their sample
    /// (see <see cref="AssertClose"/>).
    /// </summary>
    private static readonly HashSet<string> SampleScaled = [nameof(SmallConvnet), nameof(SamePaddedConvnet), nameof(ReshapedConvnet), nameof(ConvolutionLast),
        nameof(BatchNormConvnet), nameof(BatchNormLast), nameof(BatchNormMatrix), nameof(NormalizedConvnet), nameof(NormalizedLast), nameof(NormalizedMatrix)];

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "deepgen-onnx-tests-" + Guid.NewGuid().ToString("N"));

    public OnnxExportTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static TheoryData<string> ModelNames => [nameof(EveryActivation), nameof(LinearOnly), nameof(LogisticRegression), nameof(ReluOutput), nameof(TanhOutput), nameof(KerasActivations),
        nameof(SmallConvnet), nameof(SamePaddedConvnet), nameof(ReshapedConvnet), nameof(ConvolutionLast),
        nameof(BatchNormConvnet), nameof(BatchNormLast), nameof(BatchNormMatrix),
        nameof(NormalizedConvnet), nameof(NormalizedLast), nameof(NormalizedMatrix)];

    private static SequentialModel Create(string name) => name switch
    {
        nameof(EveryActivation) => new EveryActivation(seed: 1),
        nameof(LinearOnly) => new LinearOnly(seed: 2),
        nameof(LogisticRegression) => new LogisticRegression(seed: 3),
        nameof(ReluOutput) => new ReluOutput(seed: 4),
        nameof(TanhOutput) => new TanhOutput(seed: 5),
        nameof(KerasActivations) => new KerasActivations(seed: 6),
        nameof(SmallConvnet) => new SmallConvnet(seed: 7),
        nameof(SamePaddedConvnet) => new SamePaddedConvnet(seed: 8),
        nameof(ReshapedConvnet) => new ReshapedConvnet(seed: 9),
        nameof(ConvolutionLast) => new ConvolutionLast(seed: 10),
        nameof(BatchNormConvnet) => new BatchNormConvnet(seed: 11),
        nameof(BatchNormLast) => new BatchNormLast(seed: 12),
        nameof(BatchNormMatrix) => new BatchNormMatrix(seed: 13),
        nameof(NormalizedConvnet) => new NormalizedConvnet(seed: 14),
        nameof(NormalizedLast) => new NormalizedLast(seed: 15),
        nameof(NormalizedMatrix) => new NormalizedMatrix(seed: 16),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(ModelNames))]
    public void Onnx_runtime_gives_deepgens_outputs(string modelName)
    {
        var model = Create(modelName);
        // Non-zero biases and weights beyond the initial range, so every Add and every saturating region is exercised.
        Randomize(model.Parameters, seed: modelName.Length);
        RandomizeMovingStatistics(model, seed: modelName.Length);
        AdaptIfNormalized(model, seed: modelName.Length);
        var path = Path.Combine(_folder, modelName + ".onnx");
        model.ExportOnnx(path);

        using var session = new InferenceSession(path);
        foreach (var batch in new[] { 1, 17 })
        {
            var x = RandomInputs(batch * model.Architecture.InputSize, seed: batch);
            var outputs = model.Architecture.OutputSize;
            AssertClose(model.Predict(x), Run(session, x, batch, model.Architecture.InputSize, outputs), $"{modelName}, batch {batch}",
                sampleScaleOf: SampleScaled.Contains(modelName) ? outputs : 0);
        }
    }

    [Fact]
    public void Batch_normalization_exports_the_moving_statistics_it_predicts_with()
    {
        // The same weights with the initial statistics (mean 0, variance 1) and with others: ONNX Runtime must follow
        // DeepGen in both, and the two must differ, or the theory above would not prove the statistics are exported.
        var model = new BatchNormLast(seed: 3);
        Randomize(model.Parameters, seed: 4);
        var x = RandomInputs(9 * model.Architecture.InputSize, seed: 5);
        using var initial = new InferenceSession(model.ToOnnx());
        var outputs = model.Architecture.OutputSize;
        var initialOutputs = Run(initial, x, 9, model.Architecture.InputSize, outputs);
        AssertClose(model.Predict(x), initialOutputs, "BatchNormLast with the initial statistics", sampleScaleOf: outputs);

        RandomizeMovingStatistics(model, seed: 6);
        using var moved = new InferenceSession(model.ToOnnx());
        var movedOutputs = Run(moved, x, 9, model.Architecture.InputSize, outputs);
        AssertClose(model.Predict(x), movedOutputs, "BatchNormLast with moved statistics", sampleScaleOf: outputs);
        Assert.True(initialOutputs.Zip(movedOutputs).Max(p => Math.Abs(p.First - p.Second)) > 0.1f, "The moving statistics changed nothing.");
    }

    [Fact]
    public void A_trained_model_exports_its_trained_weights()
    {
        var model = new EveryActivation(seed: 7);
        var x = RandomInputs(64 * 6, seed: 11);
        var y = new float[64 * 4];
        for (var i = 0; i < 64; i++) y[i * 4 + (x[i * 6] > 0 ? 1 : 0) + (x[i * 6 + 1] > 0 ? 2 : 0)] = 1f;
        var before = OnnxExporter.ToOnnx(model);
        model.Fit(x, y, epochs: 3, batchSize: 8, Loss.CategoricalCrossEntropy, new Sgd(0.5f), seed: 1, verbosity: Verbosity.Silent);
        var after = OnnxExporter.ToOnnx(model);
        Assert.NotEqual(before, after);

        using var session = new InferenceSession(after);
        AssertClose(model.Predict(x), Run(session, x, 64, 6, 4), "trained EveryActivation");
    }

    [Fact]
    public void The_graph_declares_a_symbolic_batch_and_the_models_sizes()
    {
        var model = new EveryActivation(seed: 1);
        using var session = new InferenceSession(model.ToOnnx());
        var input = Assert.Single(session.InputMetadata);
        var output = Assert.Single(session.OutputMetadata);
        Assert.Equal(OnnxExporter.InputName, input.Key);
        Assert.Equal(OnnxExporter.OutputName, output.Key);
        Assert.Equal([-1, 6], input.Value.Dimensions);
        Assert.Equal([-1, 4], output.Value.Dimensions);
        Assert.Equal(OnnxExporter.BatchDimension, input.Value.SymbolicDimensions[0]);
        Assert.Equal(typeof(float), input.Value.ElementType);
        Assert.Equal("DeepGen", session.ModelMetadata.ProducerName);
        Assert.Equal(nameof(EveryActivation), session.ModelMetadata.GraphName);
    }

    [Fact]
    public void A_convnets_graph_keeps_the_flat_input_and_output_that_predict_uses()
    {
        // (9, 8, 3) images go in as 216 values per sample, row-major channels last, as Predict takes them.
        using var session = new InferenceSession(new SmallConvnet(seed: 1).ToOnnx());
        Assert.Equal([-1, 9 * 8 * 3], Assert.Single(session.InputMetadata).Value.Dimensions);
        Assert.Equal([-1, 3], Assert.Single(session.OutputMetadata).Value.Dimensions);
    }

    [Fact]
    public void Exporting_replaces_an_existing_file_and_leaves_no_temporary_file()
    {
        var path = Path.Combine(_folder, "model.onnx");
        File.WriteAllText(path, "an older file");
        var model = new LinearOnly(seed: 1);
        model.ExportOnnx(path);
        Assert.Equal(OnnxExporter.ToOnnx(model), File.ReadAllBytes(path));
        Assert.Equal(["model.onnx"], Directory.GetFiles(_folder).Select(Path.GetFileName));
    }

    [Fact]
    public void Exporting_into_a_missing_folder_fails_clearly_and_writes_nothing()
    {
        var missing = Path.Combine(_folder, "missing");
        var error = Assert.Throws<DirectoryNotFoundException>(() => new LinearOnly(seed: 1).ExportOnnx(Path.Combine(missing, "model.onnx")));
        Assert.Contains(missing, error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(_folder));
    }

    [Fact]
    public void Gelu_is_refused_with_the_reason()
    {
        var error = Assert.Throws<NotSupportedException>(() => new GeluLayer(seed: 1).ToOnnx());
        Assert.Contains("Gelu", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Export_is_deterministic()
    {
        Assert.Equal(OnnxExporter.ToOnnx(new EveryActivation(seed: 3)), OnnxExporter.ToOnnx(new EveryActivation(seed: 3)));
    }

    private static float[] Run(InferenceSession session, float[] x, int batch, int inputSize, int outputSize)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(x, [batch, inputSize]);
        using var outputs = session.Run(new RunOptions(), [OnnxExporter.InputName], [input], [OnnxExporter.OutputName]);
        var result = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        Assert.Equal(batch * outputSize, result.Length);
        return result;
    }

    /// <summary>
    /// Every output within <see cref="RelativeTolerance"/> of DeepGen's, relative to its own magnitude; or, where
    /// <paramref name="sampleScaleOf"/> is the outputs per sample, relative to the largest magnitude among its
    /// sample's outputs. A convolution sums k·k·channels products, and ONNX Runtime sums them in another order than
    /// DeepGen's im2col product, so an output that cancels to near zero keeps the rounding of its larger terms: a
    /// difference of 1e-6 on an output of 0.08 whose sample's other outputs are near 1 is rounding, not a wrong
    /// weight or pad (those are off by a tenth or more). A batch normalization cancels the same way:
    /// <c>gamma · (x - mean) / sqrt(variance + epsilon) + beta</c> near zero keeps the rounding of its terms near 1,
    /// and the two runtimes compute it in different orders.
    /// </summary>
    private static void AssertClose(float[] expected, float[] actual, string what, int sampleScaleOf = 0)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            var scale = Math.Max(Math.Abs((double)expected[i]), Math.Abs((double)actual[i]));
            if (sampleScaleOf > 0)
            {
                var start = i / sampleScaleOf * sampleScaleOf;
                for (var j = start; j < start + sampleScaleOf; j++) scale = Math.Max(scale, Math.Abs((double)expected[j]));
            }

            var difference = Math.Abs((double)expected[i] - actual[i]);
            Assert.True(difference <= RelativeTolerance * scale,
                $"{what}: output {i} is {actual[i]:R} in ONNX Runtime but {expected[i]:R} in DeepGen (difference {difference:E2}, magnitude {scale:E2}).");
        }
    }

    private static void Randomize(Span<float> values, int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
    }

    /// <summary>
    /// Moving means in [-1, 1] and variances in [0.25, 2.25] for every batch normalization (the rest of the state
    /// buffer, the last training batch's statistics, is not used at inference and stays as it is).
    /// </summary>
    /// <summary>Adapts a model's normalizations on inputs shifted and scaled per value, so every mean and variance differs from 0 and 1.</summary>
    private static void AdaptIfNormalized(SequentialModel model, int seed)
    {
        if (!model.Architecture.Layers.Any(l => l.Kind == LayerKind.Normalization)) return;
        var x = RandomInputs(40 * model.Architecture.InputSize, seed);
        for (var i = 0; i < x.Length; i++) x[i] = x[i] * (1 + i % 5) + (i % 7) - 3;
        model.Adapt(x);
    }

    [Fact]
    public void Normalization_statistics_are_exported_and_an_unadapted_model_is_refused()
    {
        var model = new NormalizedLast(seed: 3);
        Randomize(model.Parameters, seed: 4);
        var error = Assert.Throws<InvalidOperationException>(() => model.ToOnnx());
        Assert.Contains("'Features'", error.Message);

        var x = RandomInputs(9 * model.Architecture.InputSize, seed: 5);
        var outputs = model.Architecture.OutputSize;
        model.Adapt(RandomInputs(30 * model.Architecture.InputSize, seed: 6));
        using var first = new InferenceSession(model.ToOnnx());
        var firstOutputs = Run(first, x, 9, model.Architecture.InputSize, outputs);
        AssertClose(model.Predict(x), firstOutputs, "NormalizedLast adapted once", sampleScaleOf: outputs);

        // Adapted again on data of another scale: ONNX Runtime follows, and the outputs move.
        var scaled = RandomInputs(30 * model.Architecture.InputSize, seed: 7).Select(v => 5f * v + 2f).ToArray();
        model.Adapt(scaled);
        using var second = new InferenceSession(model.ToOnnx());
        var secondOutputs = Run(second, x, 9, model.Architecture.InputSize, outputs);
        AssertClose(model.Predict(x), secondOutputs, "NormalizedLast adapted again", sampleScaleOf: outputs);
        Assert.True(firstOutputs.Zip(secondOutputs).Max(p => Math.Abs(p.First - p.Second)) > 0.1f, "The statistics changed nothing.");
    }

    private static void RandomizeMovingStatistics(SequentialModel model, int seed)
    {
        var random = new Random(seed);
        foreach (var layer in model.Architecture.Layers.Where(l => l.Kind == LayerKind.BatchNormalization))
        {
            var channels = layer.OutputShape.Channels;
            for (var c = 0; c < channels; c++)
            {
                model.NonTrainableWeights[layer.StateOffset + c] = (float)(random.NextDouble() * 2 - 1);
                model.NonTrainableWeights[layer.StateOffset + channels + c] = (float)(0.25 + random.NextDouble() * 2);
            }
        }
    }

    private static float[] RandomInputs(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (var i = 0; i < count; i++) values[i] = (float)(random.NextDouble() * 4 - 2);
        return values;
    }
}
