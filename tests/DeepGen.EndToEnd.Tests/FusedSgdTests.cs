using DeepGen.EndToEnd.Tests.Models;

namespace DeepGen.EndToEnd.Tests;

/// <summary>
/// Plain SGD is applied by the backward pass, tile by tile, and not by the optimizer afterwards. A fused and a
/// separate step give the same bits (see <see cref="DeterminismTests"/>), so these tests look at who applied the
/// update; the kernel tests check the fused update itself.
/// </summary>
public class FusedSgdTests
{
    [Fact]
    public void Plain_sgd_steps_are_applied_in_the_backward_pass()
    {
        var x = TestData.Uniform(200 * 784, 0f, 255f, seed: 5);
        var y = TestData.OneHot(200, 10, seed: 6);
        var model = new SeedMlp(seed: 7);
        var sgd = new Sgd(0.1f);
        model.Fit(x, y, epochs: 1, batchSize: 50, Loss.MeanSquaredError, sgd, seed: 1, verbosity: Verbosity.Silent);
        Assert.Equal(4, sgd.Iterations);
        Assert.Equal(4, sgd.FusedSteps);
    }

    [Fact]
    public void Sgd_with_momentum_weight_decay_or_clipping_is_applied_by_the_optimizer()
    {
        var x = TestData.Uniform(100 * 784, 0f, 255f, seed: 5);
        var y = TestData.OneHot(100, 10, seed: 6);
        Optimizer[] optimizers =
        [
            new Sgd(0.1f, momentum: 0.9f), new Sgd(0.1f, weightDecay: 0.01f), new Sgd(0.1f) { ClipValue = 1f },
            new Sgd(0.1f) { GlobalClipNorm = 1f }, new Adam(0.001f),
        ];
        foreach (var optimizer in optimizers)
        {
            var model = new SeedMlp(seed: 7);
            var before = model.Parameters.ToArray();
            model.TrainStep(x, y, 100, Loss.MeanSquaredError, optimizer);
            Assert.Equal(1, optimizer.Iterations);
            Assert.True(optimizer.FusedSteps == 0, $"{optimizer} was fused into the backward pass.");
            Assert.NotEqual(before, model.Parameters.ToArray());
        }
    }

    [Fact]
    public void A_fusable_step_is_taken_by_the_backward_pass_alone_and_equals_the_separate_step()
    {
        // An optimizer that offers its learning rate for fusion, as plain Sgd does, and counts the updates it is
        // still asked to apply itself: there must be none, and the weights must still have moved by exactly the
        // separate step. With the fused learning rate ignored, the optimizer would be asked; with the epilogue's step
        // skipped (or at a rate of 0), the weights would differ from the separate step's.
        var x = TestData.Uniform(100 * 784, 0f, 255f, seed: 5);
        var y = TestData.OneHot(100, 10, seed: 6);
        var fusedModel = new SeedMlp(seed: 7);
        var separateModel = new SeedMlp(seed: 7);
        var initial = fusedModel.Parameters.ToArray();
        var fusable = new CountingSgd(0.1f, fusable: true);
        var separate = new CountingSgd(0.1f, fusable: false);
        for (var step = 0; step < 2; step++)
        {
            fusedModel.TrainStep(x, y, 100, Loss.MeanSquaredError, fusable);
            separateModel.TrainStep(x, y, 100, Loss.MeanSquaredError, separate);
        }

        Assert.Equal(0, fusable.SeparateUpdates);
        Assert.Equal(2, fusable.FusedSteps);
        Assert.Equal(2, separate.SeparateUpdates);
        var fused = fusedModel.Parameters.ToArray();
        var expected = separateModel.Parameters.ToArray();
        Assert.NotEqual(initial, expected);
        for (var i = 0; i < fused.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(fused[i]) == BitConverter.SingleToInt32Bits(expected[i]),
                $"Parameter {i}: fused {fused[i]:G9}, separate {expected[i]:G9}.");
    }

    [Fact]
    public void Only_plain_sgd_offers_its_learning_rate_for_fusion()
    {
        Assert.Equal(0.1f, new Sgd(0.1f).FusedSgdLearningRate);
        Assert.Equal(0f, new Sgd(0.1f, momentum: 0.5f).FusedSgdLearningRate);
        Assert.Equal(0f, new Sgd(0.1f, weightDecay: 0.01f).FusedSgdLearningRate);
        Assert.Equal(0f, new Sgd(0.1f) { ClipValue = 1f }.FusedSgdLearningRate);
        Assert.Equal(0f, new Adam(0.1f).FusedSgdLearningRate);
    }

    /// <summary>Plain SGD that counts the updates it applies itself; when <c>fusable</c>, it offers them to the backward pass.</summary>
    private sealed class CountingSgd(float learningRate, bool fusable) : Optimizer(learningRate)
    {
        private readonly Sgd _sgd = new(learningRate);

        public int SeparateUpdates { get; private set; }

        internal override float FusedSgdLearningRate => fusable ? LearningRate : 0f;

        public override void Update(Span<float> parameters, ReadOnlySpan<float> gradients)
        {
            SeparateUpdates++;
            _sgd.Update(parameters, gradients);
        }
    }
}
