using DeepGen.EndToEnd.Tests.Models;

namespace DeepGen.EndToEnd.Tests;

/// <summary>
/// Whole-model gradient checks for the losses beyond mean squared error and categorical cross-entropy: the generated
/// backward pass against central finite differences of the double-precision reference network, whose losses are
/// written here again from Keras's definitions.
/// </summary>
public class LossGradientCheckTests
{
    private const int Batch = 5;

    public static TheoryData<Activation, Activation, string> Cases()
    {
        var cases = new TheoryData<Activation, Activation, string>();
        foreach (var (hidden, output, _) in GradientModels.All)
        {
            cases.Add(hidden, output, "mae");
            cases.Add(hidden, output, "huber");
            // Cross-entropy is defined on probabilities: outputs from a softmax or a sigmoid.
            if (output is Activation.Softmax or Activation.Sigmoid)
            {
                cases.Add(hidden, output, "bce");
                cases.Add(hidden, output, "scce");
            }
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gradients_match_finite_differences(Activation hidden, Activation output, string lossName)
    {
        var model = GradientModels.All.Single(m => m.Hidden == hidden && m.Output == output).Create(7);
        var random = new Random(3);
        foreach (var layer in model.Layers)
            for (var i = 0; i < layer.Bias.Length; i++) layer.Bias[i] = (float)(random.NextDouble() - 0.5);
        var x = TestData.Uniform(Batch * 6, -2f, 2f, seed: 11);
        var (loss, y) = lossName switch
        {
            "mae" => (Loss.MeanAbsoluteError, TestData.Uniform(Batch * 3, -1f, 1f, seed: 12)),
            // Targets far enough from the outputs that both the quadratic and the linear part are checked.
            "huber" => (Loss.Huber, TestData.Uniform(Batch * 3, -2.5f, 2.5f, seed: 12)),
            "bce" => (Loss.BinaryCrossEntropy, Array.ConvertAll(TestData.Uniform(Batch * 3, 0f, 1f, seed: 12), v => v < 0.5f ? 0f : 1f)),
            _ => (Loss.SparseCategoricalCrossEntropy, OptimizerTrainingTests.ToLabels(TestData.OneHot(Batch, 3, seed: 12), 3)),
        };

        var reportedLoss = model.TrainStep(x, y, Batch, loss, new NoUpdate());
        var reference = ReferenceNetwork.Of(model);
        var actual = model.Gradients.ToArray();
        Assert.Equal(MeanLoss(reference, x, y, lossName), reportedLoss, 1e-5 * Math.Max(1, Math.Abs(reportedLoss)));
        Assert.True(actual.Any(g => Math.Abs(g) > 1e-4), "Every gradient is zero: the check would prove nothing.");

        for (var k = 0; k < actual.Length; k++)
        {
            const double step = 1e-6;
            var saved = reference.Parameters[k];
            reference.Parameters[k] = saved + step;
            var plus = MeanLoss(reference, x, y, lossName);
            reference.Parameters[k] = saved - step;
            var minus = MeanLoss(reference, x, y, lossName);
            reference.Parameters[k] = saved;
            var expected = (plus - minus) / (2 * step);
            Assert.True(Math.Abs(actual[k] - expected) <= 2e-5 + 2e-3 * Math.Abs(expected),
                $"{loss.Name}, parameter {k}: backward gives {actual[k]:G9}, finite differences {expected:G9}.");
        }
    }

    private static double MeanLoss(ReferenceNetwork reference, float[] x, float[] y, string lossName)
    {
        var outputs = reference.Predict(x);
        var total = 0.0;
        for (var s = 0; s < Batch; s++)
        {
            var p = outputs.AsSpan(s * 3, 3);
            total += lossName switch
            {
                "mae" => MeanAbsoluteError(p, y.AsSpan(s * 3, 3)),
                "huber" => Huber(p, y.AsSpan(s * 3, 3), delta: 1),
                "bce" => BinaryCrossEntropy(p, y.AsSpan(s * 3, 3)),
                _ => SparseCategoricalCrossEntropy(p, (int)y[s]),
            };
        }

        return total / Batch;
    }

    private static double MeanAbsoluteError(ReadOnlySpan<double> p, ReadOnlySpan<float> y)
    {
        var sum = 0.0;
        for (var i = 0; i < p.Length; i++) sum += Math.Abs(p[i] - y[i]);
        return sum / p.Length;
    }

    private static double Huber(ReadOnlySpan<double> p, ReadOnlySpan<float> y, double delta)
    {
        var sum = 0.0;
        for (var i = 0; i < p.Length; i++)
        {
            var error = Math.Abs(p[i] - y[i]);
            sum += error <= delta ? error * error / 2 : delta * (error - delta / 2);
        }

        return sum / p.Length;
    }

    private static double BinaryCrossEntropy(ReadOnlySpan<double> p, ReadOnlySpan<float> y)
    {
        const double epsilon = 1e-7;
        var sum = 0.0;
        for (var i = 0; i < p.Length; i++)
        {
            var q = Math.Clamp(p[i], epsilon, 1 - epsilon);
            sum -= y[i] * Math.Log(q + epsilon) + (1 - y[i]) * Math.Log(1 - q + epsilon);
        }

        return sum / p.Length;
    }

    private static double SparseCategoricalCrossEntropy(ReadOnlySpan<double> p, int label)
    {
        var total = 0.0;
        foreach (var v in p) total += v;
        return -Math.Log(Math.Clamp(p[label] / total, 1e-7, 1 - 1e-7));
    }
}
