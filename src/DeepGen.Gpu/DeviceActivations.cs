using ILGPU.Algorithms;

namespace DeepGen.Gpu;

/// <summary>
/// One element-wise activation of <see cref="Activation"/> as device code: a kernel takes it as a struct type
/// argument (<c>where TActivation : struct, IDeviceActivation</c>) and calls it through <c>default(TActivation)</c>,
/// so the call is resolved when the kernel is compiled; no delegate, no virtual call. Each implementation computes
/// what the CPU's activation of the same name computes (DeepGen.Runtime/Cpu/Activations.cs): the same formulas,
/// constants, saturation, flushing of results below 2^-100 to 0, and NaN propagation. Softmax is not one: it
/// works on whole rows (see <see cref="GpuKernelSet"/>).
/// </summary>
public interface IDeviceActivation
{
    /// <summary><c>f(z)</c>.</summary>
    float Forward(float z);

    /// <summary>
    /// <c>gradient · f'(z)</c>, given the output <c>y = f(z)</c> and the pre-activation <c>z</c>. Only
    /// <see cref="GeluActivation"/> and <see cref="SwishActivation"/> read <c>z</c> (their derivative cannot be
    /// written with the output: <c>ActivationFacts.NeedsPreActivation</c>); the others read <c>y</c> alone, so a
    /// caller that keeps no pre-activations may pass anything for <c>z</c>.
    /// </summary>
    float Backward(float gradient, float y, float z);
}

/// <summary><c>f(z) = z</c>.</summary>
public readonly struct LinearActivation : IDeviceActivation
{
    /// <inheritdoc />
    public float Forward(float z) => z;

    /// <inheritdoc />
    public float Backward(float gradient, float y, float z) => gradient;
}

/// <summary><c>f(z) = 1 / (1 + e^-z)</c>, the CPU's single-precision form; <c>f' = y (1 - y)</c>.</summary>
public readonly struct SigmoidActivation : IDeviceActivation
{
    /// <inheritdoc />
    public float Forward(float z) => DeviceMath.Sigmoid(z);

    /// <inheritdoc />
    public float Backward(float gradient, float y, float z) => gradient * y * (1f - y);
}

/// <summary><c>f(z) = max(0, z)</c>; <c>f' = 1</c> where the output is positive, else 0 (Keras's choice at 0).</summary>
public readonly struct ReluActivation : IDeviceActivation
{
    /// <inheritdoc />
    public float Forward(float z) => z > 0f || DeviceMath.IsNaN(z) ? z : 0f;

    /// <inheritdoc />
    public float Backward(float gradient, float y, float z) => y > 0f ? gradient : 0f;
}

/// <summary><c>f(z) = tanh z</c>, the CPU's single-precision form; <c>f' = 1 - y²</c>.</summary>
public readonly struct TanhActivation : IDeviceActivation
{
    /// <inheritdoc />
    public float Forward(float z) => DeviceMath.Tanh(z);

    /// <inheritdoc />
    public float Backward(float gradient, float y, float z) => gradient * (1f - y * y);
}

/// <summary>
/// <c>f(z) = z</c> for <c>z &gt; 0</c>, else <c>0.2 z</c> (Keras's <c>leaky_relu</c> slope, the CPU's
/// <c>LeakyReluActivation.NegativeSlope</c>); <c>f' = 1</c> where the output is positive, else 0.2.
/// </summary>
public readonly struct LeakyReluActivation : IDeviceActivation
{
    /// <summary>The slope for negative inputs.</summary>
    public const float NegativeSlope = DeepGen.Cpu.LeakyReluActivation.NegativeSlope;

    /// <inheritdoc />
    public float Forward(float z) => z > 0f ? z : z * NegativeSlope;

    /// <inheritdoc />
    public float Backward(float gradient, float y, float z) => y > 0f ? gradient : gradient * NegativeSlope;
}

/// <summary><c>f(z) = z</c> for <c>z &gt; 0</c>, else <c>e^z - 1</c> in double; <c>f' = 1</c> where the output is positive, else <c>y + 1</c>.</summary>
public readonly struct EluActivation : IDeviceActivation
{
    /// <inheritdoc />
    public float Forward(float z) => z <= 0f ? (float)(XMath.Exp((double)z) - 1.0) : z;

    /// <inheritdoc />
    public float Backward(float gradient, float y, float z) => y > 0f ? gradient : gradient * (y + 1f);
}

/// <summary>
/// <c>f(z) = scale · z</c> for <c>z &gt; 0</c>, else <c>scale · alpha · (e^z - 1)</c> in double, with Keras's
/// constants (the CPU's); <c>f' = scale</c> where the output is positive, else <c>y + scale · alpha</c>.
/// </summary>
public readonly struct SeluActivation : IDeviceActivation
{
    /// <summary>Keras's SELU alpha.</summary>
    public const float Alpha = DeepGen.Cpu.SeluActivation.Alpha;

    /// <summary>Keras's SELU scale.</summary>
    public const float Scale = DeepGen.Cpu.SeluActivation.Scale;

    /// <inheritdoc />
    public float Forward(float z) => z > 0f ? Scale * z : (float)(Scale * Alpha * (XMath.Exp((double)z) - 1.0));

    /// <inheritdoc />
    public float Backward(float gradient, float y, float z) => y > 0f ? gradient * Scale : gradient * (y + Scale * Alpha);
}

/// <summary>
/// Exact GELU, <c>f(z) = z Φ(z)</c> (Keras 3's default), in double through the CPU's erfc; <c>f'(z) = Φ(z) + z φ(z)</c>,
/// read from the pre-activation.
/// </summary>
public readonly struct GeluActivation : IDeviceActivation
{
    /// <inheritdoc />
    public float Forward(float z) => DeviceMath.Flushed(z * DeviceMath.NormalCdf(z));

    /// <inheritdoc />
    public float Backward(float gradient, float y, float z)
    {
        double x = z;
        return DeviceMath.Flushed(gradient * (DeviceMath.NormalCdf(x) + x * DeviceMath.NormalDensity(x)));
    }
}

/// <summary>
/// <c>f(z) = log(1 + e^z)</c>, computed as the CPU does: <c>max(z, 0) + log(1 + e^-|z|)</c> in double;
/// <c>f' = sigmoid(z) = 1 - e^-y</c>.
/// </summary>
public readonly struct SoftplusActivation : IDeviceActivation
{
    /// <inheritdoc />
    public float Forward(float z)
    {
        if (DeviceMath.IsNaN(z)) return z;
        double x = z;
        return DeviceMath.Flushed((x > 0.0 ? x : 0.0) + DeviceMath.LogOnePlus(XMath.Exp(-XMath.Abs(x))));
    }

    /// <inheritdoc />
    public float Backward(float gradient, float y, float z) => DeviceMath.Flushed(gradient * DeviceMath.OneMinusExpMinus(y));
}

/// <summary>Swish / SiLU, <c>f(z) = z · sigmoid(z)</c> in double; <c>f'(z) = s + z s (1 - s)</c>, read from the pre-activation.</summary>
public readonly struct SwishActivation : IDeviceActivation
{
    /// <inheritdoc />
    public float Forward(float z) => DeviceMath.Flushed(z / (1.0 + XMath.Exp(-(double)z)));

    /// <inheritdoc />
    public float Backward(float gradient, float y, float z)
    {
        double x = z;
        var s = 1.0 / (1.0 + XMath.Exp(-x));
        return DeviceMath.Flushed(gradient * (s + x * s * (1.0 - s)));
    }
}

/// <summary>
/// Keras 3's hard sigmoid, <c>f(z) = clip(z / 6 + 0.5, 0, 1)</c>; <c>f' = 1/6</c> where the output is strictly
/// between 0 and 1, else 0.
/// </summary>
public readonly struct HardSigmoidActivation : IDeviceActivation
{
    /// <summary>The slope between the clips (the CPU's <c>HardSigmoidActivation.Slope</c>).</summary>
    public const float Slope = DeepGen.Cpu.HardSigmoidActivation.Slope;

    /// <inheritdoc />
    public float Forward(float z)
    {
        if (DeviceMath.IsNaN(z)) return z;
        var linear = z * Slope + 0.5f;
        return linear < 0f ? 0f : linear > 1f ? 1f : linear;
    }

    /// <inheritdoc />
    public float Backward(float gradient, float y, float z) => y > 0f && y < 1f ? gradient * Slope : 0f;
}
