// Small models, one per pair of (hidden activation, output activation), for the gradient checks.
// Three layers, so every backward path is exercised: output delta, hidden-to-hidden delta, first-layer weights.
using DeepGen;
using static DeepGen.Activation;

namespace DeepGen.EndToEnd.Tests.Models;

[Model(Input = 6)]
[Dense(5, Linear)]
[Dense(4, Linear)]
[Dense(3, Linear)]
public partial class GradLinearLinear;

[Model(Input = 6)]
[Dense(5, Linear)]
[Dense(4, Linear)]
[Dense(3, Sigmoid)]
public partial class GradLinearSigmoid;

[Model(Input = 6)]
[Dense(5, Linear)]
[Dense(4, Linear)]
[Dense(3, Relu)]
public partial class GradLinearRelu;

[Model(Input = 6)]
[Dense(5, Linear)]
[Dense(4, Linear)]
[Dense(3, Tanh)]
public partial class GradLinearTanh;

[Model(Input = 6)]
[Dense(5, Linear)]
[Dense(4, Linear)]
[Dense(3, Softmax)]
public partial class GradLinearSoftmax;

[Model(Input = 6)]
[Dense(5, Sigmoid)]
[Dense(4, Sigmoid)]
[Dense(3, Linear)]
public partial class GradSigmoidLinear;

[Model(Input = 6)]
[Dense(5, Sigmoid)]
[Dense(4, Sigmoid)]
[Dense(3, Sigmoid)]
public partial class GradSigmoidSigmoid;

[Model(Input = 6)]
[Dense(5, Sigmoid)]
[Dense(4, Sigmoid)]
[Dense(3, Relu)]
public partial class GradSigmoidRelu;

[Model(Input = 6)]
[Dense(5, Sigmoid)]
[Dense(4, Sigmoid)]
[Dense(3, Tanh)]
public partial class GradSigmoidTanh;

[Model(Input = 6)]
[Dense(5, Sigmoid)]
[Dense(4, Sigmoid)]
[Dense(3, Softmax)]
public partial class GradSigmoidSoftmax;

[Model(Input = 6)]
[Dense(5, Relu)]
[Dense(4, Relu)]
[Dense(3, Linear)]
public partial class GradReluLinear;

[Model(Input = 6)]
[Dense(5, Relu)]
[Dense(4, Relu)]
[Dense(3, Sigmoid)]
public partial class GradReluSigmoid;

[Model(Input = 6)]
[Dense(5, Relu)]
[Dense(4, Relu)]
[Dense(3, Relu)]
public partial class GradReluRelu;

[Model(Input = 6)]
[Dense(5, Relu)]
[Dense(4, Relu)]
[Dense(3, Tanh)]
public partial class GradReluTanh;

[Model(Input = 6)]
[Dense(5, Relu)]
[Dense(4, Relu)]
[Dense(3, Softmax)]
public partial class GradReluSoftmax;

[Model(Input = 6)]
[Dense(5, Tanh)]
[Dense(4, Tanh)]
[Dense(3, Linear)]
public partial class GradTanhLinear;

[Model(Input = 6)]
[Dense(5, Tanh)]
[Dense(4, Tanh)]
[Dense(3, Sigmoid)]
public partial class GradTanhSigmoid;

[Model(Input = 6)]
[Dense(5, Tanh)]
[Dense(4, Tanh)]
[Dense(3, Relu)]
public partial class GradTanhRelu;

[Model(Input = 6)]
[Dense(5, Tanh)]
[Dense(4, Tanh)]
[Dense(3, Tanh)]
public partial class GradTanhTanh;

[Model(Input = 6)]
[Dense(5, Tanh)]
[Dense(4, Tanh)]
[Dense(3, Softmax)]
public partial class GradTanhSoftmax;

internal static class GradientModels
{
    /// <summary>Every gradient-check model with its hidden and output activation.</summary>
    public static readonly (Activation Hidden, Activation Output, System.Func<int, SequentialModel> Create)[] All =
    [
        (Linear, Linear, seed => new GradLinearLinear(seed)),
        (Linear, Sigmoid, seed => new GradLinearSigmoid(seed)),
        (Linear, Relu, seed => new GradLinearRelu(seed)),
        (Linear, Tanh, seed => new GradLinearTanh(seed)),
        (Linear, Softmax, seed => new GradLinearSoftmax(seed)),
        (Sigmoid, Linear, seed => new GradSigmoidLinear(seed)),
        (Sigmoid, Sigmoid, seed => new GradSigmoidSigmoid(seed)),
        (Sigmoid, Relu, seed => new GradSigmoidRelu(seed)),
        (Sigmoid, Tanh, seed => new GradSigmoidTanh(seed)),
        (Sigmoid, Softmax, seed => new GradSigmoidSoftmax(seed)),
        (Relu, Linear, seed => new GradReluLinear(seed)),
        (Relu, Sigmoid, seed => new GradReluSigmoid(seed)),
        (Relu, Relu, seed => new GradReluRelu(seed)),
        (Relu, Tanh, seed => new GradReluTanh(seed)),
        (Relu, Softmax, seed => new GradReluSoftmax(seed)),
        (Tanh, Linear, seed => new GradTanhLinear(seed)),
        (Tanh, Sigmoid, seed => new GradTanhSigmoid(seed)),
        (Tanh, Relu, seed => new GradTanhRelu(seed)),
        (Tanh, Tanh, seed => new GradTanhTanh(seed)),
        (Tanh, Softmax, seed => new GradTanhSoftmax(seed)),
    ];
}
