namespace DeepGen.Data;

/// <summary>Label encodings.</summary>
public static class Labels
{
    /// <summary>One row of <paramref name="classCount"/> floats per label, 1 at the label's index and 0 elsewhere.</summary>
    public static float[] OneHot(ReadOnlySpan<byte> labels, int classCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classCount);
        var result = new float[labels.Length * classCount];
        for (var i = 0; i < labels.Length; i++)
        {
            if (labels[i] >= classCount)
                throw new ArgumentException($"Label {labels[i]} at index {i} is not below the class count {classCount}.", nameof(labels));
            result[i * classCount + labels[i]] = 1f;
        }

        return result;
    }
}
