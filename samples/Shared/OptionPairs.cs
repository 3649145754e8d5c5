using System.Globalization;

namespace DeepGen.Samples;

/// <summary>
/// The command lines of the samples: <c>--name value</c> pairs, read one after another into an immutable options
/// record. Compiled into each sample that uses it (see its .csproj).
/// </summary>
internal static class OptionPairs
{
    /// <summary>
    /// Folds every <c>--name value</c> pair of <paramref name="args"/> into <paramref name="options"/> with
    /// <paramref name="apply"/>, which returns the new options, or null when it does not take that name and value.
    /// False on <c>--help</c> (with a null <paramref name="error"/>) or on the first pair refused, which
    /// <paramref name="error"/> names.
    /// </summary>
    public static bool TryRead<TOptions>(string[] args, ref TOptions options, Func<TOptions, string, string, TOptions?> apply, out string? error)
        where TOptions : class
    {
        error = null;
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (name is "-h" or "--help") return false;
            if (i + 1 >= args.Length)
            {
                error = $"{name} needs a value.";
                return false;
            }

            var value = args[++i];
            if (apply(options, name, value) is not { } next)
            {
                error = $"Unknown option or bad value: {name} {value}";
                return false;
            }

            options = next;
        }

        return true;
    }

    /// <summary>A whole number above zero, or null.</summary>
    public static int? PositiveInt(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : null;

    /// <summary>Any whole number (a seed), or null.</summary>
    public static int? Int(string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;
}
