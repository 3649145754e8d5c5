using System.Diagnostics;
using System.Globalization;
using DeepGen.Serialization;

namespace DeepGen;

// Training and evaluation: the Keras fit / evaluate loop over mini-batches.
public abstract partial class SequentialModel
{
    /// <summary>Evaluate's default metrics and the loss they were chosen for, kept so that an evaluation allocates nothing.</summary>
    private Metric[]? _defaultMetrics;
    private Loss? _defaultMetricsLoss;

    /// <summary>
    /// Trains the model, Keras style: <paramref name="epochs"/> passes over the data in mini-batches of
    /// <paramref name="batchSize"/>, shuffled every epoch, with optional validation after each epoch, metrics and
    /// callbacks. Prints a progress line per epoch unless told not to.
    /// </summary>
    /// <param name="x">Training inputs, <c>[samples, InputSize]</c> row-major.</param>
    /// <param name="y">Training targets, <c>[samples, width]</c>: width is the output count (one-hot, regression) or 1 for a loss on class indices.</param>
    /// <param name="epochs">The epoch to train up to (Keras's <c>epochs</c>): with <paramref name="initialEpoch"/> k, epochs k+1 … epochs run.</param>
    /// <param name="batchSize">Samples per training step; the last batch may be smaller. Validation uses the same size.</param>
    /// <param name="loss">The loss to minimise.</param>
    /// <param name="optimizer">How the parameters are updated.</param>
    /// <param name="shuffle">Shuffle the training samples before each epoch; when false, batches follow the data's order.</param>
    /// <param name="seed">Seed of the shuffling.</param>
    /// <param name="verbosity">What to print.</param>
    /// <param name="output">Where to print; the console by default.</param>
    /// <param name="progress">Receives each finished epoch.</param>
    /// <param name="validationSplit">
    /// The fraction, in (0, 1), of the samples to hold out for validation: as in Keras, the <em>last</em> samples of
    /// <paramref name="x"/> and <paramref name="y"/>, taken before any shuffling. 0 for none.
    /// </param>
    /// <param name="validationData">Inputs and targets to validate on after each epoch (instead of <paramref name="validationSplit"/>).</param>
    /// <param name="metrics">
    /// What to measure besides the loss. These instances measure training; copies measure validation. By default,
    /// accuracy only where it means something: <see cref="Accuracy"/> for categorical and sparse categorical
    /// cross-entropy, for binary cross-entropy on one output (<see cref="BinaryAccuracy"/> on several) and for any
    /// other loss on a softmax output of two or more units (the seed recipe: mean squared error on a softmax);
    /// nothing but the loss otherwise (a regression: mean squared or absolute error, Huber, on any other output),
    /// as Keras measures only what it is asked to. Pass <c>[new RootMeanSquaredError(), new R2Score()]</c> and the
    /// like for regression figures.
    /// </param>
    /// <param name="callbacks">Called as training proceeds, in order (see <see cref="Callback"/>).</param>
    /// <param name="initialEpoch">
    /// Epochs already done (Keras's <c>initial_epoch</c>). The shuffles of those epochs are replayed from
    /// <paramref name="seed"/>, so a run continued this way with the weights and optimizer state it had sees the same
    /// batches as an uninterrupted one. A <see cref="BackupAndRestore"/> callback sets it from its checkpoint.
    /// </param>
    /// <param name="classWeight">
    /// Weights of the classes (Keras's <c>class_weight</c>), for a classification loss: each sample's loss is multiplied
    /// by the weight of its class, which is the argmax of a one-hot target, the label of a sparse target, or the rounded
    /// target (0 or 1) of a one-unit binary target. A class left out weighs 1. Weights must be finite and at least 0;
    /// keys outside the model's classes, or a regression or multi-label loss, are refused. Null: unweighted.
    /// </param>
    /// <param name="sampleWeight">
    /// One weight per sample of <paramref name="x"/> (Keras's <c>sample_weight</c>), finite and at least 0: each sample's
    /// loss, and so its gradient, is multiplied by it, and the batch loss is the weighted sum over the batch size
    /// (Keras's <c>sum_over_batch_size</c>). With <paramref name="classWeight"/> too, the two multiply (Keras 3 refuses
    /// both at once; tf.keras multiplied them). The reported training loss is the weighted one; the validation loss and
    /// the metrics are unweighted, and with <paramref name="validationSplit"/> the held-out samples' weights are not used.
    /// Null: unweighted, exactly the steps of a Fit without weights.
    /// </param>
    /// <param name="cancellationToken">Checked between steps; cancelling stops at a batch boundary and throws <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="InvalidModelFileException">
    /// A callback (such as <see cref="BackupAndRestore"/>) resumes from a checkpoint that is malformed, or that another
    /// model, optimizer, set of callbacks or run (another seed, sample count, validation split or shuffle setting)
    /// wrote. Everything is checked before anything is restored, so the model's weights and the optimizer's state are
    /// left as they were.
    /// </exception>
    /// <exception cref="ArgumentException">
    /// Sizes that do not match; a NaN or infinite input or target (named by sample and feature or target); a
    /// categorical or sparse categorical cross-entropy on a model with one output unit (its loss is always 0); a binary
    /// cross-entropy target outside [0, 1] or a sparse label that is not a class (named by sample); bad weights.
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// An argument is out of range, or the checkpoint resumed from is from an epoch past <paramref name="epochs"/>.
    /// </exception>
    /// <exception cref="TrainingDivergedException">A batch loss became NaN or infinite and no callback (such as <see cref="TerminateOnNaN"/>) stopped the run.</exception>
    public History Fit(
        ReadOnlySpan<float> x, ReadOnlySpan<float> y, int epochs, int batchSize, Loss loss, Optimizer optimizer,
        bool shuffle = true, int seed = 0, Verbosity verbosity = Verbosity.ProgressBar, TextWriter? output = null,
        IProgress<EpochResult>? progress = null, float validationSplit = 0f,
        (ReadOnlyMemory<float> X, ReadOnlyMemory<float> Y)? validationData = null,
        IReadOnlyList<Metric>? metrics = null, IReadOnlyList<Callback>? callbacks = null, int initialEpoch = 0,
        IReadOnlyDictionary<int, float>? classWeight = null, float[]? sampleWeight = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(optimizer);
        ThrowIfInferenceOnly();
        if (epochs <= 0)
            throw new ArgumentOutOfRangeException(nameof(epochs), epochs, "Fit needs at least one epoch.");
        if (batchSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be at least 1.");
        if (initialEpoch < 0 || initialEpoch > epochs)
            throw new ArgumentOutOfRangeException(nameof(initialEpoch), initialEpoch, $"The initial epoch counts epochs already done: 0 to {epochs} (the epochs argument).");
        if (validationSplit != 0f && !(validationSplit > 0f && validationSplit < 1f))
            throw new ArgumentOutOfRangeException(nameof(validationSplit), validationSplit, "The validation split is the fraction of samples held out: it must be in (0, 1), or 0 for none.");
        if (validationSplit != 0f && validationData is not null)
            throw new ArgumentException("Give either validationSplit or validationData, not both.", nameof(validationData));
        var trainingMetrics = CheckMetrics(metrics, loss);
        var callbackList = CheckCallbacks(callbacks);

        // Sizes, finiteness, the loss against the outputs and the targets' values, each refusal naming the sample.
        var samples = CountSamples(x, y, loss);
        var weights = SampleWeights.Build(loss, Architecture.OutputSize, y, samples, classWeight, sampleWeight);
        _lastLoss = loss;

        var inputSize = Architecture.InputSize;
        var outputSize = Architecture.OutputSize;
        var targetWidth = loss.TargetsPerSample(outputSize);

        // Keras holds out the last samples, before shuffling, so the split is the same on every run.
        ReadOnlySpan<float> validationX = default, validationY = default;
        if (validationSplit > 0f)
        {
            // The float's shortest decimal form as a double, so 0.2f splits 100 samples 80/20 as Python's 0.2 does, not 79/21.
            var fraction = double.Parse(validationSplit.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
            var trainingSamples = (int)(samples * (1.0 - fraction));
            if (trainingSamples == 0 || trainingSamples == samples)
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"A validation split of {validationSplit} of {samples} samples leaves {trainingSamples} for training and {samples - trainingSamples} for validation; both need at least one."), nameof(validationSplit));
            validationX = x[(trainingSamples * inputSize)..];
            validationY = y[(trainingSamples * targetWidth)..];
            x = x[..(trainingSamples * inputSize)];
            y = y[..(trainingSamples * targetWidth)];
            weights = weights?[..trainingSamples]; // the held-out samples' weights go unused: validation is unweighted
            samples = trainingSamples;
        }
        else if (validationData is { } data)
        {
            validationX = data.X.Span;
            validationY = data.Y.Span;
            CountValidationSamples(validationX, validationY, targetWidth);
            CheckFinite(validationX, inputSize, "validationData.X", "feature");
            CheckFinite(validationY, targetWidth, "validationData.Y", "target");
            loss.CheckTargetValues(validationY, outputSize, "validationData.Y");
        }

        var validating = !validationX.IsEmpty;
        var validationMetrics = validating ? trainingMetrics.ConvertAll(m => m.Clone()) : [];
        var trainingAccuracy = trainingMetrics.Find(m => m.Name == "accuracy");

        optimizer.Initialize(Architecture.ParameterCount);
        var order = new int[samples];
        for (var i = 0; i < samples; i++) order[i] = i;
        var random = new SeededRandom(seed);
        var writer = output ?? Console.Out;
        var bar = ProgressBar.For(writer, verbosity, batchSize);
        var history = new History();
        EnsureCapacity(Math.Min(batchSize, samples));
        // With weights, the steps train on a stand-in loss that carries each batch's weights, its buffer sized here.
        var stepLoss = weights is null ? loss : new BatchWeightedLoss(loss, Math.Min(batchSize, samples));

        var context = new TrainingContext(this, optimizer, loss, epochs, history, callbackList, writer, verbosity, () => random.State)
        {
            Epoch = initialEpoch,
            CompletedEpoch = initialEpoch,
        };
        // Callbacks begin; a resume replays the shuffles of the epochs done and restores the weights and optimizer.
        var startEpoch = context.BeginTraining(initialEpoch, shuffle, ref random, order);
        ThrowIfNotAdapted(); // after a resume, which brings a normalization's statistics back with the weights

        var logs = new List<KeyValuePair<string, double>>();
        for (var epoch = startEpoch + 1; epoch <= epochs && !context.StopTraining; epoch++)
        {
            context.Epoch = epoch;
            foreach (var callback in callbackList) callback.OnEpochBegin(context, epoch);
            if (shuffle) random.Shuffle(order);
            bar.BeginEpoch(epoch, epochs);
            var started = Stopwatch.GetTimestamp();
            var learningRate = optimizer.LearningRate;
            foreach (var metric in trainingMetrics) metric.Reset();
            double lossSum = 0;
            var steps = 0;
            var done = 0;
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

                if (stepLoss is BatchWeightedLoss weighted)
                {
                    var batchWeights = weighted.NextBatch(batch);
                    if (shuffle)
                        for (var i = 0; i < batch; i++) batchWeights[i] = weights![order[start + i]];
                    else
                        weights!.AsSpan(start, batch).CopyTo(batchWeights);
                }

                var batchLoss = TrainStep(inputs, targets, batch, stepLoss, optimizer);
                lossSum += (double)batchLoss * batch;
                // The outputs of the forward pass of this step, before the update, as Keras measures them.
                var outputs = OutputsOf(_activations, batch);
                foreach (var metric in trainingMetrics) metric.Update(outputs, targets, batch);
                steps++;
                done += batch;
                foreach (var callback in callbackList) callback.OnBatchEnd(context, steps, batchLoss);
                if (!float.IsFinite(batchLoss) && !context.StopTraining)
                    throw new TrainingDivergedException(
                        $"The {loss.Name} loss became {batchLoss} at epoch {epoch}, step {steps}. Lower the learning rate or check the data for extreme values.");
                if (context.StopTraining) break;
                if (bar.ShouldRedraw())
                    bar.Redraw(done, samples, Stopwatch.GetElapsedTime(started), RunningFigures(logs, lossSum / done, trainingMetrics));
            }

            RunningFigures(logs, lossSum / done, trainingMetrics);
            if (validating)
            {
                var validationLoss = EvaluateCore(validationX, validationY, batchSize, loss, validationMetrics);
                logs.Add(new("val_loss", validationLoss));
                foreach (var metric in validationMetrics) logs.Add(new("val_" + metric.Name, metric.Result()));
            }

            var elapsed = Stopwatch.GetElapsedTime(started);
            var result = new EpochResult(epoch, (float)(lossSum / done), (float)(trainingAccuracy?.Result() ?? double.NaN), elapsed, done, steps)
            {
                Logs = new EpochLogs(logs),
                LearningRate = learningRate,
            };
            bar.EndEpoch(done, samples, elapsed, logs);
            history.Add(result);
            context.CompletedEpoch = epoch;
            context.InEpochEnd = true;
            try
            {
                foreach (var callback in callbackList) callback.OnEpochEnd(context, result);
            }
            finally
            {
                context.InEpochEnd = false;
            }

            context.FlushPendingSaves();
            progress?.Report(result);
        }

        foreach (var callback in callbackList) callback.OnTrainEnd(context);
        return history;
    }

    /// <summary>
    /// Mean loss over <paramref name="x"/> and <paramref name="y"/>, in batches of <paramref name="batchSize"/>, and
    /// each metric, read by name from the result (<c>result["accuracy"]</c>, <see cref="EvaluationResult.TryGetValue"/>).
    /// Without <paramref name="metrics"/>, the defaults of <see cref="Fit"/> for this loss and output: accuracy for a
    /// classifier, the loss alone for a regression; then it allocates nothing once buffers for that batch size exist.
    /// </summary>
    /// <param name="loss">The loss to report; by default the one the last <see cref="Fit"/> used.</param>
    /// <param name="metrics">Metrics to measure (reset first) instead of the defaults.</param>
    public EvaluationResult Evaluate(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int batchSize = 32, Loss? loss = null, IReadOnlyList<Metric>? metrics = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        loss ??= _lastLoss ?? throw new InvalidOperationException("Evaluate needs a loss: pass one, or call Fit first so its loss is used.");
        CountSamples(x, y, loss);
        ThrowIfNotAdapted();
        if (metrics is null)
        {
            if (!ReferenceEquals(loss, _defaultMetricsLoss))
            {
                _defaultMetrics = [.. CheckMetrics(null, loss)];
                _defaultMetricsLoss = loss;
            }

            var meanLoss = (float)EvaluateCore(x, y, batchSize, loss, _defaultMetrics!);
            return _defaultMetrics!.Length == 0
                ? new EvaluationResult(meanLoss)
                : new EvaluationResult(meanLoss, _defaultMetrics[0].Name, (float)_defaultMetrics[0].Result());
        }

        var list = CheckMetrics(metrics, loss);
        var mean = EvaluateCore(x, y, batchSize, loss, list);
        return new EvaluationResult((float)mean, list.Select(m => new KeyValuePair<string, float>(m.Name, (float)m.Result())));
    }

    /// <summary>Mean loss over the samples; resets and updates <paramref name="metrics"/>. Shapes must have been checked.</summary>
    private double EvaluateCore(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int batchSize, Loss loss, IReadOnlyList<Metric> metrics)
    {
        var inputSize = Architecture.InputSize;
        var outputSize = Architecture.OutputSize;
        var targetWidth = loss.TargetsPerSample(outputSize);
        var samples = x.Length / inputSize;
        for (var m = 0; m < metrics.Count; m++) metrics[m].Reset();
        double lossSum = 0;
        for (var start = 0; start < samples; start += batchSize)
        {
            var batch = Math.Min(batchSize, samples - start);
            var buffers = Buffers(batch);
            Forward(x.Slice(start * inputSize, batch * inputSize), buffers.Activations, batch);
            var outputs = OutputsOf(buffers.Activations, batch);
            var targets = y.Slice(start * targetWidth, batch * targetWidth);
            lossSum += loss.Sum(outputs, targets, batch, outputSize);
            for (var m = 0; m < metrics.Count; m++) metrics[m].Update(outputs, targets, batch);
        }

        // Keras adds the weight penalties to the evaluated (and validation) loss, as to the training loss.
        return lossSum / samples + RegularizationPenalty();
    }

    /// <summary>Fills <paramref name="logs"/> with the running training figures: loss, then each metric.</summary>
    private static List<KeyValuePair<string, double>> RunningFigures(List<KeyValuePair<string, double>> logs, double loss, List<Metric> metrics)
    {
        logs.Clear();
        logs.Add(new("loss", loss));
        foreach (var metric in metrics) logs.Add(new(metric.Name, metric.Result()));
        return logs;
    }

    /// <summary>The metrics given, checked; or, for none, the defaults for <paramref name="loss"/> and this model's output (see <see cref="DefaultMetrics"/>).</summary>
    private List<Metric> CheckMetrics(IReadOnlyList<Metric>? metrics, Loss loss)
    {
        if (metrics is null)
            return DefaultMetrics.Accuracy(loss, Architecture.OutputSize, Architecture.OutputActivation) is { } accuracy ? [accuracy] : [];
        var list = new List<Metric>(metrics.Count);
        var names = new HashSet<string>(StringComparer.Ordinal) { "loss" };
        foreach (var metric in metrics)
        {
            if (metric is null) throw new ArgumentException("The metrics hold a null entry.", nameof(metrics));
            if (!names.Add(metric.Name))
                throw new ArgumentException($"Two metrics report as '{metric.Name}' (or one clashes with the loss); each name must be unique.", nameof(metrics));
            list.Add(metric);
        }

        return list;
    }

    /// <summary>The callbacks as a list, refusing a null entry or one listed twice; GpuModel's Fit checks them here too.</summary>
    internal static List<Callback> CheckCallbacks(IReadOnlyList<Callback>? callbacks)
    {
        if (callbacks is null) return [];
        var list = new List<Callback>(callbacks.Count);
        foreach (var callback in callbacks)
        {
            if (callback is null) throw new ArgumentException("The callbacks hold a null entry.", nameof(callbacks));
            if (list.Contains(callback)) throw new ArgumentException($"The {callback.GetType().Name} callback is listed twice.", nameof(callbacks));
            list.Add(callback);
        }

        return list;
    }

    private void CountValidationSamples(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int targetWidth)
    {
        var inputSize = Architecture.InputSize;
        if (x.Length == 0 || x.Length % inputSize != 0)
            throw new ArgumentException($"validationData.X holds {x.Length} floats, which is not a positive whole number of samples of {inputSize} inputs.", "validationData");
        var samples = x.Length / inputSize;
        if (y.Length != (long)samples * targetWidth)
            throw new ArgumentException($"validationData.X holds {samples} samples but validationData.Y holds {y.Length} floats, not {samples} × {targetWidth} = {(long)samples * targetWidth}.", "validationData");
    }

    /// <summary>An epoch's logs in report order, read-only.</summary>
    private sealed class EpochLogs(List<KeyValuePair<string, double>> logs) : IReadOnlyDictionary<string, float>
    {
        private readonly KeyValuePair<string, float>[] _entries = [.. logs.Select(p => new KeyValuePair<string, float>(p.Key, (float)p.Value))];

        public float this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"The epoch logged no '{key}'. Logged: {string.Join(", ", Keys)}.");

        public IEnumerable<string> Keys => _entries.Select(e => e.Key);

        public IEnumerable<float> Values => _entries.Select(e => e.Value);

        public int Count => _entries.Length;

        public bool ContainsKey(string key) => TryGetValue(key, out _);

        public bool TryGetValue(string key, out float value)
        {
            foreach (var entry in _entries)
            {
                if (entry.Key != key) continue;
                value = entry.Value;
                return true;
            }

            value = default;
            return false;
        }

        public IEnumerator<KeyValuePair<string, float>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, float>>)_entries).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
