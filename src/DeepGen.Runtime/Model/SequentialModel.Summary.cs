using System.Globalization;
using System.Text;

namespace DeepGen;

// The Keras-style model summary.
public abstract partial class SequentialModel
{
    /// <summary>
    /// A table of the model like Keras 3's <c>model.summary()</c>: each layer's name and type, its output shape
    /// (<c>(None, units)</c> or <c>(None, height, width, channels)</c>, None standing for the batch) and parameter count, then the totals. Dropout layers are
    /// listed in their place with no parameters. Batch normalization's moving mean and variance, and a normalization's mean,
    /// variance and count, count as non-trainable, as Keras counts them; every other parameter is trainable.
    /// <see cref="Summary"/> prints it.
    /// </summary>
    public string SummaryText()
    {
        var rows = new List<(string Layer, string Shape, long Parameters)>();
        var dropouts = 0;
        foreach (var layer in Architecture.Layers)
        {
            var shape = "(None, " + string.Join(", ", layer.OutputShape.ToArray().Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")";
            var details = layer.Activation == Activation.Linear ? "" : ", " + layer.Activation.ToString().ToLowerInvariant();
            if (layer.HasWeights && !layer.UseBias) details += ", no bias";
            rows.Add(($"{layer.Name} ({layer.Kind}{details})", shape, layer.ParameterCount + layer.StateTensors.Sum(t => t.Length)));
            if (layer.DropoutRate is { } rate)
                rows.Add(($"Dropout{(dropouts++).ToString(CultureInfo.InvariantCulture)} (Dropout, rate {rate.ToString("0.###", CultureInfo.InvariantCulture)})", shape, 0));
        }

        string[] headers = ["Layer (type)", "Output Shape", "Param #"];
        var widths = new[]
        {
            Math.Max(headers[0].Length, rows.Max(r => r.Layer.Length)) + 2,
            Math.Max(headers[1].Length, rows.Max(r => r.Shape.Length)) + 2,
            Math.Max(headers[2].Length, rows.Max(r => Grouped(r.Parameters).Length)) + 2,
        };

        var text = new StringBuilder();
        text.Append("Model: \"").Append(Architecture.ModelName).Append('"').Append('\n');
        Rule(text, widths, '┏', '━', '┳', '┓');
        Row(text, widths, '┃', headers[0], headers[1], headers[2]);
        Rule(text, widths, '┡', '━', '╇', '┩');
        for (var i = 0; i < rows.Count; i++)
        {
            if (i > 0) Rule(text, widths, '├', '─', '┼', '┤');
            Row(text, widths, '│', rows[i].Layer, rows[i].Shape, Grouped(rows[i].Parameters));
        }

        Rule(text, widths, '└', '─', '┴', '┘');
        var trainable = (long)Architecture.ParameterCount;
        // Keras counts batch normalization's moving mean and variance, and a normalization's statistics, as non-trainable weights.
        var nonTrainable = Architecture.Layers.Sum(l => l.StateTensors.Sum(t => (long)t.Length));
        var total = trainable + nonTrainable;
        text.Append(" Total params: ").Append(Grouped(total)).Append(" (").Append(Bytes(total * sizeof(float))).Append(")\n");
        text.Append(" Trainable params: ").Append(Grouped(trainable)).Append(" (").Append(Bytes(trainable * sizeof(float))).Append(")\n");
        text.Append(" Non-trainable params: ").Append(Grouped(nonTrainable)).Append(" (").Append(Bytes(nonTrainable * sizeof(float))).Append(")\n");
        return text.ToString();
    }

    /// <summary>
    /// Prints the model's table (<see cref="SummaryText"/>) to <paramref name="output"/>, the console by default:
    /// Keras's <c>model.summary()</c>, so <c>model.Summary();</c> as a statement shows it.
    /// </summary>
    public void Summary(TextWriter? output = null) => (output ?? Console.Out).Write(SummaryText());

    private static void Rule(StringBuilder text, int[] widths, char left, char line, char join, char right)
    {
        text.Append(left);
        for (var c = 0; c < widths.Length; c++)
        {
            if (c > 0) text.Append(join);
            text.Append(line, widths[c]);
        }

        text.Append(right).Append('\n');
    }

    private static void Row(StringBuilder text, int[] widths, char border, string layer, string shape, string parameters)
    {
        text.Append(border).Append(' ').Append(layer.PadRight(widths[0] - 1))
            .Append(border).Append(' ').Append(shape.PadRight(widths[1] - 1))
            .Append(border).Append(parameters.PadLeft(widths[2] - 1)).Append(' ')
            .Append(border).Append('\n');
    }

    private static string Grouped(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Keras's readable size: powers of 1024, two decimals.</summary>
    private static string Bytes(long bytes)
    {
        string[] units = ["B", "KB", "MB", "GB", "TB"];
        double size = bytes;
        var unit = 0;
        while (size >= 1024 && unit < units.Length - 1)
        {
            size /= 1024;
            unit++;
        }

        return size.ToString("0.00", CultureInfo.InvariantCulture) + " " + units[unit];
    }
}
