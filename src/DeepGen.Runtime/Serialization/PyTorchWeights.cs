using System.Globalization;

namespace DeepGen.Serialization;

/// <summary>
/// Loads the weights of a PyTorch network of <c>nn.Linear</c>, <c>nn.Conv2d</c> and <c>nn.BatchNorm1d</c> /
/// <c>nn.BatchNorm2d</c> layers saved as safetensors (<c>safetensors.torch.save_file(model.state_dict(), …)</c>) into
/// a DeepGen model of the same shape.
/// </summary>
/// <remarks>
/// <para>
/// PyTorch's <c>nn.Linear</c> stores <c>{module}.weight</c> as <c>[out_features, in_features]</c> and
/// <c>{module}.bias</c> as <c>[out_features]</c>; DeepGen stores a dense layer's weights as <c>[inputs, units]</c>
/// (Keras's layout). <c>nn.Conv2d</c> stores <c>[out_channels, in_channels, kernel_height, kernel_width]</c>;
/// DeepGen stores a convolution's as Keras's <c>[kernel, kernel, inChannels, filters]</c>. Weights are transposed on
/// the way in; biases (<c>[out]</c>) are copied. A layer declared with <c>UseBias = false</c> takes a module built
/// with <c>bias=False</c>, which has no <c>.bias</c> tensor; a bias in the file for such a layer is refused by name
/// rather than dropped. Layers without weights (pooling, <c>Flatten</c>, <c>Reshape</c>) take nothing from the file.
/// </para>
/// <para>
/// Batch normalization. <c>nn.BatchNorm1d</c> and <c>nn.BatchNorm2d</c> store <c>{module}.weight</c> (gamma),
/// <c>{module}.bias</c> (beta), <c>{module}.running_mean</c> and <c>{module}.running_var</c>, each <c>[num_features]</c>,
/// and <c>{module}.num_batches_tracked</c>, an int64 count that is accepted whatever its dtype and ignored. A
/// <c>[BatchNormalization]</c> layer takes gamma and beta into its weights and bias and the running statistics into
/// its moving mean and variance in <see cref="SequentialModel.NonTrainableWeights"/>, all as they are: PyTorch also
/// normalizes the channels, which DeepGen keeps last. A running variance below zero is refused. The file holds
/// neither <c>eps</c> nor <c>momentum</c>, so the layer's own are used, and their defaults differ: PyTorch's
/// <c>eps</c> is 1e-5 and Keras's (DeepGen's) <c>Epsilon</c> 1e-3, so declare the module's, e.g.
/// <c>[BatchNormalization(Epsilon = 1e-5)]</c>, or the outputs differ. PyTorch's <c>momentum</c> weighs the new batch
/// and Keras's the old statistics (PyTorch's 0.1 is <c>Momentum = 0.9</c>); it matters only to further training.
/// </para>
/// <para>
/// Normalization. A state dict has nothing that corresponds to Keras's <c>Normalization</c> (a PyTorch pipeline
/// scales its inputs outside the network), so a <c>[Normalization]</c> layer takes nothing from the file, may not be
/// named in a layer map, and keeps the statistics it has: adapted before the import, it stays adapted; if not, call
/// <see cref="SequentialModel.Adapt(ReadOnlySpan{float}, int)"/> on the training inputs (before or after the import),
/// because until then <c>Fit</c>, <c>Evaluate</c> and <c>Predict</c> refuse to run and name the layer. The network's
/// other layers then see normalized inputs where the PyTorch network saw what its own pipeline gave it: adapt on the
/// data the PyTorch network was trained on, or its outputs differ.
/// </para>
/// <para>
/// Flattening. PyTorch keeps images channels first and flattens them in <c>(channels, height, width)</c> order;
/// DeepGen keeps them channels last and flattens in <c>(height, width, channels)</c> order. So a dense layer that
/// reads a flattened image (through <c>Flatten</c>, <c>Reshape</c> and <c>Normalization</c> layers, which keep the order of the values,
/// back to the nearest <c>(height, width, channels)</c> shape, the model's input included) has its input rows
/// permuted from PyTorch's order to DeepGen's; the model then gives, on an image in DeepGen's layout, what the
/// PyTorch network gives on the same image channels first. A dense layer after a global pooling reads one value per
/// channel, the same order in both, and is not permuted.
/// </para>
/// <para>
/// Name mapping. By default the file's Linear, Conv2d and BatchNorm layers are taken in order and matched, in order,
/// to the model's layers that have weights: every 2-D or 4-D tensor named <c>{prefix}.weight</c> together with
/// <c>{prefix}.bias</c> is one layer, and so is every 1-D one whose module also has a <c>running_mean</c> or a
/// <c>running_var</c> (a BatchNorm's, with those two); prefixes are ordered naturally, comparing digit runs as
/// numbers — so <c>nn.Sequential</c>'s <c>0, 2, 4, …, 10</c> and named modules <c>fc1, fc2, …, fc10</c> come out in layer order.
/// Where the names do not sort in layer order (<c>encoder</c>, <c>decoder</c>), pass an explicit map from each
/// DeepGen layer with weights (<see cref="LayerInfo.Name"/>, <c>Dense0</c> or the name given with <c>Name =</c>) to
/// its PyTorch module path.
/// </para>
/// <para>
/// Everything is checked before any weight is copied, and on any problem the model keeps its weights and an
/// <see cref="InvalidModelFileException"/> names it: a malformed file, a missing tensor, a tensor the model has no
/// place for (a bias for a bias-free layer among them), a shape that is not the layer's PyTorch shape, a dtype
/// other than F32 (but <c>num_batches_tracked</c>'s), a value that is NaN or infinite, or a negative running
/// variance. Only the header and the model's own tensors are read, so memory stays bounded by the model's size. Activations are not recorded in a state dict: the model's own (its
/// attributes) are used.
/// </para>
/// </remarks>
public static class PyTorchWeights
{
    private const string WeightSuffix = ".weight";
    private const string BiasSuffix = ".bias";
    private const string RunningMeanSuffix = ".running_mean";
    private const string RunningVarianceSuffix = ".running_var";
    private const string BatchCountSuffix = ".num_batches_tracked";

    /// <summary>
    /// The prefixes (module paths) of the Linear layers in <paramref name="file"/>, in the order the default mapping
    /// assigns them to a model's layers.
    /// </summary>
    public static IReadOnlyList<string> LinearLayerPrefixes(SafeTensorsFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var prefixes = new List<string>();
        foreach (var tensor in file.Tensors)
            if (tensor.Name.EndsWith(WeightSuffix, StringComparison.Ordinal) && tensor.Shape.Length == 2)
                prefixes.Add(tensor.Name[..^WeightSuffix.Length]);
        prefixes.Sort(NaturalOrder);
        return prefixes;
    }

    /// <summary>
    /// The prefixes (module paths) of the Linear, Conv2d and BatchNorm layers in <paramref name="file"/> (2-D and 4-D
    /// <c>.weight</c> tensors, and 1-D ones of a module with running statistics), in the order the default mapping
    /// assigns them to a model's layers with weights.
    /// </summary>
    public static IReadOnlyList<string> LayerPrefixes(SafeTensorsFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var prefixes = new List<string>();
        foreach (var tensor in file.Tensors)
        {
            if (!tensor.Name.EndsWith(WeightSuffix, StringComparison.Ordinal)) continue;
            var prefix = tensor.Name[..^WeightSuffix.Length];
            if (tensor.Shape.Length is 2 or 4 || (tensor.Shape.Length == 1 && HasRunningStatistics(file, prefix))) prefixes.Add(prefix);
        }

        prefixes.Sort(NaturalOrder);
        return prefixes;
    }

    /// <summary>Whether the module at <paramref name="prefix"/> keeps a running mean or variance: a BatchNorm's.</summary>
    private static bool HasRunningStatistics(SafeTensorsFile file, string prefix) =>
        file.TryGetTensor(prefix + RunningMeanSuffix, out _) || file.TryGetTensor(prefix + RunningVarianceSuffix, out _);

    /// <summary>Loads the file's Linear, Conv2d and BatchNorm layers, in order (see the remarks), into the model's layers with weights.</summary>
    /// <exception cref="InvalidModelFileException">The file is malformed or does not fit the model; the model is unchanged.</exception>
    public static void Load(SequentialModel model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        LoadFrom(model, SafeTensorsFile.Open(handle, path, SequentialModel.MaxTensorsToRead(model.Architecture)), path);
    }

    /// <summary><see cref="Load(SequentialModel, string)"/> from a file already open (or read): <paramref name="path"/> names it in messages.</summary>
    internal static void LoadFrom(SequentialModel model, SafeTensorsFile file, string path)
    {
        var prefixes = LayerPrefixes(file);
        var layers = model.Architecture.Layers.Where(l => l.HasWeights).ToList();
        if (prefixes.Count != layers.Count)
        {
            var kinds = prefixes.Any(p => HasRunningStatistics(file, p)) ? "Linear, Conv2d or BatchNorm"
                : prefixes.Count == LinearLayerPrefixes(file).Count ? "Linear" : "Linear or Conv2d";
            throw new InvalidModelFileException(
                $"'{path}' holds {prefixes.Count} {kinds} layer(s) ({Describe(prefixes)}) but '{model.Architecture.ModelName}' has {layers.Count} with weights " +
                $"({string.Join(", ", layers.Select(l => l.Name))}). Pass an explicit layer map if the file holds other modules too.");
        }

        Load(model, file, path, layers.Select((l, i) => (l.Name, Prefix: prefixes[i])).ToDictionary(p => p.Name, p => p.Prefix, StringComparer.Ordinal));
    }

    /// <summary>
    /// Loads the file's Linear, Conv2d and BatchNorm layers named by <paramref name="layerPrefixes"/>: for each of the
    /// model's layers with weights, by its name, the PyTorch module path whose <c>.weight</c> and <c>.bias</c> (and a
    /// batch normalization's running statistics) it takes (for example
    /// <c>{ ["Hidden"] = "encoder.0", ["Output"] = "head" }</c>). Every layer with weights must be mapped, no
    /// layer without, and every tensor in the file must be used.
    /// </summary>
    /// <exception cref="InvalidModelFileException">The file is malformed or does not fit the model; the model is unchanged.</exception>
    public static void Load(SequentialModel model, string path, IReadOnlyDictionary<string, string> layerPrefixes)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(layerPrefixes);
        var layers = model.Architecture.Layers;
        var unknown = layerPrefixes.Keys.Where(name => !layers.Any(l => l.Name == name)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException(
                $"The layer map names {string.Join(", ", unknown.Select(n => $"'{n}'"))}, which '{model.Architecture.ModelName}' does not have. Its layers: {string.Join(", ", layers.Select(l => l.Name))}.",
                nameof(layerPrefixes));
        var weightless = layers.Where(l => !l.HasWeights && layerPrefixes.ContainsKey(l.Name)).Select(l => $"'{l.Name}' ({l.Kind})").ToList();
        if (weightless.Count > 0)
            throw new ArgumentException($"The layer map names {string.Join(", ", weightless)}, which has no weights to load.", nameof(layerPrefixes));
        var unmapped = layers.Where(l => l.HasWeights && !layerPrefixes.ContainsKey(l.Name)).Select(l => l.Name).ToList();
        if (unmapped.Count > 0)
            throw new ArgumentException($"The layer map does not say where layer(s) {string.Join(", ", unmapped)} come from.", nameof(layerPrefixes));
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        Load(model, SafeTensorsFile.Open(handle, path, SequentialModel.MaxTensorsToRead(model.Architecture)), path, layerPrefixes);
    }

    private static void Load(SequentialModel model, SafeTensorsFile file, string path, IReadOnlyDictionary<string, string> layerPrefixes)
    {
        // Names, dtypes and shapes first, from the header alone; then the data of exactly these tensors.
        var architecture = model.Architecture;
        var wanted = new List<(LayerInfo Layer, SafeTensorEntry Weight, SafeTensorEntry? Bias, SafeTensorEntry? Mean, SafeTensorEntry? Variance)>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var layer in architecture.Layers)
        {
            if (!layer.HasWeights) continue;
            var prefix = layerPrefixes[layer.Name];
            var weightName = prefix + WeightSuffix;
            var biasName = prefix + BiasSuffix;
            if (!used.Add(weightName))
                throw new ArgumentException($"The layer map gives module '{prefix}' to more than one layer.", nameof(layerPrefixes));
            var weight = FindTensor(file, path, weightName, layer, TorchWeightShape(layer));
            SafeTensorEntry? bias = null;
            if (layer.UseBias)
            {
                used.Add(biasName);
                bias = FindTensor(file, path, biasName, layer, [layer.BiasCount]);
            }
            else if (file.TryGetTensor(biasName, out var unexpected))
            {
                throw new InvalidModelFileException(
                    $"'{path}' holds '{biasName}' {Format(unexpected.Shape)}, but layer '{layer.Name}' has no bias (UseBias = false) and takes " +
                    $"only '{weightName}'. Save that module with bias=False, or give the layer a bias.");
            }

            SafeTensorEntry? mean = null, variance = null;
            if (layer.Kind == LayerKind.BatchNormalization)
            {
                long[] channels = [layer.OutputShape.Channels];
                mean = FindTensor(file, path, prefix + RunningMeanSuffix, layer, channels);
                variance = FindTensor(file, path, prefix + RunningVarianceSuffix, layer, channels);
                used.Add(mean.Name);
                used.Add(variance.Name);
                // A count of training batches, int64 (absent before PyTorch 0.4.1): nothing in DeepGen uses it, so
                // neither its dtype nor its value matters, and it is never read.
                if (file.TryGetTensor(prefix + BatchCountSuffix, out var batchCount)) used.Add(batchCount.Name);
            }

            wanted.Add((layer, weight, bias, mean, variance));
        }

        var extra = file.Tensors.Where(t => !used.Contains(t.Name)).Select(t => $"{t.Name} {Format(t.Shape)}").ToList();
        if (extra.Count > 0)
            throw new InvalidModelFileException(
                $"'{path}' holds tensors that '{architecture.ModelName}' has no place for: {WeightChecks.List(extra)}. " +
                $"Expected exactly: {string.Join(", ", used)}.");

        var loaded = new float[architecture.ParameterCount];
        // The state the file does not hold (the last training batch's statistics) stays as it is.
        var loadedState = model.NonTrainableWeights.ToArray();
        foreach (var (layer, weight, bias, mean, variance) in wanted)
        {
            var torchWeights = new float[layer.WeightCount];
            file.ReadFloat32(weight, torchWeights);
            WeightChecks.RequireFinite(torchWeights, weight.Name, path);
            var weights = loaded.AsSpan(layer.WeightsOffset, layer.WeightCount);
            if (layer.Kind == LayerKind.Conv2D) CopyConvolution(weights, torchWeights, layer);
            else if (layer.Kind == LayerKind.BatchNormalization) torchWeights.CopyTo(weights);
            else CopyDense(weights, torchWeights, layer, FlattenedImage(architecture.Layers, layer.Index));
            if (bias is not null)
            {
                var biases = loaded.AsSpan(layer.BiasOffset, layer.BiasCount);
                file.ReadFloat32(bias, biases);
                WeightChecks.RequireFinite(biases, bias.Name, path);
            }

            if (mean is null || variance is null) continue;
            var channels = layer.OutputShape.Channels;
            var means = loadedState.AsSpan(layer.StateOffset, channels);
            file.ReadFloat32(mean, means);
            WeightChecks.RequireFinite(means, mean.Name, path);
            var variances = loadedState.AsSpan(layer.StateOffset + channels, channels);
            file.ReadFloat32(variance, variances);
            WeightChecks.RequireFinite(variances, variance.Name, path);
            RequireNotNegative(variances, variance.Name, path);
        }

        loaded.CopyTo(model.Parameters);
        loadedState.CopyTo(model.NonTrainableWeights);
    }

    /// <summary>A variance below zero is no variance: it would take the square root of a negative number.</summary>
    private static void RequireNotNegative(ReadOnlySpan<float> variances, string tensor, string path)
    {
        for (var i = 0; i < variances.Length; i++)
            if (variances[i] < 0f)
                throw new InvalidModelFileException(
                    $"Tensor '{tensor}' in '{path}' holds {variances[i].ToString(CultureInfo.InvariantCulture)} at index {i}; a running variance cannot be negative.");
    }

    /// <summary>
    /// The layer's weights as PyTorch saves them: <c>[out_features, in_features]</c>, <c>[out_channels, in_channels,
    /// kh, kw]</c> or a BatchNorm's <c>[num_features]</c>.
    /// </summary>
    private static long[] TorchWeightShape(LayerInfo layer) => layer.Kind switch
    {
        LayerKind.Conv2D => [layer.OutputShape.Channels, layer.InputShape.Channels, layer.KernelSize, layer.KernelSize],
        LayerKind.BatchNormalization => [layer.OutputShape.Channels],
        _ => [layer.Units, layer.Inputs],
    };

    /// <summary>PyTorch <c>[filters, in, kh, kw]</c> → DeepGen (Keras) <c>[kh, kw, in, filters]</c>.</summary>
    private static void CopyConvolution(Span<float> weights, float[] torch, LayerInfo layer)
    {
        int k = layer.KernelSize, inChannels = layer.InputShape.Channels, filters = layer.OutputShape.Channels;
        for (var f = 0; f < filters; f++)
            for (var c = 0; c < inChannels; c++)
                for (var y = 0; y < k; y++)
                    for (var x = 0; x < k; x++)
                        weights[((y * k + x) * inChannels + c) * filters + f] = torch[((f * inChannels + c) * k + y) * k + x];
    }

    /// <summary>
    /// PyTorch <c>[out, in]</c> → DeepGen <c>[in, out]</c>. Where the layer reads a flattened <paramref name="image"/>,
    /// DeepGen's input row <c>(h · width + w) · channels + c</c> takes PyTorch's column <c>(c · height + h) · width + w</c>.
    /// </summary>
    private static void CopyDense(Span<float> weights, float[] torch, LayerInfo layer, TensorShape? image)
    {
        for (var i = 0; i < layer.Inputs; i++)
        {
            var column = i;
            if (image is { } s)
            {
                var (pixel, c) = Math.DivRem(i, s.Channels);
                var (h, w) = Math.DivRem(pixel, s.Width);
                column = (c * s.Height + h) * s.Width + w;
            }

            for (var o = 0; o < layer.Units; o++)
                weights[i * layer.Units + o] = torch[o * layer.Inputs + column];
        }
    }

    /// <summary>
    /// The <c>(height, width, channels)</c> image whose values the dense layer at <paramref name="index"/> reads
    /// flattened: found by walking back through <c>Flatten</c>, <c>Reshape</c> and <c>Normalization</c> layers (which keep the order of the
    /// values) to the nearest image shape, the model's input included. Null where the walk ends at another kind of
    /// layer first (a dense layer, a global pooling), whose vector is ordered the same in PyTorch.
    /// </summary>
    internal static TensorShape? FlattenedImage(IReadOnlyList<LayerInfo> layers, int index)
    {
        var shape = layers[index].InputShape;
        for (var j = index - 1; shape.Rank != 3 && j >= 0 && layers[j].Kind is LayerKind.Flatten or LayerKind.Reshape or LayerKind.Normalization; j--)
            shape = layers[j].InputShape;
        return shape.Rank == 3 ? shape : null;
    }

    private static SafeTensorEntry FindTensor(SafeTensorsFile file, string path, string name, LayerInfo layer, long[] shape)
    {
        var role = layer.Kind switch
        {
            LayerKind.Conv2D => $"convolution '{layer.Name}' ({layer.InputShape.Channels} → {layer.OutputShape.Channels} channels, {layer.KernelSize}×{layer.KernelSize} kernel)",
            LayerKind.BatchNormalization => $"batch normalization '{layer.Name}' ({layer.OutputShape.Channels} channels)",
            _ => $"layer '{layer.Name}' ({layer.Inputs} inputs → {layer.Units} units)",
        };
        if (!file.TryGetTensor(name, out var entry))
            throw new InvalidModelFileException(
                $"'{path}' has no tensor '{name}' {Format(shape)} for {role}. It holds: {WeightChecks.List(file.Tensors.Select(t => $"{t.Name} {Format(t.Shape)}"))}.");
        if (entry.DType != "F32")
            throw new InvalidModelFileException(
                $"Tensor '{name}' in '{path}' is {entry.DType}; DeepGen loads F32 weights only (save them with tensor.float()).");
        if (!entry.Shape.SequenceEqual(shape))
            throw new InvalidModelFileException(
                $"Tensor '{name}' in '{path}' has shape {Format(entry.Shape)}, but {role} needs {Format(shape)}" +
                shape.Length switch
                {
                    1 when layer.Kind == LayerKind.BatchNormalization => " (PyTorch's BatchNorm [num_features]).",
                    2 => " (PyTorch's [out_features, in_features]).",
                    4 => " (PyTorch's [out_channels, in_channels, kernel_height, kernel_width]).",
                    _ => ".",
                });
        return entry;
    }

    /// <summary>Orders "fc2" before "fc10" and "2" before "10": digit runs compare as numbers, the rest ordinally.</summary>
    private static int NaturalOrder(string a, string b)
    {
        int i = 0, j = 0;
        while (i < a.Length && j < b.Length)
        {
            if (char.IsAsciiDigit(a[i]) && char.IsAsciiDigit(b[j]))
            {
                var startA = i;
                var startB = j;
                while (i < a.Length && char.IsAsciiDigit(a[i])) i++;
                while (j < b.Length && char.IsAsciiDigit(b[j])) j++;
                var digitsA = a.AsSpan(startA, i - startA).TrimStart('0');
                var digitsB = b.AsSpan(startB, j - startB).TrimStart('0');
                var byValue = digitsA.Length != digitsB.Length ? digitsA.Length.CompareTo(digitsB.Length) : digitsA.SequenceCompareTo(digitsB);
                if (byValue != 0) return byValue;
                continue;
            }

            if (a[i] != b[j]) return a[i].CompareTo(b[j]);
            i++;
            j++;
        }

        var byLength = (a.Length - i).CompareTo(b.Length - j);
        return byLength != 0 ? byLength : string.CompareOrdinal(a, b);
    }

    private static string Describe(IReadOnlyList<string> prefixes) => prefixes.Count == 0 ? "none" : string.Join(", ", prefixes);

    private static string Format(IEnumerable<long> shape) =>
        "[" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";
}
