using System.Numerics.Tensors;

namespace DeepGen;

/// <summary>
/// Accuracy as Keras's <c>"accuracy"</c> resolves it: categorical (arg-max) for several outputs, binary (0.5) for one,
/// sparse (arg-max against a class index) when each sample has one target but several outputs.
/// </summary>
internal static class Accuracy
{
    /// <summary>Number of correctly classified samples in the batch.</summary>
    public static int CountCorrect(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, int batch, int units)
    {
        var width = targets.Length / batch;
        var correct = 0;
        for (var row = 0; row < batch; row++)
        {
            var p = outputs.Slice(row * units, units);
            var y = targets.Slice(row * width, width);
            if (width == 1 && units > 1)
            {
                if (TensorPrimitives.IndexOfMax(p) == (int)y[0]) correct++;
            }
            else if (units == 1)
            {
                if ((p[0] > 0.5f) == (y[0] > 0.5f)) correct++;
            }
            else if (TensorPrimitives.IndexOfMax(p) == TensorPrimitives.IndexOfMax(y))
            {
                correct++;
            }
        }

        return correct;
    }
}
