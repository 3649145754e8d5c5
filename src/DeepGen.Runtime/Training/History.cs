namespace DeepGen;

/// <summary>What one epoch of <see cref="SequentialModel.Fit"/> measured.</summary>
/// <param name="Epoch">The epoch's number, from 1.</param>
/// <param name="Loss">Mean training loss over the epoch's samples, as Keras reports it.</param>
/// <param name="Accuracy">Training accuracy over the epoch's samples.</param>
/// <param name="Duration">Wall-clock time of the epoch.</param>
/// <param name="Samples">Samples seen.</param>
/// <param name="Steps">Training steps (batches) taken.</param>
public sealed record EpochResult(int Epoch, float Loss, float Accuracy, TimeSpan Duration, int Samples, int Steps);

/// <summary>The per-epoch record of a training run, like Keras's <c>History</c>.</summary>
public sealed class History
{
    private readonly List<EpochResult> _epochs = [];

    /// <summary>Every finished epoch, in order.</summary>
    public IReadOnlyList<EpochResult> Epochs => _epochs;

    /// <summary>Training loss per epoch.</summary>
    public IReadOnlyList<float> Loss => _epochs.ConvertAll(e => e.Loss);

    /// <summary>Training accuracy per epoch.</summary>
    public IReadOnlyList<float> Accuracy => _epochs.ConvertAll(e => e.Accuracy);

    internal void Add(EpochResult epoch) => _epochs.Add(epoch);
}

/// <summary>The result of <see cref="SequentialModel.Evaluate"/>: mean loss and accuracy over the samples.</summary>
public readonly record struct EvaluationResult(float Loss, float Accuracy);

/// <summary>How much <see cref="SequentialModel.Fit"/> prints (Keras's <c>verbose</c>).</summary>
public enum Verbosity
{
    /// <summary>Nothing.</summary>
    Silent = 0,
    /// <summary>A progress bar that moves during the epoch on a terminal; one line per epoch when output is redirected.</summary>
    ProgressBar = 1,
    /// <summary>One line per epoch.</summary>
    OneLinePerEpoch = 2,
}

/// <summary>Thrown when training produces a loss that is NaN or infinite.</summary>
public sealed class TrainingDivergedException(string message) : ArithmeticException(message);
