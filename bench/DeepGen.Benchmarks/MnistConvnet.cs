using DeepGen;
using static DeepGen.Activation;

namespace DeepGen.Benchmarks;

/// <summary>The Keras "Simple MNIST convnet", declared here so the benchmarks compile it with the generator like any user would.</summary>
[Model(InputShape = new[] { 28, 28, 1 })]
[Conv2D(32, 3, Relu)]
[MaxPooling2D(2)]
[Conv2D(64, 3, Relu)]
[MaxPooling2D(2)]
[Flatten]
[Dropout(0.5)]
[Dense(10, Softmax)]
public partial class MnistConvnet;
