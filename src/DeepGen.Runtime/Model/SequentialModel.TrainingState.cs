namespace DeepGen;

// The model's own training-time random stream, which training checkpoints save and restore.
public abstract partial class SequentialModel
{
    /// <summary>
    /// The state of the model's own training-time random stream (dropout masks), or null when the model draws no
    /// random numbers while training. <see cref="TrainingCheckpoint"/> saves it and sets it back on resume, so a
    /// resumed run draws the same masks as an uninterrupted one.
    /// </summary>
    /// <remarks>
    /// Hook for layers that draw random numbers in training: a model with such a stream overrides this (or the
    /// stream's owner replaces this body) to expose the stream's <see cref="RandomState"/>. The default has none,
    /// accepts null and refuses a state it could not use.
    /// </remarks>
    public virtual RandomState? TrainingRandomState
    {
        get => null;
        set
        {
            if (value is not null)
                throw new InvalidOperationException($"'{Architecture.ModelName}' has no training-time random stream to restore a state into.");
        }
    }
}
