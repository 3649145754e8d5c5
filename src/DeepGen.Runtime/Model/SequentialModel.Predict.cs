using DeepGen.Inference;

namespace DeepGen;

// Inference: the model's outputs, or one layer's activations, for a batch of inputs. Safe to call from many threads
// at once: each call runs its forward pass in an activation buffer rented from the model's workspace pool, and the
// forward pass reads nothing else of the model but its parameters.
public abstract partial class SequentialModel
{
    /// <summary>Samples per forward pass when a prediction does not say.</summary>
    public const int DefaultInferenceBatchSize = 256;

    private readonly InferenceWorkspacePool _inferenceWorkspaces = new(InferenceWorkspacePool.DefaultCapacity);

    /// <summary>
    /// The model's outputs for every sample of <paramref name="x"/> (one sample, or many one after another) into
    /// <paramref name="predictions"/> (<c>[samples, OutputSize]</c>), in forward passes of at most
    /// <paramref name="batchSize"/> samples.
    /// </summary>
    /// <remarks>
    /// Many threads may call this (and <see cref="Embed(string, ReadOnlySpan{float}, Span{float}, int)"/>) at once on
    /// one model; each gets exactly the bits a lone call would. Once the model's workspace pool holds a buffer for
    /// the batch size, a call allocates nothing. Not safe while the parameters change: do not train, load or write
    /// weights at the same time.
    /// </remarks>
    /// <exception cref="ArgumentException">
    /// <paramref name="x"/> is not a whole number of samples, <paramref name="predictions"/> has the wrong length, or an
    /// input is NaN or infinite (the message names its sample and feature; nothing is written then).
    /// </exception>
    public void Predict(ReadOnlySpan<float> x, Span<float> predictions, int batchSize = DefaultInferenceBatchSize) =>
        ForwardInto(Architecture.Layers[^1], x, predictions, batchSize, nameof(predictions));

    /// <summary>The model's outputs for every sample of <paramref name="x"/>, <c>[samples, OutputSize]</c>.</summary>
    /// <exception cref="ArgumentException">As <see cref="Predict(ReadOnlySpan{float}, Span{float}, int)"/>: a NaN or infinite input is refused, naming its sample and feature.</exception>
    public float[] Predict(ReadOnlySpan<float> x, int batchSize = DefaultInferenceBatchSize)
    {
        var predictions = new float[CountInputSamples(x) * Architecture.OutputSize];
        Predict(x, predictions, batchSize);
        return predictions;
    }

    /// <summary>
    /// Sizes the pool of activation buffers that concurrent predictions share, so that up to
    /// <paramref name="concurrentCalls"/> calls at once, each running passes of up to <paramref name="batchSize"/>
    /// samples, allocate nothing from the very first call (a service calls this at start-up). Without it the pool
    /// grows on demand and is allocation-free once it has seen that many calls at once.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">More calls than the pool keeps buffers for (at least eight, two per processor).</exception>
    public void ReserveInferenceWorkspaces(int concurrentCalls, int batchSize = DefaultInferenceBatchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(concurrentCalls);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        _inferenceWorkspaces.Reserve(concurrentCalls, checked(batchSize * Architecture.ActivationsPerSample));
    }

    /// <summary>
    /// Runs the forward pass on every sample of <paramref name="x"/> and writes the outputs of <paramref name="layer"/>
    /// into <paramref name="destination"/>, <c>[samples, layer.Units]</c>, in passes of at most <paramref name="batchSize"/>.
    /// </summary>
    private void ForwardInto(LayerInfo layer, ReadOnlySpan<float> x, Span<float> destination, int batchSize, string destinationName)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ThrowIfNotAdapted();
        var units = layer.Units;
        var samples = CountInputSamples(x);
        if (destination.Length != (long)samples * units)
            throw new ArgumentException(
                $"'{destinationName}' holds {destination.Length} floats; {samples} samples × {units} outputs of layer '{layer.Name}' = {(long)samples * units} expected.",
                destinationName);
        // A NaN or an infinity would come out as NaN predictions, silently: refused here, before any pass (one
        // vectorized scan, a small fraction of the forward pass's work; allocation-free).
        CheckFinite(x, Architecture.InputSize, nameof(x), "feature");

        var passSize = Math.Min(Math.Min(batchSize, samples), Architecture.LargestInferencePass);
        var passes = (samples + passSize - 1) / passSize;
        var threads = Math.Min(Cpu.CpuBackend.MaxDegreeOfParallelism, Cpu.WorkerPool.Shared.MaxThreads);
        if (threads > 1 && passes >= PassesPerThreadForWholePasses * threads)
        {
            ForwardPassesInParallel(layer, x, destination, samples, passSize, threads);
            return;
        }

        var workspace = _inferenceWorkspaces.Rent(checked(passSize * Architecture.ActivationsPerSample));
        try
        {
            for (var start = 0; start < samples; start += passSize) ForwardPass(layer, x, destination, start, Math.Min(passSize, samples - start), workspace);
        }
        finally
        {
            _inferenceWorkspaces.Return(workspace);
        }
    }

    /// <summary>One forward pass over samples <c>[start, start + batch)</c>, in <paramref name="workspace"/>.</summary>
    private void ForwardPass(LayerInfo layer, ReadOnlySpan<float> x, Span<float> destination, int start, int batch, float[] workspace)
    {
        var inputSize = Architecture.InputSize;
        var units = layer.Units;
        var activations = workspace.AsSpan(0, batch * Architecture.ActivationsPerSample);
        Forward(x.Slice(start * inputSize, batch * inputSize), activations, batch);
        activations.Slice(batch * layer.OutputOffsetPerSample, batch * units).CopyTo(destination.Slice(start * units, batch * units));
    }

    /// <summary>
    /// From this many passes per thread, threads take whole passes (<see cref="ForwardPassesInParallel"/>); with
    /// fewer, the last passes leave a thread idle, and sharing each product measured faster (2 to 4 passes of 256
    /// samples: 5–10% faster shared; 8 or more: 5–9% faster whole).
    /// </summary>
    private const int PassesPerThreadForWholePasses = 4;

    /// <summary>
    /// Many passes: each thread takes whole passes and runs every layer of a pass itself, in its own workspace,
    /// instead of all threads sharing each matrix product of one pass after another (10,000 predictions in passes of
    /// 256: 50 ms instead of 54 in the same process).
    /// </summary>
    /// <remarks>
    /// A pass's products then run on one thread (the worker pool is busy with the passes, and a product that finds it
    /// busy runs alone), so a pass's activations never leave the core that computed them and the threads meet once
    /// per call instead of three times per pass. Each sample's outputs are the same bits either way: a row of a
    /// product never depends on the other rows.
    /// </remarks>
    private unsafe void ForwardPassesInParallel(LayerInfo layer, ReadOnlySpan<float> x, Span<float> destination, int samples, int passSize, int threads)
    {
        fixed (float* input = x)
        fixed (float* output = destination)
        {
            var job = PassJob.ForThisThread;
            job.Set(this, layer, input, x.Length, output, destination.Length, samples, passSize);
            try
            {
                Cpu.WorkerPool.Shared.Run(job, threads);
            }
            finally
            {
                job.Set(null, null, null, 0, null, 0, 0, 1);
            }
        }
    }

    /// <summary>The passes of one call to <see cref="ForwardPassesInParallel"/>: unit <c>u</c> is samples <c>[u · passSize, …)</c>.</summary>
    private sealed unsafe class PassJob : Cpu.IParallelWork
    {
        [ThreadStatic] private static PassJob? _forThisThread;

        private SequentialModel? _model;
        private LayerInfo? _layer;
        private float* _input;
        private int _inputLength;
        private float* _output;
        private int _outputLength;
        private int _samples;
        private int _passSize = 1;

        /// <summary>One reusable job per calling thread, so concurrent callers never share one.</summary>
        public static PassJob ForThisThread => _forThisThread ??= new PassJob();

        public int UnitCount => (_samples + _passSize - 1) / _passSize;

        public void Set(SequentialModel? model, LayerInfo? layer, float* input, int inputLength, float* output, int outputLength, int samples, int passSize)
        {
            _model = model;
            _layer = layer;
            _input = input;
            _inputLength = inputLength;
            _output = output;
            _outputLength = outputLength;
            _samples = samples;
            _passSize = passSize;
        }

        public void Execute(int unit)
        {
            var model = _model!;
            var start = unit * _passSize;
            var batch = Math.Min(_passSize, _samples - start);
            var workspace = model._inferenceWorkspaces.Rent(checked(_passSize * model.Architecture.ActivationsPerSample));
            try
            {
                model.ForwardPass(_layer!, new ReadOnlySpan<float>(_input, _inputLength), new Span<float>(_output, _outputLength), start, batch, workspace);
            }
            finally
            {
                model._inferenceWorkspaces.Return(workspace);
            }
        }
    }
}
