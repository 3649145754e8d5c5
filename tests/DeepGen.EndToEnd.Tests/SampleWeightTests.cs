using DeepGen.EndToEnd.Tests.Models;

namespace DeepGen.EndToEnd.Tests;

/// <summary>
/// Fit's class and sample weights on generated models: weights of 1 train bit for bit as no weights, a weight of 2 is
/// the sample twice, class weights are the sample weights of each sample's class, the reported loss is the weighted
/// one and the validation loss the unweighted one, and bad weights are refused naming what is wrong.
/// </summary>
public class SampleWeightTests
{
    private const int Features = 20, Classes = 4;

    [Fact]
    public void Weights_of_one_train_bit_for_bit_as_no_weights()
    {
        var (x, y) = TestData.Blobs(90, Features, Classes, seed: 3);
        var plain = Train(x, y, Loss.CategoricalCrossEntropy);
        var ones = Train(x, y, Loss.CategoricalCrossEntropy, sampleWeight: Enumerable.Repeat(1f, 90).ToArray());
        var classOnes = Train(x, y, Loss.CategoricalCrossEntropy, classWeight: new Dictionary<int, float> { [0] = 1f, [3] = 1f });
        Assert.Equal(plain.Parameters, ones.Parameters);
        Assert.Equal(plain.Loss, ones.Loss);
        Assert.Equal(plain.Parameters, classOnes.Parameters);
        Assert.Equal(plain.Loss, classOnes.Loss);
    }

    [Fact]
    public void A_weight_of_two_is_the_sample_twice_for_one_full_batch_sgd_step()
    {
        const int samples = 10, doubled = 3;
        var (x, y) = TestData.Blobs(samples, Features, Classes, seed: 5);
        var weights = Enumerable.Repeat(1f, samples).ToArray();
        weights[doubled] = 2f;
        var weighted = new SmallClassifier(seed: 8);
        var weightedLoss = weighted.Fit(x, y, 1, samples, Loss.CategoricalCrossEntropy, new Sgd(0.1f), shuffle: false,
            verbosity: Verbosity.Silent, sampleWeight: weights).Loss[0];

        // The data with sample 3 again at the end, in one batch of 11. Keras's sum_over_batch_size divides the weighted
        // sum by the batch size, 10 here against 11 there: the same gradient takes a learning rate 11/10 as large.
        float[] x2 = [.. x, .. x.AsSpan(doubled * Features, Features)];
        float[] y2 = [.. y, .. y.AsSpan(doubled * Classes, Classes)];
        var duplicated = new SmallClassifier(seed: 8);
        var duplicatedLoss = duplicated.Fit(x2, y2, 1, samples + 1, Loss.CategoricalCrossEntropy, new Sgd(0.1f * 11 / 10), shuffle: false,
            verbosity: Verbosity.Silent).Loss[0];

        Assert.Equal(duplicatedLoss * 11 / 10, weightedLoss, 1e-5 * weightedLoss);
        var start = new SmallClassifier(seed: 8).Parameters.ToArray();
        var a = weighted.Parameters.ToArray();
        var b = duplicated.Parameters.ToArray();
        var moved = 0;
        for (var k = 0; k < a.Length; k++)
        {
            Assert.True(Math.Abs(a[k] - b[k]) <= 1e-6 + 1e-4 * Math.Abs(a[k] - start[k]), $"Parameter {k}: weighted {a[k]:G9}, duplicated {b[k]:G9}.");
            if (Math.Abs(a[k] - start[k]) > 1e-4) moved++;
        }

        Assert.True(moved > a.Length / 4, $"Only {moved} parameters moved: the comparison would prove little.");
        // And the weight mattered: without it the step differs.
        var unweighted = new SmallClassifier(seed: 8);
        unweighted.Fit(x, y, 1, samples, Loss.CategoricalCrossEntropy, new Sgd(0.1f), shuffle: false, verbosity: Verbosity.Silent);
        Assert.NotEqual(unweighted.Parameters.ToArray(), a);
    }

    public static TheoryData<string> ClassificationLosses() => ["cce", "scce", "bce"];

    [Theory]
    [MemberData(nameof(ClassificationLosses))]
    public void Class_weights_are_the_sample_weights_of_each_samples_class(string lossName)
    {
        var (x, y, loss, classOf) = Classification(lossName);
        var samples = classOf.Length;
        var classWeight = lossName == "bce"
            ? new Dictionary<int, float> { [1] = 3f }
            : new Dictionary<int, float> { [0] = 2f, [2] = 0.5f, [3] = 0f };
        var perSample = Array.ConvertAll(classOf, c => classWeight.GetValueOrDefault(c, 1f));
        var byClass = Train(x, y, loss, classWeight: classWeight);
        var bySample = Train(x, y, loss, sampleWeight: perSample);
        Assert.Equal(bySample.Parameters, byClass.Parameters);
        Assert.Equal(bySample.Loss, byClass.Loss);
        Assert.NotEqual(Train(x, y, loss).Parameters, byClass.Parameters);

        // Both given: multiplied.
        var extra = TestData.Uniform(samples, 0f, 2f, seed: 4);
        var both = Train(x, y, loss, classWeight: classWeight, sampleWeight: extra);
        var product = Train(x, y, loss, sampleWeight: [.. extra.Select((w, s) => w * perSample[s])]);
        Assert.Equal(product.Parameters, both.Parameters);
    }

    [Fact]
    public void The_recorded_loss_is_weighted_and_the_validation_loss_is_not()
    {
        const int samples = 40;
        var (x, y) = TestData.Blobs(samples, Features, Classes, seed: 6);
        var weights = TestData.Uniform(samples, 0f, 3f, seed: 7);
        var model = new SmallClassifier(seed: 2);
        // The first 32 samples train in one full batch, the last 8 validate.
        var predictions = model.Predict(x.AsSpan(0, 32 * Features));
        var expected = Loss.CategoricalCrossEntropy.Sum(predictions, y.AsSpan(0, 32 * Classes), weights.AsSpan(0, 32), 32, Classes) / 32;
        var unweighted = Loss.CategoricalCrossEntropy.Sum(predictions, y.AsSpan(0, 32 * Classes), 32, Classes) / 32;
        Assert.True(Math.Abs(expected - unweighted) > 0.01, "The weights hardly change the loss: the check would prove nothing.");

        var history = model.Fit(x, y, 1, 32, Loss.CategoricalCrossEntropy, new Sgd(0.1f), shuffle: false, verbosity: Verbosity.Silent,
            validationSplit: 0.2f, sampleWeight: weights);
        Assert.Equal(expected, history.Loss[0], 1e-5 * expected);
        Assert.Equal((float)expected, history.Epochs[0].Logs["loss"], 1e-5 * expected);
        var validation = model.Evaluate(x.AsSpan(32 * Features), y.AsSpan(32 * Classes), batchSize: 32, loss: Loss.CategoricalCrossEntropy);
        Assert.Equal(validation.Loss, history.ValidationLoss[0]);
    }

    [Fact]
    public void The_printed_loss_is_the_weighted_one()
    {
        var (x, y) = TestData.Blobs(20, Features, Classes, seed: 9);
        var output = new StringWriter();
        var history = new SmallClassifier(seed: 2).Fit(x, y, 1, 20, Loss.CategoricalCrossEntropy, new Sgd(0.1f), shuffle: false,
            verbosity: Verbosity.OneLinePerEpoch, output: output, sampleWeight: TestData.Uniform(20, 0f, 3f, seed: 1));
        var plain = new SmallClassifier(seed: 2).Fit(x, y, 1, 20, Loss.CategoricalCrossEntropy, new Sgd(0.1f), shuffle: false, verbosity: Verbosity.Silent);
        Assert.NotEqual(plain.Loss[0], history.Loss[0]);
        Assert.Contains("loss: " + ((double)history.Loss[0]).ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture), output.ToString());
    }

    [Fact]
    public void Bad_weights_are_refused_naming_the_argument_and_the_sample_or_class()
    {
        var (x, y) = TestData.Blobs(10, Features, Classes, seed: 1);
        var model = new SmallClassifier(seed: 1);
        string Refusal(Loss loss, float[] targets, IReadOnlyDictionary<int, float>? classWeight = null, float[]? sampleWeight = null) =>
            Assert.Throws<ArgumentException>(() => model.Fit(x, targets, 1, 5, loss, new Sgd(0.1f), verbosity: Verbosity.Silent,
                classWeight: classWeight, sampleWeight: sampleWeight)).Message;

        Assert.Contains("'sampleWeight' holds 9 weights but 'x' holds 10 samples", Refusal(Loss.CategoricalCrossEntropy, y, sampleWeight: new float[9]));
        var weights = Enumerable.Repeat(1f, 10).ToArray();
        weights[4] = -1f;
        Assert.Contains("gives sample 4 the weight -1", Refusal(Loss.CategoricalCrossEntropy, y, sampleWeight: weights));
        weights[4] = float.NaN;
        Assert.Contains("gives sample 4 the weight NaN", Refusal(Loss.CategoricalCrossEntropy, y, sampleWeight: weights));
        Assert.Contains("mean_squared_error has no classes", Refusal(Loss.MeanSquaredError, y, classWeight: new Dictionary<int, float> { [0] = 2f }));
        Assert.Contains("weighs class 4, but categorical_crossentropy on 4 output units has the classes 0 to 3",
            Refusal(Loss.CategoricalCrossEntropy, y, classWeight: new Dictionary<int, float> { [4] = 2f }));
        Assert.Contains("gives class 1 the weight Infinity",
            Refusal(Loss.CategoricalCrossEntropy, y, classWeight: new Dictionary<int, float> { [1] = float.PositiveInfinity }));
        Assert.Contains("independent labels (multi-label)",
            Refusal(Loss.BinaryCrossEntropy, y, classWeight: new Dictionary<int, float> { [1] = 2f }));
    }

    [Fact]
    public void Categorical_cross_entropy_on_one_output_unit_is_refused_in_fit_and_evaluate()
    {
        var model = new OddShapes(seed: 1);
        var x = TestData.Uniform(8 * 37, -1f, 1f, seed: 2);
        float[] y = [0, 1, 1, 0, 1, 0, 0, 1];
        // Held in variables, where the build-time analyzer cannot see which loss it is.
        foreach (var loss in new[] { LossNamed("cce"), LossNamed("scce") })
        {
            var e = Assert.Throws<ArgumentException>(() => model.Fit(x, y, 1, 4, loss, new Sgd(0.1f), verbosity: Verbosity.Silent));
            Assert.Contains($"{loss.Name} on a model with one output unit always gives loss 0", e.Message);
            Assert.Contains("Loss.BinaryCrossEntropy", e.Message);
            Assert.Contains("always gives loss 0", Assert.Throws<ArgumentException>(() => model.Evaluate(x, y, loss: loss)).Message);
        }

        // The loss it should have been trains.
        model.Fit(x, y, 1, 4, LossNamed("bce"), new Sgd(0.1f), verbosity: Verbosity.Silent);
    }

    [Fact]
    public void Binary_targets_outside_0_to_1_are_refused_naming_sample_and_value()
    {
        var model = new OddShapes(seed: 1);
        var x = TestData.Uniform(8 * 37, -1f, 1f, seed: 2);
        float[] y = [0, 1, 1, 0, 1, 2, 0, 1];
        var e = Assert.Throws<ArgumentException>(() => model.Fit(x, y, 1, 4, LossNamed("bce"), new Sgd(0.1f), verbosity: Verbosity.Silent));
        Assert.Contains("'y' holds 2 at sample 5, target 0; binary_crossentropy needs targets in [0, 1]", e.Message);
        Assert.Contains("'y' holds 2 at sample 5", Assert.Throws<ArgumentException>(() => model.Evaluate(x, y, loss: LossNamed("bce"))).Message);
    }

    [Fact]
    public void A_sparse_label_that_is_not_a_class_is_named_by_its_sample_in_the_data_even_when_shuffled()
    {
        var (x, oneHot) = TestData.Blobs(64, Features, Classes, seed: 9);
        var labels = OptimizerTrainingTests.ToLabels(oneHot, Classes);
        labels[37] = 1.5f;
        var e = Assert.Throws<ArgumentException>(() =>
            new SmallClassifier(seed: 1).Fit(x, labels, 1, 8, Loss.SparseCategoricalCrossEntropy, new Sgd(0.1f), verbosity: Verbosity.Silent));
        Assert.Contains("Sample 37 has the label 1.5 in 'y'", e.Message);
    }

    private static Loss LossNamed(string name) => name switch
    {
        "cce" => Loss.CategoricalCrossEntropy,
        "scce" => Loss.SparseCategoricalCrossEntropy,
        _ => Loss.BinaryCrossEntropy,
    };

    /// <summary>Data for a classification loss: inputs, targets, the loss and each sample's class.</summary>
    private static (float[] X, float[] Y, Loss Loss, int[] ClassOf) Classification(string lossName)
    {
        if (lossName == "bce")
        {
            var x = TestData.Uniform(60 * 37, -1f, 1f, seed: 3);
            // Soft targets too: the class is the rounded target (half to even, as NumPy rounds: 0.5 is class 0).
            var y = TestData.Uniform(60, 0f, 1f, seed: 4);
            y[0] = 0.5f;
            return (x, y, LossNamed(lossName), Array.ConvertAll(y, t => (int)MathF.Round(t, MidpointRounding.ToEven)));
        }

        var (inputs, oneHot) = TestData.Blobs(60, Features, Classes, seed: 3);
        var labels = OptimizerTrainingTests.ToLabels(oneHot, Classes);
        var classes = Array.ConvertAll(labels, l => (int)l);
        return lossName == "cce" ? (inputs, oneHot, LossNamed(lossName), classes) : (inputs, labels, LossNamed(lossName), classes);
    }

    /// <summary>Two shuffled epochs of Adam in batches of 7 (the last batch short) on a fresh model of the loss's kind.</summary>
    private static (float[] Parameters, IReadOnlyList<float> Loss) Train(
        float[] x, float[] y, Loss loss, IReadOnlyDictionary<int, float>? classWeight = null, float[]? sampleWeight = null)
    {
        // One target per 37 inputs: the binary model; else the four-class one.
        SequentialModel model = y.Length * 37 == x.Length ? new OddShapes(seed: 5) : new SmallClassifier(seed: 5);
        var history = model.Fit(x, y, 2, 7, loss, new Adam(0.01f), seed: 11, verbosity: Verbosity.Silent,
            classWeight: classWeight, sampleWeight: sampleWeight);
        return (model.Parameters.ToArray(), history.Loss);
    }
}
