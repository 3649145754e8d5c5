using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace DeepGen;

/// <summary>
/// Keras's per-epoch progress line, in the form <see cref="Verbosity"/> asks for:
/// <list type="bullet">
/// <item><see cref="Verbosity.ProgressBar"/>, Keras 3's <c>verbose=1</c>, counting steps (batches):
/// <c>469/469 ━━━━━━━━━━━━━━━━━━━━ 3s 6ms/step - accuracy: 0.9311 - loss: 0.2190</c>;</item>
/// <item><see cref="Verbosity.OneLinePerEpoch"/>, Keras 3's <c>verbose=2</c>:
/// <c>469/469 - 3s - 6ms/step - accuracy: 0.9311 - loss: 0.2190</c>;</item>
/// <item><see cref="Verbosity.Keras2ProgressBar"/>, Keras 2's bar, counting samples:
/// <c>60000/60000 [==============================] - 1s 13us/step - loss: 0.0831 - accuracy: 0.3866</c>.</item>
/// </list>
/// The Keras 3 forms list the figures in name order, as Keras 3 sorts its logs (training figures, then the
/// <c>val_</c> ones at the end of the epoch); the Keras 2 form keeps the loss first and the metrics in their order.
/// On an interactive terminal the two bars redraw in place (carriage return) at most a few times a second during
/// the epoch, the Keras 3 bar coloured as Keras colours it; when the output is redirected, or is a writer other than
/// the console, each epoch writes its finished line only, without colours.
/// </summary>
internal sealed class ProgressBar
{
    private const int Keras2Width = 30;
    private const int Keras3Width = 20;
    private const char Keras3Block = '━';
    private const string Green = "\x1b[32m", White = "\x1b[37m", Plain = "\x1b[0m";
    private static readonly TimeSpan DefaultRedrawInterval = TimeSpan.FromMilliseconds(250);
    private readonly TextWriter _output;
    private readonly Verbosity _verbosity;
    private readonly TimeSpan _redrawInterval;
    private readonly int _batchSize;
    private long _lastDraw;
    private int _drawnWidth; // visible characters of the last in-place line, to blank what a shorter one leaves

    /// <param name="batchSize">Samples per step, to turn the sample counts the callers give into the steps Keras 3 counts.</param>
    internal ProgressBar(TextWriter output, Verbosity verbosity, bool interactive, TimeSpan? redrawInterval = null, int batchSize = 1)
    {
        _output = output;
        _verbosity = verbosity;
        Interactive = interactive && verbosity is Verbosity.ProgressBar or Verbosity.Keras2ProgressBar;
        _redrawInterval = redrawInterval ?? DefaultRedrawInterval;
        _batchSize = Math.Max(batchSize, 1);
    }

    /// <summary>Whether the bar redraws in place during the epoch.</summary>
    public bool Interactive { get; }

    /// <summary>A bar on <paramref name="output"/> (the console by default), interactive on a console that is not redirected.</summary>
    public static ProgressBar For(TextWriter? output, Verbosity verbosity, int batchSize = 1)
    {
        var writer = output ?? Console.Out;
        var interactive = ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected;
        return new ProgressBar(writer, verbosity, interactive, batchSize: batchSize);
    }

    public void BeginEpoch(int epoch, int epochs)
    {
        if (_verbosity == Verbosity.Silent) return;
        _output.WriteLine($"Epoch {epoch}/{epochs}");
        _lastDraw = Stopwatch.GetTimestamp();
        _drawnWidth = 0;
    }

    /// <summary>Whether a redraw is due now: only on a terminal, and at most once per redraw interval.</summary>
    public bool ShouldRedraw() => Interactive && Stopwatch.GetElapsedTime(_lastDraw) >= _redrawInterval;

    /// <summary>
    /// Redraws the bar in place with the running figures, <paramref name="done"/> of <paramref name="total"/>
    /// samples in. Call when <see cref="ShouldRedraw"/> says so.
    /// </summary>
    public void Redraw(int done, int total, TimeSpan elapsed, IReadOnlyList<KeyValuePair<string, double>> values)
    {
        _lastDraw = Stopwatch.GetTimestamp();
        var line = _verbosity == Verbosity.Keras2ProgressBar
            ? Line(done, total, elapsed, values, finished: false)
            : Keras3Line(Steps(done), Steps(total), elapsed, values, finished: false, colour: true);
        Draw(line, VisibleLength(line));
        _output.Flush();
    }

    /// <summary>Writes the epoch's finished line, <paramref name="done"/> of <paramref name="total"/> samples in.</summary>
    public void EndEpoch(int done, int total, TimeSpan elapsed, IReadOnlyList<KeyValuePair<string, double>> values)
    {
        if (_verbosity == Verbosity.Silent) return;
        var line = _verbosity switch
        {
            Verbosity.Keras2ProgressBar => Line(done, total, elapsed, values, finished: true),
            Verbosity.OneLinePerEpoch => Keras3EpochLine(Steps(done), Steps(total), elapsed, values),
            _ => Keras3Line(Steps(done), Steps(total), elapsed, values, finished: true, colour: false),
        };
        if (Interactive) Draw(line, line.Length);
        else _output.Write(line);
        _output.WriteLine();
        _output.Flush();
    }

    private int Steps(int samples) => (int)(((long)samples + _batchSize - 1) / _batchSize);

    private void Draw(string line, int width)
    {
        _output.Write('\r');
        _output.Write(line);
        if (_drawnWidth > width) _output.Write(new string(' ', _drawnWidth - width));
        _drawnWidth = width;
    }

    private static int VisibleLength(string line)
    {
        var length = 0;
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] == '\x1b')
            {
                while (i < line.Length && line[i] != 'm') i++;
                continue;
            }

            length++;
        }

        return length;
    }

    /// <summary>The Keras 2 line with the loss and the accuracy, in that order.</summary>
    internal static string Line(int done, int total, TimeSpan elapsed, double loss, double accuracy, bool finished) =>
        Line(done, total, elapsed, [new("loss", loss), new("accuracy", accuracy)], finished);

    /// <summary>Keras 2's line: samples done, a 30-character bar, seconds and microseconds per sample, then each figure in the order given.</summary>
    internal static string Line(int done, int total, TimeSpan elapsed, IReadOnlyList<KeyValuePair<string, double>> values, bool finished)
    {
        var filled = total == 0 ? Keras2Width : (int)((long)Keras2Width * done / total);
        var bar = (finished && done == total) || filled >= Keras2Width
            ? new string('=', Keras2Width)
            : new string('=', Math.Max(filled - 1, 0)) + ">" + new string('.', Keras2Width - Math.Max(filled, 1));
        var perSample = done == 0 ? 0 : elapsed.TotalMicroseconds / done;
        var time = finished
            ? $"{elapsed.TotalSeconds:0}s {perSample:0}us/step"
            : $"ETA: {(done == 0 ? 0 : elapsed.TotalSeconds * (total - done) / done):0}s";
        var line = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"{Count(done, total)} [{bar}] - {time}"));
        foreach (var (name, value) in values)
            line.Append(CultureInfo.InvariantCulture, $" - {name}: {value:0.0000}");
        return line.ToString();
    }

    /// <summary>
    /// Keras 3's <c>verbose=1</c> line: steps done, a 20-character bar of '━' (green up to the progress, white after,
    /// when <paramref name="colour"/>), the seconds elapsed (finished) or the time left (during the epoch), the time
    /// per step, then the figures in name order.
    /// </summary>
    internal static string Keras3Line(int steps, int totalSteps, TimeSpan elapsed, IReadOnlyList<KeyValuePair<string, double>> values, bool finished, bool colour)
    {
        var filled = totalSteps == 0 ? Keras3Width : (int)((long)Keras3Width * steps / totalSteps);
        var line = new StringBuilder();
        line.Append(Count(steps, totalSteps)).Append(' ');
        if (colour)
        {
            if (filled > 0) line.Append(Green).Append(Keras3Block, filled).Append(Plain);
            line.Append(White).Append(Keras3Block, Keras3Width - filled).Append(Plain);
        }
        else
        {
            line.Append(Keras3Block, Keras3Width);
        }

        var perStep = PerStep(steps, elapsed);
        line.Append(' ').Append(finished ? WholeSeconds(elapsed.TotalSeconds) + "s" : TimeLeft(perStep * (totalSteps - steps)));
        line.Append(' ').Append(StepTime(perStep));
        AppendKeras3Figures(line, values, abs: true);
        return line.ToString();
    }

    /// <summary>Keras 3's <c>verbose=2</c> line: <c>469/469 - 3s - 6ms/step - accuracy: 0.9311 - loss: 0.2190</c>.</summary>
    internal static string Keras3EpochLine(int steps, int totalSteps, TimeSpan elapsed, IReadOnlyList<KeyValuePair<string, double>> values)
    {
        var line = new StringBuilder();
        line.Append(Count(steps, totalSteps)).Append(" - ").Append(WholeSeconds(elapsed.TotalSeconds)).Append("s - ").Append(StepTime(PerStep(steps, elapsed)));
        AppendKeras3Figures(line, values, abs: false);
        return line.ToString();
    }

    private static double PerStep(int steps, TimeSpan elapsed) => steps == 0 ? 0 : elapsed.TotalSeconds / steps;

    /// <summary><c>done/total</c>, done padded to the width of total.</summary>
    private static string Count(int done, int total)
    {
        var width = total.ToString(CultureInfo.InvariantCulture).Length;
        return done.ToString(CultureInfo.InvariantCulture).PadLeft(width) + "/" + total.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Python's <c>f"{x:.0f}"</c>: rounded half to even.</summary>
    private static string WholeSeconds(double seconds) =>
        Math.Round(seconds, MidpointRounding.ToEven).ToString("0", CultureInfo.InvariantCulture);

    /// <summary>Keras 3's time per step: whole seconds from 1 s (or at 0), else whole milliseconds from 1 ms, else microseconds.</summary>
    private static string StepTime(double seconds)
    {
        if (seconds >= 1 || seconds == 0) return WholeSeconds(seconds) + "s/step";
        if (seconds >= 1e-3) return WholeSeconds(seconds * 1e3) + "ms/step";
        return WholeSeconds(seconds * 1e6) + "us/step";
    }

    /// <summary>Keras 3's time left: <c>h:mm:ss</c> past an hour, <c>m:ss</c> past a minute, else whole seconds (truncated, as Python's <c>%d</c>).</summary>
    private static string TimeLeft(double seconds)
    {
        var whole = (long)seconds;
        return seconds > 3600 ? string.Create(CultureInfo.InvariantCulture, $"{whole / 3600}:{whole % 3600 / 60:00}:{whole % 60:00}")
            : seconds > 60 ? string.Create(CultureInfo.InvariantCulture, $"{whole / 60}:{whole % 60:00}")
            : string.Create(CultureInfo.InvariantCulture, $"{whole}s");
    }

    /// <summary>
    /// The figures as Keras 3 prints them: training ones in name order, then the <c>val_</c> ones in name order; four
    /// decimals, or four significant digits in exponent form at or below 1e-3 (in absolute value for the bar, plain
    /// value for the epoch line, as Keras does).
    /// </summary>
    private static void AppendKeras3Figures(StringBuilder line, IReadOnlyList<KeyValuePair<string, double>> values, bool abs)
    {
        var ordered = new KeyValuePair<string, double>[values.Count];
        for (var i = 0; i < ordered.Length; i++) ordered[i] = values[i];
        Array.Sort(ordered, static (a, b) =>
        {
            var validation = a.Key.StartsWith("val_", StringComparison.Ordinal).CompareTo(b.Key.StartsWith("val_", StringComparison.Ordinal));
            return validation != 0 ? validation : string.CompareOrdinal(a.Key, b.Key);
        });
        foreach (var (name, value) in ordered)
        {
            var plain = (abs ? Math.Abs(value) : value) > 1e-3;
            line.Append(" - ").Append(name).Append(": ")
                .Append(value.ToString(plain ? "0.0000" : "0.0000e+00", CultureInfo.InvariantCulture));
        }
    }
}
