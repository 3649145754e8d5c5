using ILGPU.Algorithms;

namespace DeepGen.Gpu;

// TEMPORARY stand-in for the gpu-loss branch's device activations (same contract); deleted at the merge.
public interface IDeviceActivation
{
    float Forward(float z);
    float Backward(float gradient, float y, float z);
}

public readonly struct LinearActivation : IDeviceActivation
{
    public float Forward(float z) => z;
    public float Backward(float gradient, float y, float z) => gradient;
}

public readonly struct SigmoidActivation : IDeviceActivation
{
    public float Forward(float z) => 1f / (1f + XMath.Exp(-z));
    public float Backward(float gradient, float y, float z) => gradient * y * (1f - y);
}

public readonly struct ReluActivation : IDeviceActivation
{
    public float Forward(float z) => z > 0f ? z : 0f;
    public float Backward(float gradient, float y, float z) => y > 0f ? gradient : 0f;
}

public readonly struct TanhActivation : IDeviceActivation
{
    public float Forward(float z) => XMath.Tanh(z);
    public float Backward(float gradient, float y, float z) => gradient * (1f - y * y);
}
