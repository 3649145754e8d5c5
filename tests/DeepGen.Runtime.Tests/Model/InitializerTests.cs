namespace DeepGen.Runtime.Tests.Model;

/// <summary>
/// Keras's initializers over large samples: mean, variance and bounds against the formulas, the truncation of the
/// normal ones at two standard deviations, and the random stream's state round trip.
/// </summary>
public class InitializerTests
{
    private const int FanIn = 300;
    private const int FanOut = 200;
    private const int Count = 200_000;

    public static TheoryData<Initializer, double, bool> Cases() => new()
    {
        // initializer, expected variance, uniform?
        { Initializer.GlorotUniform, 2.0 / (FanIn + FanOut), true },
        { Initializer.HeUniform, 2.0 / FanIn, true },
        { Initializer.LecunUniform, 1.0 / FanIn, true },
        { Initializer.GlorotNormal, 2.0 / (FanIn + FanOut), false },
        { Initializer.HeNormal, 2.0 / FanIn, false },
        { Initializer.LecunNormal, 1.0 / FanIn, false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Random_initializers_have_the_keras_variance_and_bounds(Initializer initializer, double variance, bool uniform)
    {
        var values = new float[Count];
        var random = new SeededRandom(42);
        WeightInitialization.Fill(values, initializer, FanIn, FanOut, ref random);

        var mean = values.Average(v => (double)v);
        var measured = values.Sum(v => (v - mean) * (v - mean)) / (Count - 1);
        Assert.InRange(mean, -5 * Math.Sqrt(variance / Count), 5 * Math.Sqrt(variance / Count));
        Assert.InRange(measured, variance * 0.98, variance * 1.02);

        var spread = WeightInitialization.Spread(initializer, FanIn, FanOut);
        var bound = uniform ? spread : 2 * spread;
        Assert.All(values, v => Assert.InRange(Math.Abs(v), 0, bound * (1 + 1e-6)));
        // Both ends are reached: within 1% of the bound on each side.
        Assert.True(values.Max() > 0.99 * bound && values.Min() < -0.99 * bound, "The draws do not span the range.");
        if (!uniform)
        {
            // A truncated normal is denser near zero than a uniform of the same variance: about 47% within one σ.
            var sigma = spread;
            var withinOne = values.Count(v => Math.Abs(v) <= sigma) / (double)Count;
            Assert.InRange(withinOne, 0.70, 0.76); // P(|z| ≤ 1 | |z| ≤ 2) = 0.6827 / 0.9545 = 0.7152
        }
    }

    [Fact]
    public void Zeros_and_ones_are_exact_and_draw_nothing()
    {
        var random = new SeededRandom(7);
        var state = random.State;
        var zeros = Enumerable.Repeat(3f, 10).ToArray();
        var ones = new float[10];
        WeightInitialization.Fill(zeros, Initializer.Zeros, 5, 2, ref random);
        WeightInitialization.Fill(ones, Initializer.Ones, 5, 2, ref random);
        Assert.All(zeros, v => Assert.Equal(0f, v));
        Assert.All(ones, v => Assert.Equal(1f, v));
        Assert.Equal(state, random.State);
    }

    [Fact]
    public void The_random_state_round_trips()
    {
        var random = new SeededRandom(99);
        random.NextUInt32();
        var copy = new SeededRandom(1) { State = random.State };
        for (var i = 0; i < 10; i++) Assert.Equal(random.NextUInt32(), copy.NextUInt32());
        Assert.Throws<ArgumentException>(() => copy.State = new RandomState(0, 0, 0, 0));
    }

    [Fact]
    public void Unknown_initializers_are_refused()
    {
        var random = new SeededRandom(1);
        Assert.Throws<ArgumentOutOfRangeException>(() => WeightInitialization.Fill(new float[3], (Initializer)42, 1, 1, ref random));
    }
}
