using System.Globalization;
using System.Text;

namespace DeepGen.Samples;

/// <summary>
/// The samples' command line: <c>--name value</c> pairs (or <c>--name=value</c>) read into an immutable options
/// record. Each option is declared once, with the kind of its value, its help line and how it changes the record;
/// that one declaration serves parsing, the error messages and <c>--help</c>. An unknown name, a missing value, a
/// value of the wrong kind or out of range, and an option given twice are refused with a message that names the option
/// and the value. No reflection, so it runs under NativeAOT. Compiled into each sample that uses it (see its .csproj).
/// </summary>
/// <typeparam name="TOptions">The options record; <c>new TOptions()</c> holds the defaults.</typeparam>
internal sealed class OptionParser<TOptions> where TOptions : class, new()
{
    private const int HelpWidth = 118;
    private readonly string _command;
    private readonly string? _summary;
    private readonly List<Option> _options = [];
    private readonly Dictionary<string, Option> _byName = new(StringComparer.Ordinal);

    /// <summary>
    /// A parser for the program run as <paramref name="command"/> (the usage line's start, e.g.
    /// <c>dotnet run --project samples/Mnist -c Release --</c>), with an optional one-line
    /// <paramref name="summary"/> of what it does, printed first by <c>--help</c>.
    /// </summary>
    public OptionParser(string command, string? summary = null)
    {
        _command = command;
        _summary = summary;
    }

    /// <summary>The option names this parser takes, aliases included, in declaration order.</summary>
    public IEnumerable<string> Names => _options.SelectMany(option => option.Names);

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/> (inclusive), shown as <c>N</c>.</summary>
    public OptionParser<TOptions> Int(string name, string help, Func<TOptions, int, TOptions> set, int min = int.MinValue, int max = int.MaxValue)
    {
        if (min > max) throw new ArgumentException($"{name}: min {min} is above max {max}.", nameof(min));
        var range = (min, max) switch
        {
            (int.MinValue, int.MaxValue) => "a whole number",
            (_, int.MaxValue) => $"a whole number from {min} up",
            (int.MinValue, _) => $"a whole number up to {max}",
            _ => $"a whole number from {min} to {max}",
        };
        return Add(name, "N", help, range, (options, text) =>
            int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
                ? set(options, n)
                : null);
    }

    /// <summary>A finite number (invariant culture: <c>0.1</c>, <c>1e-3</c>) strictly above <paramref name="above"/>, shown as <c>X</c>.</summary>
    public OptionParser<TOptions> Float(string name, string help, Func<TOptions, float, TOptions> set, float above = float.NegativeInfinity)
    {
        var range = float.IsNegativeInfinity(above)
            ? "a finite number"
            : $"a finite number above {above.ToString(CultureInfo.InvariantCulture)}";
        return Add(name, "X", help, range, (options, text) =>
            float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && float.IsFinite(x) && x > above
                ? set(options, x)
                : null);
    }

    /// <summary>Any text that is not blank (a path, a query), shown as <paramref name="valueName"/> (<c>FILE</c>, <c>DIR</c>, <c>TEXT</c>).</summary>
    public OptionParser<TOptions> String(string name, string valueName, string help, Func<TOptions, string, TOptions> set) =>
        Add(name, valueName, help, $"a {valueName} (not blank)", (options, text) =>
            string.IsNullOrWhiteSpace(text) ? null : set(options, text));

    /// <summary>One of <paramref name="choices"/>' names (case ignored), shown as <c>a|b|c</c>.</summary>
    public OptionParser<TOptions> Choice<T>(string name, string help, IReadOnlyList<(string Name, T Value)> choices, Func<TOptions, T, TOptions> set)
    {
        if (choices.Count == 0) throw new ArgumentException($"{name} needs at least one choice.", nameof(choices));
        var names = string.Join("|", choices.Select(choice => choice.Name));
        return Add(name, names, help, $"one of {string.Join(", ", choices.Select(choice => choice.Name))}", (options, text) =>
        {
            foreach (var (choiceName, value) in choices)
                if (string.Equals(choiceName, text, StringComparison.OrdinalIgnoreCase)) return set(options, value);
            return null;
        });
    }

    /// <summary>Lets <paramref name="alias"/> stand for the option <paramref name="name"/> declared before.</summary>
    public OptionParser<TOptions> Alias(string alias, string name)
    {
        if (!_byName.TryGetValue(name, out var option)) throw new ArgumentException($"No option {name} to alias.", nameof(name));
        CheckNewName(alias);
        option.Names.Add(alias);
        _byName.Add(alias, option);
        return this;
    }

    /// <summary>What <c>--help</c> prints: the usage line, the summary, then one entry per option.</summary>
    public string Usage
    {
        get
        {
            var text = new StringBuilder();
            text.Append("Usage: ").Append(_command).AppendLine(" [options]");
            if (_summary is not null) text.AppendLine(_summary);
            var entries = _options.Select(option => (Left: string.Join(", ", option.Names) + " " + option.ValueName, option.Help))
                .Append((Left: "-h, --help", Help: "print this list"))
                .ToList();
            var column = entries.Max(entry => entry.Left.Length) + 4;
            foreach (var (left, help) in entries)
            {
                var lines = Wrap(help, Math.Max(HelpWidth - column, 30));
                text.Append("  ").Append(left.PadRight(column - 2)).AppendLine(lines[0]);
                foreach (var line in lines.Skip(1)) text.Append(' ', column).AppendLine(line);
            }

            return text.ToString();
        }
    }

    /// <summary>
    /// Reads <paramref name="args"/> into a copy of the defaults. False on <c>-h</c> / <c>--help</c> (with a null
    /// <paramref name="error"/>) or on the first argument refused, which <paramref name="error"/> names with its value.
    /// </summary>
    public bool TryParse(IReadOnlyList<string> args, out TOptions options, out string? error)
    {
        options = new TOptions();
        error = null;
        if (args.Any(arg => arg is "-h" or "--help")) return false;

        var seen = new Dictionary<Option, string>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            var equals = arg.StartsWith("--", StringComparison.Ordinal) ? arg.IndexOf('=') : -1;
            var name = equals < 0 ? arg : arg[..equals];
            if (!_byName.TryGetValue(name, out var option))
            {
                error = name.StartsWith('-')
                    ? $"Unknown option '{name}'. Options: {string.Join(", ", Names)} (--help explains them)."
                    : $"'{arg}' is not an option: options start with -- and each takes one value (--help lists them).";
                return false;
            }

            string value;
            if (equals >= 0)
            {
                value = arg[(equals + 1)..];
            }
            else if (i + 1 < args.Count && !_byName.ContainsKey(args[i + 1]) && args[i + 1] is not ("-h" or "--help"))
            {
                value = args[++i];
            }
            else
            {
                error = $"{name} needs a value: {option.Expected}.";
                return false;
            }

            if (seen.TryGetValue(option, out var earlier))
            {
                error = $"{name} is given twice ('{earlier}' and '{value}'); give it once.";
                return false;
            }

            seen.Add(option, value);
            if (option.Apply(options, value) is not { } next)
            {
                error = $"{name} takes {option.Expected}, not '{value}'.";
                return false;
            }

            options = next;
        }

        return true;
    }

    /// <summary>
    /// What a sample's <c>Main</c> does with its arguments: true with the options, or false after printing the usage
    /// (to standard output for <c>--help</c>, <paramref name="exitCode"/> 0) or the error and the usage (to standard
    /// error, <paramref name="exitCode"/> 2).
    /// </summary>
    public bool TryParseOrExplain(string[] args, out TOptions options, out int exitCode)
    {
        if (TryParse(args, out options, out var error))
        {
            exitCode = 0;
            return true;
        }

        if (error is null)
        {
            Console.Out.Write(Usage);
            exitCode = 0;
        }
        else
        {
            Console.Error.WriteLine(error);
            Console.Error.WriteLine();
            Console.Error.Write(Usage);
            exitCode = 2;
        }

        return false;
    }

    private OptionParser<TOptions> Add(string name, string valueName, string help, string expected, Func<TOptions, string, TOptions?> apply)
    {
        CheckNewName(name);
        var option = new Option([name], valueName, help, expected, apply);
        _options.Add(option);
        _byName.Add(name, option);
        return this;
    }

    private void CheckNewName(string name)
    {
        if (!name.StartsWith("--", StringComparison.Ordinal) || name.Length < 3 || name.Contains('='))
            throw new ArgumentException($"Option names look like --name, not '{name}'.", nameof(name));
        if (name is "--help" || _byName.ContainsKey(name)) throw new ArgumentException($"{name} is declared twice.", nameof(name));
    }

    private static List<string> Wrap(string text, int width)
    {
        var lines = new List<string>();
        var line = new StringBuilder();
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > width)
            {
                lines.Add(line.ToString());
                line.Clear();
            }

            if (line.Length > 0) line.Append(' ');
            line.Append(word);
        }

        lines.Add(line.ToString());
        return lines;
    }

    private sealed class Option(List<string> names, string valueName, string help, string expected, Func<TOptions, string, TOptions?> apply)
    {
        public List<string> Names { get; } = names;
        public string ValueName { get; } = valueName;
        public string Help { get; } = help;
        public string Expected { get; } = expected;
        public Func<TOptions, string, TOptions?> Apply { get; } = apply;
    }
}
