using DeepGen.EndToEnd.Tests.Models;
using DeepGen.Serialization;

namespace DeepGen.EndToEnd.Tests;

/// <summary>
/// One test per way a checkpoint can be refused: each is an edit of a real checkpoint, resumed into a model and
/// optimizer that have trained. The refusal names the file and the problem, and the model's weights, its dropout
/// stream and the optimizer's state, iteration count and learning rate are bit for bit what they were.
/// </summary>
public sealed class CheckpointRefusalTests : IDisposable
{
    private const string EarlyStoppingPrefix = "callback.2."; // [BackupAndRestore, ReduceLROnPlateau, EarlyStopping]

    private readonly string _folder = Directory.CreateTempSubdirectory("deepgen-checkpoint-refusal-").FullName;
    private readonly (float[] X, float[] Y) _data = TestData.Blobs(samples: 120, features: 12, classes: 3, seed: 51);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static TheoryData<string, string, string> MetadataEdits() => new()
    {
        { "optimizer.learning_rate", "-0.5", "optimizer.learning_rate" },
        { "optimizer.learning_rate", "fast", "optimizer.learning_rate" },
        { "optimizer.schedule_scale", "-1", "optimizer.schedule_scale" },
        { "optimizer.schedule_scale", "Infinity", "optimizer.schedule_scale" },
        { "optimizer.iterations", "-3", "optimizer.iterations" },
        { "optimizer.iterations", "99999999999999999999", "optimizer.iterations" },
        { "training.epoch", "1e3", "training.epoch" },
        { "model.random_state", "00000000000000000000000000000000", "all zeros" },
        { "training.shuffle_state", "0123456789abcdef0123456789abcdef", "shuffled differently" },
        { EarlyStoppingPrefix + "value.wait", "1.5", "'wait'" },
        { EarlyStoppingPrefix + "value.wait", "-1", "'wait'" },
        { EarlyStoppingPrefix + "value.best_epoch", "1e300", "'best_epoch'" },
        { EarlyStoppingPrefix + "value.best", "lowest", EarlyStoppingPrefix + "value.best" },
        { EarlyStoppingPrefix + "type", "DeepGen.ModelCheckpoint", "DeepGen.ModelCheckpoint" },
        { "callback.07.type", "DeepGen.EarlyStopping", "callback.07.type" },
    };

    [Theory]
    [MemberData(nameof(MetadataEdits))]
    public void A_metadata_value_that_is_wrong_is_refused_before_anything_changes(string key, string value, string named) =>
        AssertRefused((metadata, _) => metadata[key] = value, named);

    [Theory]
    [InlineData("optimizer.iterations", "optimizer.iterations")]
    [InlineData("model.random_state", "random stream")]
    [InlineData("optimizer.schedule_scale", "learning-rate schedule")]
    [InlineData(EarlyStoppingPrefix + "value.first_epoch", "'first_epoch'")]
    public void A_missing_metadata_value_is_refused_before_anything_changes(string key, string named) =>
        AssertRefused((metadata, _) => Assert.True(metadata.Remove(key)), named);

    [Theory]
    [InlineData(-1)]
    [InlineData(1)]
    [InlineData(-200)]
    public void Best_weights_of_the_wrong_length_are_refused_not_copied_in_part(int change) =>
        AssertRefused((_, tensors) => Resize(tensors, EarlyStoppingPrefix + "best_weights", change), "best weights");

    [Theory]
    [InlineData("optimizer.momentum", -1)]
    [InlineData("optimizer.velocity", 5)]
    [InlineData("Hidden.kernel", -16)]
    public void A_tensor_of_the_wrong_length_is_refused(string name, int change) =>
        AssertRefused((_, tensors) => Resize(tensors, name, change), name);

    [Fact]
    public void A_missing_optimizer_tensor_is_refused() =>
        AssertRefused((_, tensors) => tensors.RemoveAll(t => t.Name == "optimizer.velocity"), "optimizer.velocity");

    [Fact]
    public void Text_that_is_not_utf8_is_refused_as_an_invalid_file()
    {
        var (model, optimizer, path) = Prepare();
        var bytes = File.ReadAllBytes(path);
        var at = IndexOf(bytes, "DropoutClassifier"u8);
        bytes[at + 3] = 0xFF;
        File.WriteAllBytes(path, bytes);
        AssertRefusedUnchanged(model, optimizer, path, "safetensors");
    }

    [Fact]
    public void Resuming_with_another_seed_is_refused_before_the_weights_change()
    {
        var (model, optimizer, path) = Prepare();
        var before = Snapshot(model, optimizer);
        var error = Assert.Throws<InvalidModelFileException>(() => Train(model, optimizer, path, seed: 99));
        Assert.Contains(path, error.Message);
        Assert.Contains("shuffled differently", error.Message);
        AssertUnchanged(before, model, optimizer);
    }

    [Fact]
    public void A_checkpoint_past_the_epochs_asked_for_is_refused_before_the_weights_change()
    {
        var (model, optimizer, path) = Prepare();
        var before = Snapshot(model, optimizer);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Train(model, optimizer, path, epochs: 1));
        Assert.Equal("epochs", error.ParamName);
        Assert.Contains(path, error.Message);
        AssertUnchanged(before, model, optimizer);
    }

    private void AssertRefused(Action<Dictionary<string, string>, List<(string Name, int[] Shape, float[] Values)>> edit, string named)
    {
        var (model, optimizer, path) = Prepare();
        var (metadata, tensors) = CheckpointContents.Read(path);
        edit(metadata, tensors);
        SafeTensorsWriter.Write(path, tensors.Select(t => new TensorToWrite(t.Name, t.Shape, t.Values)).ToList(), metadata);
        AssertRefusedUnchanged(model, optimizer, path, named);
    }

    private void AssertRefusedUnchanged(SequentialModel model, Optimizer optimizer, string path, string named)
    {
        var before = Snapshot(model, optimizer);
        var error = Assert.Throws<InvalidModelFileException>(() => Train(model, optimizer, path));
        Assert.Contains(path, error.Message);
        Assert.Contains(named, error.Message);
        AssertUnchanged(before, model, optimizer);
    }

    /// <summary>A checkpoint of epoch 2, and a model and optimizer that went on to epoch 3 elsewhere (their state differs from it).</summary>
    private (SequentialModel Model, Optimizer Optimizer, string Path) Prepare()
    {
        var path = Path.Combine(_folder, "run.ckpt");
        Train(new DropoutClassifier(seed: 1), CreateOptimizer(), path, epochs: 2);
        var model = new DropoutClassifier(seed: 2);
        var optimizer = CreateOptimizer();
        model.Fit(_data.X, _data.Y, epochs: 3, batchSize: 16, Loss.CategoricalCrossEntropy, optimizer, seed: 3, verbosity: Verbosity.Silent);
        return (model, optimizer, path);
    }

    private static Optimizer CreateOptimizer() => new Adam(0.01f) { Schedule = new ExponentialDecay(0.01f, decaySteps: 4, decayRate: 0.8f) };

    private void Train(SequentialModel model, Optimizer optimizer, string path, int epochs = 3, int seed = 6) =>
        model.Fit(_data.X, _data.Y, epochs, batchSize: 16, Loss.CategoricalCrossEntropy, optimizer, seed: seed,
            verbosity: Verbosity.Silent, validationSplit: 0.25f,
            callbacks:
            [
                new BackupAndRestore(path, deleteOnTrainEnd: false),
                new ReduceLROnPlateau("val_loss", factor: 0.5f, patience: 0, minDelta: 10),
                new EarlyStopping("val_loss", patience: 5, restoreBestWeights: true),
            ]);

    private static void Resize(List<(string Name, int[] Shape, float[] Values)> tensors, string name, int change)
    {
        var index = tensors.FindIndex(t => t.Name == name);
        Assert.True(index >= 0, $"The checkpoint has no tensor '{name}'.");
        var values = tensors[index].Values;
        var resized = new float[values.Length + change];
        values.AsSpan(0, Math.Min(values.Length, resized.Length)).CopyTo(resized);
        tensors[index] = (name, [resized.Length], resized);
    }

    private static int IndexOf(byte[] bytes, ReadOnlySpan<byte> text)
    {
        var at = bytes.AsSpan().IndexOf(text);
        Assert.True(at >= 0);
        return at;
    }

    private static (float[] Parameters, RandomState? Random, float[][] State, long Iterations, float LearningRate) Snapshot(SequentialModel model, Optimizer optimizer) =>
        (model.Parameters.ToArray(), model.TrainingRandomState, optimizer.State.Select(s => s.Values.ToArray()).ToArray(), optimizer.Iterations, optimizer.LearningRate);

    private static void AssertUnchanged((float[] Parameters, RandomState? Random, float[][] State, long Iterations, float LearningRate) before,
        SequentialModel model, Optimizer optimizer)
    {
        Bitwise.AssertEqual(before.Parameters, model.Parameters, "Parameter");
        Assert.Equal(before.Random, model.TrainingRandomState);
        Assert.Equal(before.Iterations, optimizer.Iterations);
        Assert.Equal(before.LearningRate, optimizer.LearningRate);
        Assert.Equal(before.State.Length, optimizer.State.Count);
        for (var s = 0; s < before.State.Length; s++) Bitwise.AssertEqual(before.State[s], optimizer.State[s].Values, $"Optimizer state {optimizer.State[s].Name}");
    }
}
