using System.Diagnostics;

namespace DeepGen;

/// <summary>
/// A data set of token sequences of one padded length: <see cref="Count"/> rows of <see cref="Sequence"/> token ids,
/// with their attention masks and (optionally) token types, row-major.
/// </summary>
public sealed class TokenSequences
{
    /// <param name="ids">Token ids, <c>[count, sequence]</c>.</param>
    /// <param name="attentionMask">1 for a real token, 0 for padding, <c>[count, sequence]</c>; null: every token is real.</param>
    /// <param name="tokenTypes">Token types, <c>[count, sequence]</c>; null: all 0.</param>
    /// <param name="sequence">Tokens per row, padding included.</param>
    public TokenSequences(int[] ids, int[]? attentionMask, int[]? tokenTypes, int sequence)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sequence);
        if (ids.Length == 0 || ids.Length % sequence != 0)
            throw new ArgumentException($"'ids' holds {ids.Length} ids, not a positive whole number of sequences of {sequence}.", nameof(ids));
        Count = ids.Length / sequence;
        // Checks the masks and types once, here, rather than on every batch.
        _ = new TokenBatch(ids, attentionMask ?? [], tokenTypes ?? [], Count, sequence);
        Ids = ids;
        AttentionMask = attentionMask;
        TokenTypes = tokenTypes;
        Sequence = sequence;
    }

    /// <summary>Token ids, <c>[count, sequence]</c>.</summary>
    public int[] Ids { get; }

    /// <summary>Attention masks, or null when every token is real.</summary>
    public int[]? AttentionMask { get; }

    /// <summary>Token types, or null when all are 0.</summary>
    public int[]? TokenTypes { get; }

    /// <summary>Tokens per row.</summary>
    public int Sequence { get; }

    /// <summary>Rows.</summary>
    public int Count { get; }

    /// <summary><paramref name="count"/> rows of <paramref name="values"/> from <paramref name="start"/>; empty for a missing (null) array.</summary>
    internal ReadOnlySpan<int> Rows(int[]? values, int start, int count) =>
        values is null ? [] : values.AsSpan(start * Sequence, count * Sequence);
}

public abstract partial class SequenceModel
{
    private int[] _batchIds = [];
    private int[] _batchMask = [];
    private int[] _batchTypes = [];
    private float[] _targetBatch = [];
    private int _lastSequence; // of the last gathered batch, to find the last training pass's outputs

    /// <summary>
    /// Trains for <paramref name="epochs"/> epochs of mini-batches, Keras's <c>fit</c>: rows are shuffled every epoch
    /// (seeded), each batch takes one <see cref="TrainStep"/>, and the epoch's mean loss (and accuracy, for a
    /// classifier with more than one output) is recorded and reported.
    /// </summary>
    /// <param name="x">The training sequences.</param>
    /// <param name="y">Targets, <c>[count, targets per sample]</c> (one-hot for categorical cross-entropy).</param>
    public History Fit(
        TokenSequences x, float[] y, int epochs, int batchSize, Loss loss, Optimizer optimizer,
        bool shuffle = true, int seed = 0, Verbosity verbosity = Verbosity.ProgressBar, TextWriter? output = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(epochs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var width = CheckData(x, y, loss);
        var accuracy = Architecture.OutputSize > 1 && width == Architecture.OutputSize ? new Accuracy() : null;
        var order = new int[x.Count];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        var random = new SeededRandom(seed);
        var bar = ProgressBar.For(output ?? Console.Out, verbosity);
        var history = new History();
        var steps = (x.Count + batchSize - 1) / batchSize;
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            if (shuffle) random.Shuffle(order);
            bar.BeginEpoch(epoch + 1, epochs);
            accuracy?.Reset();
            var started = Stopwatch.GetTimestamp();
            var lossSum = 0.0;
            for (var step = 0; step < steps; step++)
            {
                var rows = order.AsSpan(step * batchSize, Math.Min(batchSize, x.Count - step * batchSize));
                var batch = GatherBatch(x, y, width, rows);
                var targets = _targetBatch.AsSpan(0, rows.Length * width);
                lossSum += TrainStep(batch, targets, loss, optimizer) * rows.Length;
                if (accuracy is not null)
                    accuracy.Update(LastOutputs(rows.Length), targets, rows.Length);
                if (bar.ShouldRedraw())
                    bar.Redraw(step + 1, steps, Stopwatch.GetElapsedTime(started), Logs(lossSum / ((double)step * batchSize + rows.Length), accuracy));
            }

            var meanLoss = lossSum / x.Count;
            var logs = Logs(meanLoss, accuracy);
            bar.EndEpoch(steps, steps, Stopwatch.GetElapsedTime(started), logs);
            history.Add(new EpochResult(epoch + 1, (float)meanLoss, accuracy is null ? float.NaN : (float)accuracy.Result(), Stopwatch.GetElapsedTime(started), x.Count, steps)
            {
                Logs = logs.ToDictionary(pair => pair.Key, pair => (float)pair.Value),
                LearningRate = optimizer.LearningRate,
            });
        }

        return history;
    }

    /// <summary>
    /// The mean loss (and the accuracy, for a classifier with more than one output and one target per output) over
    /// <paramref name="x"/>, in batches of <paramref name="batchSize"/>, in inference mode. The result holds
    /// <c>loss</c> and, for such a classifier, <c>accuracy</c>; its <see cref="EvaluationResult.Accuracy"/> (and
    /// <c>var (loss, accuracy) = …</c>) throws for any other model rather than give NaN.
    /// </summary>
    public EvaluationResult Evaluate(TokenSequences x, float[] y, Loss loss, int batchSize = 32)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var width = CheckData(x, y, loss);
        var accuracy = Architecture.OutputSize > 1 && width == Architecture.OutputSize ? new Accuracy() : null;
        var outputs = new float[(long)Math.Min(batchSize, x.Count) * Architecture.OutputSize];
        var sum = 0.0;
        for (var start = 0; start < x.Count; start += batchSize)
        {
            var count = Math.Min(batchSize, x.Count - start);
            var batch = new TokenBatch(x.Rows(x.Ids, start, count), x.Rows(x.AttentionMask, start, count), x.Rows(x.TokenTypes, start, count), count, x.Sequence);
            var predicted = outputs.AsSpan(0, count * Architecture.OutputSize);
            Predict(batch, predicted);
            var targets = y.AsSpan(start * width, count * width);
            sum += loss.Sum(predicted, targets, count, Architecture.OutputSize);
            accuracy?.Update(predicted, targets, count);
        }

        var meanLoss = (float)(sum / x.Count);
        return accuracy is null ? new EvaluationResult(meanLoss) : new EvaluationResult(meanLoss, accuracy.Name, (float)accuracy.Result());
    }

    /// <summary>
    /// Targets per sequence, once the data are checked: token ids inside the vocabulary (named by sample and position
    /// in the whole set, before any shuffle), one row of targets per sequence, every target finite, a loss that can
    /// train this model's outputs, and values the loss accepts (each refusal names the sample and target).
    /// </summary>
    private int CheckData(TokenSequences x, float[] y, Loss loss)
    {
        var vocabulary = Architecture.Vocabulary;
        var ids = x.Ids;
        for (var t = 0; t < ids.Length; t++)
            if ((uint)ids[t] >= (uint)vocabulary)
                throw new ArgumentOutOfRangeException(nameof(x), ids[t],
                    $"'x' holds the token id {ids[t]} at sample {t / x.Sequence}, position {t % x.Sequence}, outside the vocabulary of {vocabulary}.");
        loss.CheckOutputs(Architecture.OutputSize);
        var width = loss.TargetsPerSample(Architecture.OutputSize);
        if (y.Length != (long)x.Count * width)
            throw new ArgumentException($"'x' holds {x.Count} sequences but 'y' holds {y.Length} floats, not {x.Count} × {width}.", nameof(y));
        SequentialModel.CheckFinite(y, width, nameof(y), "target");
        loss.CheckTargetValues(y, Architecture.OutputSize, nameof(y));
        return width;
    }

    private static List<KeyValuePair<string, double>> Logs(double loss, Accuracy? accuracy)
    {
        var logs = new List<KeyValuePair<string, double>> { new("loss", loss) };
        if (accuracy is not null) logs.Add(new("accuracy", accuracy.Result()));
        return logs;
    }

    /// <summary>The last training pass's outputs, <c>[batch, OutputSize]</c>.</summary>
    private ReadOnlySpan<float> LastOutputs(int batch) =>
        new SequenceBuffers(Architecture, batch, _lastSequence, training: true).Output(_trainingMemory, Architecture.StageCount - 1);

    /// <summary>Copies <paramref name="rows"/> of the data set into the batch buffers (targets into the target batch).</summary>
    private TokenBatch GatherBatch(TokenSequences x, float[] y, int width, ReadOnlySpan<int> rows)
    {
        var length = rows.Length * x.Sequence;
        if (_batchIds.Length < length)
        {
            _batchIds = new int[length];
            _batchMask = new int[length];
            _batchTypes = new int[length];
        }

        if (_targetBatch.Length < rows.Length * width) _targetBatch = new float[rows.Length * width];
        for (var i = 0; i < rows.Length; i++)
        {
            var from = rows[i] * x.Sequence;
            x.Ids.AsSpan(from, x.Sequence).CopyTo(_batchIds.AsSpan(i * x.Sequence));
            if (x.AttentionMask is not null) x.AttentionMask.AsSpan(from, x.Sequence).CopyTo(_batchMask.AsSpan(i * x.Sequence));
            if (x.TokenTypes is not null) x.TokenTypes.AsSpan(from, x.Sequence).CopyTo(_batchTypes.AsSpan(i * x.Sequence));
            y.AsSpan(rows[i] * width, width).CopyTo(_targetBatch.AsSpan(i * width));
        }

        _lastSequence = x.Sequence;
        return new TokenBatch(
            _batchIds.AsSpan(0, length),
            x.AttentionMask is null ? [] : _batchMask.AsSpan(0, length),
            x.TokenTypes is null ? [] : _batchTypes.AsSpan(0, length),
            rows.Length, x.Sequence);
    }
}
