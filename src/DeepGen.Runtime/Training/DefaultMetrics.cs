namespace DeepGen;

/// <summary>What a run measures when it is given no metrics: accuracy only where it means something.</summary>
internal static class DefaultMetrics
{
    /// <summary>
    /// The accuracy a run measures by default, or null for none (the loss alone):
    /// <list type="bullet">
    /// <item>categorical or sparse categorical cross-entropy: <see cref="Accuracy"/> (arg-max);</item>
    /// <item>binary cross-entropy: <see cref="Accuracy"/> (threshold 0.5) on one output, <see cref="BinaryAccuracy"/>
    /// on several (independent labels);</item>
    /// <item>any other loss (mean squared or absolute error, Huber, …): <see cref="Accuracy"/> when the output is a
    /// softmax over two or more units (a classifier trained by a regression loss, as in the seed recipe), nothing
    /// otherwise: a regression has no accuracy.</item>
    /// </list>
    /// </summary>
    public static Metric? Accuracy(Loss loss, int outputs, Activation outputActivation) => loss.Name switch
    {
        "categorical_crossentropy" or "sparse_categorical_crossentropy" => new Accuracy(),
        "binary_crossentropy" => outputs == 1 ? new Accuracy() : new BinaryAccuracy(),
        _ => outputActivation == Activation.Softmax && outputs >= 2 ? new Accuracy() : null,
    };

    /// <summary>Whether a run measures the arg-max accuracy by default (the only accuracy the GPU path counts).</summary>
    public static bool ArgMaxAccuracy(Loss loss, int outputs, Activation outputActivation) =>
        outputs >= 2 && Accuracy(loss, outputs, outputActivation) is DeepGen.Accuracy;
}
