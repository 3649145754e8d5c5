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
                throw new ArgumentException($"Label {labels[i]} of sample {i} is not below the class count {classCount}.", nameof(labels));
            result[i * classCount + labels[i]] = 1f;
        }

        return result;
    }

    /// <summary>One-hot rows from class indices held as floats (the sparse targets of a sparse loss).</summary>
    public static float[] OneHot(ReadOnlySpan<float> labels, int classCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classCount);
        var result = new float[checked(labels.Length * classCount)];
        for (var i = 0; i < labels.Length; i++) result[i * classCount + ClassIndex(labels[i], i, classCount)] = 1f;
        return result;
    }

    /// <summary>Class indices as floats, one per label: the sparse targets of a sparse categorical loss.</summary>
    public static float[] Sparse(ReadOnlySpan<byte> labels)
    {
        var result = new float[labels.Length];
        for (var i = 0; i < labels.Length; i++) result[i] = labels[i];
        return result;
    }

    /// <summary>
    /// Back from one-hot (or probability) rows of <paramref name="classCount"/> to class indices: the arg-max of
    /// each row, the first on ties (Keras's <c>argmax</c>).
    /// </summary>
    public static float[] ToSparse(ReadOnlySpan<float> oneHot, int classCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classCount);
        if (oneHot.Length % classCount != 0)
            throw new ArgumentException($"The rows hold {oneHot.Length} floats, not a whole number of rows of {classCount} classes.", nameof(oneHot));
        var result = new float[oneHot.Length / classCount];
        for (var row = 0; row < result.Length; row++)
            result[row] = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(oneHot.Slice(row * classCount, classCount));
        return result;
    }

    private static int ClassIndex(float label, int index, int classCount)
    {
        var value = (int)label;
        if (value != label || value < 0 || value >= classCount)
            throw new ArgumentException($"Label {label} of sample {index} is not a whole number in [0, {classCount}).", "labels");
        return value;
    }
}
