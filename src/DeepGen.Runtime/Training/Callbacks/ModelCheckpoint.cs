using System.Globalization;
using System.Text;

namespace DeepGen;

/// <summary>
/// Keras's <c>ModelCheckpoint</c>: saves the model's weights (through <see cref="SequentialModel.Save"/>, so every
/// save is atomic) at the end of every epoch, or only when the monitored value improves.
/// </summary>
/// <remarks>
/// The path is a template: <c>{epoch}</c> becomes the epoch number (from 1, as in Keras's file names) and
/// <c>{key}</c> any logged value, each with an optional .NET format after a colon, in the invariant culture:
/// <c>"weights-{epoch:00}-{val_loss:0.0000}.safetensors"</c>. Keras's Python forms <c>{epoch:02d}</c> and
/// <c>{val_loss:.2f}</c> are understood too. With <c>saveBestOnly</c> a save happens only when the monitored value
/// is better than every earlier one (no min_delta, as in Keras).
/// </remarks>
public sealed class ModelCheckpoint : Callback
{
    private readonly Monitor _monitor;

    /// <param name="path">Where to save; a template (see remarks).</param>
    /// <param name="monitor">The log key that decides which epoch is best.</param>
    /// <param name="saveBestOnly">Save only when the monitored value improves.</param>
    /// <param name="mode">Whether the value should fall or rise; inferred from the name by default.</param>
    /// <param name="initialValueThreshold">With <paramref name="saveBestOnly"/>, a value the first save must beat.</param>
    public ModelCheckpoint(string path, string monitor = "val_loss", bool saveBestOnly = false, MonitorMode mode = MonitorMode.Auto,
        double? initialValueThreshold = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        PathTemplate = path;
        SaveBestOnly = saveBestOnly;
        // The monitor only matters when saving the best; otherwise a name Auto cannot read must not be an error.
        _monitor = new Monitor(monitor, saveBestOnly || mode != MonitorMode.Auto ? mode : MonitorMode.Min, 0, nameof(ModelCheckpoint));
        InitialValueThreshold = initialValueThreshold;
        Best = _monitor.Worst;
    }

    /// <summary>The path template.</summary>
    public string PathTemplate { get; }

    /// <summary>Whether only improving epochs are saved.</summary>
    public bool SaveBestOnly { get; }

    /// <summary>The value the first save must beat, or null.</summary>
    public double? InitialValueThreshold { get; }

    /// <summary>The best monitored value so far.</summary>
    public double Best { get; private set; }

    /// <summary>Every file written in this run, in order.</summary>
    public IReadOnlyList<string> SavedPaths => _saved;

    private readonly List<string> _saved = [];

    /// <inheritdoc />
    public override void OnTrainBegin(TrainingContext context)
    {
        Best = InitialValueThreshold ?? _monitor.Worst;
        _saved.Clear();
    }

    /// <inheritdoc />
    public override void OnEpochEnd(TrainingContext context, EpochResult result)
    {
        var path = FormatPath(PathTemplate, result);
        if (SaveBestOnly)
        {
            var current = _monitor.Read(result);
            if (!_monitor.IsImprovement(current, Best)) return;
            context.Report(string.Create(CultureInfo.InvariantCulture,
                $"Epoch {result.Epoch}: {_monitor.Key} improved from {Best:0.00000} to {current:0.00000}, saving model to {path}"));
            Best = current;
        }

        context.Model.Save(path);
        _saved.Add(path);
    }

    /// <inheritdoc />
    public override CallbackState SaveState()
    {
        var state = new CallbackState();
        state.Values["best"] = Best;
        return state;
    }

    /// <inheritdoc />
    public override void LoadState(CallbackState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        Best = state.Value("best");
    }

    /// <summary>Fills <paramref name="template"/>'s <c>{epoch}</c> and <c>{key}</c> placeholders from <paramref name="result"/>.</summary>
    internal static string FormatPath(string template, EpochResult result)
    {
        var text = new StringBuilder();
        var i = 0;
        while (i < template.Length)
        {
            var open = template.IndexOf('{', i);
            if (open < 0)
            {
                text.Append(template, i, template.Length - i);
                break;
            }

            text.Append(template, i, open - i);
            var close = template.IndexOf('}', open);
            if (close < 0) throw new FormatException($"The checkpoint path '{template}' has a '{{' without a closing '}}'.");
            var field = template.AsSpan(open + 1, close - open - 1);
            var colon = field.IndexOf(':');
            var key = (colon < 0 ? field : field[..colon]).ToString();
            var format = colon < 0 ? "" : ToDotNetFormat(field[(colon + 1)..].ToString());
            if (key == "epoch")
            {
                text.Append(result.Epoch.ToString(format, CultureInfo.InvariantCulture));
            }
            else if (result.Logs.TryGetValue(key, out var value))
            {
                text.Append(value.ToString(format, CultureInfo.InvariantCulture));
            }
            else
            {
                throw new FormatException($"The checkpoint path '{template}' names '{key}', which the epoch did not log. Logged: epoch, {string.Join(", ", result.Logs.Keys)}.");
            }

            i = close + 1;
        }

        return text.ToString();
    }

    /// <summary>Turns Keras's Python format specs (<c>02d</c>, <c>.4f</c>) into .NET ones; .NET specs pass through.</summary>
    private static string ToDotNetFormat(string spec)
    {
        if (spec.Length >= 2 && spec[^1] == 'd' && int.TryParse(spec.AsSpan(0, spec.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var width))
            return new string('0', Math.Max(width, 1));
        if (spec.Length >= 3 && spec[0] == '.' && spec[^1] == 'f' && int.TryParse(spec.AsSpan(1, spec.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var decimals))
            return "F" + decimals.ToString(CultureInfo.InvariantCulture);
        return spec;
    }
}
