using System.Xml.Linq;
using DeepGen.Plots;
using ScottPlot;
using ScottPlot.Plottables;
using SkiaSharp;

namespace DeepGen.Plots.Tests;

/// <summary>The legend's place, the best-epoch marker, the log-scale loss axis and the font.</summary>
public sealed class HistoryPlotLayoutTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deepgen-plots-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Training loss falls every epoch; validation loss is lowest at epoch 4 and then rises (overfitting).</summary>
    private static History Overfitting(bool validation = true) => new(Enumerable.Range(1, 7).Select(e =>
    {
        var logs = new Dictionary<string, float> { ["loss"] = 1f / e, ["accuracy"] = 1f - 0.5f / e };
        if (validation)
        {
            logs["val_loss"] = 0.5f + 0.05f * (e - 4) * (e - 4);
            logs["val_accuracy"] = 0.8f;
        }

        return new EpochResult(e, logs["loss"], logs["accuracy"], TimeSpan.FromSeconds(1), 100, 10) { Logs = logs };
    }));

    private static History Losses(params float[] losses) => new(losses.Select((loss, i) =>
        new EpochResult(i + 1, loss, float.NaN, TimeSpan.FromSeconds(1), 100, 10) { Logs = new Dictionary<string, float> { ["loss"] = loss } }));

    [Fact]
    public void The_legend_sits_beside_the_data_area_not_inside_it()
    {
        var plot = HistoryPlot.Build(Overfitting());
        Assert.False(plot.Legend.IsVisible); // the legend ScottPlot draws inside the data area
        var panel = Assert.Single(plot.Axes.GetPanels().OfType<ScottPlot.Panels.LegendPanel>());
        Assert.Equal(Edge.Right, panel.Edge);

        plot.GetImage(800, 500);
        var data = plot.RenderManager.LastRender.DataRect;
        using var paint = Paint.NewDisposablePaint();
        var legendWidth = panel.Measure(paint);
        Assert.True(legendWidth > 20, $"The legend panel should take room: {legendWidth} px.");
        Assert.True(data.Right + legendWidth <= 800, $"The data area ({data}) overlaps the {legendWidth} px legend at the right edge.");
    }

    [Fact]
    public void The_epoch_with_the_lowest_validation_loss_is_marked_by_default()
    {
        var plot = HistoryPlot.Build(Overfitting());
        var line = Assert.Single(plot.GetPlottables().OfType<VerticalLine>());
        Assert.Equal(4, line.X);
        Assert.Equal("lowest val_loss: epoch 4", line.LegendText);
        var marker = Assert.Single(plot.GetPlottables().OfType<Marker>());
        Assert.Equal(new Coordinates(4, 0.5), marker.Location);
        var label = Assert.Single(plot.GetPlottables().OfType<Text>());
        Assert.Equal("val_loss 0.5 (epoch 4)", label.LabelText);
    }

    [Fact]
    public void Without_validation_the_lowest_training_loss_is_marked()
    {
        var line = Assert.Single(HistoryPlot.Build(Overfitting(validation: false)).GetPlottables().OfType<VerticalLine>());
        Assert.Equal(7, line.X);
        Assert.Equal("lowest loss: epoch 7", line.LegendText);
    }

    [Fact]
    public void A_given_best_epoch_such_as_the_restored_one_is_marked_instead()
    {
        var plot = HistoryPlot.Build(Overfitting(), bestEpoch: 3);
        var line = Assert.Single(plot.GetPlottables().OfType<VerticalLine>());
        Assert.Equal(3, line.X);
        Assert.Equal("best epoch 3", line.LegendText);
        Assert.Equal(new Coordinates(3, 0.55f), Assert.Single(plot.GetPlottables().OfType<Marker>()).Location);

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => HistoryPlot.Build(Overfitting(), bestEpoch: 9));
        Assert.Contains("bestEpoch 9 is not in the history, which holds epochs 1 to 7", e.Message);
        Assert.Empty(HistoryPlot.Build(Overfitting(), markBest: false).GetPlottables().OfType<VerticalLine>());
        Assert.Empty(HistoryPlot.Build(Overfitting(), markBest: false).GetPlottables().OfType<Marker>());
    }

    [Fact]
    public void The_log_scale_draws_log10_of_the_losses_and_labels_ticks_with_the_values()
    {
        var history = Losses(1f, 0.1f, 0.01f, 0.001f, 0.0005f);
        var plot = HistoryPlot.Build(history, logScaleLoss: true);
        var loss = Assert.Single(plot.GetPlottables().OfType<Scatter>());
        var ys = loss.Data.GetScatterPoints().Select(p => p.Y).ToArray();
        Assert.Equal([0, -1, -2, -3, Math.Log10(0.0005f)], ys, (a, b) => Math.Abs(a - b) < 1e-6);
        Assert.Equal("loss (log scale)", plot.Axes.Left.Label.Text);
        // The marker sits on the line it marks.
        Assert.Equal(Math.Log10(0.0005f), Assert.Single(plot.GetPlottables().OfType<Marker>()).Location.Y, 6);

        plot.GetImage(800, 500);
        var labels = plot.Axes.Left.TickGenerator.Ticks.Where(t => t.IsMajor).Select(t => t.Label).ToList();
        Assert.Contains("0.1", labels);
        Assert.Contains("0.01", labels);
        Assert.Contains("0.001", labels);
        Assert.True(plot.Axes.Left.TickGenerator.Ticks.Count(t => !t.IsMajor) >= 8, "A log axis over decades has minor ticks at 2…9 of each decade.");

        var linear = HistoryPlot.Build(history);
        Assert.Equal([1, 0.1, 0.01, 0.001, 0.0005], Assert.Single(linear.GetPlottables().OfType<Scatter>()).Data.GetScatterPoints().Select(p => p.Y).ToArray(), (a, b) => Math.Abs(a - b) < 1e-6);
        Assert.Equal("loss", linear.Axes.Left.Label.Text);
    }

    [Fact]
    public void A_log_scale_within_one_decade_still_labels_its_ticks_with_values()
    {
        var plot = HistoryPlot.Build(Losses(0.5f, 0.4f, 0.3f), logScaleLoss: true);
        plot.GetImage(800, 500);
        var labels = plot.Axes.Left.TickGenerator.Ticks.Where(t => t.IsMajor).ToList();
        Assert.True(labels.Count >= 2, "The axis needs labelled ticks even when it spans less than a decade.");
        Assert.All(labels, t => Assert.Equal(Math.Pow(10, t.Position), double.Parse(t.Label, System.Globalization.CultureInfo.InvariantCulture), 2));
    }

    [Fact]
    public void A_log_scale_refuses_a_loss_that_is_not_positive_naming_the_key_and_epoch()
    {
        var e = Assert.Throws<ArgumentException>(() => HistoryPlot.Build(Losses(1f, 0.5f, 0f), logScaleLoss: true));
        Assert.Contains("'loss'", e.Message);
        Assert.Contains("epoch 3 has 0", e.Message);
        Assert.Equal("logScaleLoss", e.ParamName);

        var withNegativeValidation = new History(Enumerable.Range(1, 3).Select(i => new EpochResult(i, 1f, float.NaN, TimeSpan.Zero, 1, 1)
        {
            Logs = new Dictionary<string, float> { ["loss"] = 1f, ["val_loss"] = i == 2 ? -0.25f : 1f },
        }));
        var path = Path.Combine(_folder, "log.png");
        e = Assert.Throws<ArgumentException>(() => withNegativeValidation.SavePlot(path, logScaleLoss: true));
        Assert.Contains("'val_loss'", e.Message);
        Assert.Contains("epoch 2 has -0.25", e.Message);
        Assert.False(File.Exists(path));
        // The same history plots on a linear axis.
        withNegativeValidation.SavePlot(path);
        Assert.True(File.Exists(path));
    }

    [Fact]
    public void The_font_is_the_embedded_dejavu_sans_and_has_a_glyph_for_every_label_character()
    {
        using var typeface = EmbeddedFont.CreateTypeface();
        Assert.Equal("DejaVu Sans", typeface.FamilyName);
        const string text = "epoch loss (log scale) val_accuracy metric lowest best 0123456789.-+e";
        // Glyph 0 is .notdef, drawn as the empty box ("tofu") when a font lacks a character.
        Assert.DoesNotContain((ushort)0, typeface.GetGlyphs(text));

        // ScottPlot resolves the plots' font name to the embedded file, ahead of whatever the machine has installed.
        HistoryPlot.Build(Overfitting());
        Assert.IsType<EmbeddedFont>(Fonts.FontResolvers[0]);
        Assert.Single(Fonts.FontResolvers.OfType<EmbeddedFont>());
        // Not disposed: ScottPlot caches the typeface and keeps drawing with it.
        var resolved = Fonts.GetTypeface(HistoryPlot.FontName, bold: false, italic: false);
        Assert.Equal("DejaVu Sans", resolved.FamilyName);
        Assert.Equal(typeface.GlyphCount, resolved.GlyphCount);
    }

    [Fact]
    public void Text_in_the_embedded_font_puts_ink_on_the_image()
    {
        using var typeface = EmbeddedFont.CreateTypeface();
        using var bitmap = new SKBitmap(200, 40);
        using (var canvas = new SKCanvas(bitmap))
        using (var font = new SKFont(typeface, 24))
        using (var paint = new SKPaint { Color = SKColors.Black, IsAntialias = false })
        {
            canvas.Clear(SKColors.White);
            canvas.DrawText("epoch", 4, 30, font, paint);
        }

        var dark = 0;
        for (var y = 0; y < bitmap.Height; y++)
            for (var x = 0; x < bitmap.Width; x++)
                if (bitmap.GetPixel(x, y).Red < 128) dark++;
        Assert.InRange(dark, 100, 200 * 40 / 2);
    }

    [Fact]
    public void Every_text_in_the_svg_names_the_embedded_font()
    {
        var path = Path.Combine(_folder, "history.svg");
        Overfitting().SavePlot(path, title: "training");
        var document = XDocument.Load(path);
        var families = document.Descendants().Where(e => e.Name.LocalName == "text")
            .Select(e => (string?)e.Attribute("font-family")).ToList();
        Assert.NotEmpty(families);
        Assert.All(families, family => Assert.Equal("DejaVu Sans", family));
    }
}
