using System.Runtime.CompilerServices;
using Xunit.Sdk;

namespace DeepGen.Generator.Tests;

/// <summary>
/// A small baseline runner, shaped like Verify's <c>Verify(actual)</c> so moving to Verify later is mechanical.
/// Baselines live in <c>Snapshots/&lt;name&gt;.verified.cs</c> beside this file and are read from the source tree.
/// A mismatch writes <c>&lt;name&gt;.received.cs</c> next to the baseline (git-ignored) and fails; run the tests with
/// <c>DEEPGEN_ACCEPT_SNAPSHOTS=1</c> to overwrite the baselines instead, then review the diff before committing.
/// </summary>
internal static class Snapshot
{
    public const string AcceptVariable = "DEEPGEN_ACCEPT_SNAPSHOTS";

    public static void Verify(string actual, [CallerMemberName] string name = "", [CallerFilePath] string callerFile = "")
    {
        actual = actual.ReplaceLineEndings("\n");
        var directory = Path.Combine(TestDirectory(callerFile), "Snapshots");
        var verifiedPath = Path.Combine(directory, name + ".verified.cs");
        var receivedPath = Path.Combine(directory, name + ".received.cs");

        if (Environment.GetEnvironmentVariable(AcceptVariable) == "1")
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(verifiedPath, actual);
            File.Delete(receivedPath);
            return;
        }

        var expected = File.Exists(verifiedPath) ? File.ReadAllText(verifiedPath).ReplaceLineEndings("\n") : null;
        if (expected == actual)
        {
            File.Delete(receivedPath);
            return;
        }

        Directory.CreateDirectory(directory);
        File.WriteAllText(receivedPath, actual);
        var accept = $"If the new output is right, rerun with {AcceptVariable}=1 (or copy the received file over the verified one) and review the diff.";
        if (expected is null)
            throw new XunitException($"No baseline {verifiedPath}. Wrote {receivedPath}.{Environment.NewLine}{accept}");

        var expectedLines = expected.Split('\n');
        var actualLines = actual.Split('\n');
        var line = 0;
        while (line < expectedLines.Length && line < actualLines.Length && expectedLines[line] == actualLines[line]) line++;
        throw new XunitException(
            $"Generated source differs from {verifiedPath} at line {line + 1}:{Environment.NewLine}" +
            $"  expected: {LineOrEnd(expectedLines, line)}{Environment.NewLine}" +
            $"  actual:   {LineOrEnd(actualLines, line)}{Environment.NewLine}" +
            $"Wrote {receivedPath}.{Environment.NewLine}{accept}");
    }

    private static string LineOrEnd(string[] lines, int index) => index < lines.Length ? lines[index] : "<end of file>";

    /// <summary>
    /// The folder of the calling test file. A build that maps source paths (PathMap, as CI builds do) leaves
    /// CallerFilePath pointing nowhere; then the project folder is found by walking up from the test binaries.
    /// </summary>
    private static string TestDirectory(string callerFile)
    {
        var directory = Path.GetDirectoryName(callerFile);
        if (directory is not null && Directory.Exists(directory)) return directory;

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "DeepGen.Generator.Tests");
            if (Directory.Exists(candidate)) return candidate;
            if (File.Exists(Path.Combine(dir.FullName, "DeepGen.Generator.Tests.csproj"))) return dir.FullName;
        }

        throw new InvalidOperationException($"Cannot find the test project folder from '{callerFile}' or '{AppContext.BaseDirectory}'.");
    }
}
