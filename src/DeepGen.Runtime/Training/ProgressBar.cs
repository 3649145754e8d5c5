using System.Diagnostics;
using System.Globalization;

namespace DeepGen;

/// <summary>
/// Keras's per-epoch progress line: <c>60000/60000 [==============================] - 1s 13us/step - loss: 0.0831 - accuracy: 0.3866</c>.
/// On a terminal it redraws in place a few times a second; otherwise it writes the finished line only.
/// </summary>
internal sealed class ProgressBar(TextWriter output, Verbosity verbosity, bool interactive)
{
    private const int BarWidth = 30;
    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(250);
    private long _lastDraw;

    public static ProgressBar For(TextWriter? output, Verbosity verbosity)
    {
        var writer = output ?? Console.Out;
        var interactive = verbosity == Verbosity.ProgressBar && ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected;
        return new ProgressBar(writer, verbosity, interactive);
    }

    public void BeginEpoch(int epoch, int epochs)
    {
        if (verbosity == Verbosity.Silent) return;
        output.WriteLine($"Epoch {epoch}/{epochs}");
        _lastDraw = Stopwatch.GetTimestamp();
    }

    /// <summary>Called after each step; draws at most a few times a second, and only on a terminal.</summary>
    public void Update(int done, int total, TimeSpan elapsed, double loss, double accuracy)
    {
        if (!interactive || Stopwatch.GetElapsedTime(_lastDraw) < RedrawInterval) return;
        _lastDraw = Stopwatch.GetTimestamp();
        output.Write('\r' + Line(done, total, elapsed, loss, accuracy, finished: false));
        output.Flush();
    }

    public void EndEpoch(int total, TimeSpan elapsed, double loss, double accuracy)
    {
        if (verbosity == Verbosity.Silent) return;
        output.WriteLine((interactive ? "\r" : "") + Line(total, total, elapsed, loss, accuracy, finished: true));
        output.Flush();
    }

    internal static string Line(int done, int total, TimeSpan elapsed, double loss, double accuracy, bool finished)
    {
        var filled = total == 0 ? BarWidth : (int)((long)BarWidth * done / total);
        var bar = finished || filled >= BarWidth
            ? new string('=', BarWidth)
            : new string('=', Math.Max(filled - 1, 0)) + ">" + new string('.', BarWidth - Math.Max(filled, 1));
        var width = total.ToString(CultureInfo.InvariantCulture).Length;
        var perSample = done == 0 ? 0 : elapsed.TotalMicroseconds / done;
        var time = finished
            ? $"{elapsed.TotalSeconds:0}s {perSample:0}us/step"
            : $"ETA: {(done == 0 ? 0 : elapsed.TotalSeconds * (total - done) / done):0}s";
        return string.Create(CultureInfo.InvariantCulture,
            $"{done.ToString(CultureInfo.InvariantCulture).PadLeft(width)}/{total} [{bar}] - {time} - loss: {loss:0.0000} - accuracy: {accuracy:0.0000}");
    }
}
