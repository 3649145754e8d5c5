using System.Globalization;
using DeepGen.Layout;

namespace DeepGen;

// Normalization layers: their statistics come from the data (Adapt), not from training, and a model that would
// serve inputs with statistics nobody computed refuses to run.
public abstract partial class SequentialModel
{
    /// <summary>
    /// Computes every <see cref="NormalizationAttribute"/> layer's per-feature mean and population (biased) variance
    /// from the training inputs <paramref name="x"/>, as Keras's <c>layer.adapt(x)</c> does, and stores them in
    /// <see cref="NonTrainableWeights"/> with the count of values they came from; the layers are then adapted. A
    /// normalization that is the first layer reads <paramref name="x"/> directly; one after other layers reads those
    /// layers' inference outputs (no dropout), computed in forward passes of at most <paramref name="batchSize"/>
    /// samples, the layers adapted in order so each sees the ones before it already adapted. Sums are in double
    /// (two passes per batch, batches merged by Chan's rule). Adapting again replaces the statistics. Like
    /// <see cref="Load"/>, not safe while other threads predict or train with the model.
    /// </summary>
    /// <param name="x">The inputs, <c>[samples, InputSize]</c>: one sample or many one after another.</param>
    /// <param name="batchSize">Samples per forward pass when a normalization follows other layers.</param>
    /// <exception cref="InvalidOperationException">The model has no normalization layer.</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="x"/> is empty or not a whole number of samples, or holds a NaN or infinity (the message names
    /// the sample and the feature), or the layers before a normalization give a non-finite output (it names the layer
    /// and the sample).
    /// </exception>
    public void Adapt(ReadOnlySpan<float> x, int batchSize = DefaultInferenceBatchSize)
    {
        var layers = Architecture.Layers;
        if (!layers.Any(l => l.Kind == LayerKind.Normalization))
            throw new InvalidOperationException($"'{Architecture.ModelName}' has no [Normalization] layer to adapt.");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        CountInputSamples(x);
        CheckAdaptInput(x);
        foreach (var layer in layers)
            if (layer.Kind == LayerKind.Normalization)
                AdaptLayer(layer, x, batchSize);
    }

    /// <summary>Adapts one normalization layer, <paramref name="layer"/>: see <see cref="Adapt(ReadOnlySpan{float}, int)"/>.</summary>
    internal void AdaptOne(LayerInfo layer, ReadOnlySpan<float> x, int batchSize)
    {
        if (layer.Kind != LayerKind.Normalization)
            throw new InvalidOperationException($"Layer '{layer.Name}' of '{Architecture.ModelName}' is a {layer.Kind}; only a [Normalization] layer is adapted.");
        if (layer.Index >= Architecture.Layers.Count || !ReferenceEquals(Architecture.Layers[layer.Index], layer))
            throw new ArgumentException($"Layer '{layer.Name}' belongs to another model, not to '{Architecture.ModelName}'.", nameof(layer));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        CountInputSamples(x);
        CheckAdaptInput(x);
        AdaptLayer(layer, x, batchSize);
    }

    /// <summary>Whether normalization layer <paramref name="layer"/> holds statistics (adapted, or loaded from a file saved after Adapt).</summary>
    internal bool IsAdapted(LayerInfo layer) =>
        layer.Kind == LayerKind.Normalization && _state[layer.StateOffset + NormalizationState.Count(layer.OutputShape.Channels)] > 0f;

    private void AdaptLayer(LayerInfo layer, ReadOnlySpan<float> x, int batchSize)
    {
        var features = layer.OutputShape.Channels;
        var statistics = new Cpu.NormalizationStatistics(features);
        if (layer.Index == 0)
        {
            statistics.Add(x);
        }
        else
        {
            var previous = Architecture.Layers[layer.Index - 1];
            var inputSize = Architecture.InputSize;
            var samples = x.Length / inputSize;
            var passSize = Math.Min(Math.Min(batchSize, samples), Architecture.LargestInferencePass);
            var workspace = _inferenceWorkspaces.Rent(checked(passSize * Architecture.ActivationsPerSample));
            try
            {
                for (var start = 0; start < samples; start += passSize)
                {
                    var batch = Math.Min(passSize, samples - start);
                    var activations = workspace.AsSpan(0, batch * Architecture.ActivationsPerSample);
                    Forward(x.Slice(start * inputSize, batch * inputSize), activations, batch);
                    var inputs = activations.Slice(batch * previous.OutputOffsetPerSample, batch * previous.Units);
                    CheckLayerOutput(inputs, previous, layer, start);
                    statistics.Add(inputs);
                }
            }
            finally
            {
                _inferenceWorkspaces.Return(workspace);
            }
        }

        var state = _state.AsSpan(layer.StateOffset, NormalizationState.Size(features));
        statistics.WriteTo(state.Slice(NormalizationState.Mean(features), features), state.Slice(NormalizationState.Variance(features), features));
        state[NormalizationState.Count(features)] = statistics.Count;
    }

    /// <summary>Refuses a NaN or infinity in Adapt's inputs, naming the sample and the feature.</summary>
    private void CheckAdaptInput(ReadOnlySpan<float> x)
    {
        if (float.IsFinite(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(x))) return;
        var inputSize = Architecture.InputSize;
        var channels = Architecture.InputShape.Channels;
        for (var i = 0; i < x.Length; i++)
        {
            if (float.IsFinite(x[i])) continue;
            var position = i % inputSize;
            var where = Architecture.InputShape.Rank == 1
                ? $"feature {position}"
                : $"input value {position} (channel {position % channels})";
            throw new ArgumentException(
                $"'x' holds {x[i].ToString(CultureInfo.InvariantCulture)} at sample {i / inputSize}, {where}; Adapt computes the statistics from finite values only: drop or fill that value first.", nameof(x));
        }
    }

    private static void CheckLayerOutput(ReadOnlySpan<float> values, LayerInfo previous, LayerInfo layer, int firstSample)
    {
        if (float.IsFinite(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(values))) return;
        for (var i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i]))
                throw new ArgumentException(
                    $"Layer '{previous.Name}' gives {values[i].ToString(CultureInfo.InvariantCulture)} for sample {firstSample + i / previous.Units} of 'x', which normalization '{layer.Name}' would adapt on; its statistics need finite values.", "x");
    }

    /// <summary>
    /// Throws when a normalization layer was never adapted, so a model never trains or predicts on unscaled inputs.
    /// Allocation-free: Predict calls it on every call.
    /// </summary>
    private void ThrowIfNotAdapted()
    {
        var layers = Architecture.Layers;
        for (var i = 0; i < layers.Count; i++) // an index loop: foreach over the interface would box its enumerator
        {
            var layer = layers[i];
            if (layer.Kind == LayerKind.Normalization && !IsAdapted(layer))
                throw new InvalidOperationException(
                    $"Normalization layer '{layer.Name}' of '{Architecture.ModelName}' has not been adapted: it has no mean and variance, so inputs would be " +
                    $"used with the wrong scaling. Call model.Adapt(xTrain) (or model.{layer.Name}.Adapt(xTrain)) with the training inputs first, or Load weights saved after Adapt.");
        }
    }
}
