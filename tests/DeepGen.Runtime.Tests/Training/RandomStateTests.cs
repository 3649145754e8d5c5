namespace DeepGen.Runtime.Tests.Training;

public class RandomStateTests
{
    [Fact]
    public void A_restored_state_continues_the_same_sequence()
    {
        var random = new SeededRandom(42);
        for (var i = 0; i < 10; i++) random.NextUInt32();
        var state = random.State;
        var expected = Enumerable.Range(0, 5).Select(_ => random.NextUInt32()).ToArray();

        var restored = new SeededRandom(7) { State = RandomState.Parse(state.ToString()) };
        Assert.Equal(expected, Enumerable.Range(0, 5).Select(_ => restored.NextUInt32()).ToArray());
        Assert.Equal(32, state.ToString().Length);
        Assert.Throws<FormatException>(() => RandomState.Parse("xyz"));
        Assert.Throws<ArgumentException>(() => new SeededRandom(1) { State = default });
    }
}
