using DeepGen.Inference;

namespace DeepGen;

// Inference: the model's outputs, or one layer's activations, for a batch of inputs. Safe to call from many threads
// at once: each call runs its forward pass in an activation buffer rented from the model's workspace pool, and the
// forward pass reads nothing else of the model but its parameters.
public abstract partial class SequentialModel
{
    /// <summary>Samples per forward pass when a prediction does not say.</summary>
    public const int DefaultInferenceBatchSize = 256;

    private readonly InferenceWorkspacePool _inferenceWorkspaces = new(InferenceWorkspacePool.DefaultCapacity);

    /// <summary>
    /// The model's outputs for every sample of <paramref name="x"/> (one sample, or many one after another) into
    /// <paramref name="predictions"/> (<c>[samples, OutputSize]</c>), in forward passes of at most
    /// <paramref name="batchSize"/> samples.
    /// </summary>
    /// <remarks>
    /// Many threads may call this (and <see cref="Embed(string, ReadOnlySpan{float}, Span{float}, int)"/>) at once on
    /// one model; each gets exactly the bits a lone call would. Once the model's workspace pool holds a buffer for
    /// the batch size, a call allocates nothing. Not safe while the parameters change: do not train, load or write
    /// weights at the same time.
    /// </remarks>
    public void Predict(ReadOnlySpan<float> x, Span<float> predictions, int batchSize = DefaultInferenceBatchSize) =>
        ForwardInto(Architecture.Layers[^1], x, predictions, batchSize, nameof(predictions));

    /// <summary>The model's outputs for every sample of <paramref name="x"/>, <c>[samples, OutputSize]</c>.</summary>
    public float[] Predict(ReadOnlySpan<float> x, int batchSize = DefaultInferenceBatchSize)
    {
        var predictions = new float[CountInputSamples(x) * Architecture.OutputSize];
        Predict(x, predictions, batchSize);
        return predictions;
    }

    /// <summary>
    /// Sizes the pool of activation buffers that concurrent predictions share, so that up to
    /// <paramref name="concurrentCalls"/> calls at once, each running passes of up to <paramref name="batchSize"/>
    /// samples, allocate nothing from the very first call (a service calls this at start-up). Without it the pool
    /// grows on demand and is allocation-free once it has seen that many calls at once.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">More calls than the pool keeps buffers for (at least eight, two per processor).</exception>
    public void ReserveInferenceWorkspaces(int concurrentCalls, int batchSize = DefaultInferenceBatchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(concurrentCalls);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        _inferenceWorkspaces.Reserve(concurrentCalls, checked(batchSize * Architecture.ActivationsPerSample));
    }

    /// <summary>
    /// Runs the forward pass on every sample of <paramref name="x"/> and writes the outputs of <paramref name="layer"/>
    /// into <paramref name="destination"/>, <c>[samples, layer.Units]</c>, in passes of at most <paramref name="batchSize"/>.
    /// </summary>
    private void ForwardInto(LayerInfo layer, ReadOnlySpan<float> x, Span<float> destination, int batchSize, string destinationName)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var inputSize = Architecture.InputSize;
        var units = layer.Units;
        var samples = CountInputSamples(x);
        if (destination.Length != (long)samples * units)
            throw new ArgumentException(
                $"'{destinationName}' holds {destination.Length} floats; {samples} samples × {units} outputs of layer '{layer.Name}' = {(long)samples * units} expected.",
                destinationName);

        var passSize = Math.Min(batchSize, samples);
        var workspace = _inferenceWorkspaces.Rent(checked(passSize * Architecture.ActivationsPerSample));
        try
        {
            for (var start = 0; start < samples; start += passSize)
            {
                var batch = Math.Min(passSize, samples - start);
                var activations = workspace.AsSpan(0, batch * Architecture.ActivationsPerSample);
                Forward(x.Slice(start * inputSize, batch * inputSize), activations, batch);
                activations.Slice(batch * layer.OutputOffsetPerSample, batch * units)
                    .CopyTo(destination.Slice(start * units, batch * units));
            }
        }
        finally
        {
            _inferenceWorkspaces.Return(workspace);
        }
    }
}
