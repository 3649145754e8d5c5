namespace DeepGen.EndToEnd.Tests;

/// <summary>
/// A long test on real data, run only when <c>DEEPGEN_ACCEPTANCE=1</c> (as <c>.ci/run</c> does), so the default test
/// run stays quick. Tag it <c>[Trait("Category", "Acceptance")]</c> as well, so it can be selected with a filter.
/// </summary>
public sealed class AcceptanceFactAttribute : FactAttribute
{
    public const string Variable = "DEEPGEN_ACCEPTANCE";

    public AcceptanceFactAttribute()
    {
        if (Environment.GetEnvironmentVariable(Variable) != "1")
            Skip = $"Acceptance test: set {Variable}=1 to run it (it downloads MNIST and trains for minutes).";
    }
}
