using static DeepGen.Activation;

namespace DeepGen.Onnx.Tests;

// Between them these use every activation the runtime supports, each in a hidden and (but softmax) an output position.

[Model(Input = 6)]
[Dense(9, Sigmoid)]
[Dense(8, Relu)]
[Dense(7, Tanh)]
[Dense(4, Softmax)]
public partial class EveryActivation;

[Model(Input = 5)]
[Dense(6, Linear, Name = "Projection")]
[Dense(3, Linear, Name = "Head")]
public partial class LinearOnly;

[Model(Input = 4)]
[Dense(1, Sigmoid)]
public partial class LogisticRegression;

[Model(Input = 7)]
[Dense(5, Tanh)]
[Dense(2, Relu)]
public partial class ReluOutput;

[Model(Input = 3)]
[Dense(4, Relu)]
[Dense(2, Tanh)]
public partial class TanhOutput;

/// <summary>The activations added for Keras parity, a layer without bias and a dropout (the identity at inference).</summary>
[Model(Input = 6)]
[Dense(9, LeakyRelu)]
[Dropout(0.3)]
[Dense(8, Elu, UseBias = false)]
[Dense(8, Selu)]
[Dense(7, Softplus)]
[Dense(6, HardSigmoid)]
[Dense(3, Swish)]
public partial class KerasActivations;

[Model(Input = 4)]
[Dense(3, Gelu)]
public partial class GeluLayer;
