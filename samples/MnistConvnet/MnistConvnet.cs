using DeepGen;
using static DeepGen.Activation;

namespace DeepGen.Samples.Convnet;

/// <summary>
/// Keras's "Simple MNIST convnet": 28×28×1 pixels → 32 3×3 ReLU filters → 2×2 max pooling → 64 3×3 ReLU filters →
/// 2×2 max pooling → flatten (5·5·64 = 1,600) → 50% dropout → a softmax over the ten digits. 34,826 parameters,
/// Glorot-uniform kernels and zero biases, as Keras starts.
/// </summary>
[Model(InputShape = new[] { 28, 28, 1 })]
[Conv2D(32, 3, Relu)]
[MaxPooling2D(2)]
[Conv2D(64, 3, Relu)]
[MaxPooling2D(2)]
[Flatten]
[Dropout(0.5)]
[Dense(10, Softmax)]
public partial class MnistConvnet;
