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

[Model(Input = 6)]
[Dense(5, LeakyRelu)]
[Dense(4, LeakyRelu)]
[Dense(3, LeakyRelu)]
public partial class GradLeakyReluLeakyRelu;

[Model(Input = 6)]
[Dense(5, Elu)]
[Dense(4, Elu)]
[Dense(3, Elu)]
public partial class GradEluElu;

[Model(Input = 6)]
[Dense(5, Selu)]
[Dense(4, Selu)]
[Dense(3, Selu)]
public partial class GradSeluSelu;

[Model(Input = 6)]
[Dense(5, Gelu)]
[Dense(4, Gelu)]
[Dense(3, Gelu)]
public partial class GradGeluGelu;

[Model(Input = 6)]
[Dense(5, Softplus)]
[Dense(4, Softplus)]
[Dense(3, Softplus)]
public partial class GradSoftplusSoftplus;

[Model(Input = 6)]
[Dense(5, Swish)]
[Dense(4, Swish)]
[Dense(3, Swish)]
public partial class GradSwishSwish;

[Model(Input = 6)]
[Dense(5, HardSigmoid)]
[Dense(4, HardSigmoid)]
[Dense(3, HardSigmoid)]
public partial class GradHardSigmoidHardSigmoid;

// The new activations as output layers under hidden layers of another kind, so each output derivative is checked
// with the loss's Jacobian path and each hidden derivative with a different output.
[Model(Input = 6)]
[Dense(5, Tanh)]
[Dense(4, Gelu)]
[Dense(3, Swish)]
public partial class GradTanhGeluSwish;

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
        (LeakyRelu, LeakyRelu, seed => new GradLeakyReluLeakyRelu(seed)),
        (Elu, Elu, seed => new GradEluElu(seed)),
        (Selu, Selu, seed => new GradSeluSelu(seed)),
        (Gelu, Gelu, seed => new GradGeluGelu(seed)),
        (Softplus, Softplus, seed => new GradSoftplusSoftplus(seed)),
        (Swish, Swish, seed => new GradSwishSwish(seed)),
        (HardSigmoid, HardSigmoid, seed => new GradHardSigmoidHardSigmoid(seed)),
        (Gelu, Swish, seed => new GradTanhGeluSwish(seed)),
    ];
}
