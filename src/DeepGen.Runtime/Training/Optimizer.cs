using System.Globalization;
using System.Numerics.Tensors;
using DeepGen.Cpu;

namespace DeepGen;

/// <summary>
/// Updates the flat parameter buffer from the flat gradient buffer. Both share one layout, so an optimizer is one
/// vectorized pass and never needs to know the model's shape. Per-parameter state (momentum, moment estimates) lives
/// in flat buffers of the same layout, listed by <see cref="State"/> so checkpoints can save and restore it.
/// </summary>
public abstract class Optimizer
{
    private float _learningRate;
    private LearningRateSchedule? _schedule;
    private float _scheduleScale = 1f;
    private float _weightDecay;
    private float? _clipValue;
    private float? _globalClipNorm;
    private OptimizerState[]? _state;
    private int _stateParameterCount;
    private long _iterations;

    /// <param name="learningRate">The base step size.</param>
    protected Optimizer(float learningRate)
    {
        LearningRate = learningRate;
    }

    /// <summary>
    /// The step size of the next update. Callbacks such as a learning-rate scheduler or <c>ReduceLROnPlateau</c> may
    /// change it between steps; a value set must be a positive, finite number.
    /// </summary>
    /// <remarks>
    /// Without a <see cref="Schedule"/> this is a plain value. With one, reading it gives the scheduled rate at
    /// <see cref="Iterations"/> (times any rescaling, below), which may be zero (a cosine decay's end, a warm-up's
    /// start). Setting it while a schedule is attached rescales the schedule from then on: the rate becomes
    /// <c>schedule(t) · value / schedule(now)</c>, so halving the learning rate halves every later scheduled rate, and
    /// the schedule keeps its shape. It cannot be set at an iteration where the schedule gives zero.
    /// </remarks>
    public float LearningRate
    {
        get => _schedule is null ? _learningRate : _schedule.Rate(Iterations) * _scheduleScale;
        set
        {
            if (!(value > 0f) || !float.IsFinite(value))
                throw new ArgumentOutOfRangeException(nameof(LearningRate), value, "The learning rate must be a positive, finite number.");
            if (_schedule is null)
            {
                _learningRate = value;
                return;
            }

            var scheduled = _schedule.Rate(Iterations);
            if (!(scheduled > 0f))
                throw new InvalidOperationException(
                    $"The learning-rate schedule gives {scheduled} at iteration {Iterations}, so it cannot be rescaled to {value} there.");
            _scheduleScale = value / scheduled;
        }
    }

    /// <summary>
    /// A schedule that gives the learning rate of every update from <see cref="Iterations"/> (Keras: passing a
    /// <c>LearningRateSchedule</c> as <c>learning_rate</c>); null for a constant rate. Attaching one replaces the
    /// constant rate and clears any earlier rescaling; see <see cref="LearningRate"/> for how the two combine.
    /// </summary>
    public LearningRateSchedule? Schedule
    {
        get => _schedule;
        set
        {
            _schedule = value;
            _scheduleScale = 1f;
        }
    }

    /// <summary>The factor a rescaled <see cref="Schedule"/> is multiplied by (1 until <see cref="LearningRate"/> is set), which checkpoints save.</summary>
    internal float ScheduleScale => _scheduleScale;

    /// <summary>
    /// Puts back the learning rate a checkpoint saved, exactly: the scale of the attached schedule, or the constant rate
    /// when there is none. The caller has checked the value (a finite scale, 0 or more, or a positive, finite rate).
    /// </summary>
    internal void RestoreLearningRate(float constantRate, float scheduleScale)
    {
        if (_schedule is null) _learningRate = constantRate;
        else _scheduleScale = scheduleScale;
    }

    /// <summary>Updates applied so far (Keras's <c>optimizer.iterations</c>). Checkpoints save and restore it.</summary>
    public long Iterations
    {
        get => _iterations;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(Iterations));
            _iterations = value;
        }
    }

    /// <summary>
    /// Decoupled weight decay, as Keras 3 applies it for every optimizer: before each update,
    /// <c>θ ← θ - θ · weightDecay · learningRate</c>, for every parameter (biases included). 0 turns it off.
    /// </summary>
    public float WeightDecay
    {
        get => _weightDecay;
        set
        {
            if (!(value >= 0f) || !float.IsFinite(value))
                throw new ArgumentOutOfRangeException(nameof(WeightDecay), value, "The weight decay must be zero or a positive, finite number.");
            _weightDecay = value;
        }
    }

    /// <summary>
    /// Clips every gradient element to <c>[-ClipValue, ClipValue]</c> before the update (Keras's <c>clipvalue</c>);
    /// null for none. Only one of <see cref="ClipValue"/> and <see cref="GlobalClipNorm"/> may be set.
    /// </summary>
    public float? ClipValue
    {
        get => _clipValue;
        set
        {
            CheckClip(value, nameof(ClipValue), _globalClipNorm, nameof(GlobalClipNorm));
            _clipValue = value;
        }
    }

    /// <summary>
    /// Scales the whole gradient so its L2 norm, over every parameter of the model, is at most this (Keras's
    /// <c>global_clipnorm</c>); null for none. Keras's per-variable <c>clipnorm</c> is not offered: the optimizer sees
    /// one flat buffer, not the model's tensors.
    /// </summary>
    public float? GlobalClipNorm
    {
        get => _globalClipNorm;
        set
        {
            CheckClip(value, nameof(GlobalClipNorm), _clipValue, nameof(ClipValue));
            _globalClipNorm = value;
        }
    }

    /// <summary>
    /// Named per-parameter state buffers, each as long as the parameter buffer (empty for plain SGD). Valid after
    /// <see cref="Initialize"/>; checkpoints write them and copy them back on resume.
    /// </summary>
    public virtual IReadOnlyList<OptimizerState> State => _state ?? [];

    /// <summary>
    /// Prepares state for a model of <paramref name="parameterCount"/> parameters. Called by <c>Fit</c> before the
    /// first step; calling it again with the same count keeps the state, with another count starts it afresh.
    /// </summary>
    public virtual void Initialize(int parameterCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parameterCount);
        if (_state is not null && _stateParameterCount == parameterCount) return;
        var buffers = new OptimizerState[StateNames.Length];
        for (var i = 0; i < buffers.Length; i++)
        {
            var values = new float[parameterCount];
            if (InitialStateValue != 0f) Array.Fill(values, InitialStateValue);
            buffers[i] = new OptimizerState(StateNames[i], values);
        }

        _state = buffers;
        _stateParameterCount = parameterCount;
    }

    /// <summary>
    /// One optimizer step: counts the iteration and applies <see cref="Update"/>, unless the generated backward pass
    /// has already applied this (plain SGD) update tile by tile, as <paramref name="appliedInBackward"/> says.
    /// </summary>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients, bool appliedInBackward)
    {
        if (!appliedInBackward)
        {
            if (parameters.Length != gradients.Length)
                throw new ArgumentException($"The gradients hold {gradients.Length} floats but the parameters {parameters.Length}.", nameof(gradients));
            Update(parameters, gradients);
        }
        else
        {
            FusedSteps++;
        }

        Iterations++;
    }

    /// <summary>
    /// Steps whose update the backward pass applied (<see cref="Step"/> with <c>appliedInBackward</c>), so that tests
    /// can tell the fused path was taken: a fused and an unfused step give the same bits.
    /// </summary>
    internal long FusedSteps { get; private set; }

    /// <summary>
    /// Applies one update. <paramref name="gradients"/> hold the gradient of the batch-mean loss. Rules that depend on
    /// the step number (Adam's bias correction, schedules) use <see cref="Iterations"/> + 1, so call
    /// <see cref="Step"/>, which counts the iteration afterwards, rather than this directly.
    /// </summary>
    public abstract void Update(Span<float> parameters, ReadOnlySpan<float> gradients);

    /// <summary>
    /// The learning rate when this optimizer's next update is exactly plain SGD, which the generated backward pass then
    /// applies to each weight tile as it computes it (saving a pass over every parameter); 0 otherwise.
    /// </summary>
    internal virtual float FusedSgdLearningRate => 0f;

    /// <summary>The names of the per-parameter state buffers this optimizer keeps, in <see cref="State"/> order.</summary>
    private protected virtual string[] StateNames => [];

    /// <summary>The value every state buffer starts from (Adagrad's initial accumulator; zero for the others).</summary>
    private protected virtual float InitialStateValue => 0f;

    /// <summary>Whether weight decay or clipping change this update, so it cannot be fused into the backward pass.</summary>
    private protected bool TransformsGradients => _weightDecay != 0f || _clipValue is not null || _globalClipNorm is not null;

    /// <summary>
    /// Checks the buffers of an update, creates the state on first use (a model trained through <c>TrainStep</c>
    /// without <c>Fit</c>), and returns the weight decay and clipping of this step.
    /// </summary>
    private protected UpdateOptions BeginUpdate(Span<float> parameters, ReadOnlySpan<float> gradients, float learningRate)
    {
        if (parameters.Length != gradients.Length)
            throw new ArgumentException($"The gradients hold {gradients.Length} floats but the parameters {parameters.Length}.", nameof(gradients));
        if (StateNames.Length > 0)
        {
            if (_state is null) Initialize(parameters.Length);
            else if (_stateParameterCount != parameters.Length)
                throw new ArgumentException(
                    $"{GetType().Name} holds state for {_stateParameterCount} parameters but was given {parameters.Length}. Use one optimizer per model, or call Initialize again.",
                    nameof(parameters));
        }

        var scale = 1f;
        if (_globalClipNorm is { } clipNorm)
        {
            // Keras: g · clipNorm / max(‖g‖, clipNorm), the norm over the whole gradient, in double so a long buffer loses nothing.
            var norm = Math.Sqrt(SumOfSquares(gradients));
            if (norm > clipNorm) scale = (float)(clipNorm / norm);
        }

        return new UpdateOptions(DecayAt(learningRate), scale, ClipLimit);
    }

    /// <summary>This update's decoupled weight decay factor, <c>weightDecay · learningRate</c> (the device back end shares it).</summary>
    internal float DecayAt(float learningRate) => _weightDecay * learningRate;

    /// <summary>The clip value of every gradient element, or +∞ when <see cref="ClipValue"/> is not set.</summary>
    internal float ClipLimit => _clipValue ?? float.PositiveInfinity;

    /// <summary>The state buffer at <paramref name="index"/> in <see cref="StateNames"/> order, after <see cref="BeginUpdate"/>.</summary>
    private protected Span<float> StateValues(int index) => _state![index].Values;

    /// <summary>Checks a hyperparameter that must lie in <c>[0, 1)</c> (a beta, rho) and returns it.</summary>
    private protected static float InUnitInterval(float value, string name)
    {
        if (!(value >= 0f && value < 1f))
            throw new ArgumentOutOfRangeException(name, value, $"'{name}' must lie in [0, 1).");
        return value;
    }

    /// <summary>Checks a hyperparameter that must be a positive, finite number (an epsilon) and returns it.</summary>
    private protected static float Positive(float value, string name)
    {
        if (!(value > 0f) || !float.IsFinite(value))
            throw new ArgumentOutOfRangeException(name, value, $"'{name}' must be a positive, finite number.");
        return value;
    }

    private static double SumOfSquares(ReadOnlySpan<float> values)
    {
        // Blocks of float sums (vectorized) added up in double: accurate for millions of parameters, and no allocation.
        const int block = 4096;
        var sum = 0.0;
        for (var start = 0; start < values.Length; start += block)
            sum += TensorPrimitives.SumOfSquares(values.Slice(start, Math.Min(block, values.Length - start)));
        return sum;
    }

    private static void CheckClip(float? value, string name, float? other, string otherName)
    {
        if (value is { } v && (!(v > 0f) || !float.IsFinite(v)))
            throw new ArgumentOutOfRangeException(name, v, $"'{name}' must be a positive, finite number, or null for no clipping.");
        if (value is not null && other is not null)
            throw new ArgumentException($"Only one of {name} and {otherName} can be set (as in Keras).", name);
    }
}

/// <summary>One named per-parameter state buffer of an optimizer, in the parameter layout.</summary>
/// <param name="Name">The buffer's name, unique within its optimizer (for example <c>momentum</c>).</param>
/// <param name="Values">The state, one float per parameter.</param>
public sealed record OptimizerState(string Name, float[] Values);

/// <summary>
/// Stochastic gradient descent, as Keras's <c>SGD</c>: <c>θ ← θ - lr · g</c>; with momentum μ,
/// <c>m ← μ·m - lr·g</c> then <c>θ ← θ + m</c>, or with Nesterov <c>θ ← θ + μ·m - lr·g</c> (the new m).
/// </summary>
/// <remarks>
/// Without momentum, weight decay or clipping the update is applied inside the generated backward pass, tile by tile
/// as each weight gradient is computed, which saves a pass over every parameter.
/// </remarks>
public sealed class Sgd : Optimizer
{
    private static readonly string[] MomentumState = ["momentum"];

    /// <param name="learningRate">Step size; Keras's default is 0.01.</param>
    /// <param name="momentum">Momentum μ in [0, 1]; 0 (Keras's default) for plain SGD.</param>
    /// <param name="nesterov">Whether to use Nesterov momentum.</param>
    /// <param name="weightDecay">Decoupled weight decay (see <see cref="Optimizer.WeightDecay"/>); 0 for none.</param>
    public Sgd(float learningRate = 0.01f, float momentum = 0f, bool nesterov = false, float weightDecay = 0f) : base(learningRate)
    {
        if (!(momentum >= 0f && momentum <= 1f))
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "'momentum' must lie in [0, 1].");
        Momentum = momentum;
        Nesterov = nesterov;
        WeightDecay = weightDecay;
    }

    /// <summary>The momentum μ; 0 for plain SGD.</summary>
    public float Momentum { get; }

    /// <summary>Whether the momentum is Nesterov's.</summary>
    public bool Nesterov { get; }

    /// <inheritdoc />
    public override void Update(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        var learningRate = LearningRate;
        if (Momentum == 0f && !TransformsGradients)
        {
            // The same operations as the fused update, so fused and unfused training give the same bits.
            ElementWise.SgdStep(parameters, gradients, learningRate);
            return;
        }

        var options = BeginUpdate(parameters, gradients, learningRate);
        OptimizerKernels.Sgd(parameters, gradients, Momentum == 0f ? [] : StateValues(0), learningRate, Momentum, Nesterov, options);
    }

    internal override float FusedSgdLearningRate => Momentum == 0f && !TransformsGradients ? LearningRate : 0f;

    private protected override string[] StateNames => Momentum == 0f ? [] : MomentumState;

    /// <inheritdoc />
    public override string ToString() => Momentum == 0f
        ? string.Create(CultureInfo.InvariantCulture, $"SGD(learning rate {LearningRate})")
        : string.Create(CultureInfo.InvariantCulture, $"SGD(learning rate {LearningRate}, momentum {Momentum}{(Nesterov ? ", Nesterov" : "")})");
}
