using DeepGen.Serialization;

namespace DeepGen;

/// <summary><c>model.LoadPyTorch(path)</c>: weights saved by PyTorch as safetensors; see <see cref="PyTorchWeights"/>.</summary>
public static class PyTorchModelExtensions
{
    /// <summary>
    /// Loads the safetensors weights of a PyTorch network of Linear and Conv2d layers, transposing each Linear
    /// <c>[out, in]</c> weight into DeepGen's <c>[in, out]</c> and each Conv2d <c>[out, in, kh, kw]</c> weight into
    /// Keras's <c>[kh, kw, in, out]</c>; a dense layer that reads a flattened image has its input rows reordered from
    /// PyTorch's (channels, height, width) to DeepGen's (height, width, channels). Without
    /// <paramref name="layerPrefixes"/> the file's layers are taken in natural order of their names; with it, each
    /// DeepGen layer with weights maps, by name, to the PyTorch module path it takes.
    /// </summary>
    /// <exception cref="InvalidModelFileException">The file is malformed or does not fit the model; the model is unchanged.</exception>
    public static void LoadPyTorch(this SequentialModel model, string path, IReadOnlyDictionary<string, string>? layerPrefixes = null)
    {
        if (layerPrefixes is null) PyTorchWeights.Load(model, path);
        else PyTorchWeights.Load(model, path, layerPrefixes);
    }
}
