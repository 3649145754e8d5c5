using System.Globalization;
using DeepGen.Serialization;

namespace DeepGen;

/// <summary>
/// Everything a training run needs to resume exactly where it stopped, as one safetensors file: the weights (one
/// tensor per layer, named as <see cref="SequentialModel.Save"/> names them), each optimizer state buffer
/// (<c>optimizer.{name}</c>), and the callbacks' saved arrays (<c>callback.{index}.{name}</c>); in the metadata, the
/// model and its architecture, the epochs done, the optimizer's type, learning rate and iteration count, the state
/// of Fit's shuffling stream, the model's own training random stream (dropout) and the callbacks' saved numbers.
/// </summary>
/// <remarks>
/// Written atomically (temporary file, then rename), like every DeepGen save. A resumed <see cref="SequentialModel.Fit"/>
/// replays the shuffles of the epochs already done from its seed, then checks that the shuffling stream is in the
/// saved state, so a checkpoint resumed with a different seed or data size fails loudly instead of drifting.
/// </remarks>
public sealed class TrainingCheckpoint
{
    /// <summary>Metadata key marking a training checkpoint, holding its layout version.</summary>
    public const string CheckpointMetadataKey = "deepgen.checkpoint";

    private const string FormatVersion = "1";
    private const string EpochKey = "training.epoch";
    private const string OptimizerTypeKey = "optimizer.type";
    private const string LearningRateKey = "optimizer.learning_rate";
    private const string IterationsKey = "optimizer.iterations";
    private const string ShuffleStateKey = "training.shuffle_state";
    private const string ModelRandomStateKey = "model.random_state";
    private const string OptimizerTensorPrefix = "optimizer.";
    private const string CallbackPrefix = "callback.";

    private readonly SafeTensorsFile _file;

    private TrainingCheckpoint(string path, SafeTensorsFile file)
    {
        Path = path;
        _file = file;
        var metadata = file.Metadata;
        if (!metadata.TryGetValue(CheckpointMetadataKey, out var version))
            throw Invalid("it has no training-checkpoint metadata (a file from SequentialModel.Save holds weights only; load it with Load)");
        if (version != FormatVersion) throw Invalid($"its checkpoint layout version is {version}; this DeepGen reads version {FormatVersion}");
        ModelName = Required(SequentialModel.ModelMetadataKey);
        ArchitectureSignature = Required(SequentialModel.ArchitectureMetadataKey);
        Epoch = ParseInt(EpochKey);
        OptimizerType = Required(OptimizerTypeKey);
        LearningRate = float.Parse(Required(LearningRateKey), NumberStyles.Float, CultureInfo.InvariantCulture);
        Iterations = long.Parse(Required(IterationsKey), NumberStyles.Integer, CultureInfo.InvariantCulture);
        ShuffleState = ParseState(ShuffleStateKey);
        ModelRandomState = metadata.ContainsKey(ModelRandomStateKey) ? ParseState(ModelRandomStateKey) : null;
    }

    /// <summary>The file read.</summary>
    public string Path { get; }

    /// <summary>Epochs finished when the checkpoint was written; a resumed run continues with the next.</summary>
    public int Epoch { get; }

    /// <summary>The model class that wrote it.</summary>
    public string ModelName { get; }

    /// <summary>The writer's <see cref="ModelArchitecture.Signature"/>.</summary>
    public string ArchitectureSignature { get; }

    /// <summary>The optimizer's type (full name).</summary>
    public string OptimizerType { get; }

    /// <summary>The optimizer's learning rate.</summary>
    public float LearningRate { get; }

    /// <summary>The optimizer's iteration count.</summary>
    public long Iterations { get; }

    /// <summary>The state of Fit's shuffling stream after <see cref="Epoch"/> epochs.</summary>
    public RandomState ShuffleState { get; }

    /// <summary>The model's own training random stream (dropout), or null when it has none.</summary>
    public RandomState? ModelRandomState { get; }

    /// <summary>Reads and checks the file's metadata; tensors are checked when restored.</summary>
    /// <exception cref="InvalidModelFileException">The file is not a valid training checkpoint.</exception>
    public static TrainingCheckpoint Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new TrainingCheckpoint(path, SafeTensorsFile.Read(path));
    }

    /// <summary>Writes a checkpoint of a running Fit after its last finished epoch.</summary>
    internal static void Save(string path, TrainingContext context)
    {
        var model = context.Model;
        var optimizer = context.Optimizer;
        var architecture = model.Architecture;
        var parameters = new ReadOnlyMemory<float>(model.Parameters.ToArray());
        var tensors = new List<TensorToWrite>();
        foreach (var layer in architecture.Layers)
        {
            tensors.Add(new TensorToWrite(layer.WeightsTensorName, [layer.Inputs, layer.Units], parameters.Slice(layer.WeightsOffset, layer.Inputs * layer.Units)));
            tensors.Add(new TensorToWrite(layer.BiasTensorName, [layer.Units], parameters.Slice(layer.BiasOffset, layer.Units)));
        }

        foreach (var state in optimizer.State)
            tensors.Add(new TensorToWrite(OptimizerTensorPrefix + state.Name, [state.Values.Length], state.Values));

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [SequentialModel.FormatMetadataKey] = "1",
            [CheckpointMetadataKey] = FormatVersion,
            [SequentialModel.ModelMetadataKey] = architecture.ModelName,
            [SequentialModel.ArchitectureMetadataKey] = architecture.Signature,
            [EpochKey] = Invariant(context.CompletedEpoch),
            [OptimizerTypeKey] = optimizer.GetType().FullName!,
            [LearningRateKey] = optimizer.LearningRate.ToString("R", CultureInfo.InvariantCulture),
            [IterationsKey] = Invariant(optimizer.Iterations),
            [ShuffleStateKey] = context.ShuffleState.ToString(),
        };
        if (model.TrainingRandomState is { } modelRandom) metadata[ModelRandomStateKey] = modelRandom.ToString();

        for (var i = 0; i < context.Callbacks.Count; i++)
        {
            var callback = context.Callbacks[i];
            if (callback.SaveState() is not { } state) continue;
            var prefix = CallbackPrefix + Invariant(i) + ".";
            metadata[prefix + "type"] = callback.GetType().FullName!;
            foreach (var (name, value) in state.Values) metadata[prefix + "value." + name] = value.ToString("R", CultureInfo.InvariantCulture);
            foreach (var (name, values) in state.Tensors) tensors.Add(new TensorToWrite(prefix + name, [values.Length], values.ToArray()));
        }

        SafeTensorsWriter.Write(path, tensors, metadata);
    }

    /// <summary>
    /// Puts the checkpoint into a model, its optimizer (already initialised for the model) and the run's callbacks.
    /// Everything is checked before anything is changed.
    /// </summary>
    internal void Restore(SequentialModel model, Optimizer optimizer, IReadOnlyList<Callback> callbacks)
    {
        var architecture = model.Architecture;
        if (ArchitectureSignature != architecture.Signature)
            throw Invalid($"it was written by model '{ModelName}' ({ArchitectureSignature}), not by '{architecture.ModelName}' ({architecture.Signature})");
        if (OptimizerType != optimizer.GetType().FullName)
            throw Invalid($"it holds the state of a {OptimizerType} optimizer, but this run uses {optimizer.GetType().FullName}");
        if (ModelRandomState is null != model.TrainingRandomState is null)
            throw Invalid(ModelRandomState is null
                ? "it has no state for the model's training random stream (dropout), which this model has"
                : "it holds a training random stream state, but this model has none");

        var parameters = new float[architecture.ParameterCount];
        foreach (var layer in architecture.Layers)
        {
            ReadTensor(layer.WeightsTensorName, parameters.AsSpan(layer.WeightsOffset, layer.Inputs * layer.Units));
            ReadTensor(layer.BiasTensorName, parameters.AsSpan(layer.BiasOffset, layer.Units));
        }

        var optimizerState = optimizer.State;
        var expectedOptimizerTensors = optimizerState.Select(s => OptimizerTensorPrefix + s.Name).ToHashSet(StringComparer.Ordinal);
        var savedOptimizerTensors = _file.Tensors.Select(t => t.Name).Where(n => n.StartsWith(OptimizerTensorPrefix, StringComparison.Ordinal)).ToList();
        var unexpected = savedOptimizerTensors.Where(n => !expectedOptimizerTensors.Contains(n)).ToList();
        if (unexpected.Count > 0) throw Invalid($"it holds optimizer state this {OptimizerType} does not have: {string.Join(", ", unexpected)}");
        var stateValues = optimizerState.Select(s =>
        {
            var values = new float[s.Values.Length];
            ReadTensor(OptimizerTensorPrefix + s.Name, values);
            return values;
        }).ToList();

        var callbackStates = new CallbackState?[callbacks.Count];
        var metadata = _file.Metadata;
        var savedCallbackIndices = metadata.Keys.Where(k => k.StartsWith(CallbackPrefix, StringComparison.Ordinal) && k.EndsWith(".type", StringComparison.Ordinal))
            .Select(k => k[CallbackPrefix.Length..^".type".Length]).ToList();
        foreach (var indexText in savedCallbackIndices)
        {
            var type = metadata[CallbackPrefix + indexText + ".type"];
            if (!int.TryParse(indexText, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index >= callbacks.Count || callbacks[index].GetType().FullName != type)
                throw Invalid($"it holds the state of a {type} as callback {indexText}, but this run's callback {indexText} is " +
                              (int.TryParse(indexText, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < callbacks.Count ? callbacks[i].GetType().FullName : "absent") +
                              "; resume with the same callbacks in the same order");
            var prefix = CallbackPrefix + indexText + ".";
            var state = new CallbackState();
            foreach (var (key, value) in metadata)
                if (key.StartsWith(prefix + "value.", StringComparison.Ordinal))
                    state.Values[key[(prefix.Length + "value.".Length)..]] = double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture);
            foreach (var tensor in _file.Tensors.Where(t => t.Name.StartsWith(prefix, StringComparison.Ordinal)))
            {
                var values = new float[tensor.ByteLength / 4];
                _file.ReadFloat32(tensor, values);
                state.Tensors[tensor.Name[prefix.Length..]] = values;
            }

            callbackStates[index] = state;
        }

        parameters.CopyTo(model.Parameters);
        for (var s = 0; s < optimizerState.Count; s++) stateValues[s].CopyTo(optimizerState[s].Values, 0);
        optimizer.LearningRate = LearningRate;
        optimizer.Iterations = Iterations;
        if (ModelRandomState is { } modelRandom) model.TrainingRandomState = modelRandom;
        for (var i = 0; i < callbacks.Count; i++)
            if (callbackStates[i] is { } state) callbacks[i].LoadState(state);
    }

    private void ReadTensor(string name, Span<float> destination)
    {
        if (!_file.TryGetTensor(name, out var entry)) throw Invalid($"it has no tensor '{name}'");
        var count = entry.Shape.Aggregate(1L, (a, b) => a * b);
        if (count != destination.Length) throw Invalid($"tensor '{name}' holds {count} values; {destination.Length} are needed");
        _file.ReadFloat32(entry, destination);
    }

    private string Required(string key) => _file.Metadata.TryGetValue(key, out var value) ? value : throw Invalid($"its metadata has no '{key}'");

    private int ParseInt(string key) => int.TryParse(Required(key), NumberStyles.None, CultureInfo.InvariantCulture, out var value)
        ? value
        : throw Invalid($"its '{key}' is not a non-negative whole number");

    private RandomState ParseState(string key)
    {
        try
        {
            return RandomState.Parse(Required(key));
        }
        catch (FormatException e)
        {
            throw Invalid($"its '{key}' is not a random state ({e.Message})");
        }
    }

    private InvalidModelFileException Invalid(string problem) => new($"'{Path}' is not a usable training checkpoint: {problem}.");

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
