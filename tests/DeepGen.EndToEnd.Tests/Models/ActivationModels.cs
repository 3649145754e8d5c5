using DeepGen;
using static DeepGen.Activation;

namespace DeepGen.EndToEnd.Tests.Models;

// One network per element-wise activation, with widths that are no multiple of any vector width (509 inputs, 138 and
// 13 hidden units, 10 outputs), for the determinism tests across batch sizes and thread counts. The first layer is
// large enough that its products are split over two threads at every batch size.

[Model(Input = 509)]
[Dense(138, Linear, Name = "Hidden1")]
[Dense(13, Linear, Name = "Hidden2")]
[Dense(10, Softmax, Name = "Output")]
public partial class LinearWidths;

[Model(Input = 509)]
[Dense(138, Sigmoid, Name = "Hidden1")]
[Dense(13, Sigmoid, Name = "Hidden2")]
[Dense(10, Softmax, Name = "Output")]
public partial class SigmoidWidths;

[Model(Input = 509)]
[Dense(138, Relu, Name = "Hidden1")]
[Dense(13, Relu, Name = "Hidden2")]
[Dense(10, Softmax, Name = "Output")]
public partial class ReluWidths;

[Model(Input = 509)]
[Dense(138, Tanh, Name = "Hidden1")]
[Dense(13, Tanh, Name = "Hidden2")]
[Dense(10, Softmax, Name = "Output")]
public partial class TanhWidths;

[Model(Input = 509)]
[Dense(138, LeakyRelu, Name = "Hidden1")]
[Dense(13, LeakyRelu, Name = "Hidden2")]
[Dense(10, Softmax, Name = "Output")]
public partial class LeakyReluWidths;

[Model(Input = 509)]
[Dense(138, Elu, Name = "Hidden1")]
[Dense(13, Elu, Name = "Hidden2")]
[Dense(10, Softmax, Name = "Output")]
public partial class EluWidths;

[Model(Input = 509)]
[Dense(138, Selu, Name = "Hidden1")]
[Dense(13, Selu, Name = "Hidden2")]
[Dense(10, Softmax, Name = "Output")]
public partial class SeluWidths;

[Model(Input = 509)]
[Dense(138, Gelu, Name = "Hidden1")]
[Dense(13, Gelu, Name = "Hidden2")]
[Dense(10, Softmax, Name = "Output")]
public partial class GeluWidths;

[Model(Input = 509)]
[Dense(138, Softplus, Name = "Hidden1")]
[Dense(13, Softplus, Name = "Hidden2")]
[Dense(10, Softmax, Name = "Output")]
public partial class SoftplusWidths;

[Model(Input = 509)]
[Dense(138, Swish, Name = "Hidden1")]
[Dense(13, Swish, Name = "Hidden2")]
[Dense(10, Softmax, Name = "Output")]
public partial class SwishWidths;

[Model(Input = 509)]
[Dense(138, HardSigmoid, Name = "Hidden1")]
[Dense(13, HardSigmoid, Name = "Hidden2")]
[Dense(10, Softmax, Name = "Output")]
public partial class HardSigmoidWidths;
