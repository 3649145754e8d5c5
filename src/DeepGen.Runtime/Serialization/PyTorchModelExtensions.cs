using DeepGen.Serialization;

namespace DeepGen;

/// <summary><c>model.LoadPyTorch(path)</c>: weights saved by PyTorch as safetensors; see <see cref="PyTorchWeights"/>.</summary>
public static class PyTorchModelExtensions
{
    /// <summary>
    /// Loads a PyTorch MLP's safetensors weights, transposing each <c>[out, in]</c> weight into DeepGen's
    /// <c>[in, out]</c>. Without <paramref name="layerPrefixes"/> the file's Linear layers are taken in natural
    /// order of their names; with it, each DeepGen layer name maps to the PyTorch module path it takes.
    /// </summary>
    /// <exception cref="InvalidModelFileException">The file is malformed or does not fit the model; the model is unchanged.</exception>
    public static void LoadPyTorch(this SequentialModel model, string path, IReadOnlyDictionary<string, string>? layerPrefixes = null)
    {
        if (layerPrefixes is null) PyTorchWeights.Load(model, path);
        else PyTorchWeights.Load(model, path, layerPrefixes);
    }
}
