using DeepGen.Tests.Shared;
namespace DeepGen.Runtime.Tests.Training;

/// <summary>
/// Every optimizer against its published (Keras 3) update rule: hand-computed steps on one parameter, and several
/// steps over buffers of odd lengths (every vector width and the scalar tail run: 29 = 16 + 8 + 4 + 1) against the naive reference.
/// </summary>
public class OptimizerTests
{
    private static readonly Dictionary<string, Func<int, (Optimizer Optimizer, ReferenceOptimizer Reference)>> Cases = new()
    {
        ["sgd"] = n => (new Sgd(0.1f), new ReferenceSgd(n, 0, false) { LearningRate = 0.1 }),
        ["sgd momentum"] = n => (new Sgd(0.05f, momentum: 0.9f), new ReferenceSgd(n, 0.9, false) { LearningRate = 0.05 }),
        ["sgd nesterov"] = n => (new Sgd(0.05f, momentum: 0.8f, nesterov: true), new ReferenceSgd(n, 0.8, true) { LearningRate = 0.05 }),
        ["sgd weight decay"] = n => (new Sgd(0.1f, weightDecay: 0.3f), new ReferenceSgd(n, 0, false) { LearningRate = 0.1, WeightDecay = 0.3 }),
        ["sgd clip value"] = n => (new Sgd(0.1f) { ClipValue = 0.5f }, new ReferenceSgd(n, 0, false) { LearningRate = 0.1, ClipValue = 0.5 }),
        ["sgd momentum decay global norm"] = n => (new Sgd(0.05f, 0.9f, weightDecay: 0.1f) { GlobalClipNorm = 1f },
            new ReferenceSgd(n, 0.9, false) { LearningRate = 0.05, WeightDecay = 0.1, GlobalClipNorm = 1 }),
        ["adam"] = n => (new Adam(0.01f), new ReferenceAdam(n, 0.9, 0.999, 1e-7, false) { LearningRate = 0.01 }),
        ["adam amsgrad"] = n => (new Adam(0.01f, beta1: 0.8f, beta2: 0.9f, amsgrad: true), new ReferenceAdam(n, 0.8, 0.9, 1e-7, true) { LearningRate = 0.01 }),
        ["adam clip value"] = n => (new Adam(0.01f) { ClipValue = 0.3f }, new ReferenceAdam(n, 0.9, 0.999, 1e-7, false) { LearningRate = 0.01, ClipValue = 0.3 }),
        ["adam exponential schedule"] = n => (new Adam() { Schedule = new ExponentialDecay(0.02f, 2, 0.5f) },
            new ReferenceAdam(n, 0.9, 0.999, 1e-7, false) { Schedule = t => 0.02 * Math.Pow(0.5, t / 2.0) }),
        ["adamw"] = n => (new AdamW(0.01f, weightDecay: 0.05f), new ReferenceAdam(n, 0.9, 0.999, 1e-7, false) { LearningRate = 0.01, WeightDecay = 0.05 }),
        ["nadam"] = n => (new Nadam(0.01f), new ReferenceNadam(n, 0.9, 0.999, 1e-7) { LearningRate = 0.01 }),
        ["nadam global norm"] = n => (new Nadam(0.01f, beta1: 0.7f) { GlobalClipNorm = 0.5f }, new ReferenceNadam(n, 0.7, 0.999, 1e-7) { LearningRate = 0.01, GlobalClipNorm = 0.5 }),
        ["rmsprop"] = n => (new RmsProp(0.01f), new ReferenceRmsProp(n, 0.9, 0, 1e-7, false) { LearningRate = 0.01 }),
        ["rmsprop momentum"] = n => (new RmsProp(0.01f, momentum: 0.5f), new ReferenceRmsProp(n, 0.9, 0.5, 1e-7, false) { LearningRate = 0.01 }),
        ["rmsprop centered"] = n => (new RmsProp(0.01f, rho: 0.8f, centered: true), new ReferenceRmsProp(n, 0.8, 0, 1e-7, true) { LearningRate = 0.01 }),
        ["rmsprop centered momentum"] = n => (new RmsProp(0.01f, momentum: 0.3f, centered: true), new ReferenceRmsProp(n, 0.9, 0.3, 1e-7, true) { LearningRate = 0.01 }),
        ["adagrad"] = n => (new Adagrad(0.1f), new ReferenceAdagrad(n, 0.1, 1e-7) { LearningRate = 0.1 }),
        ["adagrad weight decay"] = n => (new Adagrad(0.1f, initialAccumulatorValue: 0f) { WeightDecay = 0.2f }, new ReferenceAdagrad(n, 0, 1e-7) { LearningRate = 0.1, WeightDecay = 0.2 }),
    };

    public static TheoryData<string, int> CasesAndLengths()
    {
        var data = new TheoryData<string, int>();
        foreach (var name in Cases.Keys)
            foreach (var length in new[] { 1, 3, 17, 29, 1003 })
                data.Add(name, length);
        return data;
    }

    public static TheoryData<string> CaseNames() => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CasesAndLengths))]
    public void Vectorized_update_matches_the_naive_formula_step_by_step(string name, int length)
    {
        var (optimizer, reference) = Cases[name](length);
        var parameters = Uniform(length, -1.5f, 1.5f, seed: length);
        var expected = Array.ConvertAll(parameters, v => (double)v);
        optimizer.Initialize(length);
        for (var step = 0; step < 5; step++)
        {
            var gradients = Uniform(length, -2f, 2f, seed: 100 * length + step);
            var before = (float[])parameters.Clone();
            optimizer.Step(parameters, gradients, appliedInBackward: false);
            reference.Step(expected, gradients);
            for (var i = 0; i < length; i++)
            {
                var tolerance = 1e-6 + 1e-5 * Math.Abs(expected[i] - before[i]);
                Assert.True(Math.Abs(parameters[i] - expected[i]) <= tolerance + 2e-7 * Math.Abs(expected[i]),
                    $"{name}, step {step + 1}, parameter {i} of {length}: {parameters[i]:G9}, the formula gives {expected[i]:G9}.");
            }
        }

        Assert.Equal(5, optimizer.Iterations);
        Assert.NotEqual(Uniform(length, -1.5f, 1.5f, seed: length), parameters);
    }

    [Theory]
    [InlineData(false, new[] { 0.9, 0.71, 0.439 })]
    [InlineData(true, new[] { 0.81, 0.539, 0.1951 })]
    public void Sgd_with_momentum_by_hand(bool nesterov, double[] expected)
    {
        // g = 1 throughout, lr = 0.1, μ = 0.9: m = -0.1, -0.19, -0.271.
        AssertSteps(new Sgd(0.1f, momentum: 0.9f, nesterov: nesterov), 1f, expected);
    }

    [Fact]
    public void Optimizers_by_hand_on_a_constant_gradient()
    {
        // Adam: with a constant gradient the bias-corrected step is lr · √v̂/(√v̂ + ε), about lr each step.
        AssertSteps(new Adam(0.1f), 1f, [0.9000002, 0.8000005, 0.7000007]);
        // Adagrad: s = 1.1, 2.1, 3.1; steps 0.1/√s.
        AssertSteps(new Adagrad(0.1f), 1f, [1 - 0.0953463, 1 - 0.0953463 - 0.0690066, 0.7788510]);
        // RMSprop: v = 0.1, 0.19, 0.271; steps 0.01/√v.
        AssertSteps(new RmsProp(0.01f), 1f, [1 - 0.0316228, 1 - 0.0316228 - 0.0229416, 0.9262262]);
        // Nadam: u₁ = 0.468, u₂ = 0.48528, so m̂₁ = u₂·0.1/(1 - u₁u₂) + 1 = 1.062788.
        AssertSteps(new Nadam(0.1f), 1f, [0.8937212, 0.8163622, 0.7452287]);
        // Weight decay alone: θ ← θ(1 - 0.5 · 0.1) each step.
        AssertSteps(new Sgd(0.1f, weightDecay: 0.5f), 0f, [0.95, 0.9025, 0.857375]);
        AssertSteps(new AdamW(0.1f, weightDecay: 0.5f), 0f, [0.95, 0.9025, 0.857375]);
    }

    [Fact]
    public void Clipping_by_value_and_by_global_norm()
    {
        var clipped = new Sgd(1f) { ClipValue = 0.5f };
        float[] p = [0f, 0f, 0f];
        clipped.Step(p, [2f, -0.25f, -7f], appliedInBackward: false);
        Assert.Equal([-0.5f, 0.25f, 0.5f], p);

        // ‖(3, 4)‖ = 5 scaled to 1: (0.6, 0.8).
        var norm = new Sgd(1f) { GlobalClipNorm = 1f };
        p = [0f, 0f];
        norm.Step(p, [3f, 4f], appliedInBackward: false);
        Assert.Equal(-0.6f, p[0], 6);
        Assert.Equal(-0.8f, p[1], 6);
        // Within the norm, nothing changes.
        p = [0f, 0f];
        norm.Step(p, [0.3f, 0.4f], appliedInBackward: false);
        Assert.Equal([-0.3f, -0.4f], p);
    }

    [Fact]
    public void Only_plain_sgd_is_fused_into_the_backward_pass()
    {
        Assert.Equal(0.1f, new Sgd(0.1f).FusedSgdLearningRate);
        Assert.Equal(0f, new Sgd(0.1f, momentum: 0.9f).FusedSgdLearningRate);
        Assert.Equal(0f, new Sgd(0.1f, weightDecay: 0.01f).FusedSgdLearningRate);
        Assert.Equal(0f, new Sgd(0.1f) { ClipValue = 1f }.FusedSgdLearningRate);
        Assert.Equal(0f, new Sgd(0.1f) { GlobalClipNorm = 1f }.FusedSgdLearningRate);
        Assert.Equal(0f, new Adam().FusedSgdLearningRate);
        // A schedule keeps plain SGD fused, at the scheduled rate of the coming step.
        var scheduled = new Sgd { Schedule = new ExponentialDecay(0.1f, 1, 0.5f) };
        scheduled.Iterations = 2;
        Assert.Equal(0.025f, scheduled.FusedSgdLearningRate);
    }

    [Fact]
    public void Plain_sgd_update_is_the_same_bits_as_the_fused_step()
    {
        var parameters = Uniform(1003, -1f, 1f, seed: 1);
        var gradients = Uniform(1003, -1f, 1f, seed: 2);
        var expected = (float[])parameters.Clone();
        for (var i = 0; i < expected.Length; i++) expected[i] -= 0.1f * gradients[i];
        new Sgd(0.1f).Update(parameters, gradients);
        Assert.Equal(expected, parameters);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void State_round_trip_resumes_exactly(string name)
    {
        const int length = 37;
        var (original, _) = Cases[name](length);
        var parameters = Uniform(length, -1f, 1f, seed: 3);
        original.Initialize(length);
        for (var step = 0; step < 3; step++) original.Step(parameters, Uniform(length, -1f, 1f, seed: step), false);

        // A checkpoint: the parameters, the iteration count and every named state buffer, copied into a new optimizer.
        var (resumed, _) = Cases[name](length);
        resumed.Initialize(length);
        resumed.Iterations = original.Iterations;
        Assert.Equal(original.State.Select(s => s.Name), resumed.State.Select(s => s.Name));
        Assert.Equal(original.State.Select(s => s.Name).Distinct().Count(), original.State.Count);
        for (var i = 0; i < original.State.Count; i++)
        {
            Assert.Equal(length, original.State[i].Values.Length);
            original.State[i].Values.CopyTo(resumed.State[i].Values, 0);
        }

        var resumedParameters = (float[])parameters.Clone();
        for (var step = 3; step < 6; step++)
        {
            var gradients = Uniform(length, -1f, 1f, seed: step);
            original.Step(parameters, gradients, false);
            resumed.Step(resumedParameters, gradients, false);
        }

        Assert.Equal(parameters, resumedParameters);
    }

    [Fact]
    public void State_buffers_are_named_as_in_keras_and_kept_across_initialize()
    {
        Assert.Empty(new Sgd().State);
        var adam = new Adam(amsgrad: true);
        adam.Initialize(4);
        Assert.Equal(["momentum", "velocity", "velocity_hat"], adam.State.Select(s => s.Name));
        adam.Step(new float[4], [1f, 1f, 1f, 1f], false);
        var momentum = adam.State[0].Values;
        adam.Initialize(4);
        Assert.Same(momentum, adam.State[0].Values);
        Assert.All(momentum, m => Assert.Equal(0.1f, m, 6));
        var adagrad = new Adagrad(initialAccumulatorValue: 0.25f);
        adagrad.Initialize(3);
        Assert.Equal(["accumulator"], adagrad.State.Select(s => s.Name));
        Assert.All(adagrad.State[0].Values, v => Assert.Equal(0.25f, v));
        Assert.Equal(["velocity", "momentum", "average_gradient"], Initialized(new RmsProp(momentum: 0.5f, centered: true)).State.Select(s => s.Name));
        Assert.Equal(["momentum"], Initialized(new Sgd(momentum: 0.9f)).State.Select(s => s.Name));
    }

    [Fact]
    public void An_optimizer_holding_state_for_another_model_refuses_to_update()
    {
        var adam = new Adam();
        adam.Initialize(5);
        var e = Assert.Throws<ArgumentException>(() => adam.Step(new float[3], new float[3], false));
        Assert.Contains("holds state for 5 parameters but was given 3", e.Message);
        // Without Initialize (a model trained through TrainStep alone), the first update creates the state.
        var fresh = new Nadam();
        fresh.Step(new float[3], [1f, 2f, 3f], false);
        Assert.Equal(3, fresh.State[0].Values.Length);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Update_allocates_nothing(string name)
    {
        const int length = 1003;
        var (optimizer, _) = Cases[name](length);
        var parameters = Uniform(length, -1f, 1f, seed: 1);
        var gradients = Uniform(length, -1f, 1f, seed: 2);
        optimizer.Initialize(length);
        optimizer.Step(parameters, gradients, false);
        _ = optimizer.State;
        Assert.Equal(0, ThreadAllocation.Least(() =>
        {
            for (var i = 0; i < 10; i++) optimizer.Step(parameters, gradients, false);
            _ = optimizer.State;
        }));
    }

    [Fact]
    public void Bad_hyperparameters_are_refused_with_their_names()
    {
        AssertRefused(() => new Sgd(-0.1f), "learning rate must be a positive");
        AssertRefused(() => new Adam(float.NaN), "learning rate must be a positive");
        AssertRefused(() => new Sgd(0.1f, momentum: 1.5f), "'momentum' must lie in [0, 1]");
        AssertRefused(() => new Sgd(0.1f, momentum: float.NaN), "'momentum' must lie in [0, 1]");
        AssertRefused(() => new Adam(beta1: 1f), "'beta1' must lie in [0, 1)");
        AssertRefused(() => new Adam(beta2: -0.1f), "'beta2' must lie in [0, 1)");
        AssertRefused(() => new Nadam(beta2: float.NaN), "'beta2' must lie in [0, 1)");
        AssertRefused(() => new Adam(epsilon: 0f), "'epsilon' must be a positive");
        AssertRefused(() => new RmsProp(rho: 1f), "'rho' must lie in [0, 1)");
        AssertRefused(() => new RmsProp(momentum: -1f), "'momentum' must lie in [0, 1)");
        AssertRefused(() => new Adagrad(initialAccumulatorValue: -1f), "'initialAccumulatorValue' must be zero or");
        AssertRefused(() => new AdamW(weightDecay: -0.1f), "weight decay must be zero or");
        AssertRefused(() => new Sgd { WeightDecay = float.PositiveInfinity }, "weight decay must be zero or");
        AssertRefused(() => new Sgd { ClipValue = 0f }, "'ClipValue' must be a positive");
        AssertRefused(() => new Sgd { GlobalClipNorm = float.NaN }, "'GlobalClipNorm' must be a positive");
        var both = Assert.Throws<ArgumentException>(() => new Sgd { ClipValue = 1f, GlobalClipNorm = 1f });
        Assert.Contains("Only one of GlobalClipNorm and ClipValue", both.Message);
        var sgd = new Sgd();
        Assert.Throws<ArgumentOutOfRangeException>(() => sgd.LearningRate = 0f);
        Assert.Throws<ArgumentOutOfRangeException>(() => sgd.Iterations = -1);
        Assert.Equal(0.01f, sgd.LearningRate);
    }

    private static Optimizer Initialized(Optimizer optimizer)
    {
        optimizer.Initialize(2);
        return optimizer;
    }

    private static void AssertRefused(Action action, string message)
    {
        var e = Assert.ThrowsAny<ArgumentException>(action);
        Assert.Contains(message, e.Message);
    }

    private static void AssertSteps(Optimizer optimizer, float gradient, double[] expected)
    {
        float[] parameter = [1f];
        for (var step = 0; step < expected.Length; step++)
        {
            optimizer.Step(parameter, [gradient], appliedInBackward: false);
            Assert.True(Math.Abs(parameter[0] - expected[step]) < 2e-6,
                $"{optimizer}, step {step + 1}: {parameter[0]:G9}, by hand {expected[step]:G9}.");
        }
    }

    internal static float[] Uniform(int count, float low, float high, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (var i = 0; i < count; i++) values[i] = low + (float)random.NextDouble() * (high - low);
        return values;
    }
}
