using System.Diagnostics;

namespace DeepGen;

// Training and evaluation: the Keras fit / evaluate loop over mini-batches.
public abstract partial class SequentialModel
{
    /// <summary>
    /// Trains the model, Keras style: <paramref name="epochs"/> passes over the data in mini-batches of
    /// <paramref name="batchSize"/>, shuffled every epoch. Prints a progress line per epoch unless told not to.
    /// </summary>
    /// <param name="x">Training inputs, <c>[samples, InputSize]</c> row-major.</param>
    /// <param name="y">Training targets, <c>[samples, OutputSize]</c> (one-hot for classification).</param>
    /// <param name="epochs">Passes over the data.</param>
    /// <param name="batchSize">Samples per training step; the last batch may be smaller.</param>
    /// <param name="loss">The loss to minimise.</param>
    /// <param name="optimizer">How the parameters are updated.</param>
    /// <param name="shuffle">Shuffle the samples before each epoch.</param>
    /// <param name="seed">Seed of the shuffling.</param>
    /// <param name="verbosity">What to print.</param>
    /// <param name="output">Where to print; the console by default.</param>
    /// <param name="progress">Receives each finished epoch.</param>
    /// <param name="cancellationToken">Checked between steps; cancelling stops at a batch boundary and throws <see cref="OperationCanceledException"/>.</param>
    public History Fit(
        ReadOnlySpan<float> x, ReadOnlySpan<float> y, int epochs, int batchSize, Loss loss, Optimizer optimizer,
        bool shuffle = true, int seed = 0, Verbosity verbosity = Verbosity.ProgressBar, TextWriter? output = null,
        IProgress<EpochResult>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(optimizer);
        ThrowIfInferenceOnly();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(epochs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var samples = CountSamples(x, y, loss);
        CheckFinite(x, nameof(x));
        CheckFinite(y, nameof(y));
        _lastLoss = loss;

        var inputSize = Architecture.InputSize;
        var outputSize = Architecture.OutputSize;
        var targetWidth = loss.TargetsPerSample(outputSize);
        optimizer.Initialize(Architecture.ParameterCount);
        var order = new int[samples];
        for (var i = 0; i < samples; i++) order[i] = i;
        var random = new SeededRandom(seed);
        var bar = ProgressBar.For(output, verbosity);
        var history = new History();
        EnsureCapacity(Math.Min(batchSize, samples));

        for (var epoch = 1; epoch <= epochs; epoch++)
        {
            if (shuffle) random.Shuffle(order);
            bar.BeginEpoch(epoch, epochs);
            var started = Stopwatch.GetTimestamp();
            double lossSum = 0;
            long correct = 0;
            var steps = 0;
            for (var start = 0; start < samples; start += batchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var batch = Math.Min(batchSize, samples - start);
                ReadOnlySpan<float> inputs, targets;
                if (shuffle)
                {
                    Gather(_inputBatch, x, order.AsSpan(start, batch), inputSize);
                    Gather(_targetBatch, y, order.AsSpan(start, batch), targetWidth);
                    inputs = _inputBatch.AsSpan(0, batch * inputSize);
                    targets = _targetBatch.AsSpan(0, batch * targetWidth);
                }
                else
                {
                    inputs = x.Slice(start * inputSize, batch * inputSize);
                    targets = y.Slice(start * targetWidth, batch * targetWidth);
                }

                var batchLoss = TrainStep(inputs, targets, batch, loss, optimizer);
                if (!float.IsFinite(batchLoss))
                    throw new TrainingDivergedException(
                        $"The {loss.Name} loss became {batchLoss} at epoch {epoch}, step {steps + 1}. Lower the learning rate or check the data for extreme values.");
                lossSum += (double)batchLoss * batch;
                // The outputs of the forward pass of this step, before the update, as Keras measures them.
                correct += Accuracy.CountCorrect(OutputsOf(_activations, batch), targets, batch, outputSize);
                steps++;
                var done = start + batch;
                bar.Update(done, samples, Stopwatch.GetElapsedTime(started), lossSum / done, (double)correct / done);
            }

            var elapsed = Stopwatch.GetElapsedTime(started);
            var result = new EpochResult(epoch, (float)(lossSum / samples), (float)((double)correct / samples), elapsed, samples, steps);
            bar.EndEpoch(samples, elapsed, result.Loss, result.Accuracy);
            history.Add(result);
            progress?.Report(result);
        }

        return history;
    }

    /// <summary>
    /// Mean loss and accuracy over <paramref name="x"/> and <paramref name="y"/>, in batches of <paramref name="batchSize"/>.
    /// Allocation-free once buffers for that batch size exist.
    /// </summary>
    /// <param name="loss">The loss to report; by default the one the last <see cref="Fit"/> used.</param>
    public EvaluationResult Evaluate(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int batchSize = 32, Loss? loss = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        loss ??= _lastLoss ?? throw new InvalidOperationException("Evaluate needs a loss: pass one, or call Fit first so its loss is used.");
        var samples = CountSamples(x, y, loss);
        var inputSize = Architecture.InputSize;
        var outputSize = Architecture.OutputSize;
        var targetWidth = loss.TargetsPerSample(outputSize);
        double lossSum = 0;
        long correct = 0;
        for (var start = 0; start < samples; start += batchSize)
        {
            var batch = Math.Min(batchSize, samples - start);
            var buffers = Buffers(batch);
            Forward(x.Slice(start * inputSize, batch * inputSize), buffers.Activations, batch);
            var outputs = OutputsOf(buffers.Activations, batch);
            var targets = y.Slice(start * targetWidth, batch * targetWidth);
            lossSum += loss.Sum(outputs, targets, batch, outputSize);
            correct += Accuracy.CountCorrect(outputs, targets, batch, outputSize);
        }

        return new EvaluationResult((float)(lossSum / samples), (float)((double)correct / samples));
    }
}
