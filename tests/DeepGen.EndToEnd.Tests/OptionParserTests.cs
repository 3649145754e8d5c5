using DeepGen.Samples;

namespace DeepGen.EndToEnd.Tests;

/// <summary>
/// samples/Shared/OptionParser.cs, the command line every sample reads: values of each kind, and every refusal naming
/// the option and the value. Also samples/Mnist's own options, linked from the sample.
/// </summary>
public class OptionParserTests
{
    private enum Colour { Red, Green }

    private sealed record Settings
    {
        public int Count { get; init; } = 3;
        public int Seed { get; init; } = 1;
        public float Rate { get; init; } = 0.5f;
        public string? Path { get; init; }
        public Colour Colour { get; init; } = Colour.Red;
    }

    private static OptionParser<Settings> Parser() =>
        new OptionParser<Settings>("tool --", "Does a thing.")
            .Int("--count", "how many (default 3)", (o, n) => o with { Count = n }, min: 1, max: 100)
            .Alias("--n", "--count")
            .Int("--seed", "any seed (default 1)", (o, n) => o with { Seed = n })
            .Float("--rate", "a step size (default 0.5)", (o, x) => o with { Rate = x }, above: 0)
            .String("--path", "FILE", "where to write", (o, path) => o with { Path = path })
            .Choice("--colour", "red or green", [("red", Colour.Red), ("green", Colour.Green)], (o, c) => o with { Colour = c });

    private static string Refusal(params string[] args)
    {
        Assert.False(Parser().TryParse(args, out _, out var error));
        Assert.NotNull(error);
        return error;
    }

    [Fact]
    public void Reads_each_kind_of_value_and_keeps_the_defaults_of_the_rest()
    {
        Assert.True(Parser().TryParse(["--count", "7", "--rate", "1e-3", "--path", "out.txt", "--colour", "GREEN", "--seed", "-4"],
            out var options, out var error));
        Assert.Null(error);
        Assert.Equal(new Settings { Count = 7, Rate = 0.001f, Path = "out.txt", Colour = Colour.Green, Seed = -4 }, options);

        Assert.True(Parser().TryParse([], out var defaults, out _));
        Assert.Equal(new Settings(), defaults);
    }

    [Fact]
    public void Takes_name_equals_value_and_aliases()
    {
        Assert.True(Parser().TryParse(["--count=9", "--path=a=b"], out var options, out _));
        Assert.Equal(9, options.Count);
        Assert.Equal("a=b", options.Path);
        Assert.True(Parser().TryParse(["--n", "4"], out options, out _));
        Assert.Equal(4, options.Count);
    }

    [Fact]
    public void Help_is_not_an_error_and_lists_every_option_with_its_value()
    {
        Assert.False(Parser().TryParse(["--count", "oops", "--help"], out _, out var error));
        Assert.Null(error);
        Assert.False(Parser().TryParse(["-h"], out _, out error));
        Assert.Null(error);

        var usage = Parser().Usage;
        Assert.StartsWith("Usage: tool -- [options]" + Environment.NewLine + "Does a thing.", usage);
        Assert.Contains("--count, --n N", usage);
        Assert.Contains("--rate X", usage);
        Assert.Contains("--path FILE", usage);
        Assert.Contains("--colour red|green", usage);
        Assert.Contains("-h, --help", usage);
        Assert.Contains("how many (default 3)", usage);
    }

    [Fact]
    public void Long_help_is_wrapped_under_its_column()
    {
        var parser = new OptionParser<Settings>("tool")
            .String("--path", "FILE", string.Join(' ', Enumerable.Repeat("word", 60)), (o, path) => o with { Path = path });
        var lines = parser.Usage.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, line => Assert.True(line.Length <= 118, $"Too long: {line}"));
        var wrapped = lines.Where(line => line.TrimStart().StartsWith("word", StringComparison.Ordinal)).ToList();
        Assert.True(wrapped.Count >= 2);
        Assert.Equal(lines[1].IndexOf("word", StringComparison.Ordinal), wrapped[0].Length - wrapped[0].TrimStart().Length);
        Assert.Equal(60, string.Concat(lines).Split("word").Length - 1);
    }

    [Theory]
    [InlineData("abc", "--count takes a whole number from 1 to 100, not 'abc'.")]
    [InlineData("0", "--count takes a whole number from 1 to 100, not '0'.")]
    [InlineData("101", "--count takes a whole number from 1 to 100, not '101'.")]
    [InlineData("2.5", "--count takes a whole number from 1 to 100, not '2.5'.")]
    [InlineData("99999999999", "--count takes a whole number from 1 to 100, not '99999999999'.")]
    public void A_bad_whole_number_names_the_option_the_value_and_the_range(string value, string expected) =>
        Assert.Equal(expected, Refusal("--count", value));

    [Theory]
    [InlineData("fast")]
    [InlineData("0")]
    [InlineData("-0.1")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("1e40")]
    [InlineData("0,1")]
    public void A_bad_number_names_the_option_and_the_value(string value) =>
        Assert.Equal($"--rate takes a finite number above 0, not '{value}'.", Refusal("--rate", value));

    [Fact]
    public void A_bad_choice_lists_the_choices() =>
        Assert.Equal("--colour takes one of red, green, not 'blue'.", Refusal("--colour", "blue"));

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void A_blank_text_is_refused(string value) =>
        Assert.Equal($"--path takes a FILE (not blank), not '{value}'.", Refusal("--path", value));

    [Fact]
    public void An_unknown_option_is_refused_by_name_with_the_known_ones()
    {
        Assert.Equal("Unknown option '--device'. Options: --count, --n, --seed, --rate, --path, --colour (--help explains them).",
            Refusal("--count", "2", "--device", "cuda"));
        Assert.StartsWith("Unknown option '--sweep'.", Refusal("--sweep=20"));
        Assert.StartsWith("Unknown option '-c'.", Refusal("-c", "2"));
        Assert.StartsWith("'20' is not an option", Refusal("20"));
    }

    [Fact]
    public void A_missing_value_names_the_option_and_what_it_takes()
    {
        Assert.Equal("--count needs a value: a whole number from 1 to 100.", Refusal("--seed", "2", "--count"));
        Assert.Equal("--path needs a value: a FILE (not blank).", Refusal("--path", "--count", "3"));
    }

    [Fact]
    public void An_option_given_twice_is_refused_with_both_values()
    {
        Assert.Equal("--count is given twice ('2' and '5'); give it once.", Refusal("--count", "2", "--count", "5"));
        Assert.Equal("--n is given twice ('2' and '5'); give it once.", Refusal("--count", "2", "--n", "5"));
    }

    [Fact]
    public void Declaring_an_option_twice_or_a_malformed_name_is_a_programming_error()
    {
        Assert.Throws<ArgumentException>(() => Parser().Int("--seed", "again", (o, n) => o));
        Assert.Throws<ArgumentException>(() => Parser().Alias("--seed", "--count"));
        Assert.Throws<ArgumentException>(() => Parser().Alias("--m", "--missing"));
        Assert.Throws<ArgumentException>(() => Parser().Int("-x", "short", (o, n) => o));
        Assert.Throws<ArgumentException>(() => Parser().Int("--help", "help", (o, n) => o));
        Assert.Throws<ArgumentException>(() => Parser().Int("--low", "empty range", (o, n) => o, min: 2, max: 1));
    }

    [Fact]
    public void The_mnist_sample_defaults_to_the_seed_recipe_and_takes_only_its_options()
    {
        var parser = DeepGen.Samples.Mnist.Options.Parser;
        Assert.True(parser.TryParse([], out var seed, out _));
        Assert.Equal(new DeepGen.Samples.Mnist.Options { Epochs = 20, BatchSize = 100, LearningRate = 0.1f, Seed = 1 }, seed);
        Assert.Equal(["--epochs", "--batch-size", "--learning-rate", "--seed", "--threads", "--save", "--data"], parser.Names);

        Assert.True(parser.TryParse(["--epochs", "1", "--threads", "2", "--save", "m.safetensors", "--data", "mnist"], out var options, out _));
        Assert.Equal(seed with { Epochs = 1, Threads = 2, SavePath = "m.safetensors", DataDirectory = "mnist" }, options);

        // The GPU run and the sweep moved to samples/MnistGpu and bench/DeepGen.Probes.
        Assert.False(parser.TryParse(["--device", "cuda"], out _, out var error));
        Assert.StartsWith("Unknown option '--device'.", error);
        Assert.False(parser.TryParse(["--sweep", "20"], out _, out error));
        Assert.StartsWith("Unknown option '--sweep'.", error);
    }
}
