using DeepGen.Cpu;
using ILGPU;
using ILGPU.Runtime;
using Device = DeepGen.Gpu;

namespace DeepGen.Gpu.Tests;

/// <summary>
/// Each device activation, run as kernel code on ILGPU's CPU accelerator, against the CPU activation of the same
/// name (DeepGen.Runtime/Cpu/Activations.cs) on a grid of inputs: negatives, ±0, tiny and huge magnitudes, the
/// branch points of each function (tanh's polynomial limit, the sigmoid's saturation and flush, hard sigmoid's clips),
/// infinities and NaN.
/// </summary>
public sealed class DeviceActivationTests : IDisposable
{
    /// <summary>Forward and backward within this of each element's own magnitude: the device code is the CPU's algorithm.</summary>
    private const double Relative = 1e-6;

    private readonly ComputeDevice _device = TestDevice.Open();

    public void Dispose() => _device.Dispose();

    public static TheoryData<Activation> ElementWiseActivations()
    {
        var data = new TheoryData<Activation>();
        foreach (var activation in Enum.GetValues<Activation>())
            if (activation != Activation.Softmax) data.Add(activation);
        return data;
    }

    /// <summary>Every activation of the enum but softmax has a device struct; one added to the enum later fails here until it has one.</summary>
    [Theory]
    [MemberData(nameof(ElementWiseActivations))]
    public void ForwardAndBackwardMatchTheCpu(Activation activation)
    {
        switch (activation)
        {
            case Activation.Linear: Check<Device.LinearActivation, Cpu.LinearActivation>(); break;
            case Activation.Sigmoid: Check<Device.SigmoidActivation, Cpu.SigmoidActivation>(); break;
            case Activation.Relu: Check<Device.ReluActivation, Cpu.ReluActivation>(); break;
            case Activation.Tanh: Check<Device.TanhActivation, Cpu.TanhActivation>(); break;
            case Activation.LeakyRelu: Check<Device.LeakyReluActivation, Cpu.LeakyReluActivation>(); break;
            case Activation.Elu: Check<Device.EluActivation, Cpu.EluActivation>(); break;
            case Activation.Selu: Check<Device.SeluActivation, Cpu.SeluActivation>(); break;
            case Activation.Gelu: Check<Device.GeluActivation, Cpu.GeluActivation>(); break;
            case Activation.Softplus: Check<Device.SoftplusActivation, Cpu.SoftplusActivation>(); break;
            case Activation.Swish: Check<Device.SwishActivation, Cpu.SwishActivation>(); break;
            case Activation.HardSigmoid: Check<Device.HardSigmoidActivation, Cpu.HardSigmoidActivation>(); break;
            default: Assert.Fail($"No device activation for {activation}."); break;
        }
    }

    /// <summary>The check itself can fail: tanh's device code against the CPU's sigmoid is far off.</summary>
    [Fact]
    public void AMismatchIsCaught()
    {
        var error = Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => Check<Device.TanhActivation, Cpu.SigmoidActivation>());
        Assert.Contains("forward", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The values the CPU flushes (below 2^-100) are 0 on the device too, never a subnormal.</summary>
    [Fact]
    public void SaturatedSigmoidsAreFlushedToZero()
    {
        var (forward, _) = Run<Device.SigmoidActivation>([-69.4f, -70f, -87.5f, -88f, -100f, float.NegativeInfinity], [1f, 1f, 1f, 1f, 1f, 1f]);
        Assert.All(forward, value => Assert.Equal(0f, value));
        var (softplus, _) = Run<Device.SoftplusActivation>([-70f, -200f], [1f, 1f]);
        Assert.All(softplus, value => Assert.Equal(0f, value));
    }

    private void Check<TDevice, TCpu>()
        where TDevice : struct, IDeviceActivation
        where TCpu : IActivationFunction
    {
        var z = Inputs();
        var gradient = Data.Uniform(z.Length, 31, 2f);
        for (var i = 0; i < gradient.Length; i++) if (gradient[i] == 0f) gradient[i] = 0.5f;

        var expectedForward = (float[])z.Clone();
        TCpu.Forward(expectedForward);
        var expectedBackward = (float[])gradient.Clone();
        // Backward reads outputs, or the pre-activations where the derivative needs them (GELU, Swish).
        TCpu.Backward(expectedBackward, TCpu.DerivativeNeedsPreActivation ? z : expectedForward);

        var (forward, backward) = Run<TDevice>(z, gradient);
        Expect(z, expectedForward, forward, "forward");
        // Only where the input is finite: the CPU's backward of an infinite or NaN output is not a contract.
        Expect(z, expectedBackward, backward, "backward");
    }

    private static void Expect(float[] z, float[] expected, float[] actual, string what)
    {
        for (var i = 0; i < z.Length; i++)
        {
            if (what == "backward" && !float.IsFinite(z[i])) continue;
            if (float.IsNaN(expected[i]))
            {
                Assert.True(float.IsNaN(actual[i]), $"{what}({z[i]:R}): expected NaN, got {actual[i]:R}.");
                continue;
            }

            var bound = Relative * Math.Max(Math.Abs(expected[i]), 1e-37);
            if (!(Math.Abs((double)expected[i] - actual[i]) <= bound) && !(expected[i] == actual[i]))
                Assert.Fail($"{what}({z[i]:R}): expected {expected[i]:R}, got {actual[i]:R} (allowed ±{bound:R}).");
        }
    }

    /// <summary>The grid: special points, then a dense sweep of [-12, 12] that crosses every branch at odd offsets.</summary>
    private static float[] Inputs()
    {
        float[] special =
        [
            float.NegativeInfinity, -1e30f, -1000f, -100f, -88.5f, -88f, -87.3f, -70f, -69.4f, -40f, -20f, -10f, -5f,
            -3.0001f, -3f, -2.9999f, -2.5f, -1f, -0.7f, -0.625f, -0.6249f, -0.5f, -1e-3f, -1e-6f, -1e-20f, -1e-40f, -0f,
            0f, 1e-40f, 1e-20f, 1e-6f, 1e-3f, 0.5f, 0.6249f, 0.625f, 1f, 2.5f, 2.9999f, 3f, 3.0001f, 5f, 10f, 20f, 40f,
            87.9f, 88f, 100f, 1000f, 1e30f, float.PositiveInfinity, float.NaN,
        ];
        var sweep = Enumerable.Range(0, 650).Select(i => -12f + i * 0.037f);
        return [.. special, .. sweep];
    }

    private (float[] Forward, float[] Backward) Run<TDevice>(float[] z, float[] gradient) where TDevice : struct, IDeviceActivation
    {
        using var h = new KernelHarness(_device);
        var zView = h.Upload(z);
        var gradientView = h.Upload(gradient);
        var forward = h.Upload(new float[z.Length]);
        var backward = h.Upload(new float[z.Length]);
        var kernel = _device.Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ApplyKernel<TDevice>);
        kernel(z.Length, zView, gradientView, forward, backward);
        return (h.Download(forward, z.Length), h.Download(backward, z.Length));
    }

    // The kernel: y = f(z), then the backward of the gradient through it, as a layer's kernels would call them.
    private static void ApplyKernel<TDevice>(Index1D i, ArrayView<float> z, ArrayView<float> gradient, ArrayView<float> forward, ArrayView<float> backward)
        where TDevice : struct, IDeviceActivation
    {
        var y = default(TDevice).Forward(z[i]);
        forward[i] = y;
        backward[i] = default(TDevice).Backward(gradient[i], y, z[i]);
    }
}
