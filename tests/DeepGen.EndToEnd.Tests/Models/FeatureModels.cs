// Models that use the Dense options and Dropout, for the gradient, dropout and allocation tests.
using DeepGen;
using static DeepGen.Activation;

namespace DeepGen.EndToEnd.Tests.Models;

/// <summary>
/// Every option at once: dropout after a ReLU layer and after a GELU layer (pre-activations and mask together), a
/// layer without bias, L1 and L2 penalties, non-default initializers and a Swish output.
/// </summary>
[Model(Input = 6)]
[Dense(5, Relu, L1 = 0.01, L2 = 0.02)]
[Dropout(0.4)]
[Dense(4, Gelu, UseBias = false, L2 = 0.05, KernelInitializer = Initializer.HeNormal)]
[Dropout(0.25)]
[Dense(3, Swish, KernelInitializer = Initializer.LecunUniform, BiasInitializer = Initializer.Ones)]
public partial class GradFeatures;

/// <summary>Regularized layers without dropout: the fused SGD update must match the unfused one bit for bit.</summary>
[Model(Input = 37)]
[Dense(45, Selu, L1 = 0.001, L2 = 0.003)]
[Dense(29, Elu, L2 = 0.01)]
[Dense(3, Softmax, L1 = 0.002)]
public partial class RegularizedMlp;

/// <summary>A wide dropout layer for mask statistics and the allocation test.</summary>
[Model(Input = 64)]
[Dense(256, Gelu)]
[Dropout(0.5)]
[Dense(128, LeakyRelu)]
[Dropout(0.2)]
[Dense(10, Softmax)]
public partial class DropoutMlp;
