namespace DeepGen;

/// <summary>
/// Keras's <c>BackupAndRestore</c>: writes a <see cref="TrainingCheckpoint"/> at the end of every epoch, and when
/// training starts and the checkpoint exists, resumes from it, so that a run interrupted (killed, cancelled,
/// crashed) and started again with the same arguments ends exactly where an uninterrupted run would.
/// </summary>
/// <remarks>
/// The checkpoint is written at the end of each epoch (Keras's default <c>save_freq="epoch"</c>; saving every few
/// batches is not offered), so a run stopped in the middle of an epoch trains that epoch again from its start, and
/// still ends bit for bit as an uninterrupted run. A checkpoint that is damaged, or that another model, optimizer or
/// set of arguments wrote, stops Fit with an <see cref="Serialization.InvalidModelFileException"/> before anything
/// is restored; delete the file to start afresh.
/// </remarks>
/// <param name="path">The checkpoint file.</param>
/// <param name="deleteOnTrainEnd">Delete the checkpoint when training finishes normally (Keras's <c>delete_checkpoint</c>).</param>
public sealed class BackupAndRestore(string path, bool deleteOnTrainEnd = true) : Callback
{
    /// <summary>The checkpoint file.</summary>
    public string Path { get; } = string.IsNullOrEmpty(path) ? throw new ArgumentException("The checkpoint path must not be empty.", nameof(path)) : path;

    /// <summary>Whether the checkpoint is deleted when training finishes normally.</summary>
    public bool DeleteOnTrainEnd { get; } = deleteOnTrainEnd;

    /// <summary>The epoch the last run resumed after; 0 when it started fresh.</summary>
    public int ResumedAfterEpoch { get; private set; }

    /// <inheritdoc />
    public override void OnTrainBegin(TrainingContext context)
    {
        ResumedAfterEpoch = 0;
        if (!File.Exists(Path)) return;
        var checkpoint = TrainingCheckpoint.Read(Path);
        ResumedAfterEpoch = checkpoint.Epoch;
        context.ResumeFrom(checkpoint);
    }

    /// <inheritdoc />
    public override void OnEpochEnd(TrainingContext context, EpochResult result) => context.SaveCheckpoint(Path);

    /// <inheritdoc />
    public override void OnTrainEnd(TrainingContext context)
    {
        if (DeleteOnTrainEnd && File.Exists(Path)) File.Delete(Path);
    }
}
