using System.Globalization;
using DeepGen.Serialization;

namespace DeepGen;

public abstract partial class SequentialModel
{
    /// <summary>Metadata key naming the model class that wrote a file.</summary>
    public const string ModelMetadataKey = "deepgen.model";

    /// <summary>Metadata key holding the writer's <see cref="ModelArchitecture.Signature"/>.</summary>
    public const string ArchitectureMetadataKey = "deepgen.architecture";

    /// <summary>Metadata key of the file layout version.</summary>
    public const string FormatMetadataKey = "deepgen.format";

    private const string FormatVersion = "1";

    /// <summary>
    /// Saves the weights as a safetensors file: per layer <c>{Name}.kernel</c> <c>[inputs, units]</c> and
    /// <c>{Name}.bias</c> <c>[units]</c>, float32 little-endian, with the architecture in the metadata. The file is
    /// written beside its destination and then renamed over it, so a failed save never leaves half a file.
    /// </summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var tensors = new List<TensorToWrite>();
        foreach (var layer in Architecture.Layers)
        foreach (var tensor in layer.SavedTensors)
            tensors.Add(new TensorToWrite(tensor.Name, tensor.Shape, new ReadOnlyMemory<float>(tensor.IsState ? _state : _parameters, tensor.Offset, tensor.Length)));

        SafeTensorsWriter.Write(path, tensors, new Dictionary<string, string>
        {
            [FormatMetadataKey] = FormatVersion,
            [ModelMetadataKey] = Architecture.ModelName,
            [ArchitectureMetadataKey] = Architecture.Signature,
        });
    }

    /// <summary>
    /// Loads weights saved by <see cref="Save"/> (or any safetensors file with the same tensor names and shapes).
    /// Everything is checked before anything is copied: on any problem the model keeps its weights, bit for bit, and
    /// an <see cref="InvalidModelFileException"/> names the file and the problem — a malformed file, the model the file
    /// came from, a missing or unexpected tensor (both shapes for a wrong one), or a weight that is NaN or infinite.
    /// Only the header and this model's own tensors are read, so memory stays bounded by the model's size.
    /// </summary>
    /// <exception cref="InvalidModelFileException">The file is malformed or does not hold this model's weights; the model is unchanged.</exception>
    public void Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        LoadFrom(SafeTensorsFile.Open(handle, path, MaxTensorsToRead(Architecture)), path);
    }

    /// <summary><see cref="Load(string)"/> from a file already open (or read): <paramref name="path"/> names it in messages.</summary>
    internal void LoadFrom(SafeTensorsFile file, string path)
    {
        if (file.Metadata.TryGetValue(ArchitectureMetadataKey, out var signature) && signature != Architecture.Signature)
        {
            var writer = file.Metadata.TryGetValue(ModelMetadataKey, out var name) ? $"model '{name}'" : "another model";
            throw new InvalidModelFileException(
                $"'{path}' holds the weights of {writer} with architecture {signature}, not of '{Architecture.ModelName}' ({Architecture.Signature}).");
        }

        // Names and shapes first, from the header alone; then the data of exactly these tensors.
        var wanted = new List<(SafeTensorEntry Entry, ParameterTensor Tensor)>();
        var expected = new HashSet<string>(StringComparer.Ordinal);
        foreach (var layer in Architecture.Layers)
        foreach (var tensor in layer.SavedTensors)
        {
            wanted.Add((FindTensor(file, path, tensor.Name, Array.ConvertAll(tensor.Shape, d => (long)d)), tensor));
            expected.Add(tensor.Name);
        }

        var unexpected = file.Tensors.Select(t => t.Name).Where(n => !expected.Contains(n)).ToList();
        if (unexpected.Count > 0)
            throw new InvalidModelFileException(
                $"'{path}' holds tensors that '{Architecture.ModelName}' does not have: {WeightChecks.List(unexpected)}. Expected exactly: {string.Join(", ", expected)}.");

        var loaded = new float[_parameters.Length];
        var loadedState = new float[_state.Length];
        foreach (var (entry, tensor) in wanted)
        {
            var values = (tensor.IsState ? loadedState : loaded).AsSpan(tensor.Offset, tensor.Length);
            file.ReadFloat32(entry, values);
            WeightChecks.RequireFinite(values, entry.Name, path);
        }

        loaded.CopyTo(_parameters, 0);
        loadedState.CopyTo(_state, 0);
    }

    /// <summary>
    /// The most tensors a weights file for <paramref name="architecture"/> is read with: its own and a
    /// margin, so that a few extra tensors are still named in the error while a header of millions is refused early.
    /// </summary>
    internal static int MaxTensorsToRead(ModelArchitecture architecture) => architecture.Layers.Sum(l => l.SavedTensors.Count()) + 100;

    private static SafeTensorEntry FindTensor(SafeTensorsFile file, string path, string name, long[] shape)
    {
        if (!file.TryGetTensor(name, out var entry))
            throw new InvalidModelFileException(
                $"'{path}' has no tensor '{name}' (shape {Format(shape)}). It holds: {WeightChecks.List(file.Tensors.Select(t => $"{t.Name} {Format(t.Shape)}"))}.");
        if (!entry.Shape.SequenceEqual(shape))
            throw new InvalidModelFileException(
                $"Tensor '{name}' in '{path}' has shape {Format(entry.Shape)}, but this model needs {Format(shape)}.");
        if (entry.DType != "F32")
            throw new InvalidModelFileException($"Tensor '{name}' in '{path}' is {entry.DType}; DeepGen loads F32 weights only.");
        return entry;
    }

    private static string Format(IEnumerable<long> shape) =>
        "[" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";
}
