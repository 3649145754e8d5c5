namespace DeepGen.Generator.Tests;

/// <summary>The baseline runner itself, on a throwaway folder: a mismatch fails, says where, and leaves the received file.</summary>
public sealed class SnapshotRunnerTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deepgen-snapshots-").FullName;

    private string CallerFile => Path.Combine(_folder, "SomeTests.cs");

    private string Verified => Path.Combine(_folder, "Snapshots", "Case.verified.cs");

    private string Received => Path.Combine(_folder, "Snapshots", "Case.received.cs");

    private static bool Accepting => Environment.GetEnvironmentVariable(Snapshot.AcceptVariable) == "1";

    [Fact]
    public void MatchingOutputPassesAndIgnoresLineEndings()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Verified)!);
        File.WriteAllText(Verified, "a\r\nb\r\n");

        Snapshot.Verify("a\nb\n", "Case", CallerFile);

        Assert.False(File.Exists(Received));
    }

    [Fact]
    public void MismatchFailsAtTheFirstDifferentLineAndWritesTheReceivedFile()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Verified)!);
        File.WriteAllText(Verified, "same\nold\nsame\n");

        if (Accepting)
        {
            Snapshot.Verify("same\nnew\nsame\n", "Case", CallerFile);
            Assert.Equal("same\nnew\nsame\n", File.ReadAllText(Verified));
            return;
        }

        var failure = Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => Snapshot.Verify("same\nnew\nsame\n", "Case", CallerFile));
        Assert.Contains("at line 2", failure.Message);
        Assert.Contains("expected: old", failure.Message);
        Assert.Contains("actual:   new", failure.Message);
        Assert.Contains(Snapshot.AcceptVariable + "=1", failure.Message);
        Assert.Equal("same\nnew\nsame\n", File.ReadAllText(Received));
    }

    [Fact]
    public void MissingBaselineFails()
    {
        if (Accepting) return;

        var failure = Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => Snapshot.Verify("text\n", "Case", CallerFile));
        Assert.Contains("No baseline", failure.Message);
        Assert.True(File.Exists(Received));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
