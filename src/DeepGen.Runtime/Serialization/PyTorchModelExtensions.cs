using DeepGen.Serialization;

namespace DeepGen;

/// <summary><c>model.LoadPyTorch(path)</c>: weights saved by PyTorch as safetensors; see <see cref="PyTorchWeights"/>.</summary>
public static class PyTorchModelExtensions
{
    /// <summary>
    /// Loads the safetensors weights of a PyTorch network of Linear, Conv2d and BatchNorm1d/BatchNorm2d layers,
    /// transposing each Linear <c>[out, in]</c> weight into DeepGen's <c>[in, out]</c> and each Conv2d
    /// <c>[out, in, kh, kw]</c> weight into Keras's <c>[kh, kw, in, out]</c>; a dense layer that reads a flattened
    /// image has its input rows reordered from PyTorch's (channels, height, width) to DeepGen's (height, width,
    /// channels). A BatchNorm's weight, bias, running mean and running variance become a batch normalization's gamma,
    /// beta, moving mean and moving variance as they are (its <c>num_batches_tracked</c> is ignored). Without
    /// <paramref name="layerPrefixes"/> the file's layers are taken in natural order of their names; with it, each
    /// DeepGen layer with weights maps, by name, to the PyTorch module path it takes.
    /// </summary>
    /// <remarks>
    /// Only tensors are copied: a BatchNorm's <c>eps</c> and <c>momentum</c> are not in the file, and the layer's own
    /// are used. PyTorch's default <c>eps</c> is 1e-5 and DeepGen's (Keras's) 1e-3, so declare the module's, e.g.
    /// <c>[BatchNormalization(Epsilon = 1e-5)]</c>, or the outputs differ. PyTorch's <c>momentum</c> is the weight of
    /// the new batch, Keras's of the old statistics: PyTorch's 0.1 is <c>Momentum = 0.9</c>.
    /// </remarks>
    /// <exception cref="InvalidModelFileException">The file is malformed or does not fit the model; the model is unchanged.</exception>
    public static void LoadPyTorch(this SequentialModel model, string path, IReadOnlyDictionary<string, string>? layerPrefixes = null)
    {
        if (layerPrefixes is null) PyTorchWeights.Load(model, path);
        else PyTorchWeights.Load(model, path, layerPrefixes);
    }
}
