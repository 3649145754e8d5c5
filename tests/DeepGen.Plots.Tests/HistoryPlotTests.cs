using System.Xml.Linq;
using DeepGen.Plots;

namespace DeepGen.Plots.Tests;

public sealed class HistoryPlotTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deepgen-plots-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static History SampleHistory(bool validation = true) => new(Enumerable.Range(1, 6).Select(e =>
    {
        var logs = new Dictionary<string, float> { ["loss"] = 1f / e, ["accuracy"] = 1f - 0.5f / e };
        if (validation)
        {
            logs["val_loss"] = 1.2f / e;
            logs["val_accuracy"] = 1f - 0.6f / e;
        }

        return new EpochResult(e, 1f / e, 1f - 0.5f / e, TimeSpan.FromSeconds(1), 100, 10) { Logs = logs };
    }));

    [Fact]
    public void Png_is_written_with_the_png_signature()
    {
        var path = Path.Combine(_folder, "history.png");
        SampleHistory().SavePlot(path, width: 640, height: 400, title: "training");
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 1000);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        // The IHDR chunk holds the size asked for.
        Assert.Equal(640, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));
        Assert.Equal(400, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
        Assert.Single(Directory.GetFiles(_folder)); // no temporary file left
    }

    [Fact]
    public void Svg_is_written_with_an_svg_root_and_the_series_names()
    {
        var path = Path.Combine(_folder, "history.svg");
        SampleHistory().SavePlot(path);
        var document = XDocument.Load(path);
        Assert.Equal("svg", document.Root!.Name.LocalName);
        var text = File.ReadAllText(path);
        Assert.Contains("val_loss", text);
        Assert.Contains("accuracy", text);
        Assert.Contains("epoch", text);
    }

    [Fact]
    public void A_history_without_validation_plots_too()
    {
        var path = Path.Combine(_folder, "train-only.png");
        SampleHistory(validation: false).SavePlot(path);
        Assert.True(new FileInfo(path).Length > 0);
        Assert.Equal(2, HistoryPlot.Build(SampleHistory(validation: false)).GetPlottables().OfType<ScottPlot.Plottables.Scatter>().Count());
        Assert.Equal(4, HistoryPlot.Build(SampleHistory()).GetPlottables().OfType<ScottPlot.Plottables.Scatter>().Count());
    }

    [Fact]
    public void Bad_paths_and_empty_histories_fail_clearly()
    {
        var missing = Path.Combine(_folder, "no-such-folder", "history.png");
        var e = Assert.Throws<DirectoryNotFoundException>(() => SampleHistory().SavePlot(missing));
        Assert.Contains("does not exist", e.Message);
        Assert.Contains("Use a .png or .svg extension", Assert.Throws<ArgumentException>(() => SampleHistory().SavePlot(Path.Combine(_folder, "history.gif"))).Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("no epochs", Assert.Throws<ArgumentException>(() => new History().SavePlot(Path.Combine(_folder, "empty.png"))).Message);
        Assert.Empty(Directory.GetFiles(_folder));
    }
}
