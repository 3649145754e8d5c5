namespace DeepGen;

// Inference: the model's outputs for a batch of inputs.
public abstract partial class SequentialModel
{
    /// <summary>
    /// The model's outputs for every sample of <paramref name="x"/> into <paramref name="predictions"/>
    /// (<c>[samples, OutputSize]</c>), in batches of <paramref name="batchSize"/>. Allocation-free once buffers
    /// for that batch size exist.
    /// </summary>
    public void Predict(ReadOnlySpan<float> x, Span<float> predictions, int batchSize = 256)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var inputSize = Architecture.InputSize;
        var outputSize = Architecture.OutputSize;
        var samples = CountInputSamples(x);
        if (predictions.Length != (long)samples * outputSize)
            throw new ArgumentException($"'predictions' holds {predictions.Length} floats; {samples} samples × {outputSize} outputs = {(long)samples * outputSize} expected.", nameof(predictions));
        for (var start = 0; start < samples; start += batchSize)
        {
            var batch = Math.Min(batchSize, samples - start);
            var buffers = Buffers(batch);
            Forward(x.Slice(start * inputSize, batch * inputSize), buffers.Activations, batch);
            OutputsOf(buffers.Activations, batch).CopyTo(predictions.Slice(start * outputSize, batch * outputSize));
        }
    }

    /// <summary>The model's outputs for every sample of <paramref name="x"/>, <c>[samples, OutputSize]</c>.</summary>
    public float[] Predict(ReadOnlySpan<float> x, int batchSize = 256)
    {
        var predictions = new float[CountInputSamples(x) * Architecture.OutputSize];
        Predict(x, predictions, batchSize);
        return predictions;
    }
}
