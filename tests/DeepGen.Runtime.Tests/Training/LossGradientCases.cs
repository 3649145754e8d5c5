using DeepGen.Cpu;

namespace DeepGen.Runtime.Tests.Training;

/// <summary>
/// What the loss tests share: a batch of 3 samples × 4 outputs, each loss with targets that suit it, pre-activations,
/// the outputs of each activation, and the check of a fused gradient against central finite differences.
/// </summary>
internal static class LossGradientCases
{
    public const int Batch = 3, Units = 4;

    /// <summary>A loss by its short name and targets for <see cref="Batch"/> samples (huber2 is Huber with δ = 0.25).</summary>
    public static (Loss Loss, float[] Targets) LossAndTargets(string name) => name switch
    {
        "mse" => (Loss.MeanSquaredError, [0.2f, 0.9f, 0.1f, 0.4f, 1, 0, 0.5f, 0.3f, 0.7f, 0.6f, 0.2f, 0.1f]),
        "mae" => (Loss.MeanAbsoluteError, [0.2f, 0.9f, 0.1f, 0.4f, 1, 0, 0.5f, 0.3f, 0.7f, 0.6f, 0.2f, 0.1f]),
        "huber" => (Loss.Huber, [2.2f, 0.9f, -1.1f, 0.4f, 1, 0, 0.5f, -2.3f, 0.7f, 0.6f, 0.2f, 0.1f]),
        "huber2" => (new HuberLoss(0.25f), [2.2f, 0.9f, -1.1f, 0.4f, 1, 0, 0.5f, -2.3f, 0.7f, 0.6f, 0.2f, 0.1f]),
        "bce" => (Loss.BinaryCrossEntropy, [1, 0, 1, 1, 0, 0, 1, 0, 0.3f, 1, 0, 1]),
        "cce" => (Loss.CategoricalCrossEntropy, [0, 1, 0, 0, 0.2f, 0, 0.8f, 0, 0, 0, 0, 1]),
        "scce" => (Loss.SparseCategoricalCrossEntropy, [1f, 0f, 3f]),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    /// <summary>Pre-activations; for cross-entropy kept where every activation's outputs are probabilities inside (0, 1).</summary>
    public static double[] Inputs(string lossName)
    {
        double[] z = [0.3, -1.2, 0.8, 0.1, -0.4, 1.5, -0.7, 0.2, 0.9, 0.05, -0.3, 0.6];
        if (lossName is "bce" or "cce" or "scce")
            for (var i = 0; i < z.Length; i++) z[i] = 0.3 * z[i] + 0.5;
        return z;
    }

    /// <summary>The outputs of <paramref name="activation"/> on the pre-activations <paramref name="z"/>, [Batch, Units].</summary>
    public static float[] Activate(double[] z, Activation activation)
    {
        var values = Array.ConvertAll(z, v => (float)v);
        switch (activation)
        {
            case Activation.Sigmoid: SigmoidActivation.Forward(values); break;
            case Activation.Tanh: TanhActivation.Forward(values); break;
            case Activation.Relu: ReluActivation.Forward(values); break;
            case Activation.Softmax: RowSoftmax.ForwardRows(values, Batch, Units); break;
        }

        return values;
    }

    /// <summary>
    /// Asserts each <c>gradient[k]</c> is <c>(L(z + h·eₖ) - L(z - h·eₖ)) / 2h</c>, h = 1e-3, within 2e-4 plus 1%, where
    /// <paramref name="meanLoss"/> is the batch loss L at given pre-activations; <paramref name="what"/> names the case in a failure.
    /// </summary>
    public static void AssertMatchesFiniteDifferences(float[] gradient, double[] z, Func<double[], double> meanLoss, string what)
    {
        Assert.Equal(z.Length, gradient.Length);
        for (var k = 0; k < z.Length; k++)
        {
            const double step = 1e-3;
            var plus = (double[])z.Clone();
            plus[k] += step;
            var minus = (double[])z.Clone();
            minus[k] -= step;
            var expected = (meanLoss(plus) - meanLoss(minus)) / (2 * step);
            Assert.True(Math.Abs(gradient[k] - expected) <= 2e-4 + 1e-2 * Math.Abs(expected),
                $"{what}, dL/dz[{k}]: {gradient[k]:G7}, finite differences {expected:G7}.");
        }
    }
}
