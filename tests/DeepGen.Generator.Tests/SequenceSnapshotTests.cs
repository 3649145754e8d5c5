namespace DeepGen.Generator.Tests;

/// <summary>
/// The exact generated file of sequence models (token ids in): all-MiniLM-L6-v2's shape, which the hand-written
/// target of the design was written for, and a small classifier with a Dense head. Each compiles cleanly too.
/// </summary>
public class SequenceSnapshotTests
{
    [Fact]
    public void SentenceEncoder() => VerifyModel(TestModels.SentenceEncoder, "Samples.Text.SentenceEncoder.g.cs");

    [Fact]
    public void SequenceClassifier() => VerifyModel(TestModels.SequenceClassifier, "Samples.Text.SequenceClassifier.g.cs");

    private static void VerifyModel(string source, string hintName, [System.Runtime.CompilerServices.CallerMemberName] string name = "")
    {
        var run = GeneratorHarness.Run(source);
        Assert.Null(run.Result.Exception);
        Assert.True(run.OutputDiagnostics.IsEmpty, GeneratorRun.Describe(run.OutputDiagnostics));
        var (generatedHintName, text) = Assert.Single(run.Sources);
        Assert.Equal(hintName, generatedHintName);
        Snapshot.Verify(text, name);
    }
}
