using System.Globalization;

namespace DeepGen;

/// <summary>
/// Keras's <c>LearningRateScheduler</c>: before each epoch, sets the optimizer's learning rate to
/// <c>schedule(epochIndex, currentRate)</c>.
/// </summary>
/// <remarks>The schedule receives the epoch's zero-based index, as Keras passes it (epoch 1 is index 0).</remarks>
/// <param name="schedule">Maps (zero-based epoch index, current learning rate) to the epoch's learning rate, which must be positive and finite.</param>
public sealed class LearningRateScheduler(Func<int, float, float> schedule) : Callback
{
    private readonly Func<int, float, float> _schedule = schedule ?? throw new ArgumentNullException(nameof(schedule));

    /// <inheritdoc />
    public override void OnEpochBegin(TrainingContext context, int epoch)
    {
        var rate = _schedule(epoch - 1, context.Optimizer.LearningRate);
        if (!(rate > 0f) || !float.IsFinite(rate))
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"The learning-rate schedule returned {rate} for epoch index {epoch - 1}; it must return a positive, finite rate."));
        context.Optimizer.LearningRate = rate;
    }
}
