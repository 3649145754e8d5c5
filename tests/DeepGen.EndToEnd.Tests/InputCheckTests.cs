using DeepGen.EndToEnd.Tests.Models;

namespace DeepGen.EndToEnd.Tests;

/// <summary>
/// Predict and Embed refuse a NaN or infinite input on every path (into a span, into a new array, one sample, one pass,
/// several passes, passes shared among threads), naming its sample and feature and writing nothing.
/// </summary>
public class InputCheckTests
{
    private const int Features = 20, Outputs = 4;

    public static TheoryData<int, int, int, float> Cases() => new()
    {
        // samples, the bad sample, batch size, the bad value
        { 1, 0, 256, float.NaN },
        { 300, 257, 256, float.NaN }, // two passes
        { 300, 299, 7, float.PositiveInfinity }, // 43 passes: taken whole by threads where there are several
        { 40, 12, 40, float.NegativeInfinity },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Predict_refuses_a_value_that_is_not_finite_naming_sample_and_feature(int samples, int bad, int batchSize, float value)
    {
        var model = new SmallClassifier(seed: 1);
        var x = TestData.Uniform(samples * Features, -1f, 1f, seed: 2);
        x[bad * Features + 4] = value;
        var expected = $"'x' holds {value} at sample {bad}, feature 4; every value must be finite.";

        var predictions = new float[samples * Outputs];
        Array.Fill(predictions, 42f);
        Assert.Contains(expected, Assert.Throws<ArgumentException>(() => model.Predict(x, predictions, batchSize)).Message);
        Assert.All(predictions, p => Assert.Equal(42f, p)); // refused before any pass wrote
        Assert.Contains(expected, Assert.Throws<ArgumentException>(() => model.Predict(x, batchSize)).Message);
        Assert.Contains(expected, Assert.Throws<ArgumentException>(() => model.Embed("Hidden", x, batchSize)).Message);
        Assert.Contains(expected, Assert.Throws<ArgumentException>(() => model.Embed(model.Hidden, x, new float[samples * 32], batchSize)).Message);

        // The same data made finite predicts.
        x[bad * Features + 4] = 0.5f;
        model.Predict(x, predictions, batchSize);
        Assert.All(predictions, p => Assert.True(float.IsFinite(p) && p != 42f));
    }

    [Fact]
    public void Evaluate_refuses_a_value_that_is_not_finite_naming_sample_and_feature_or_target()
    {
        var model = new SmallClassifier(seed: 1);
        var (x, y) = TestData.Blobs(30, Features, Outputs, seed: 3);
        x[17 * Features + 19] = float.NaN;
        Assert.Contains("'x' holds NaN at sample 17, feature 19", Assert.Throws<ArgumentException>(
            () => model.Evaluate(x, y, loss: Loss.CategoricalCrossEntropy)).Message);
        x[17 * Features + 19] = 0f;
        y[29 * Outputs + 3] = float.NaN;
        Assert.Contains("'y' holds NaN at sample 29, target 3", Assert.Throws<ArgumentException>(
            () => model.Evaluate(x, y, loss: Loss.CategoricalCrossEntropy)).Message);
    }
}
