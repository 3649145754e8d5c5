using ScottPlot;

namespace DeepGen.Plots;

/// <summary>
/// Draws a training <see cref="History"/> with ScottPlot: one line per logged value against the epoch, the loss
/// (training solid, validation dashed) on the left axis and every other metric on the right axis, as PNG or SVG.
/// </summary>
/// <remarks>
/// This lives in its own assembly so that DeepGen.Runtime stays free of native drawing libraries (ScottPlot draws
/// with SkiaSharp). Files are written beside their destination and renamed over it, so a failed save never leaves
/// half an image.
/// </remarks>
public static class HistoryPlot
{
    /// <summary>
    /// Writes the history as an image; the format follows the extension: <c>.png</c> or <c>.svg</c>.
    /// </summary>
    /// <param name="history">The run to draw; it needs at least one epoch.</param>
    /// <param name="path">The image file; its folder must exist.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="title">A title above the plot; none by default.</param>
    /// <exception cref="ArgumentException">The history is empty or the extension is neither .png nor .svg.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist.</exception>
    public static void SavePlot(this History history, string path, int width = 800, int height = 500, string? title = null)
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

        var plot = Build(history, title);
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

    /// <summary>The ScottPlot plot of the history, to adjust or render further.</summary>
    public static Plot Build(History history, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(history);
        var plot = new Plot();
        var epochs = history.Epochs.Select(e => (double)e.Epoch).ToArray();
        var palette = new ScottPlot.Palettes.Category10();
        var colour = 0;
        var anyMetric = false;
        foreach (var key in history.Keys.Where(k => !k.StartsWith("val_", StringComparison.Ordinal)))
        {
            var isLoss = key == "loss";
            anyMetric |= !isLoss;
            var color = palette.GetColor(colour++);
            Add(plot, epochs, history[key], key, color, dashed: false, rightAxis: !isLoss);
            if (history.Contains("val_" + key))
                Add(plot, epochs, history["val_" + key], "val_" + key, color, dashed: true, rightAxis: !isLoss);
        }

        plot.XLabel("epoch");
        plot.YLabel("loss");
        if (anyMetric) plot.Axes.Right.Label.Text = "metric";
        if (title is not null) plot.Title(title);
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    private static void Add(Plot plot, double[] epochs, IReadOnlyList<float> values, string name, Color color, bool dashed, bool rightAxis)
    {
        var ys = values.Select(v => (double)v).ToArray();
        var line = plot.Add.Scatter(epochs, ys, color);
        line.LegendText = name;
        line.LineWidth = 2;
        line.MarkerSize = epochs.Length > 30 ? 0 : 5;
        if (dashed) line.LinePattern = LinePattern.Dashed;
        if (rightAxis) line.Axes.YAxis = plot.Axes.Right;
    }
}
