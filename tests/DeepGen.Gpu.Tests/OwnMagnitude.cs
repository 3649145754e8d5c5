namespace DeepGen.Gpu.Tests;

/// <summary>
/// The parity bound between the device and the CPU: every element within <see cref="Relative"/> (1e-5) of its own
/// magnitude, not of the tensor's largest value, down to <see cref="FloorFraction"/> (a tenth) of that largest value.
/// </summary>
/// <remarks>
/// Why a floor at all: an element that is a sum cancelling to almost nothing (a gradient of 1e-7 beside others of
/// 1e-2) carries the rounding of its terms, about float's epsilon times their size, and the two paths add those terms
/// in different orders (the CPU in SIMD blocks, the device one thread in k order). Measured on these tests, that
/// difference reaches 4e-7 of the tensor's largest value, so such an element is held to 1e-6 of the largest value
/// (1e-5 of a tenth of it): ten times tighter than the whole-tensor bound, and every element from a tenth of the
/// largest value up is held to 1e-5 of itself.
/// </remarks>
internal static class OwnMagnitude
{
    public const float Relative = 1e-5f;
    public const float FloorFraction = 0.1f;

    /// <param name="before">
    /// For an update, the values it started from: an element's magnitude is then the larger of its value before and
    /// after (a parameter stepped close to zero is still held to its own size, not to its rounding).
    /// </param>
    public static void Assert(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what, ReadOnlySpan<float> before = default)
    {
        Xunit.Assert.Equal(expected.Length, actual.Length);
        Xunit.Assert.True(before.IsEmpty || before.Length == expected.Length);
        var largest = 0f;
        foreach (var value in expected) largest = Math.Max(largest, Math.Abs(value));
        Xunit.Assert.True(largest > 0f, $"{what}: the expected values are all zero, which tests nothing.");
        var floor = FloorFraction * largest;
        for (var i = 0; i < expected.Length; i++)
        {
            var magnitude = Math.Max(Math.Abs(expected[i]), before.IsEmpty ? 0f : Math.Abs(before[i]));
            var bound = Relative * Math.Max(magnitude, floor);
            if (!(Math.Abs(expected[i] - actual[i]) <= bound))
                Xunit.Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (allowed ±{bound:R}: 1e-5 of its own magnitude, or of a tenth of the largest, {largest:R}).");
        }
    }
}
