using System.Globalization;
using ScottPlot;

namespace DeepGen.Plots;

/// <summary>
/// Draws a training <see cref="History"/> with ScottPlot: one line per logged value against the epoch, the loss
/// (training solid, validation dashed) on the left axis and every other metric on the right axis, the legend to the
/// right of the data, and the best epoch marked; as PNG or SVG.
/// </summary>
/// <remarks>
/// This lives in its own assembly (the DeepGen.Plots package) so that DeepGen.Runtime stays free of native drawing
/// libraries (ScottPlot draws with SkiaSharp). <see cref="SavePlot"/> is an extension method: it needs
/// <c>using DeepGen.Plots;</c>, and without this package or that directive <c>history.SavePlot(…)</c> fails with
/// CS1061. Text is drawn in DejaVu Sans, embedded in this assembly, so a machine without installed fonts still gets
/// labels. Files are written beside their destination and renamed over it, so a failed save never leaves half an
/// image.
/// </remarks>
public static class HistoryPlot
{
    /// <summary>The font family of every label, tick and legend entry: DejaVu Sans, shipped inside this assembly.</summary>
    public const string FontName = EmbeddedFont.FamilyName;

    /// <summary>
    /// Writes the history as an image; the format follows the extension: <c>.png</c> or <c>.svg</c>.
    /// </summary>
    /// <param name="history">The run to draw; it needs at least one epoch.</param>
    /// <param name="path">The image file; its folder must exist.</param>
    /// <param name="width">Image width in pixels, at least 100.</param>
    /// <param name="height">Image height in pixels, at least 100.</param>
    /// <param name="title">A title above the plot; none by default.</param>
    /// <param name="logScaleLoss">
    /// Draw the loss axis (<c>loss</c>, <c>val_loss</c>) on a base-10 log scale, for losses that fall by orders of
    /// magnitude; every loss value must then be positive.
    /// </param>
    /// <param name="bestEpoch">
    /// The epoch to mark, for example <see cref="EarlyStopping.BestEpoch"/> after <c>restoreBestWeights</c> restored
    /// it; by default the epoch with the lowest <c>val_loss</c>, or the lowest <c>loss</c> without validation data.
    /// </param>
    /// <param name="markBest">Whether to draw the best-epoch marker at all.</param>
    /// <exception cref="ArgumentException">
    /// The history is empty, the extension is neither .png nor .svg, or <paramref name="logScaleLoss"/> is set and a
    /// loss value is zero or negative (the message names the key and the epoch).
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bestEpoch"/> is not an epoch of the history.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist.</exception>
    public static void SavePlot(this History history, string path, int width = 800, int height = 500, string? title = null,
        bool logScaleLoss = false, int? bestEpoch = null, bool markBest = true)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 100);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 100);
        if (history.Epochs.Count == 0) throw new ArgumentException("The history has no epochs to plot.", nameof(history));
        var extension = System.IO.Path.GetExtension(path).ToLowerInvariant();
        if (extension is not (".png" or ".svg"))
            throw new ArgumentException($"Cannot tell the image format of '{path}': use a .png or .svg extension.", nameof(path));
        var full = System.IO.Path.GetFullPath(path);
        var folder = System.IO.Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"Cannot save the plot '{path}': the folder '{folder}' does not exist.");

        var plot = Build(history, title, logScaleLoss, bestEpoch, markBest);
        var temporary = System.IO.Path.Combine(folder, $".{System.IO.Path.GetFileNameWithoutExtension(full)}.{Guid.NewGuid():N}.tmp{extension}");
        try
        {
            if (extension == ".png") plot.SavePng(temporary, width, height);
            else plot.SaveSvg(temporary, width, height);
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>The ScottPlot plot of the history, to adjust or render further; the parameters are <see cref="SavePlot"/>'s.</summary>
    /// <exception cref="ArgumentException">
    /// The history is empty, or <paramref name="logScaleLoss"/> is set and a loss value is zero or negative.
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bestEpoch"/> is not an epoch of the history.</exception>
    public static Plot Build(History history, string? title = null, bool logScaleLoss = false, int? bestEpoch = null, bool markBest = true)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (history.Epochs.Count == 0) throw new ArgumentException("The history has no epochs to plot.", nameof(history));
        var epochs = history.Epochs.Select(e => (double)e.Epoch).ToArray();
        var lossKeys = history.Keys.Where(IsLoss).ToList();
        if (logScaleLoss) RequirePositive(history, lossKeys);
        var best = markBest ? FindBest(history, bestEpoch) : null;

        EmbeddedFont.Register();
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var colour = 0;
        var anyMetric = false;
        foreach (var key in history.Keys.Where(k => !k.StartsWith("val_", StringComparison.Ordinal)))
        {
            var isLoss = IsLoss(key);
            anyMetric |= !isLoss;
            var color = palette.GetColor(colour++);
            Add(plot, epochs, history[key], key, color, dashed: false, rightAxis: !isLoss, log: isLoss && logScaleLoss);
            if (history.Contains("val_" + key))
                Add(plot, epochs, history["val_" + key], "val_" + key, color, dashed: true, rightAxis: !isLoss, log: isLoss && logScaleLoss);
        }

        if (best is { } marked) AddBestMarker(plot, marked, logScaleLoss);

        plot.XLabel("epoch");
        plot.YLabel(logScaleLoss ? "loss (log scale)" : "loss");
        if (logScaleLoss) plot.Axes.Left.TickGenerator = LogTicks(history, lossKeys);
        if (anyMetric) plot.Axes.Right.Label.Text = "metric";
        if (title is not null) plot.Title(title);
        // Beside the data, never over it: a curve that ends in the corner the legend would take stays visible.
        plot.ShowLegend(Edge.Right);
        plot.Font.Set(FontName);
        plot.Legend.FontName = FontName;
        plot.Legend.SetBestFontOnEachRender = false;
        return plot;
    }

    /// <summary>The epoch the marker goes on, the series it sits on and that series' value there.</summary>
    private readonly record struct BestEpoch(int Epoch, string Key, float Value, bool Given);

    private static bool IsLoss(string key) => key is "loss" or "val_loss";

    private static void RequirePositive(History history, IEnumerable<string> keys)
    {
        foreach (var key in keys)
        {
            var values = history[key];
            for (var i = 0; i < values.Count; i++)
                if (values[i] <= 0f) // NaN (an epoch that did not log the key) is left out of the line, not refused
                    throw new ArgumentException(
                        string.Create(CultureInfo.InvariantCulture,
                            $"Cannot draw '{key}' on a log scale: epoch {history.Epochs[i].Epoch} has {values[i]}, and a log axis needs values above zero. Plot it with logScaleLoss: false."),
                        "logScaleLoss");
        }
    }

    private static BestEpoch? FindBest(History history, int? given)
    {
        var key = history.Contains("val_loss") ? "val_loss" : history.Contains("loss") ? "loss" : null;
        if (given is { } epoch)
        {
            var index = history.Epochs.ToList().FindIndex(e => e.Epoch == epoch);
            if (index < 0)
                throw new ArgumentOutOfRangeException(nameof(given), epoch,
                    $"bestEpoch {epoch} is not in the history, which holds epochs {history.Epochs[0].Epoch} to {history.Epochs[^1].Epoch}.");
            return new BestEpoch(epoch, key ?? "", key is null ? float.NaN : history[key][index], Given: true);
        }

        if (key is null) return null;
        var values = history[key];
        var bestIndex = -1;
        for (var i = 0; i < values.Count; i++)
            if (!float.IsNaN(values[i]) && (bestIndex < 0 || values[i] < values[bestIndex])) bestIndex = i;
        return bestIndex < 0 ? null : new BestEpoch(history.Epochs[bestIndex].Epoch, key, values[bestIndex], Given: false);
    }

    private static void AddBestMarker(Plot plot, BestEpoch best, bool log)
    {
        var label = best.Given
            ? string.Create(CultureInfo.InvariantCulture, $"best epoch {best.Epoch}")
            : string.Create(CultureInfo.InvariantCulture, $"lowest {best.Key}: epoch {best.Epoch}");
        var line = plot.Add.VerticalLine(best.Epoch, width: 1, color: Colors.Gray, pattern: LinePattern.Dotted);
        line.LegendText = label;
        if (!float.IsFinite(best.Value)) return;
        var marker = plot.Add.Marker(best.Epoch, log ? Math.Log10(best.Value) : best.Value, MarkerShape.OpenCircle, size: 12, color: Colors.Black);
        marker.LegendText = "";
        var text = plot.Add.Text(string.Create(CultureInfo.InvariantCulture, $"{best.Key} {best.Value:G4} (epoch {best.Epoch})"), best.Epoch, log ? Math.Log10(best.Value) : best.Value);
        text.LabelFontName = FontName;
        text.LabelFontSize = 12;
        text.LabelAlignment = Alignment.LowerLeft;
        text.OffsetX = 6;
        text.OffsetY = -6;
    }

    private static void Add(Plot plot, double[] epochs, IReadOnlyList<float> values, string name, Color color, bool dashed, bool rightAxis, bool log)
    {
        var ys = values.Select(v => log ? Math.Log10(v) : v).ToArray();
        var line = plot.Add.Scatter(epochs, ys, color);
        line.LegendText = name;
        line.LineWidth = 2;
        line.MarkerSize = epochs.Length > 30 ? 0 : 5;
        if (dashed) line.LinePattern = LinePattern.Dashed;
        if (rightAxis) line.Axes.YAxis = plot.Axes.Right;
    }

    /// <summary>
    /// Ticks for a loss axis that holds log10 of the values, labelled with the values themselves: at the powers of
    /// ten with minor ticks between when the losses span a decade or more; otherwise at ScottPlot's evenly spaced
    /// positions, each labelled with the value it stands for.
    /// </summary>
    private static ScottPlot.TickGenerators.NumericAutomatic LogTicks(History history, IEnumerable<string> keys)
    {
        var logs = keys.SelectMany(k => history[k]).Where(v => v > 0f).Select(v => Math.Log10(v)).ToList();
        var decades = logs.Count == 0 ? 0 : Math.Floor(logs.Max()) - Math.Ceiling(logs.Min());
        var ticks = new ScottPlot.TickGenerators.NumericAutomatic
        {
            LabelFormatter = y => Math.Pow(10, y).ToString("G3", CultureInfo.InvariantCulture),
        };
        if (decades >= 1)
        {
            ticks.IntegerTicksOnly = true;
            ticks.MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator();
        }

        return ticks;
    }
}
