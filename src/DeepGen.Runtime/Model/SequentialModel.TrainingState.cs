namespace DeepGen;

// The model's own training-time random stream, which training checkpoints save and restore.
public abstract partial class SequentialModel
{
    /// <summary>
    /// The position of the model's training-time random stream, which draws the dropout masks, or null for a model
    /// without <c>[Dropout]</c>, which draws no random numbers while training. The stream is seeded from the model's
    /// seed and advanced by each training step; <see cref="TrainingCheckpoint"/> saves it and sets it back on resume,
    /// so a resumed run draws the same masks as an uninterrupted one. xoshiro128**, the same on every platform.
    /// </summary>
    /// <exception cref="InvalidOperationException">A state is set on a model without dropout, or null on one with it.</exception>
    /// <exception cref="ArgumentException">The all-zero state, which the generator can never reach.</exception>
    public RandomState? TrainingRandomState
    {
        get => HasDropout ? _dropoutRandom.State : null;
        set
        {
            if (value is { } state)
            {
                if (!HasDropout)
                    throw new InvalidOperationException($"'{Architecture.ModelName}' has no dropout, so no training-time random stream to restore a state into.");
                _dropoutRandom.State = state;
            }
            else if (HasDropout)
            {
                throw new InvalidOperationException($"'{Architecture.ModelName}' draws dropout masks; its random stream needs a state, not null.");
            }
        }
    }

    private bool HasDropout => Architecture.Layers.Any(layer => layer.DropoutRate is not null);
}
