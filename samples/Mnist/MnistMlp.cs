using DeepGen;
using static DeepGen.Activation;

namespace DeepGen.Samples.Mnist;

/// <summary>The Keras "hello world": 784 raw pixels → 500 sigmoid → 500 sigmoid → 10 softmax.</summary>
[Model(Input = 28 * 28)]
[Dense(500, Sigmoid)]
[Dense(500, Sigmoid)]
[Dense(10, Softmax)]
public partial class MnistMlp;
