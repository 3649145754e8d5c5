using DeepGen.Cpu;

namespace DeepGen.Tests.Shared;

/// <summary>
/// CI runs the kernel and end-to-end tests again with wide vectors switched off (<c>DOTNET_EnableAVX512=0</c>, and
/// for 128-bit also <c>DOTNET_EnableAVX2=0</c> and <c>DOTNET_EnableAVX=0</c>). A switch the runtime no longer reads
/// changes nothing, and the narrower run silently repeats the wide one (.NET 10 ignores <c>DOTNET_EnableAVX512F</c>),
/// so each run states the width it really used: in <c>DEEPGEN_VECTOR_REPORT</c> (a file CI prints) and against
/// <c>DEEPGEN_EXPECT_VECTOR_BITS</c> when that is set. Linked into every test project that CI runs at several widths.
/// </summary>
public class VectorWidthTests
{
    [Fact]
    public void Runs_at_the_vector_width_the_environment_expects()
    {
        var bits = CpuBackend.VectorBits;
        var project = typeof(VectorWidthTests).Assembly.GetName().Name;
        if (Environment.GetEnvironmentVariable("DEEPGEN_VECTOR_REPORT") is { Length: > 0 } report)
            File.AppendAllText(report, $"{project}: {bits}-bit vectors{Environment.NewLine}");

        if (Environment.GetEnvironmentVariable("DEEPGEN_EXPECT_VECTOR_BITS") is not { Length: > 0 } expected) return;
        Assert.True(int.TryParse(expected, out var expectedBits), $"DEEPGEN_EXPECT_VECTOR_BITS is '{expected}', not a number of bits.");
        Assert.True(expectedBits == bits,
            $"{project} ran with {bits}-bit vectors, but this run was meant to use {expectedBits}-bit ones: check the DOTNET_Enable* switches.");
    }
}
