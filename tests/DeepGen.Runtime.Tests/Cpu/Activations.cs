using DeepGen.Cpu;

namespace DeepGen.Runtime.Tests.Cpu;

/// <summary>The element-wise activations' structs reached by their <see cref="Activation"/> value, for theories over all of them.</summary>
internal static class Activations
{
    public static bool NeedsPreActivation(Activation activation) => activation switch
    {
        Activation.Linear => LinearActivation.DerivativeNeedsPreActivation,
        Activation.Sigmoid => SigmoidActivation.DerivativeNeedsPreActivation,
        Activation.Relu => ReluActivation.DerivativeNeedsPreActivation,
        Activation.Tanh => TanhActivation.DerivativeNeedsPreActivation,
        Activation.LeakyRelu => LeakyReluActivation.DerivativeNeedsPreActivation,
        Activation.Elu => EluActivation.DerivativeNeedsPreActivation,
        Activation.Selu => SeluActivation.DerivativeNeedsPreActivation,
        Activation.Gelu => GeluActivation.DerivativeNeedsPreActivation,
        Activation.Softplus => SoftplusActivation.DerivativeNeedsPreActivation,
        Activation.Swish => SwishActivation.DerivativeNeedsPreActivation,
        Activation.HardSigmoid => HardSigmoidActivation.DerivativeNeedsPreActivation,
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };

    public static void Forward(Activation activation, Span<float> values)
    {
        switch (activation)
        {
            case Activation.Linear: LinearActivation.Forward(values); break;
            case Activation.Sigmoid: SigmoidActivation.Forward(values); break;
            case Activation.Relu: ReluActivation.Forward(values); break;
            case Activation.Tanh: TanhActivation.Forward(values); break;
            case Activation.LeakyRelu: LeakyReluActivation.Forward(values); break;
            case Activation.Elu: EluActivation.Forward(values); break;
            case Activation.Selu: SeluActivation.Forward(values); break;
            case Activation.Gelu: GeluActivation.Forward(values); break;
            case Activation.Softplus: SoftplusActivation.Forward(values); break;
            case Activation.Swish: SwishActivation.Forward(values); break;
            case Activation.HardSigmoid: HardSigmoidActivation.Forward(values); break;
            default: throw new ArgumentOutOfRangeException(nameof(activation));
        }
    }

    public static void Backward(Activation activation, Span<float> gradient, ReadOnlySpan<float> saved)
    {
        switch (activation)
        {
            case Activation.Linear: LinearActivation.Backward(gradient, saved); break;
            case Activation.Sigmoid: SigmoidActivation.Backward(gradient, saved); break;
            case Activation.Relu: ReluActivation.Backward(gradient, saved); break;
            case Activation.Tanh: TanhActivation.Backward(gradient, saved); break;
            case Activation.LeakyRelu: LeakyReluActivation.Backward(gradient, saved); break;
            case Activation.Elu: EluActivation.Backward(gradient, saved); break;
            case Activation.Selu: SeluActivation.Backward(gradient, saved); break;
            case Activation.Gelu: GeluActivation.Backward(gradient, saved); break;
            case Activation.Softplus: SoftplusActivation.Backward(gradient, saved); break;
            case Activation.Swish: SwishActivation.Backward(gradient, saved); break;
            case Activation.HardSigmoid: HardSigmoidActivation.Backward(gradient, saved); break;
            default: throw new ArgumentOutOfRangeException(nameof(activation));
        }
    }
}
