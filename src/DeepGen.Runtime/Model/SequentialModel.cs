using System.Diagnostics;
using System.Numerics.Tensors;

namespace DeepGen;

/// <summary>
/// The base of every generated model: owns the flat parameter, gradient and activation buffers and supplies what
/// does not depend on the shape — fit, evaluate, predict, save and load. The generated subclass supplies
/// <see cref="Forward"/>, <see cref="Backward"/> and <see cref="TrainStep"/>, written for its exact sizes.
/// </summary>
/// <remarks>
/// Buffers are allocated when the model is created and grown the first time a larger batch is seen; after that a
/// training step, a prediction into a caller's span and an evaluation allocate nothing. A model instance is not
/// safe to use from several threads at once.
/// </remarks>
public abstract partial class SequentialModel
{
    private readonly float[] _parameters;
    private readonly float[] _gradients;
    private float[] _activations = [];
    private float[] _deltas = [];
    private float[] _inputBatch = [];
    private float[] _targetBatch = [];
    private readonly float[] _transposeScratch;
    private int _batchCapacity;
    private Loss? _lastLoss;

    /// <param name="architecture">The generated model's shape.</param>
    /// <param name="seed">Seed of the Glorot-uniform weight initialisation; biases start at zero.</param>
    protected SequentialModel(ModelArchitecture architecture, int seed)
    {
        Architecture = architecture ?? throw new ArgumentNullException(nameof(architecture));
        _parameters = new float[architecture.ParameterCount];
        _gradients = new float[architecture.ParameterCount];
        _transposeScratch = new float[architecture.TransposeScratchSize];
        InitializeGlorotUniform(seed);
    }

    /// <summary>The model's shape and buffer layout.</summary>
    public ModelArchitecture Architecture { get; }

    /// <summary>Every weight and bias in one flat buffer, laid out as <see cref="LayerInfo"/> describes. Writable.</summary>
    public Span<float> Parameters => _parameters;

    /// <summary>Gradients from the last training step, in the parameter layout.</summary>
    public ReadOnlySpan<float> Gradients => _gradients;

    /// <summary>The layers, in order.</summary>
    public IReadOnlyList<DenseLayer> Layers => [.. Architecture.Layers.Select(layer => new DenseLayer(this, layer))];

    /// <summary>The gradient buffer, for the generated backward pass to write.</summary>
    protected Span<float> GradientBuffer => _gradients;

    /// <summary>A view of layer <paramref name="index"/>.</summary>
    protected DenseLayer Layer(int index) => new(this, Architecture.Layers[index]);

    /// <summary>
    /// Runs the layers on <paramref name="batch"/> samples. <paramref name="activations"/> receives every layer's
    /// outputs, <c>[batch × ActivationsPerSample]</c>, layer after layer.
    /// </summary>
    protected abstract void Forward(ReadOnlySpan<float> input, Span<float> activations, int batch);

    /// <summary>
    /// Back-propagates from the last layer's slice of <paramref name="deltas"/> (dLoss/d(pre-activation), written by
    /// the loss) and overwrites the gradient buffer. When <paramref name="learningRate"/> is not zero, each layer's
    /// weights also take the plain SGD step as their gradients are computed.
    /// </summary>
    protected abstract void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> activations, Span<float> deltas, Span<float> scratch, int batch, float learningRate);

    /// <summary>The learning rate to fuse into the backward pass: the optimizer's when it is plain SGD, else 0.</summary>
    protected static float FusedSgdLearningRate(Optimizer optimizer) => optimizer.FusedSgdLearningRate;

    /// <summary>
    /// One training step on a batch: forward, loss and its gradient, backward, parameter update. Returns the batch's
    /// mean loss. Allocation-free once buffers for <paramref name="batch"/> samples exist.
    /// </summary>
    /// <param name="input">The batch's inputs, <c>[batch, InputSize]</c>.</param>
    /// <param name="targets">The batch's targets, <c>[batch, OutputSize]</c>.</param>
    public abstract float TrainStep(ReadOnlySpan<float> input, ReadOnlySpan<float> targets, int batch, Loss loss, Optimizer optimizer);

    /// <summary>The buffers of a step on <paramref name="batch"/> samples, grown if this batch is the largest yet.</summary>
    protected StepBuffers Buffers(int batch)
    {
        EnsureCapacity(batch);
        var activations = (long)batch * Architecture.ActivationsPerSample;
        return new StepBuffers(_activations.AsSpan(0, (int)activations), _deltas.AsSpan(0, (int)activations), _transposeScratch);
    }

    /// <summary>Checks the arguments of a training step and returns its buffers.</summary>
    protected StepBuffers BeginTrainStep(ReadOnlySpan<float> input, ReadOnlySpan<float> targets, int batch, Loss loss, Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(optimizer);
        CheckSamples(input, batch, Architecture.InputSize, "input");
        CheckSamples(targets, batch, Architecture.OutputSize, "targets");
        return Buffers(batch);
    }

    private static void CheckSamples(ReadOnlySpan<float> values, int batch, int perSample, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        if (values.Length != (long)batch * perSample)
            throw new ArgumentException($"'{name}' holds {values.Length} floats; {batch} samples × {perSample} = {(long)batch * perSample} expected.", name);
    }

    private void EnsureCapacity(int batch)
    {
        if (batch <= _batchCapacity) return;
        var activations = checked(batch * Architecture.ActivationsPerSample);
        _activations = new float[activations];
        _deltas = new float[activations];
        _inputBatch = new float[checked(batch * Architecture.InputSize)];
        _targetBatch = new float[checked(batch * Architecture.OutputSize)];
        _batchCapacity = batch;
    }

    private Span<float> OutputsOf(Span<float> activations, int batch) =>
        activations.Slice(batch * Architecture.Layers[^1].OutputOffsetPerSample, batch * Architecture.OutputSize);

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
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(epochs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var samples = CountSamples(x, y);
        CheckFinite(x, nameof(x));
        CheckFinite(y, nameof(y));
        _lastLoss = loss;

        var inputSize = Architecture.InputSize;
        var outputSize = Architecture.OutputSize;
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
                    Gather(_targetBatch, y, order.AsSpan(start, batch), outputSize);
                    inputs = _inputBatch.AsSpan(0, batch * inputSize);
                    targets = _targetBatch.AsSpan(0, batch * outputSize);
                }
                else
                {
                    inputs = x.Slice(start * inputSize, batch * inputSize);
                    targets = y.Slice(start * outputSize, batch * outputSize);
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
        var samples = CountSamples(x, y);
        var inputSize = Architecture.InputSize;
        var outputSize = Architecture.OutputSize;
        double lossSum = 0;
        long correct = 0;
        for (var start = 0; start < samples; start += batchSize)
        {
            var batch = Math.Min(batchSize, samples - start);
            var buffers = Buffers(batch);
            Forward(x.Slice(start * inputSize, batch * inputSize), buffers.Activations, batch);
            var outputs = OutputsOf(buffers.Activations, batch);
            var targets = y.Slice(start * outputSize, batch * outputSize);
            lossSum += loss.Sum(outputs, targets, batch, outputSize);
            correct += Accuracy.CountCorrect(outputs, targets, batch, outputSize);
        }

        return new EvaluationResult((float)(lossSum / samples), (float)((double)correct / samples));
    }

    /// <summary>
    /// The model's outputs for every sample of <paramref name="x"/> into <paramref name="predictions"/>
    /// (<c>[samples, OutputSize]</c>), in batches of <paramref name="batchSize"/>. Allocation-free once buffers
    /// for that batch size exist.
    /// </summary>
    public void Predict(ReadOnlySpan<float> x, Span<float> predictions, int batchSize = 256)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var inputSize = Architecture.InputSize;
        var outputSize = Architecture.OutputSize;
        var samples = CountInputSamples(x);
        if (predictions.Length != (long)samples * outputSize)
            throw new ArgumentException($"'predictions' holds {predictions.Length} floats; {samples} samples × {outputSize} outputs = {(long)samples * outputSize} expected.", nameof(predictions));
        for (var start = 0; start < samples; start += batchSize)
        {
            var batch = Math.Min(batchSize, samples - start);
            var buffers = Buffers(batch);
            Forward(x.Slice(start * inputSize, batch * inputSize), buffers.Activations, batch);
            OutputsOf(buffers.Activations, batch).CopyTo(predictions.Slice(start * outputSize, batch * outputSize));
        }
    }

    /// <summary>The model's outputs for every sample of <paramref name="x"/>, <c>[samples, OutputSize]</c>.</summary>
    public float[] Predict(ReadOnlySpan<float> x, int batchSize = 256)
    {
        var predictions = new float[CountInputSamples(x) * Architecture.OutputSize];
        Predict(x, predictions, batchSize);
        return predictions;
    }

    /// <summary>Samples in <paramref name="x"/>, which must hold a positive whole number of them.</summary>
    private int CountInputSamples(ReadOnlySpan<float> x)
    {
        var inputSize = Architecture.InputSize;
        if (x.Length == 0 || x.Length % inputSize != 0)
            throw new ArgumentException($"'x' holds {x.Length} floats, which is not a positive whole number of samples of {inputSize} inputs.", nameof(x));
        return x.Length / inputSize;
    }

    private int CountSamples(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        var outputSize = Architecture.OutputSize;
        var samples = CountInputSamples(x);
        if (y.Length != (long)samples * outputSize)
            throw new ArgumentException($"'x' holds {samples} samples but 'y' holds {y.Length} floats, not {samples} × {outputSize} = {(long)samples * outputSize}.", nameof(y));
        return samples;
    }

    private static void CheckFinite(ReadOnlySpan<float> values, string name)
    {
        // MaxMagnitude is NaN if any value is NaN and infinite if any is infinite: one vectorized pass.
        if (float.IsFinite(TensorPrimitives.MaxMagnitude(values))) return;
        for (var i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i]))
                throw new ArgumentException($"'{name}' holds {values[i]} at index {i}; every value must be finite.", name);
    }

    private static void Gather(Span<float> destination, ReadOnlySpan<float> source, ReadOnlySpan<int> rows, int width)
    {
        for (var i = 0; i < rows.Length; i++)
            source.Slice(rows[i] * width, width).CopyTo(destination.Slice(i * width, width));
    }

    private void InitializeGlorotUniform(int seed)
    {
        var random = new SeededRandom(seed);
        foreach (var layer in Architecture.Layers)
        {
            // Keras's default: U(-limit, limit) with limit = sqrt(6 / (fan_in + fan_out)); biases zero.
            var limit = MathF.Sqrt(6f / (layer.Inputs + layer.Units));
            var weights = _parameters.AsSpan(layer.WeightsOffset, layer.Inputs * layer.Units);
            for (var i = 0; i < weights.Length; i++) weights[i] = (2f * random.NextSingle() - 1f) * limit;
            _parameters.AsSpan(layer.BiasOffset, layer.Units).Clear();
        }
    }
}

/// <summary>The buffers of one step: every layer's outputs, every layer's deltas, and scratch for the backward pass.</summary>
public readonly ref struct StepBuffers(Span<float> activations, Span<float> deltas, Span<float> scratch)
{
    /// <summary>Every layer's outputs, <c>[batch × ActivationsPerSample]</c>.</summary>
    public Span<float> Activations { get; } = activations;

    /// <summary>Every layer's dLoss/d(pre-activation), same layout as <see cref="Activations"/>.</summary>
    public Span<float> Deltas { get; } = deltas;

    /// <summary>Scratch for one transposed weight matrix.</summary>
    public Span<float> Scratch { get; } = scratch;
}
