using ILGPU;
using ILGPU.Runtime;

// The CPU accelerator runs kernels through a dynamic assembly of that name; it must see the internal rule structs.
[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("ILGPURuntime")]

namespace DeepGen.Gpu;

// The optimizers of the runtime on the device: one element-wise kernel per step over the flat parameter, gradient and
// state buffers, generic over the update rule (a struct, so the device code has no branches on the optimizer's kind and
// no virtual calls). Each rule repeats the operations of its CPU twin in Cpu/OptimizerKernels.cs in the same order,
// and every scalar that depends on the step (the scheduled learning rate, Adam's α, Nadam's coefficients) comes from
// the runtime optimizer itself, computed on the host exactly as its CPU Update computes it.
//
// What is and is not the same bits as the CPU: on ILGPU's CPU accelerator each element takes the CPU's operations in
// the CPU's order. On CUDA, ILGPU 1.5.3 writes `mul.f32` and `add.f32` without a rounding modifier, which ptxas may
// contract into fused multiply-adds; there is no switch to forbid it, so a CUDA step may differ from the CPU's in the
// last bit (two CUDA runs still agree bit for bit). The global norm is summed in double (each thread a fixed stride,
// then a fixed tree), the CPU's in float blocks added in double: the clip scales agree to a few ulps, not always to the bit.

/// <summary>
/// An optimizer's rule for one element: takes the decayed parameter and the clipped gradient, updates the element's
/// state in place and returns the new parameter.
/// </summary>
internal interface IDeviceUpdateRule
{
    /// <param name="index">The element.</param>
    /// <param name="parameter">θ after decoupled weight decay.</param>
    /// <param name="gradient">g after clipping.</param>
    /// <param name="state0">The first state buffer (a one-element stand-in when the optimizer has none).</param>
    /// <param name="state1">The second state buffer, or a stand-in.</param>
    /// <param name="state2">The third state buffer, or a stand-in.</param>
    float Apply(int index, float parameter, float gradient, ArrayView<float> state0, ArrayView<float> state1, ArrayView<float> state2);
}

/// <summary>What every rule shares, from <c>Optimizer.BeginUpdate</c>: the decay factor (weightDecay · lr) and the clip value (+∞ when unset).</summary>
internal readonly struct DeviceUpdateOptions(float decay, float clipLimit)
{
    public readonly float Decay = decay;
    public readonly float ClipLimit = clipLimit;
}

/// <summary>SGD: <c>θ - g·lr</c>; momentum μ: <c>m ← m·μ - g·lr</c>, then <c>θ + m</c> or (Nesterov) <c>θ + (m·μ - g·lr)</c>.</summary>
internal readonly struct SgdRule(float rate, float momentum, bool nesterov) : IDeviceUpdateRule
{
    private readonly float _rate = rate;
    private readonly float _momentum = momentum;
    private readonly int _nesterov = nesterov ? 1 : 0; // bool is not blittable, so no kernel argument

    public float Apply(int index, float parameter, float gradient, ArrayView<float> state0, ArrayView<float> state1, ArrayView<float> state2)
    {
        var step = gradient * _rate;
        if (_momentum == 0f) return parameter - step;
        var velocity = state0[index] * _momentum - step;
        state0[index] = velocity;
        return _nesterov != 0 ? parameter + (velocity * _momentum - step) : parameter + velocity;
    }
}

/// <summary>Adam: <c>m += (g - m)(1-β₁)</c>, <c>v += (g² - v)(1-β₂)</c>, AMSGrad <c>v̂ = max(v̂, v)</c>, <c>θ - α·m / (√v + ε)</c>.</summary>
internal readonly struct AdamRule(float alpha, float beta1, float beta2, float epsilon, bool amsgrad) : IDeviceUpdateRule
{
    private readonly float _alpha = alpha;
    private readonly float _oneMinusBeta1 = 1f - beta1;
    private readonly float _oneMinusBeta2 = 1f - beta2;
    private readonly float _epsilon = epsilon;
    private readonly int _amsgrad = amsgrad ? 1 : 0; // bool is not blittable, so no kernel argument

    public float Apply(int index, float parameter, float gradient, ArrayView<float> state0, ArrayView<float> state1, ArrayView<float> state2)
    {
        var moment = state0[index];
        moment += (gradient - moment) * _oneMinusBeta1;
        state0[index] = moment;
        var velocity = state1[index];
        velocity += (gradient * gradient - velocity) * _oneMinusBeta2;
        state1[index] = velocity;
        if (_amsgrad != 0)
        {
            velocity = ILGPU.Algorithms.XMath.Max(state2[index], velocity);
            state2[index] = velocity;
        }

        return parameter - _alpha * moment / (ILGPU.Algorithms.XMath.Sqrt(velocity) + _epsilon);
    }
}

/// <summary>Nadam: Adam's moments, then <c>θ - (m·c₁ + g·c₂)·lr / (√(v·c₃) + ε)</c>.</summary>
internal readonly struct NadamRule(float rate, float beta1, float beta2, float epsilon,
    float momentumCoefficient, float gradientCoefficient, float velocityCoefficient) : IDeviceUpdateRule
{
    private readonly float _rate = rate;
    private readonly float _oneMinusBeta1 = 1f - beta1;
    private readonly float _oneMinusBeta2 = 1f - beta2;
    private readonly float _epsilon = epsilon;
    private readonly float _momentumCoefficient = momentumCoefficient;
    private readonly float _gradientCoefficient = gradientCoefficient;
    private readonly float _velocityCoefficient = velocityCoefficient;

    public float Apply(int index, float parameter, float gradient, ArrayView<float> state0, ArrayView<float> state1, ArrayView<float> state2)
    {
        var moment = state0[index];
        moment += (gradient - moment) * _oneMinusBeta1;
        state0[index] = moment;
        var velocity = state1[index];
        velocity += (gradient * gradient - velocity) * _oneMinusBeta2;
        state1[index] = velocity;
        var momentHat = moment * _momentumCoefficient + gradient * _gradientCoefficient;
        var velocityHat = velocity * _velocityCoefficient;
        return parameter - momentHat * _rate / (ILGPU.Algorithms.XMath.Sqrt(velocityHat) + _epsilon);
    }
}

/// <summary>
/// RMSprop: <c>v ← ρv + (1-ρ)g²</c>; centered <c>a ← ρa + (1-ρ)g</c> over <c>v - a² + ε</c>, else <c>v + ε</c>;
/// <c>Δ = lr·g / √denominator</c>; momentum μ: <c>m ← μm + Δ</c>, <c>θ - m</c>, else <c>θ - Δ</c>. State: v, m, a.
/// </summary>
internal readonly struct RmsPropRule(float rate, float rho, float momentum, float epsilon, bool centered) : IDeviceUpdateRule
{
    private readonly float _rate = rate;
    private readonly float _rho = rho;
    private readonly float _complement = 1f - rho;
    private readonly float _momentum = momentum;
    private readonly float _epsilon = epsilon;
    private readonly int _centered = centered ? 1 : 0; // bool is not blittable, so no kernel argument

    public float Apply(int index, float parameter, float gradient, ArrayView<float> state0, ArrayView<float> state1, ArrayView<float> state2)
    {
        var velocity = _rho * state0[index] + _complement * (gradient * gradient);
        state0[index] = velocity;
        float denominator;
        if (_centered != 0)
        {
            var average = _rho * state2[index] + _complement * gradient;
            state2[index] = average;
            denominator = velocity - average * average + _epsilon;
        }
        else
        {
            denominator = velocity + _epsilon;
        }

        var increment = _rate * gradient / ILGPU.Algorithms.XMath.Sqrt(denominator);
        if (_momentum > 0f)
        {
            increment = _momentum * state1[index] + increment;
            state1[index] = increment;
        }

        return parameter - increment;
    }
}

/// <summary>Adagrad: <c>s ← s + g²</c>, <c>θ - lr·g / √(s + ε)</c>.</summary>
internal readonly struct AdagradRule(float rate, float epsilon) : IDeviceUpdateRule
{
    private readonly float _rate = rate;
    private readonly float _epsilon = epsilon;

    public float Apply(int index, float parameter, float gradient, ArrayView<float> state0, ArrayView<float> state1, ArrayView<float> state2)
    {
        var accumulator = state0[index] + gradient * gradient;
        state0[index] = accumulator;
        return parameter - _rate * gradient / ILGPU.Algorithms.XMath.Sqrt(accumulator + _epsilon);
    }
}

/// <summary>
/// The optimizer kernels of one accelerator, each compiled on first use and then launched through its typed delegate:
/// the update, one instantiation per rule, and the two passes of the global gradient norm.
/// </summary>
internal sealed class DeviceOptimizerKernels(Accelerator accelerator)
{
    /// <summary>Threads of the group that adds up the norm's partial sums.</summary>
    public const int NormGroupSize = 256;

    /// <summary>Elements each partial sum of squares covers (at most <see cref="MaxPartials"/> partials: longer buffers give each more).</summary>
    public const int ElementsPerPartial = 256;

    /// <summary>The most partial sums of squares.</summary>
    public const int MaxPartials = 4096;

    private readonly Dictionary<Type, Delegate> _updates = [];
    private Action<Index1D, ArrayView<float>, ArrayView<double>, int, int>? _squares;
    private Action<KernelConfig, ArrayView<double>, int, ArrayView<float>, float>? _normScale;

    public Accelerator Accelerator { get; } = accelerator ?? throw new ArgumentNullException(nameof(accelerator));

    /// <summary>The update kernel for <typeparamref name="TRule"/>.</summary>
    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, DeviceUpdateOptions, TRule>
        Update<TRule>() where TRule : struct, IDeviceUpdateRule
    {
        if (_updates.TryGetValue(typeof(TRule), out var loaded))
            return (Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, DeviceUpdateOptions, TRule>)loaded;
        var kernel = Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, DeviceUpdateOptions, TRule>(UpdateKernel<TRule>);
        _updates[typeof(TRule)] = kernel;
        return kernel;
    }

    /// <summary>How many partial sums the norm of <paramref name="length"/> elements takes: fixed by the length alone, so every device sums alike.</summary>
    public static int PartialCount(int length) => Math.Clamp((length + ElementsPerPartial - 1) / ElementsPerPartial, 1, MaxPartials);

    /// <summary>
    /// Enqueues the global-norm clip scale of <paramref name="gradients"/>: <c>clipNorm / ‖g‖</c> when the norm exceeds
    /// <paramref name="clipNorm"/>, else 1, written to <c>scale[0]</c> without a round trip to the host.
    /// </summary>
    public void ClipScale(ArrayView<float> gradients, int length, ArrayView<double> partials, ArrayView<float> scale, float clipNorm)
    {
        _squares ??= Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<double>, int, int>(SquarePartialsKernel);
        _normScale ??= Accelerator.LoadStreamKernel<ArrayView<double>, int, ArrayView<float>, float>(NormScaleKernel);
        var count = PartialCount(length);
        _squares(new Index1D(count), gradients, partials, length, count);
        _normScale(new KernelConfig(new Index1D(1), new Index1D(NormGroupSize)), partials, count, scale, clipNorm);
    }

    // One thread per parameter: clip the gradient (g · scale, then clamp), decay the parameter, then the rule, in the
    // order of UpdateOptions.Gradient / DecayedParameter and the CPU's update structs.
    private static void UpdateKernel<TRule>(Index1D index, ArrayView<float> parameters, ArrayView<float> gradients,
        ArrayView<float> state0, ArrayView<float> state1, ArrayView<float> state2, ArrayView<float> gradientScale,
        DeviceUpdateOptions options, TRule rule) where TRule : struct, IDeviceUpdateRule
    {
        var gradient = ILGPU.Algorithms.XMath.Min(ILGPU.Algorithms.XMath.Max(gradients[index] * gradientScale[0], -options.ClipLimit), options.ClipLimit);
        var parameter = parameters[index];
        parameter -= parameter * options.Decay;
        parameters[index] = rule.Apply(index, parameter, gradient, state0, state1, state2);
    }

    // Partial p sums the squares of elements p, p + count, p + 2·count, … in double: neighbouring threads read
    // neighbouring elements, and the partition depends only on the length.
    private static void SquarePartialsKernel(Index1D partial, ArrayView<float> gradients, ArrayView<double> partials, int length, int count)
    {
        var sum = 0.0;
        for (var i = (int)partial; i < length; i += count)
        {
            double g = gradients[i];
            sum += g * g;
        }

        partials[partial] = sum;
    }

    // One group: each thread adds a fixed stride of the partials, then a fixed pairwise tree; thread 0 writes the scale
    // as Optimizer.BeginUpdate computes it (√ in double, the scale rounded to float once).
    private static void NormScaleKernel(ArrayView<double> partials, int count, ArrayView<float> scale, float clipNorm)
    {
        var lane = Group.IdxX;
        var sums = SharedMemory.Allocate<double>(NormGroupSize);
        var sum = 0.0;
        for (var i = lane; i < count; i += NormGroupSize) sum += partials[i];
        sums[lane] = sum;
        Group.Barrier();
        for (var width = NormGroupSize / 2; width > 0; width /= 2)
        {
            if (lane < width) sums[lane] += sums[lane + width];
            Group.Barrier();
        }

        if (lane == 0)
        {
            var norm = ILGPU.Algorithms.XMath.Sqrt(sums[0]);
            scale[0] = norm > clipNorm ? (float)(clipNorm / norm) : 1f;
        }
    }
}

/// <summary>
/// A runtime optimizer's update on the device: its state buffers (the optimizer's <see cref="Optimizer.State"/>, same
/// names and order) live on the device during a fit, and each <see cref="Step"/> enqueues the global-norm clip (when
/// set) and one update kernel, reading the step's scalars from the optimizer on the host. Nothing is allocated and
/// nothing is copied per step. The caller counts <see cref="Optimizer.Iterations"/> after each step, as
/// <see cref="Optimizer.Step"/> does.
/// </summary>
internal abstract class DeviceOptimizer : IDisposable
{
    private readonly DeviceOptimizerKernels _kernels;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>[] _state;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _placeholder;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _scale;
    private MemoryBuffer1D<double, Stride1D.Dense>? _partials;
    private bool _scaleIsOne;

    private protected DeviceOptimizer(Optimizer optimizer, DeviceOptimizerKernels kernels, int parameterCount)
    {
        Optimizer = optimizer;
        _kernels = kernels;
        ParameterCount = parameterCount;
        optimizer.Initialize(parameterCount);
        var accelerator = kernels.Accelerator;
        var state = optimizer.State;
        _state = new MemoryBuffer1D<float, Stride1D.Dense>[state.Count];
        for (var i = 0; i < _state.Length; i++) _state[i] = accelerator.Allocate1D<float>(parameterCount);
        _placeholder = accelerator.Allocate1D<float>(1);
        _scale = accelerator.Allocate1D<float>(1);
        SetScaleToOne();
        UploadState();
    }

    /// <summary>The runtime optimizer whose rule and state this runs.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Elements of the parameter, gradient and state buffers.</summary>
    public int ParameterCount { get; }

    /// <summary>
    /// The device twin of <paramref name="optimizer"/>, its state initialised for <paramref name="parameterCount"/>
    /// parameters and uploaded. Only the runtime's own optimizers have one (their update rules are known); a subclass
    /// of <see cref="DeepGen.Optimizer"/> written elsewhere is refused by name.
    /// </summary>
    /// <exception cref="NotSupportedException">A custom optimizer.</exception>
    public static DeviceOptimizer Create(Optimizer optimizer, DeviceOptimizerKernels kernels, int parameterCount)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(kernels);
        var type = optimizer.GetType();
        // Exact types: a subclass (of Adam, which is not sealed) may override Update, whose rule the device cannot know.
        if (type == typeof(Sgd)) return new SgdOnDevice((Sgd)optimizer, kernels, parameterCount);
        if (type == typeof(Adam) || type == typeof(AdamW)) return new AdamOnDevice((Adam)optimizer, kernels, parameterCount);
        if (type == typeof(Nadam)) return new NadamOnDevice((Nadam)optimizer, kernels, parameterCount);
        if (type == typeof(RmsProp)) return new RmsPropOnDevice((RmsProp)optimizer, kernels, parameterCount);
        if (type == typeof(Adagrad)) return new AdagradOnDevice((Adagrad)optimizer, kernels, parameterCount);
        throw new NotSupportedException(
            $"The GPU runs the runtime's own optimizers (Sgd, Adam, AdamW, RmsProp, Adagrad, Nadam); {type.FullName} is a custom optimizer whose Update runs on the CPU only. Train with it through the CPU model's Fit.");
    }

    /// <summary>Copies the optimizer's <see cref="Optimizer.State"/> to the device (at the start of a fit, after a resume).</summary>
    public void UploadState()
    {
        var state = Optimizer.State;
        CheckState(state);
        for (var i = 0; i < _state.Length; i++) _state[i].View.CopyFromCPU(state[i].Values);
    }

    /// <summary>Waits for the device, then copies its state into the optimizer's <see cref="Optimizer.State"/> arrays.</summary>
    public void DownloadState()
    {
        var state = Optimizer.State;
        CheckState(state);
        if (_state.Length == 0) return;
        _kernels.Accelerator.Synchronize();
        for (var i = 0; i < _state.Length; i++) _state[i].View.CopyToCPU(state[i].Values);
    }

    /// <summary>
    /// Enqueues this step's update of <paramref name="parameters"/> from <paramref name="gradients"/> (the gradient of
    /// the batch-mean loss), at <see cref="Optimizer.Iterations"/> + 1 as the CPU's <see cref="Optimizer.Update"/>.
    /// </summary>
    public abstract void Step(ArrayView<float> parameters, ArrayView<float> gradients);

    /// <summary>Launches the update kernel of <typeparamref name="TRule"/>, after the clip scale when a global norm is set.</summary>
    private protected void Launch<TRule>(
        Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, DeviceUpdateOptions, TRule> update,
        ArrayView<float> parameters, ArrayView<float> gradients, float learningRate, TRule rule, int slot0, int slot1, int slot2)
        where TRule : struct, IDeviceUpdateRule
    {
        if (parameters.Length != ParameterCount || gradients.Length < ParameterCount)
            throw new ArgumentException($"The optimizer's device state is for {ParameterCount} parameters; the step was given {parameters.Length}.", nameof(parameters));
        var gradientView = gradients.SubView(0, ParameterCount);
        if (Optimizer.GlobalClipNorm is { } clipNorm)
        {
            _partials ??= _kernels.Accelerator.Allocate1D<double>(DeviceOptimizerKernels.PartialCount(ParameterCount));
            _kernels.ClipScale(gradientView, ParameterCount, _partials.View, _scale.View, clipNorm);
            _scaleIsOne = false;
        }
        else if (!_scaleIsOne)
        {
            SetScaleToOne(); // a callback took the global norm off between steps: rare, so the one copy is fine
        }

        update(new Index1D(ParameterCount), parameters, gradientView, View(slot0), View(slot1), View(slot2), _scale.View,
            new DeviceUpdateOptions(Optimizer.DecayAt(learningRate), Optimizer.ClipLimit), rule);
    }

    private ArrayView<float> View(int slot) => slot < 0 ? _placeholder.View : _state[slot].View;

    private void SetScaleToOne()
    {
        ReadOnlySpan<float> one = [1f];
        _scale.View.AsContiguous().CopyFromCPU(one);
        _scaleIsOne = true;
    }

    private void CheckState(IReadOnlyList<OptimizerState> state)
    {
        // The arrays are the optimizer's own; another Initialize (another parameter count) would replace them.
        if (state.Count != _state.Length || state.Any(s => s.Values.Length != ParameterCount))
            throw new InvalidOperationException(
                $"{Optimizer.GetType().Name}'s state no longer matches the {ParameterCount} parameters it was placed on the device for (was it initialised for another model?).");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var buffer in _state) buffer.Dispose();
        _placeholder.Dispose();
        _scale.Dispose();
        _partials?.Dispose();
    }

    /// <summary>An optimizer whose update is <typeparamref name="TRule"/>, its kernel loaded (once per accelerator) when this is made.</summary>
    private abstract class OnDevice<TRule>(Optimizer optimizer, DeviceOptimizerKernels kernels, int parameterCount)
        : DeviceOptimizer(optimizer, kernels, parameterCount)
        where TRule : struct, IDeviceUpdateRule
    {
        private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, DeviceUpdateOptions, TRule>
            _update = kernels.Update<TRule>();

        /// <summary>One update by <paramref name="rule"/>, reading the state buffers at the given slots (-1 for none).</summary>
        private protected void Launch(ArrayView<float> parameters, ArrayView<float> gradients, float learningRate, TRule rule, int slot0, int slot1, int slot2) =>
            Launch(_update, parameters, gradients, learningRate, rule, slot0, slot1, slot2);
    }

    private sealed class SgdOnDevice(Sgd sgd, DeviceOptimizerKernels kernels, int parameterCount) : OnDevice<SgdRule>(sgd, kernels, parameterCount)
    {
        private readonly Sgd _sgd = sgd;

        public override void Step(ArrayView<float> parameters, ArrayView<float> gradients)
        {
            var learningRate = _sgd.LearningRate;
            Launch(parameters, gradients, learningRate, new SgdRule(learningRate, _sgd.Momentum, _sgd.Nesterov), _sgd.Momentum == 0f ? -1 : 0, -1, -1);
        }
    }

    private sealed class AdamOnDevice(Adam adam, DeviceOptimizerKernels kernels, int parameterCount) : OnDevice<AdamRule>(adam, kernels, parameterCount)
    {
        private readonly Adam _adam = adam;

        public override void Step(ArrayView<float> parameters, ArrayView<float> gradients)
        {
            var learningRate = _adam.LearningRate;
            var rule = new AdamRule(_adam.AlphaAt(learningRate), _adam.Beta1, _adam.Beta2, _adam.Epsilon, _adam.Amsgrad);
            Launch(parameters, gradients, learningRate, rule, 0, 1, _adam.Amsgrad ? 2 : -1);
        }
    }

    private sealed class NadamOnDevice(Nadam nadam, DeviceOptimizerKernels kernels, int parameterCount) : OnDevice<NadamRule>(nadam, kernels, parameterCount)
    {
        private readonly Nadam _nadam = nadam;

        public override void Step(ArrayView<float> parameters, ArrayView<float> gradients)
        {
            var learningRate = _nadam.LearningRate;
            var (momentum, gradient, velocity) = _nadam.NextCoefficients();
            var rule = new NadamRule(learningRate, _nadam.Beta1, _nadam.Beta2, _nadam.Epsilon, momentum, gradient, velocity);
            Launch(parameters, gradients, learningRate, rule, 0, 1, -1);
        }
    }

    private sealed class RmsPropOnDevice(RmsProp rmsProp, DeviceOptimizerKernels kernels, int parameterCount) : OnDevice<RmsPropRule>(rmsProp, kernels, parameterCount)
    {
        private readonly RmsProp _rmsProp = rmsProp;

        public override void Step(ArrayView<float> parameters, ArrayView<float> gradients)
        {
            var learningRate = _rmsProp.LearningRate;
            var rule = new RmsPropRule(learningRate, _rmsProp.Rho, _rmsProp.Momentum, _rmsProp.Epsilon, _rmsProp.Centered);
            // State order: velocity, then momentum (with momentum), then average_gradient (centered); the rule reads v, m, a.
            var hasMomentum = _rmsProp.Momentum > 0f;
            Launch(parameters, gradients, learningRate, rule, 0, hasMomentum ? 1 : -1, _rmsProp.Centered ? (hasMomentum ? 2 : 1) : -1);
        }
    }

    private sealed class AdagradOnDevice(Adagrad adagrad, DeviceOptimizerKernels kernels, int parameterCount) : OnDevice<AdagradRule>(adagrad, kernels, parameterCount)
    {
        private readonly Adagrad _adagrad = adagrad;

        public override void Step(ArrayView<float> parameters, ArrayView<float> gradients)
        {
            var learningRate = _adagrad.LearningRate;
            Launch(parameters, gradients, learningRate, new AdagradRule(learningRate, _adagrad.Epsilon), 0, -1, -1);
        }
    }
}
