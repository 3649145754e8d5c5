using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace DeepGen;

/// <summary>
/// Keras's per-epoch progress line: <c>60000/60000 [==============================] - 1s 13us/step - loss: 0.0831 - accuracy: 0.3866</c>,
/// with the validation figures (<c>- val_loss: … - val_accuracy: …</c>) at the end of the epoch.
/// On an interactive terminal it redraws in place (carriage return) at most a few times a second during the epoch;
/// when the output is redirected, or is a writer other than the console, it writes the finished line only.
/// </summary>
internal sealed class ProgressBar
{
    private const int BarWidth = 30;
    private static readonly TimeSpan DefaultRedrawInterval = TimeSpan.FromMilliseconds(250);
    private readonly TextWriter _output;
    private readonly Verbosity _verbosity;
    private readonly TimeSpan _redrawInterval;
    private long _lastDraw;

    internal ProgressBar(TextWriter output, Verbosity verbosity, bool interactive, TimeSpan? redrawInterval = null)
    {
        _output = output;
        _verbosity = verbosity;
        Interactive = interactive && verbosity == Verbosity.ProgressBar;
        _redrawInterval = redrawInterval ?? DefaultRedrawInterval;
    }

    /// <summary>Whether the bar redraws in place during the epoch.</summary>
    public bool Interactive { get; }

    public static ProgressBar For(TextWriter? output, Verbosity verbosity)
    {
        var writer = output ?? Console.Out;
        var interactive = ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected;
        return new ProgressBar(writer, verbosity, interactive);
    }

    public void BeginEpoch(int epoch, int epochs)
    {
        if (_verbosity == Verbosity.Silent) return;
        _output.WriteLine($"Epoch {epoch}/{epochs}");
        _lastDraw = Stopwatch.GetTimestamp();
    }

    /// <summary>Whether a redraw is due now: only on a terminal, and at most once per redraw interval.</summary>
    public bool ShouldRedraw() => Interactive && Stopwatch.GetElapsedTime(_lastDraw) >= _redrawInterval;

    /// <summary>Redraws the bar in place with the running figures. Call when <see cref="ShouldRedraw"/> says so.</summary>
    public void Redraw(int done, int total, TimeSpan elapsed, IReadOnlyList<KeyValuePair<string, double>> values)
    {
        _lastDraw = Stopwatch.GetTimestamp();
        _output.Write('\r' + Line(done, total, elapsed, values, finished: false));
        _output.Flush();
    }

    public void EndEpoch(int done, int total, TimeSpan elapsed, IReadOnlyList<KeyValuePair<string, double>> values)
    {
        if (_verbosity == Verbosity.Silent) return;
        _output.WriteLine((Interactive ? "\r" : "") + Line(done, total, elapsed, values, finished: true));
        _output.Flush();
    }

    internal static string Line(int done, int total, TimeSpan elapsed, double loss, double accuracy, bool finished) =>
        Line(done, total, elapsed, [new("loss", loss), new("accuracy", accuracy)], finished);

    internal static string Line(int done, int total, TimeSpan elapsed, IReadOnlyList<KeyValuePair<string, double>> values, bool finished)
    {
        var filled = total == 0 ? BarWidth : (int)((long)BarWidth * done / total);
        var bar = (finished && done == total) || filled >= BarWidth
            ? new string('=', BarWidth)
            : new string('=', Math.Max(filled - 1, 0)) + ">" + new string('.', BarWidth - Math.Max(filled, 1));
        var width = total.ToString(CultureInfo.InvariantCulture).Length;
        var perSample = done == 0 ? 0 : elapsed.TotalMicroseconds / done;
        var time = finished
            ? $"{elapsed.TotalSeconds:0}s {perSample:0}us/step"
            : $"ETA: {(done == 0 ? 0 : elapsed.TotalSeconds * (total - done) / done):0}s";
        var line = new StringBuilder(string.Create(CultureInfo.InvariantCulture,
            $"{done.ToString(CultureInfo.InvariantCulture).PadLeft(width)}/{total} [{bar}] - {time}"));
        foreach (var (name, value) in values)
            line.Append(CultureInfo.InvariantCulture, $" - {name}: {value:0.0000}");
        return line.ToString();
    }
}
