using System.Globalization;
using DeepGen.Serialization;

namespace DeepGen;

/// <summary>
/// Everything a training run needs to resume exactly where it stopped, as one safetensors file: the weights (one
/// tensor per layer, named as <see cref="SequentialModel.Save"/> names them), each optimizer state buffer
/// (<c>optimizer.{name}</c>), and the callbacks' saved arrays (<c>callback.{index}.{name}</c>); in the metadata, the
/// model and its architecture, the epochs done, the optimizer's type, learning rate (with a schedule, the factor
/// callbacks rescaled it by) and iteration count, the state of Fit's shuffling stream, the model's own training random
/// stream (dropout) and the callbacks' saved numbers.
/// </summary>
/// <remarks>
/// <para>
/// Written atomically (temporary file, then rename), like every DeepGen save, at the end of an epoch. A resumed
/// <see cref="SequentialModel.Fit"/> replays the shuffles of the epochs already done from its seed, then checks that
/// the shuffling stream is in the saved state, so a checkpoint resumed with a different seed or data size fails loudly
/// instead of drifting. A run stopped in the middle of an epoch resumes from the end of the last finished one; either
/// way it ends bit for bit where an uninterrupted run ends, for every optimizer, with dropout and schedules.
/// </para>
/// <para>
/// A checkpoint is checked in full before it changes anything: a malformed one, or one from another model,
/// optimizer, set of callbacks or run, is refused with an <see cref="InvalidModelFileException"/> naming the file and
/// the problem, and leaves the model's weights, its dropout stream and the optimizer's state as they were.
/// </para>
/// </remarks>
public sealed class TrainingCheckpoint
{
    /// <summary>Metadata key marking a training checkpoint, holding its layout version.</summary>
    public const string CheckpointMetadataKey = "deepgen.checkpoint";

    private const string FormatVersion = "1";
    private const string EpochKey = "training.epoch";
    private const string OptimizerTypeKey = "optimizer.type";
    private const string LearningRateKey = "optimizer.learning_rate";
    private const string ScheduleScaleKey = "optimizer.schedule_scale";
    private const string IterationsKey = "optimizer.iterations";
    private const string ShuffleStateKey = "training.shuffle_state";
    private const string ModelRandomStateKey = "model.random_state";
    private const string OptimizerTensorPrefix = "optimizer.";
    private const string CallbackPrefix = "callback.";
    private const string CallbackTypeField = "type";
    private const string CallbackValuePrefix = "value.";

    private readonly SafeTensorsFile _file;
    private readonly SortedDictionary<int, SavedCallback> _callbacks;

    // Reads and checks everything the file can be checked for on its own; Restore checks it against the run.
    private TrainingCheckpoint(string path, SafeTensorsFile file)
    {
        Path = path;
        _file = file;
        var metadata = file.Metadata;
        if (!metadata.TryGetValue(CheckpointMetadataKey, out var version))
            throw Invalid("it has no training-checkpoint metadata (a file from SequentialModel.Save holds weights only; load it with Load)");
        if (version != FormatVersion) throw Invalid($"its checkpoint layout version is '{version}'; this DeepGen reads version {FormatVersion}");
        ModelName = Required(SequentialModel.ModelMetadataKey);
        ArchitectureSignature = Required(SequentialModel.ArchitectureMetadataKey);
        Epoch = ParseInt(EpochKey);
        OptimizerType = Required(OptimizerTypeKey);
        // A scheduled rate may be zero (a decay's end, a warm-up's start; a plateau's float.Epsilon rescaling can round
        // the scale itself to zero); a constant rate never is.
        ScheduleScale = metadata.ContainsKey(ScheduleScaleKey) ? ParseFloat(ScheduleScaleKey, allowZero: true) : null;
        LearningRate = ParseFloat(LearningRateKey, allowZero: ScheduleScale is not null);
        Iterations = ParseLong(IterationsKey);
        ShuffleState = ParseState(ShuffleStateKey);
        ModelRandomState = metadata.ContainsKey(ModelRandomStateKey) ? ParseState(ModelRandomStateKey) : null;
        if (ModelRandomState is { S0: 0, S1: 0, S2: 0, S3: 0 })
            throw Invalid($"its '{ModelRandomStateKey}' is all zeros, a state the random stream can never be in");
        foreach (var tensor in file.Tensors)
            if (tensor.DType != "F32") throw Invalid($"tensor '{tensor.Name}' is {tensor.DType}; a checkpoint holds F32 tensors only");
        _callbacks = ReadCallbacks();
    }

    /// <summary>The file read (or the source name given with a stream).</summary>
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

    /// <summary>The factor the optimizer's learning-rate schedule was rescaled by, or null when it had no schedule.</summary>
    internal float? ScheduleScale { get; }

    /// <summary>Reads and checks the file's metadata; tensors are checked against the model when restored.</summary>
    /// <exception cref="InvalidModelFileException">The file is not a valid training checkpoint; the message names the file and the problem.</exception>
    public static TrainingCheckpoint Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return Read(stream, path);
    }

    /// <summary>Reads and checks a checkpoint from a stream (read to its end), as <see cref="Read(string)"/> does a file.</summary>
    /// <param name="stream">The checkpoint's bytes.</param>
    /// <param name="sourceName">Names the source in error messages and becomes <see cref="Path"/>.</param>
    /// <exception cref="InvalidModelFileException">The bytes are not a valid training checkpoint; the message names the source and the problem.</exception>
    public static TrainingCheckpoint Read(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentException.ThrowIfNullOrEmpty(sourceName);
        SafeTensorsFile file;
        try
        {
            file = SafeTensorsFile.Read(stream, sourceName);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            // The safetensors reader's own checks throw InvalidModelFileException; these come from deeper (text that is not UTF-8).
            throw new InvalidModelFileException($"'{sourceName}' is not a usable training checkpoint: it is not a readable safetensors file ({e.Message}).", e);
        }

        return new TrainingCheckpoint(sourceName, file);
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
        foreach (var tensor in layer.ParameterTensors)
            tensors.Add(new TensorToWrite(tensor.Name, tensor.Shape, parameters.Slice(tensor.Offset, tensor.Length)));

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
        // With a schedule the rate follows the iteration count; what a resume needs is the factor callbacks rescaled it by.
        if (optimizer.Schedule is not null) metadata[ScheduleScaleKey] = optimizer.ScheduleScale.ToString("R", CultureInfo.InvariantCulture);
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
    /// Everything is read and checked first, then the callbacks take their states (a callback may still refuse its
    /// state), and only then are the model and the optimizer changed: a checkpoint that fails leaves both as they were.
    /// </summary>
    /// <exception cref="InvalidModelFileException">The checkpoint is malformed, or from another model, optimizer or set of callbacks.</exception>
    /// <param name="shuffleState">Where the resumed run's shuffling stream stands after replaying the checkpoint's epochs.</param>
    internal void Restore(SequentialModel model, Optimizer optimizer, IReadOnlyList<Callback> callbacks, RandomState shuffleState)
    {
        var architecture = model.Architecture;
        if (ArchitectureSignature != architecture.Signature)
            throw Invalid($"it was written by model '{ModelName}' ({ArchitectureSignature}), not by '{architecture.ModelName}' ({architecture.Signature})");
        if (OptimizerType != optimizer.GetType().FullName)
            throw Invalid($"it holds the state of a {OptimizerType} optimizer, but this run uses {optimizer.GetType().FullName}");
        if (ScheduleScale is null != optimizer.Schedule is null)
            throw Invalid(ScheduleScale is null
                ? $"it has no '{ScheduleScaleKey}', so it was written by an optimizer with a constant learning rate (or by an older DeepGen, " +
                  "whose checkpoints do not resume a schedule exactly), but this run's optimizer has a learning-rate schedule"
                : "it was written by an optimizer with a learning-rate schedule, but this run's optimizer has none");
        if (ModelRandomState is null != model.TrainingRandomState is null)
            throw Invalid(ModelRandomState is null
                ? "it has no state for the model's training random stream (dropout), which this model has"
                : "it holds a training random stream state, but this model has none");
        if (ShuffleState != shuffleState)
            throw Invalid("it was written by a run that shuffled differently (another seed, sample count, validation split or shuffle setting); resume with the same arguments");

        var parameters = new float[architecture.ParameterCount];
        var modelTensors = new HashSet<string>(StringComparer.Ordinal);
        foreach (var layer in architecture.Layers)
        foreach (var tensor in layer.ParameterTensors)
        {
            ReadTensor(tensor.Name, Array.ConvertAll(tensor.Shape, d => (long)d), parameters.AsSpan(tensor.Offset, tensor.Length));
            modelTensors.Add(tensor.Name);
        }

        var optimizerState = optimizer.State;
        var optimizerTensors = optimizerState.Select(s => OptimizerTensorPrefix + s.Name).ToHashSet(StringComparer.Ordinal);
        var unexpected = _file.Tensors.Select(t => t.Name)
            .Where(n => !modelTensors.Contains(n) && !optimizerTensors.Contains(n) && !n.StartsWith(CallbackPrefix, StringComparison.Ordinal)).ToList();
        if (unexpected.Count > 0)
            throw Invalid($"it holds tensors that neither '{architecture.ModelName}' nor this {OptimizerType} has: {string.Join(", ", unexpected)}");
        var stateValues = new float[optimizerState.Count][];
        for (var s = 0; s < optimizerState.Count; s++)
        {
            stateValues[s] = new float[optimizerState[s].Values.Length];
            ReadTensor(OptimizerTensorPrefix + optimizerState[s].Name, [stateValues[s].Length], stateValues[s]);
        }

        var callbackStates = new CallbackState?[callbacks.Count];
        foreach (var (index, saved) in _callbacks)
        {
            if (index >= callbacks.Count || callbacks[index].GetType().FullName != saved.Type)
                throw Invalid($"it holds the state of a {saved.Type} as callback {index}, but this run's callback {index} is " +
                              (index < callbacks.Count ? callbacks[index].GetType().FullName : "absent") + "; resume with the same callbacks in the same order");
            var state = new CallbackState();
            foreach (var (name, value) in saved.Values) state.Values[name] = value;
            foreach (var (name, entry) in saved.Tensors)
            {
                var values = new float[entry.ByteLength / sizeof(float)];
                _file.ReadFloat32(entry, values);
                state.Tensors[name] = values;
            }

            callbackStates[index] = state;
        }

        // The callbacks first: the one step left that can fail, and it must fail before the model changes.
        for (var i = 0; i < callbacks.Count; i++)
        {
            if (callbackStates[i] is not { } state) continue;
            try
            {
                callbacks[i].LoadState(state);
            }
            catch (Exception e) when (e is InvalidModelFileException or ArgumentException or FormatException or InvalidOperationException
                                          or KeyNotFoundException or InvalidCastException or OverflowException)
            {
                throw Invalid($"callback {i} ({callbacks[i].GetType().FullName}) cannot take its saved state: {e.Message}", e);
            }
        }

        parameters.CopyTo(model.Parameters);
        for (var s = 0; s < optimizerState.Count; s++) stateValues[s].CopyTo(optimizerState[s].Values, 0);
        optimizer.Iterations = Iterations;
        optimizer.RestoreLearningRate(LearningRate, ScheduleScale ?? 1f);
        if (ModelRandomState is { } modelRandom) model.TrainingRandomState = modelRandom;
    }

    /// <summary>The callbacks' saved numbers and tensors, by callback index, every key checked.</summary>
    private SortedDictionary<int, SavedCallback> ReadCallbacks()
    {
        var callbacks = new SortedDictionary<int, SavedCallback>();
        SavedCallback For(string key, out string field)
        {
            // callback.{index}.{field}, the index written as Save writes it (no sign, no leading zeros).
            var rest = key[CallbackPrefix.Length..];
            var dot = rest.IndexOf('.', StringComparison.Ordinal);
            var indexText = dot < 0 ? rest : rest[..dot];
            if (dot <= 0 || !int.TryParse(indexText, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || Invariant(index) != indexText)
                throw Invalid($"'{key}' does not name a callback by its index (callback.{{index}}.{{name}})");
            field = rest[(dot + 1)..];
            if (field.Length == 0) throw Invalid($"'{key}' names no callback value");
            if (!callbacks.TryGetValue(index, out var saved)) callbacks[index] = saved = new SavedCallback();
            return saved;
        }

        foreach (var (key, value) in _file.Metadata)
        {
            if (!key.StartsWith(CallbackPrefix, StringComparison.Ordinal)) continue;
            var saved = For(key, out var field);
            if (field == CallbackTypeField)
            {
                saved.Type = value;
            }
            else if (field.StartsWith(CallbackValuePrefix, StringComparison.Ordinal) && field.Length > CallbackValuePrefix.Length)
            {
                // Callbacks save counters and best values, which may be infinite (a best not yet set) or NaN, never text.
                if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
                    throw Invalid($"its '{key}' is '{value}', not a number");
                saved.Values[field[CallbackValuePrefix.Length..]] = number;
            }
            else
            {
                throw Invalid($"its metadata '{key}' is neither a callback's type nor one of its values");
            }
        }

        foreach (var tensor in _file.Tensors)
            if (tensor.Name.StartsWith(CallbackPrefix, StringComparison.Ordinal))
                For(tensor.Name, out var name).Tensors[name] = tensor;

        foreach (var (index, saved) in callbacks)
            if (saved.Type is null) throw Invalid($"it holds state for callback {index} but not the callback's type");
        return callbacks;
    }

    private void ReadTensor(string name, long[] shape, Span<float> destination)
    {
        if (!_file.TryGetTensor(name, out var entry)) throw Invalid($"it has no tensor '{name}'");
        if (!entry.Shape.AsSpan().SequenceEqual(shape))
            throw Invalid($"tensor '{name}' has shape [{string.Join(", ", entry.Shape)}]; [{string.Join(", ", shape)}] is needed");
        _file.ReadFloat32(entry, destination);
    }

    private string Required(string key) => _file.Metadata.TryGetValue(key, out var value) ? value : throw Invalid($"its metadata has no '{key}'");

    private int ParseInt(string key) => int.TryParse(Required(key), NumberStyles.None, CultureInfo.InvariantCulture, out var value)
        ? value
        : throw Invalid($"its '{key}' is '{Required(key)}', not a whole number from 0 to {int.MaxValue}");

    private long ParseLong(string key) => long.TryParse(Required(key), NumberStyles.None, CultureInfo.InvariantCulture, out var value)
        ? value
        : throw Invalid($"its '{key}' is '{Required(key)}', not a whole number from 0 to {long.MaxValue}");

    private float ParseFloat(string key, bool allowZero)
    {
        var text = Required(key);
        if (float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && float.IsFinite(value) && (value > 0f || (allowZero && value == 0f)))
            return value;
        throw Invalid($"its '{key}' is '{text}', not a {(allowZero ? "finite number, 0 or more" : "positive, finite number")}");
    }

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

    private InvalidModelFileException Invalid(string problem, Exception? inner = null) => new($"'{Path}' is not a usable training checkpoint: {problem}.", inner);

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>One callback's saved state as the file holds it.</summary>
    private sealed class SavedCallback
    {
        public string? Type { get; set; }

        public Dictionary<string, double> Values { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, SafeTensorEntry> Tensors { get; } = new(StringComparer.Ordinal);
    }
}
