using System.Globalization;

namespace DeepGen;

/// <summary>
/// Keras's <c>TerminateOnNaN</c>: when a batch's loss is NaN or infinite, stops training cleanly after that batch
/// (the epoch is recorded with the bad loss and <see cref="Callback.OnTrainEnd"/> runs). Without it, Fit throws
/// <see cref="TrainingDivergedException"/> instead.
/// </summary>
public sealed class TerminateOnNaN : Callback
{
    /// <summary>The epoch (from 1) at which training was terminated; 0 when it was not.</summary>
    public int TerminatedEpoch { get; private set; }

    /// <inheritdoc />
    public override void OnTrainBegin(TrainingContext context) => TerminatedEpoch = 0;

    /// <inheritdoc />
    public override void OnBatchEnd(TrainingContext context, int step, float loss)
    {
        if (float.IsFinite(loss)) return;
        TerminatedEpoch = context.Epoch;
        context.StopTraining = true;
        context.Report(string.Create(CultureInfo.InvariantCulture, $"Epoch {context.Epoch}, batch {step}: invalid loss {loss}, terminating training"));
    }
}
