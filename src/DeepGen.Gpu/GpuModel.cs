using System.Diagnostics;
using ILGPU;
using ILGPU.Runtime;

namespace DeepGen.Gpu;

/// <summary>
/// A generated model placed on a GPU (or on ILGPU's CPU accelerator): the same layers, the same flat parameter
/// layout, trained by kernels the generator wrote for its exact shape. Get one from the model's generated
/// <c>ToDevice(device)</c>; parameters are copied up when it is made and back into the model after every
/// <see cref="Fit"/>, so the model can be saved, loaded and run on the CPU as usual.
/// </summary>
/// <remarks>
/// Inside an epoch nothing is allocated and nothing is copied synchronously: the data set is uploaded once per
/// <see cref="Fit"/>, the shuffled order once per epoch, and each step's loss and correct count stay on the device
/// until the epoch ends, when they are read back in one copy. A divergent (NaN) loss is therefore reported at the end
/// of the epoch in which it happened. Not safe to use from several threads at once.
/// </remarks>
public sealed class GpuModel : IDisposable
{
    private readonly GpuKernelSet _kernels;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _parameters;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _gradients;
    private readonly DeviceArray<float> _activations;
    private readonly DeviceArray<float> _deltas;
    private readonly DeviceArray<float> _sampleResults;
    private readonly DeviceArray<float> _stepResults;
    private readonly DeviceArray<float> _inputs;
    private readonly DeviceArray<float> _targets;
    private readonly DeviceArray<int> _order;
    private Loss? _lastLoss;
    private float[] _dropoutMask = [];
    private DeviceOptimizerKernels? _optimizerKernels;

    /// <summary>Places <paramref name="model"/> on <paramref name="device"/>; called by the generated <c>ToDevice</c>.</summary>
    /// <param name="model">The CPU model; its parameters are uploaded now.</param>
    /// <param name="device">Where to run.</param>
    /// <param name="kernels">The model's generated kernels, loaded onto <paramref name="device"/>.</param>
    public GpuModel(SequentialModel model, ComputeDevice device, GpuKernelSet kernels)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Device = device ?? throw new ArgumentNullException(nameof(device));
        _kernels = kernels ?? throw new ArgumentNullException(nameof(kernels));
        if (!ReferenceEquals(kernels.Accelerator, device.Accelerator))
            throw new ArgumentException("The kernels were loaded onto another device.", nameof(kernels));
        var accelerator = device.Accelerator;
        _parameters = accelerator.Allocate1D<float>(Architecture.ParameterCount);
        _gradients = accelerator.Allocate1D<float>(Architecture.ParameterCount);
        _gradients.MemSetToZero();
        _activations = new DeviceArray<float>(accelerator);
        _deltas = new DeviceArray<float>(accelerator);
        _sampleResults = new DeviceArray<float>(accelerator);
        _stepResults = new DeviceArray<float>(accelerator);
        _inputs = new DeviceArray<float>(accelerator);
        _targets = new DeviceArray<float>(accelerator);
        _order = new DeviceArray<int>(accelerator);
        // Every buffer exists from the start, so a view is always valid; each grows on first need.
        foreach (var array in new[] { _activations, _deltas, _sampleResults, _stepResults, _inputs, _targets }) array.Ensure(1);
        _order.Ensure(1);
        UploadParameters();
    }

    /// <summary>The CPU model this one mirrors.</summary>
    public SequentialModel Model { get; }

    /// <summary>The device the kernels run on.</summary>
    public ComputeDevice Device { get; }

    /// <summary>The model's shape.</summary>
    public ModelArchitecture Architecture => Model.Architecture;

    /// <summary>Copies the CPU model's <see cref="SequentialModel.Parameters"/> to the device (after editing or loading them).</summary>
    public void UploadParameters() => _parameters.View.CopyFromCPU(Model.Parameters.ToArray());

    /// <summary>Copies the device's parameters into the CPU model's <see cref="SequentialModel.Parameters"/>.</summary>
    public void DownloadParameters() => CopyParametersTo(Model.Parameters);

    /// <summary>Copies the device's parameters into <paramref name="destination"/>, which must hold <c>ParameterCount</c> floats.</summary>
    public void CopyParametersTo(Span<float> destination) => CopyOut(_parameters, destination, nameof(destination));

    /// <summary>Copies the last step's gradients into <paramref name="destination"/>, which must hold <c>ParameterCount</c> floats.</summary>
    public void CopyGradientsTo(Span<float> destination) => CopyOut(_gradients, destination, nameof(destination));

    /// <summary>
    /// Trains on the device, Keras style, exactly as <see cref="SequentialModel.Fit"/> does on the CPU (same shuffle
    /// for the same seed), then copies the trained parameters and the optimizer's state back into <see cref="Model"/>
    /// and <paramref name="optimizer"/>. Supports every built-in loss (a <see cref="Loss"/> of your own runs on the CPU
    /// only) and every optimizer of the runtime (<see cref="Sgd"/> with momentum or Nesterov, <see cref="Adam"/>,
    /// <see cref="AdamW"/>, <see cref="RmsProp"/>, <see cref="Adagrad"/>, <see cref="Nadam"/>) with weight decay,
    /// clipping by value or global norm and learning-rate schedules; plain SGD is fused into the backward kernels, the
    /// others take one update kernel per step with their state on the device. Checks the targets as the CPU does (class
    /// indices for sparse categorical cross-entropy, values in [0, 1] for binary cross-entropy), and reports the CPU's
    /// default accuracy for the loss: <c>accuracy</c>, <c>binary_accuracy</c> (binary cross-entropy on several
    /// outputs), or none for a regression. A model with dropout draws its masks from the CPU model's dropout stream,
    /// as the CPU's Fit does, and uploads them each step. Class and sample weights are not supported: giving either
    /// throws <see cref="NotSupportedException"/> (the CPU model's Fit takes them). Validation data and metric lists
    /// are not parameters here: train with them on the CPU.
    /// </summary>
    /// <param name="callbacks">
    /// Called as on the CPU, in order: <see cref="BackupAndRestore"/>, <see cref="TrainingCheckpoint"/> saves,
    /// <see cref="ModelCheckpoint"/>, <see cref="EarlyStopping"/>, learning-rate callbacks and the like. With callbacks,
    /// each epoch's end copies the parameters and the optimizer's state into the CPU model and optimizer before they run,
    /// and back to the device after (one copy each way per epoch); without, nothing is copied until the end. A callback
    /// that overrides <see cref="Callback.OnBatchEnd"/> (such as <see cref="TerminateOnNaN"/>) makes every step wait for
    /// its loss, so that it sees each batch and can stop the run after it, as on the CPU.
    /// </param>
    /// <param name="initialEpoch">
    /// Epochs already done (Keras's <c>initial_epoch</c>): their shuffles are replayed from <paramref name="seed"/>, so a
    /// run continued with the weights and optimizer state it had sees the same batches. <see cref="BackupAndRestore"/>
    /// sets it from its checkpoint, and a GPU run interrupted and resumed that way ends on the same bits as an
    /// uninterrupted GPU run.
    /// </param>
    /// <exception cref="NotSupportedException">A loss without a kernel, an optimizer that is not one of the runtime's, or weights.</exception>
    public History Fit(
        ReadOnlySpan<float> x, ReadOnlySpan<float> y, int epochs, int batchSize, Loss loss, Optimizer optimizer,
        bool shuffle = true, int seed = 0, Verbosity verbosity = Verbosity.ProgressBar, TextWriter? output = null,
        IProgress<EpochResult>? progress = null, IReadOnlyList<Callback>? callbacks = null, int initialEpoch = 0,
        IReadOnlyDictionary<int, float>? classWeight = null, float[]? sampleWeight = null,
        CancellationToken cancellationToken = default)
    {
        // Taken so that a call written for the CPU model compiles here and fails clearly, rather than training unweighted.
        if (classWeight is not null || sampleWeight is not null)
            throw new NotSupportedException(
                $"GpuModel.Fit does not weight samples: {(classWeight is not null ? "'classWeight'" : "'sampleWeight'")} was given. Train with class or sample weights on the CPU model's Fit ({Model.GetType().Name}.Fit).");
        var deviceLoss = DeviceLoss.Of(loss, Architecture);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(epochs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (initialEpoch < 0 || initialEpoch > epochs)
            throw new ArgumentOutOfRangeException(nameof(initialEpoch), initialEpoch, $"The initial epoch counts epochs already done: 0 to {epochs} (the epochs argument).");
        var callbackList = SequentialModel.CheckCallbacks(callbacks);
        var samples = CountSamples(x, y, deviceLoss.TargetWidth);
        CheckFinite(x, Architecture.InputSize, nameof(x), "feature");
        CheckTargets(y, loss, deviceLoss.TargetWidth, nameof(y));
        // Refuses a custom optimizer by name; initialises the optimizer's state and uploads it.
        using var deviceOptimizer = CreateDeviceOptimizer(optimizer);
        _lastLoss = loss;

        var capacity = Math.Min(batchSize, samples);
        var steps = (samples + batchSize - 1) / batchSize;
        UploadData(x, y, samples, deviceLoss.TargetWidth);
        EnsureBatchCapacity(capacity);
        _stepResults.Ensure(2L * steps);
        var order = new int[samples];
        for (var i = 0; i < samples; i++) order[i] = i;
        var hostResults = new float[2 * steps];
        var random = new SeededRandom(seed);
        var bar = ProgressBar.For(output, verbosity, batchSize);
        // The device counts what the CPU Fit's default accuracy counts, and it is reported under the same name.
        var accuracy = deviceLoss.AccuracyName is not null;
        var history = new History();

        // The callbacks' contract is the CPU Fit's: begin (a backup may ask to resume), replay the shuffles of the epochs
        // done, restore the checkpoint into the CPU model and optimizer, and upload what it restored.
        var context = new TrainingContext(Model, optimizer, loss, epochs, history, callbackList, output ?? Console.Out, verbosity, () => random.State)
        {
            Epoch = initialEpoch,
            CompletedEpoch = initialEpoch,
        };
        var batchCallbacks = callbackList.Any(OverridesOnBatchEnd);
        var startEpoch = context.BeginTraining(initialEpoch, shuffle, ref random, order);
        if (context.PendingResume is not null)
        {
            // A resume restored the weights and the optimizer's state into the CPU model and optimizer: up they go.
            UploadParameters();
            deviceOptimizer.UploadState();
        }
        Span<float> stepLoss = stackalloc float[1];
        for (var epoch = startEpoch + 1; epoch <= epochs && !context.StopTraining; epoch++)
        {
            context.Epoch = epoch;
            foreach (var callback in callbackList) callback.OnEpochBegin(context, epoch);
            if (shuffle) random.Shuffle(order);
            bar.BeginEpoch(epoch, epochs);
            var started = Stopwatch.GetTimestamp();
            var learningRate = optimizer.LearningRate;
            // The epoch's one upload: the order in which samples are visited.
            _order.View.SubView(0, samples).CopyFromCPU(order);
            var stepsRun = 0;
            for (var step = 0; step < steps; step++)
            {
                if (cancellationToken.IsCancellationRequested) throw Stopped(new OperationCanceledException(cancellationToken));
                var start = step * batchSize;
                var batch = Math.Min(batchSize, samples - start);
                EnqueueStep(start, batch, step, deviceLoss, optimizer, deviceOptimizer);
                stepsRun++;
                if (!batchCallbacks) continue;
                // A callback watches every batch: wait for this step's loss, as the CPU Fit would have it.
                Device.Accelerator.Synchronize();
                _stepResults.View.SubView(2L * step, 1).CopyToCPU(stepLoss);
                foreach (var callback in callbackList) callback.OnBatchEnd(context, step + 1, stepLoss[0]);
                if (!float.IsFinite(stepLoss[0]) && !context.StopTraining)
                    throw Stopped(new TrainingDivergedException(
                        $"The {loss.Name} loss became {stepLoss[0]} at epoch {epoch}, step {step + 1}. Lower the learning rate or check the data for extreme values."));
                if (context.StopTraining) break;
            }

            // The epoch's one read-back: every step's loss and correct count.
            Device.Accelerator.Synchronize();
            _stepResults.View.SubView(0, 2L * stepsRun).CopyToCPU(hostResults.AsSpan(0, 2 * stepsRun));
            double lossSum = 0;
            long correct = 0;
            var done = 0;
            for (var step = 0; step < stepsRun; step++)
            {
                var batch = Math.Min(batchSize, samples - step * batchSize);
                var batchLoss = hostResults[2 * step];
                if (!float.IsFinite(batchLoss) && !context.StopTraining)
                    throw Stopped(new TrainingDivergedException(
                        $"The {loss.Name} loss became {batchLoss} at epoch {epoch}, step {step + 1}. Lower the learning rate or check the data for extreme values."));
                lossSum += (double)batchLoss * batch;
                correct += (long)hostResults[2 * step + 1];
                done += batch;
            }

            var elapsed = Stopwatch.GetElapsedTime(started);
            var accuracyValue = accuracy ? (double)correct / deviceLoss.AccuracyDivisor(done) : double.NaN;
            // As on the CPU, EpochResult.Accuracy is the metric named "accuracy"; binary_accuracy is in the logs only.
            var result = new EpochResult(epoch, (float)(lossSum / done), deviceLoss.AccuracyName == "accuracy" ? (float)accuracyValue : float.NaN, elapsed, done, stepsRun)
            {
                LearningRate = learningRate,
            };
            List<KeyValuePair<string, double>> logs = [new("loss", lossSum / done)];
            if (accuracy) logs.Add(new(deviceLoss.AccuracyName!, accuracyValue));
            result = result with { Logs = logs.ToDictionary(p => p.Key, p => (float)p.Value) };
            bar.EndEpoch(done, samples, elapsed, logs);
            history.Add(result);
            context.CompletedEpoch = epoch;
            if (callbackList.Count > 0)
            {
                // The callbacks see (and may save, or replace) the weights and state of this epoch's end.
                DownloadParameters();
                deviceOptimizer.DownloadState();
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
                UploadParameters();
                deviceOptimizer.UploadState();
            }

            progress?.Report(result);
        }

        DownloadParameters();
        deviceOptimizer.DownloadState();
        if (callbackList.Count > 0)
        {
            foreach (var callback in callbackList) callback.OnTrainEnd(context);
            UploadParameters(); // a callback may have put other weights back (EarlyStopping's best)
        }

        return history;

        // As on the CPU, a run that stops by cancellation or divergence leaves the model and optimizer as it trained them.
        Exception Stopped(Exception reason)
        {
            DownloadParameters();
            deviceOptimizer.DownloadState();
            return reason;
        }
    }

    /// <summary>
    /// One training step on a batch given from the host, as <see cref="SequentialModel.TrainStep"/>: uploads the
    /// batch and the optimizer's state, runs the step, waits for its loss and copies the state back. For tests and
    /// comparisons; <see cref="Fit"/> is the fast path.
    /// </summary>
    public float TrainStep(ReadOnlySpan<float> input, ReadOnlySpan<float> targets, int batch, Loss loss, Optimizer optimizer)
    {
        var deviceLoss = DeviceLoss.Of(loss, Architecture);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        if (CountSamples(input, targets, deviceLoss.TargetWidth) != batch)
            throw new ArgumentException($"'input' holds {input.Length / Architecture.InputSize} samples, not {batch}.", nameof(input));
        // The CPU's loss checks the batch's target values on every step (Loss.Gradient).
        loss.CheckTargetValues(targets, Architecture.OutputSize, nameof(targets));
        using var deviceOptimizer = CreateDeviceOptimizer(optimizer);
        UploadData(input, targets, batch, deviceLoss.TargetWidth);
        UploadIdentityOrder(batch);
        EnsureBatchCapacity(batch);
        _stepResults.Ensure(2);
        EnqueueStep(0, batch, 0, deviceLoss, optimizer, deviceOptimizer);
        deviceOptimizer.DownloadState();
        Device.Accelerator.Synchronize();
        Span<float> result = stackalloc float[2];
        _stepResults.View.SubView(0, 2).CopyToCPU(result);
        return result[0];
    }

    /// <summary>
    /// Mean loss over <paramref name="x"/> and <paramref name="y"/>, computed on the device, and the accuracy where
    /// <see cref="SequentialModel.Fit"/> would measure it by default, under the CPU's name (<c>accuracy</c>, or
    /// <c>binary_accuracy</c> for binary cross-entropy on several outputs); read it by name, or through
    /// <see cref="EvaluationResult.Accuracy"/>, which throws for a model without it.
    /// </summary>
    /// <param name="loss">The loss to report; by default the one the last <see cref="Fit"/> used.</param>
    public EvaluationResult Evaluate(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int batchSize = 1000, Loss? loss = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        loss ??= _lastLoss ?? throw new InvalidOperationException("Evaluate needs a loss: pass one, or call Fit first so its loss is used.");
        var deviceLoss = DeviceLoss.Of(loss, Architecture);
        var samples = CountSamples(x, y, deviceLoss.TargetWidth);
        CheckFinite(x, Architecture.InputSize, nameof(x), "feature");
        CheckTargets(y, loss, deviceLoss.TargetWidth, nameof(y));
        var steps = (samples + batchSize - 1) / batchSize;
        UploadData(x, y, samples, deviceLoss.TargetWidth);
        UploadIdentityOrder(samples);
        EnsureBatchCapacity(Math.Min(batchSize, samples));
        _stepResults.Ensure(2L * steps);
        for (var step = 0; step < steps; step++)
        {
            var start = step * batchSize;
            _kernels.ForwardAndLoss(Batch(start, Math.Min(batchSize, samples - start), step, 0f, deviceLoss.Kind, deviceLoss.HuberDelta));
        }

        Device.Accelerator.Synchronize();
        var results = new float[2 * steps];
        _stepResults.View.SubView(0, results.Length).CopyToCPU(results);
        double lossSum = 0;
        long correct = 0;
        for (var step = 0; step < steps; step++)
        {
            lossSum += (double)results[2 * step] * Math.Min(batchSize, samples - step * batchSize);
            correct += (long)results[2 * step + 1];
        }

        // Weight penalties join the loss once, as the CPU's Evaluate adds them.
        var meanLoss = (float)(lossSum / samples) + DevicePenalty();
        return deviceLoss.AccuracyName is { } name
            ? new EvaluationResult(meanLoss, name, (float)((double)correct / deviceLoss.AccuracyDivisor(samples)))
            : new EvaluationResult(meanLoss);
    }

    /// <summary>
    /// The model's outputs for every sample of <paramref name="x"/> into <paramref name="predictions"/>
    /// (<c>[samples, OutputSize]</c>): one upload, the batches run back to back, one read-back.
    /// </summary>
    public void Predict(ReadOnlySpan<float> x, Span<float> predictions, int batchSize = 10_000)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var samples = CountInputSamples(x);
        var outputSize = Architecture.OutputSize;
        if (predictions.Length != (long)samples * outputSize)
            throw new ArgumentException($"'predictions' holds {predictions.Length} floats; {samples} samples × {outputSize} outputs = {(long)samples * outputSize} expected.", nameof(predictions));
        CheckFinite(x, Architecture.InputSize, nameof(x), "feature");
        _inputs.Ensure((long)samples * Architecture.InputSize);
        _inputs.View.SubView(0, x.Length).CopyFromCPU(x);
        UploadIdentityOrder(samples);
        EnsureBatchCapacity(Math.Min(batchSize, samples));
        // The outputs of each batch are gathered on the device, in the target buffer, and read back once.
        _targets.Ensure((long)samples * outputSize);
        var outputOffset = Architecture.Layers[^1].OutputOffsetPerSample;
        var stream = Device.Accelerator.DefaultStream;
        for (var start = 0; start < samples; start += batchSize)
        {
            var batch = Math.Min(batchSize, samples - start);
            _kernels.Forward(Batch(start, batch, 0, 0f, GpuLoss.MeanSquaredError));
            _activations.View.SubView((long)batch * outputOffset, (long)batch * outputSize)
                .CopyTo(stream, _targets.View.SubView((long)start * outputSize, (long)batch * outputSize));
        }

        Device.Accelerator.Synchronize();
        _targets.View.SubView(0, predictions.Length).CopyToCPU(predictions);
    }

    /// <summary>The model's outputs for every sample of <paramref name="x"/>, <c>[samples, OutputSize]</c>.</summary>
    public float[] Predict(ReadOnlySpan<float> x, int batchSize = 10_000)
    {
        var predictions = new float[(long)CountInputSamples(x) * Architecture.OutputSize];
        Predict(x, predictions, batchSize);
        return predictions;
    }

    /// <summary>
    /// Launches one training step on data already on the device, without waiting: what <see cref="Fit"/> runs per
    /// step. For the allocation tests.
    /// </summary>
    internal void EnqueueTrainStep(int orderOffset, int batch, int stepIndex, float learningRate, GpuLoss loss)
    {
        UploadDropoutMasks(batch);
        _kernels.TrainStep(Batch(orderOffset, batch, stepIndex, learningRate, loss));
    }

    /// <summary>Uploads a data set and sizes the step buffers, as <see cref="Fit"/> does before its first epoch.</summary>
    internal void PrepareTraining(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int batchSize, int steps)
    {
        var samples = CountSamples(x, y, Architecture.OutputSize);
        UploadData(x, y, samples, Architecture.OutputSize);
        UploadIdentityOrder(samples);
        EnsureBatchCapacity(Math.Min(batchSize, samples));
        _stepResults.Ensure(2L * steps);
    }

    private GpuBatch Batch(int orderOffset, int batch, int step, float learningRate, GpuLoss loss, float huberDelta = 0f) => new()
    {
        Parameters = _parameters.View,
        Gradients = _gradients.View,
        Activations = _activations.View,
        Deltas = _deltas.View,
        Inputs = _inputs.View,
        Targets = _targets.View,
        Order = _order.View,
        OrderOffset = orderOffset,
        Batch = batch,
        SampleResults = _sampleResults.View,
        StepResults = _stepResults.View,
        StepIndex = step,
        LearningRate = learningRate,
        Loss = loss,
        HuberDelta = huberDelta,
    };

    private void UploadData(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int samples, int targetWidth)
    {
        _inputs.Ensure((long)samples * Architecture.InputSize);
        _targets.Ensure((long)samples * targetWidth);
        _order.Ensure(samples);
        _inputs.View.SubView(0, x.Length).CopyFromCPU(x);
        _targets.View.SubView(0, y.Length).CopyFromCPU(y);
    }

    private void UploadIdentityOrder(int samples)
    {
        _order.Ensure(samples);
        var order = new int[samples];
        for (var i = 0; i < samples; i++) order[i] = i;
        _order.View.SubView(0, samples).CopyFromCPU(order);
    }

    /// <summary>
    /// Draws this step's dropout masks from the CPU model's dropout stream, layer by layer in forward order (the draws
    /// the CPU's TrainStep makes), and uploads each into its slot of the activation buffer, where the generated
    /// kernels read it. A masked model's step therefore sends <c>batch × units</c> floats per dropout layer.
    /// </summary>
    private void UploadDropoutMasks(int batch)
    {
        var layers = Architecture.Layers;
        for (var i = 0; i < layers.Count; i++)
        {
            if (layers[i].DropoutRate is not { } rate) continue;
            var length = (long)batch * layers[i].Units;
            var mask = _dropoutMask.AsSpan(0, (int)length);
            Model.DrawDropoutMask(mask, rate);
            _activations.View.SubView((long)batch * layers[i].DropoutMaskOffsetPerSample, length).CopyFromCPU(mask);
        }
    }

    /// <summary>The L1/L2 penalty of the device's current weights, summed as the CPU sums it; 0 without a penalised layer.</summary>
    private float DevicePenalty()
    {
        var layers = Architecture.Layers;
        if (!layers.Any(layer => layer.IsRegularized)) return 0f;
        var parameters = new float[Architecture.ParameterCount];
        CopyParametersTo(parameters);
        var total = 0f;
        foreach (var layer in layers)
            if (layer.IsRegularized)
                total += Cpu.Regularization.Penalty(parameters.AsSpan(layer.WeightsOffset, layer.WeightCount), layer.L1, layer.L2);
        return total;
    }

    private void EnsureBatchCapacity(int batch)
    {
        var widest = Architecture.Layers.Where(layer => layer.DropoutRate is not null).Select(layer => layer.Units).DefaultIfEmpty(0).Max();
        if (_dropoutMask.Length < (long)batch * widest) _dropoutMask = new float[(long)batch * widest];
        // Training keeps pre-activations and dropout outputs and masks in the workspace after the activations, as on the CPU.
        _activations.Ensure((long)batch * (Architecture.ActivationsPerSample + Architecture.WorkspacePerSample));
        _deltas.Ensure((long)batch * Architecture.ActivationsPerSample);
        _sampleResults.Ensure(2L * batch);
    }

    private void CopyOut(MemoryBuffer1D<float, Stride1D.Dense> buffer, Span<float> destination, string name)
    {
        if (destination.Length != Architecture.ParameterCount)
            throw new ArgumentException($"'{name}' holds {destination.Length} floats; the model has {Architecture.ParameterCount} parameters.", name);
        Device.Accelerator.Synchronize();
        buffer.View.AsContiguous().CopyToCPU(destination);
    }

    private int CountInputSamples(ReadOnlySpan<float> x)
    {
        var inputSize = Architecture.InputSize;
        if (x.Length == 0 || x.Length % inputSize != 0)
            throw new ArgumentException($"'x' holds {x.Length} floats, which is not a positive whole number of samples of {inputSize} inputs.", nameof(x));
        return x.Length / inputSize;
    }

    /// <summary>Samples in <paramref name="x"/>, checked against <paramref name="y"/>'s <paramref name="targetWidth"/> floats per sample.</summary>
    private int CountSamples(ReadOnlySpan<float> x, ReadOnlySpan<float> y, int targetWidth)
    {
        var samples = CountInputSamples(x);
        if (y.Length != (long)samples * targetWidth)
            throw new ArgumentException($"'x' holds {samples} samples but 'y' holds {y.Length} floats, not {samples} × {targetWidth} = {(long)samples * targetWidth}.", nameof(y));
        return samples;
    }

    /// <summary>The targets' checks of the CPU's Fit and Evaluate: finite, then the values the loss accepts (each refusal naming the sample).</summary>
    private void CheckTargets(ReadOnlySpan<float> y, Loss loss, int targetWidth, string name)
    {
        CheckFinite(y, targetWidth, name, "target");
        loss.CheckTargetValues(y, Architecture.OutputSize, name);
    }

    /// <summary>Refuses a NaN or infinity in <paramref name="values"/>, <c>[samples, width]</c>, naming its sample and feature or target.</summary>
    private static void CheckFinite(ReadOnlySpan<float> values, int width, string name, string item)
    {
        // MaxMagnitude is NaN if any value is NaN and infinite if any is infinite: one vectorized pass.
        if (float.IsFinite(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(values))) return;
        for (var i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i]))
                throw new ArgumentException($"'{name}' holds {values[i]} at sample {i / width}, {item} {i % width}; every value must be finite.", name);
    }

    /// <summary>The device's loss for a runtime loss: every built-in one; a loss of the user's own is refused by name.</summary>
    internal static GpuLoss ToGpuLoss(Loss loss)
    {
        ArgumentNullException.ThrowIfNull(loss);
        return loss switch
        {
            MeanSquaredErrorLoss => GpuLoss.MeanSquaredError,
            CategoricalCrossEntropyLoss => GpuLoss.CategoricalCrossEntropy,
            MeanAbsoluteErrorLoss => GpuLoss.MeanAbsoluteError,
            HuberLoss => GpuLoss.Huber,
            BinaryCrossEntropyLoss => GpuLoss.BinaryCrossEntropy,
            SparseCategoricalCrossEntropyLoss => GpuLoss.SparseCategoricalCrossEntropy,
            _ => throw new NotSupportedException(
                $"The GPU kernels compute DeepGen's own losses (mean squared and absolute error, Huber, binary, categorical and sparse categorical cross-entropy); '{loss.Name}' ({loss.GetType().Name}) is a loss of your own, which runs on the CPU only."),
        };
    }

    /// <summary>
    /// A loss as the device runs it: its kind and Huber delta for the kernels, its target width, and the default
    /// accuracy the CPU reports for it on this model (<c>DefaultMetrics</c>), with the count it divides by.
    /// </summary>
    private readonly record struct DeviceLoss(GpuLoss Kind, float HuberDelta, int TargetWidth, string? AccuracyName, int CountsPerSample)
    {
        /// <summary>Maps and checks <paramref name="loss"/> for <paramref name="architecture"/>'s outputs, as the CPU's Fit does.</summary>
        public static DeviceLoss Of(Loss loss, ModelArchitecture architecture)
        {
            var kind = ToGpuLoss(loss);
            var outputs = architecture.OutputSize;
            loss.CheckOutputs(outputs);
            var accuracy = DefaultMetrics.Accuracy(loss, outputs, architecture.OutputActivation);
            // binary_accuracy averages over every output of every sample; the device counts a sample's right outputs.
            return new DeviceLoss(kind, (loss as HuberLoss)?.Delta ?? 0f, loss.TargetsPerSample(outputs), accuracy?.Name,
                accuracy is BinaryAccuracy ? outputs : 1);
        }

        /// <summary>What the device's correct count over <paramref name="samples"/> samples is divided by.</summary>
        public double AccuracyDivisor(int samples) => (double)samples * CountsPerSample;
    }

    /// <summary>
    /// Enqueues one training step and counts it: plain SGD fused into the backward kernels while its rate is not 0
    /// (as the CPU's generated step decides), otherwise the gradients alone, then the optimizer's update kernel.
    /// </summary>
    private void EnqueueStep(int orderOffset, int batch, int step, DeviceLoss loss, Optimizer optimizer, DeviceOptimizer deviceOptimizer)
    {
        var fusedRate = optimizer.FusedSgdLearningRate;
        UploadDropoutMasks(batch);
        _kernels.TrainStep(Batch(orderOffset, batch, step, fusedRate, loss.Kind, loss.HuberDelta));
        if (fusedRate == 0f) deviceOptimizer.Step(_parameters.View, _gradients.View);
        optimizer.Iterations++;
    }

    /// <summary>The device side of <paramref name="optimizer"/>, its state uploaded; refuses an optimizer that is not one of the runtime's.</summary>
    private DeviceOptimizer CreateDeviceOptimizer(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        _optimizerKernels ??= new DeviceOptimizerKernels(Device.Accelerator);
        return DeviceOptimizer.Create(optimizer, _optimizerKernels, Architecture.ParameterCount);
    }

    /// <summary>Whether <paramref name="callback"/> watches batches, so that Fit must read each step's loss as it ends.</summary>
    private static bool OverridesOnBatchEnd(Callback callback) =>
        callback.GetType().GetMethod(nameof(Callback.OnBatchEnd), [typeof(TrainingContext), typeof(int), typeof(float)])?.DeclaringType != typeof(Callback);

    /// <inheritdoc />
    public void Dispose()
    {
        _parameters.Dispose();
        _gradients.Dispose();
        _activations.Dispose();
        _deltas.Dispose();
        _sampleResults.Dispose();
        _stepResults.Dispose();
        _inputs.Dispose();
        _targets.Dispose();
        _order.Dispose();
    }
}

/// <summary>A device buffer that grows (never shrinks) to the largest length asked for; at least one element, so a view always exists.</summary>
internal sealed class DeviceArray<T>(Accelerator accelerator) : IDisposable
    where T : unmanaged
{
    private MemoryBuffer1D<T, Stride1D.Dense>? _buffer;

    public ArrayView<T> View => _buffer!.View;

    public void Ensure(long length)
    {
        length = Math.Max(length, 1);
        if (_buffer is not null && _buffer.Length >= length) return;
        _buffer?.Dispose();
        _buffer = accelerator.Allocate1D<T>(length);
    }

    public void Dispose() => _buffer?.Dispose();
}
