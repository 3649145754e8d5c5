using DeepGen.EndToEnd.Tests.Models;

namespace DeepGen.EndToEnd.Tests;

/// <summary>
/// Every optimizer and loss driving a generated model: a few steps reduce the loss, the non-fused path allocates
/// nothing, and an optimizer that is not plain SGD leaves the backward pass's gradients untouched.
/// </summary>
// Its allocation tests must not overlap the tests that change CpuBackend.MaxDegreeOfParallelism: a product that ran on
// one thread during their warm-up would first fetch its per-thread parallel job inside the measured calls.
[Collection(ThreadSettingsCollection.Name)]
public class OptimizerTrainingTests
{
    private const int Samples = 64;

    public static TheoryData<string> OptimizerNames() =>
        ["sgd", "sgd momentum", "sgd nesterov", "sgd weight decay", "sgd clipped", "adam", "adam amsgrad", "adamw",
         "adam cosine", "nadam", "rmsprop", "rmsprop centered momentum", "adagrad"];

    private static Optimizer Create(string name) => name switch
    {
        "sgd" => new Sgd(0.05f),
        "sgd momentum" => new Sgd(0.02f, momentum: 0.9f),
        "sgd nesterov" => new Sgd(0.02f, momentum: 0.9f, nesterov: true),
        "sgd weight decay" => new Sgd(0.05f, weightDecay: 0.01f),
        "sgd clipped" => new Sgd(0.05f) { GlobalClipNorm = 1f },
        "adam" => new Adam(0.01f),
        "adam amsgrad" => new Adam(0.01f, amsgrad: true),
        "adamw" => new AdamW(0.01f),
        "adam cosine" => new Adam { Schedule = new CosineDecay(0f, 40, warmupTarget: 0.01f, warmupSteps: 5) },
        "nadam" => new Nadam(0.01f),
        "rmsprop" => new RmsProp(0.005f),
        "rmsprop centered momentum" => new RmsProp(0.002f, momentum: 0.5f, centered: true),
        "adagrad" => new Adagrad(0.1f),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(OptimizerNames))]
    public void A_few_steps_reduce_the_loss(string name)
    {
        var (x, y) = TestData.Blobs(Samples, features: 20, classes: 4, seed: 3);
        var model = new SmallClassifier(seed: 4);
        var optimizer = Create(name);
        optimizer.Initialize(model.Parameters.Length);
        var before = MeanLoss(model, x, y, Loss.CategoricalCrossEntropy);
        for (var step = 0; step < 40; step++) model.TrainStep(x, y, Samples, Loss.CategoricalCrossEntropy, optimizer);
        var after = MeanLoss(model, x, y, Loss.CategoricalCrossEntropy);

        Assert.Equal(40, optimizer.Iterations);
        Assert.True(after < 0.7 * before, $"{optimizer}: the loss went from {before:G5} to {after:G5}.");
    }

    public static TheoryData<string> LossNames() => ["mae", "huber", "bce", "scce"];

    [Theory]
    [MemberData(nameof(LossNames))]
    public void Each_new_loss_trains_with_adam(string name)
    {
        var (x, oneHot) = TestData.Blobs(Samples, features: 20, classes: 4, seed: 5);
        var loss = name switch
        {
            "mae" => Loss.MeanAbsoluteError,
            "huber" => Loss.Huber,
            "bce" => Loss.BinaryCrossEntropy,
            _ => Loss.SparseCategoricalCrossEntropy,
        };
        var y = loss == Loss.SparseCategoricalCrossEntropy ? ToLabels(oneHot, 4) : oneHot;
        var model = new SmallClassifier(seed: 6);
        var optimizer = new Adam(0.01f);
        var before = MeanLoss(model, x, y, loss);
        for (var step = 0; step < 40; step++) model.TrainStep(x, y, Samples, loss, optimizer);
        var after = MeanLoss(model, x, y, loss);
        Assert.True(after < 0.7 * before, $"{loss.Name}: the loss went from {before:G5} to {after:G5}.");
    }

    [Theory]
    [InlineData("adam")]
    [InlineData("sgd momentum")]
    [InlineData("nadam")]
    public void A_training_step_with_a_stateful_optimizer_allocates_nothing(string name)
    {
        var model = new SeedMlp(seed: 1);
        var x = TestData.Uniform(50 * 784, 0f, 1f, seed: 1);
        var y = TestData.OneHot(50, 10, seed: 2);
        var optimizer = Create(name);
        for (var i = 0; i < 2; i++) model.TrainStep(x, y, 50, Loss.CategoricalCrossEntropy, optimizer);

        foreach (var threads in new[] { 1, 2 })
            Assert.Equal(0, AllocationTests.LeastAllocated(threads, () =>
            {
                for (var i = 0; i < 3; i++) model.TrainStep(x, y, 50, Loss.CategoricalCrossEntropy, optimizer);
            }));
    }

    [Fact]
    public void Sgd_with_clipping_leaves_the_fused_path_and_applies_the_clipped_step()
    {
        // A clip value far above every gradient element: the update equals the fused plain SGD one up to rounding.
        var (x, y) = TestData.Blobs(Samples, features: 20, classes: 4, seed: 7);
        var fused = new SmallClassifier(seed: 8);
        var unfused = new SmallClassifier(seed: 8);
        fused.TrainStep(x, y, Samples, Loss.CategoricalCrossEntropy, new Sgd(0.1f));
        unfused.TrainStep(x, y, Samples, Loss.CategoricalCrossEntropy, new Sgd(0.1f) { ClipValue = 1e6f });
        GradientCheckTests.AssertClose(Array.ConvertAll(fused.Parameters.ToArray(), v => (double)v), unfused.Parameters.ToArray(), 1e-6);

        // A tight clip value: every parameter moves by at most learning rate × clip value (and a rounding of θ).
        var clipped = new SmallClassifier(seed: 8);
        var start = clipped.Parameters.ToArray();
        clipped.TrainStep(x, y, Samples, Loss.CategoricalCrossEntropy, new Sgd(0.1f) { ClipValue = 1e-4f });
        var moved = clipped.Parameters.ToArray();
        for (var k = 0; k < start.Length; k++) Assert.True(Math.Abs(moved[k] - start[k]) <= 1.05e-5, $"Parameter {k} moved {moved[k] - start[k]}.");
        Assert.Contains(Enumerable.Range(0, start.Length), k => Math.Abs(moved[k] - start[k]) > 0.95e-5);
    }

    [Fact]
    public void Fit_takes_sparse_labels_and_refuses_one_that_is_not_a_class()
    {
        var (x, oneHot) = TestData.Blobs(200, features: 20, classes: 4, seed: 9);
        var labels = ToLabels(oneHot, 4);
        var model = new SmallClassifier(seed: 10);
        var history = model.Fit(x, labels, epochs: 5, batchSize: 20, Loss.SparseCategoricalCrossEntropy, new Adam(0.01f), verbosity: Verbosity.Silent);
        Assert.True(history.Loss[^1] < history.Loss[0] / 2, $"Loss went from {history.Loss[0]} to {history.Loss[^1]}.");
        Assert.True(history.Epochs[^1].Accuracy > 0.9f, $"Accuracy {history.Epochs[^1].Accuracy}.");

        labels[137] = 4f;
        var e = Assert.Throws<ArgumentException>(() =>
            model.Fit(x, labels, epochs: 1, batchSize: 200, Loss.SparseCategoricalCrossEntropy, new Adam(), shuffle: false, verbosity: Verbosity.Silent));
        Assert.Contains("Sample 137 has the label 4", e.Message);
    }

    internal static float[] ToLabels(float[] oneHot, int classes)
    {
        var labels = new float[oneHot.Length / classes];
        for (var s = 0; s < labels.Length; s++) labels[s] = Array.IndexOf(oneHot, 1f, s * classes, classes) - s * classes;
        return labels;
    }

    private static double MeanLoss(SequentialModel model, float[] x, float[] y, Loss loss) =>
        loss.Sum(model.Predict(x), y, Samples, model.Architecture.OutputSize) / Samples;
}
