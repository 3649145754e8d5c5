namespace DeepGen.Runtime.Tests.Training;

/// <summary>Schedule values at chosen iterations, against Keras's definitions, and how a schedule meets a set learning rate.</summary>
public class LearningRateScheduleTests
{
    [Fact]
    public void Exponential_decay_smooth_and_staircase()
    {
        var smooth = new ExponentialDecay(0.1f, decaySteps: 10, decayRate: 0.5f);
        Assert.Equal(0.1f, smooth.Rate(0));
        Assert.Equal(0.1 * Math.Pow(0.5, 0.5), smooth.Rate(5), 6);
        Assert.Equal(0.05f, smooth.Rate(10), 6);
        Assert.Equal(0.025f, smooth.Rate(20), 6);

        var staircase = new ExponentialDecay(0.1f, 10, 0.5f, staircase: true);
        Assert.Equal(0.1f, staircase.Rate(9));
        Assert.Equal(0.05f, staircase.Rate(10));
        Assert.Equal(0.05f, staircase.Rate(19));
        Assert.Equal(0.025f, staircase.Rate(25));
    }

    [Fact]
    public void Piecewise_constant_changes_after_each_boundary()
    {
        var schedule = new PiecewiseConstantDecay([100, 200], [1f, 0.5f, 0.1f]);
        Assert.Equal(1f, schedule.Rate(0));
        Assert.Equal(1f, schedule.Rate(100));
        Assert.Equal(0.5f, schedule.Rate(101));
        Assert.Equal(0.5f, schedule.Rate(200));
        Assert.Equal(0.1f, schedule.Rate(201));
        Assert.Equal(0.1f, schedule.Rate(1_000_000));
    }

    [Fact]
    public void Cosine_decay_from_the_start_to_alpha()
    {
        var schedule = new CosineDecay(0.1f, decaySteps: 100, alpha: 0.1f);
        Assert.Equal(0.1f, schedule.Rate(0), 7);
        // Halfway the cosine term is ½: 0.1 · (0.9 · 0.5 + 0.1) = 0.055.
        Assert.Equal(0.055f, schedule.Rate(50), 6);
        Assert.Equal(0.1 * (0.9 * 0.5 * (1 + Math.Cos(Math.PI * 0.25)) + 0.1), schedule.Rate(25), 6);
        Assert.Equal(0.01f, schedule.Rate(100), 6);
        Assert.Equal(0.01f, schedule.Rate(500), 6);
        Assert.Equal(0f, new CosineDecay(1f, 10).Rate(10), 6);
    }

    [Fact]
    public void Cosine_decay_with_warm_up_rises_linearly_then_decays_from_the_target()
    {
        var schedule = new CosineDecay(0f, decaySteps: 100, warmupTarget: 0.2f, warmupSteps: 10);
        Assert.Equal(0f, schedule.Rate(0));
        Assert.Equal(0.1f, schedule.Rate(5), 6);
        Assert.Equal(0.2f, schedule.Rate(10), 6);
        Assert.Equal(0.1f, schedule.Rate(60), 6);
        Assert.Equal(0f, schedule.Rate(110), 6);
        Assert.Equal(0f, schedule.Rate(1000), 6);
    }

    [Fact]
    public void Linear_warm_up_in_front_of_any_schedule()
    {
        var constant = new LinearWarmup(0.4f, warmupSteps: 4);
        Assert.Equal([0f, 0.1f, 0.2f, 0.3f, 0.4f, 0.4f], Enumerable.Range(0, 6).Select(t => constant.Rate(t)));

        var decaying = new LinearWarmup(new ExponentialDecay(1f, 1, 0.5f), warmupSteps: 2, initialLearningRate: 0.5f);
        Assert.Equal(0.5f, decaying.Rate(0));
        Assert.Equal(0.75f, decaying.Rate(1));
        Assert.Equal(1f, decaying.Rate(2));
        Assert.Equal(0.5f, decaying.Rate(3));
        Assert.Equal(0.25f, decaying.Rate(4));
    }

    [Fact]
    public void The_optimizer_uses_the_schedule_at_its_iteration_count()
    {
        var sgd = new Sgd { Schedule = new PiecewiseConstantDecay([1], [1f, 0.5f]) };
        float[] parameter = [0f];
        var rates = new List<float>();
        for (var step = 0; step < 4; step++)
        {
            rates.Add(sgd.LearningRate);
            var before = parameter[0];
            sgd.Step(parameter, [1f], appliedInBackward: false);
            Assert.Equal(rates[^1], before - parameter[0], 6);
        }

        // Iterations 0 and 1 are at or below the boundary; 2 and 3 are past it.
        Assert.Equal([1f, 1f, 0.5f, 0.5f], rates);
    }

    [Fact]
    public void Setting_the_learning_rate_rescales_an_attached_schedule()
    {
        var adam = new Adam { Schedule = new ExponentialDecay(0.1f, 1, 0.5f) };
        adam.Iterations = 2;
        Assert.Equal(0.025f, adam.LearningRate, 7);
        // ReduceLROnPlateau halves the rate: every later scheduled rate is halved too.
        adam.LearningRate *= 0.5f;
        Assert.Equal(0.0125f, adam.LearningRate, 7);
        adam.Iterations = 3;
        Assert.Equal(0.00625f, adam.LearningRate, 7);
        // Attaching a schedule clears the rescaling; removing it returns the constant rate.
        adam.Schedule = new ExponentialDecay(0.1f, 1, 0.5f);
        Assert.Equal(0.0125f, adam.LearningRate, 7);
        adam.Schedule = null;
        Assert.Equal(0.001f, adam.LearningRate);
        adam.LearningRate = 0.3f;
        Assert.Equal(0.3f, adam.LearningRate);
    }

    [Fact]
    public void A_schedule_at_zero_cannot_be_rescaled()
    {
        var sgd = new Sgd { Schedule = new LinearWarmup(0.1f, 10) };
        Assert.Equal(0f, sgd.LearningRate);
        var e = Assert.Throws<InvalidOperationException>(() => sgd.LearningRate = 0.05f);
        Assert.Contains("gives 0 at iteration 0", e.Message);
        // A zero rate is a step that changes nothing.
        float[] parameter = [1f];
        sgd.Step(parameter, [1f], appliedInBackward: sgd.FusedSgdLearningRate != 0f);
        Assert.Equal(1f, parameter[0]);
    }

    [Fact]
    public void Bad_schedules_are_refused()
    {
        Assert.Contains("'initialLearningRate' must be a positive", Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialDecay(-1f, 10, 0.5f)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialDecay(0.1f, 0, 0.5f));
        Assert.Contains("'decayRate'", Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialDecay(0.1f, 10, float.NaN)).Message);
        Assert.Contains("2 boundaries need 3 values, not 2", Assert.Throws<ArgumentException>(() => new PiecewiseConstantDecay([1, 2], [1f, 2f])).Message);
        Assert.Contains("increase strictly", Assert.Throws<ArgumentException>(() => new PiecewiseConstantDecay([5, 5], [1f, 2f, 3f])).Message);
        Assert.Contains("'values' must be zero or", Assert.Throws<ArgumentOutOfRangeException>(() => new PiecewiseConstantDecay([5], [1f, -2f])).Message);
        Assert.Contains("'alpha' must lie in [0, 1]", Assert.Throws<ArgumentOutOfRangeException>(() => new CosineDecay(0.1f, 10, alpha: 2f)).Message);
        Assert.Contains("needs 'warmupTarget'", Assert.Throws<ArgumentException>(() => new CosineDecay(0.1f, 10, warmupSteps: 5)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LinearWarmup(0.1f, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LinearWarmup(float.PositiveInfinity, 3));
    }
}
