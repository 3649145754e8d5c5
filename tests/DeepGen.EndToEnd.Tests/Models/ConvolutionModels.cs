// Convolutional models for the gradient, determinism, allocation and save/load tests: odd sizes (no multiple of a
// vector width), both paddings, strides 1 and 2, every pooling kind, bias-free and regularized convolutions, GELU's
// kept pre-activations, and dropout after layers of every kind.
using DeepGen;
using static DeepGen.Activation;

namespace DeepGen.EndToEnd.Tests.Models;

/// <summary>Convolution, max pooling, a strided same-padded convolution, average pooling, flatten, dense.</summary>
[Model(InputShape = new[] { 9, 8, 3 })]
[Conv2D(5, 3, Tanh, Name = "C1")]
[MaxPooling2D(2, Name = "P1")]
[Conv2D(4, 2, Sigmoid, Strides = 2, Padding = Padding.Same, Name = "C2")]
[AveragePooling2D(2, Padding = Padding.Same, Name = "P2")]
[Flatten(Name = "F")]
[Dense(3, Softmax, Name = "Out")]
public partial class SmallConvnet;

/// <summary>A reshaped vector input, a same-padded GELU convolution without bias, global average pooling.</summary>
[Model(Input = 48)]
[Reshape(4, 4, 3)]
[Conv2D(6, 3, Gelu, Padding = Padding.Same, UseBias = false, L2 = 0.01, Name = "Conv")]
[GlobalAveragePooling2D(Name = "Gap")]
[Dense(2, Sigmoid)]
public partial class ReshapedConvnet;

/// <summary>A strided valid convolution with L1, overlapping max pooling (stride 1), global max pooling.</summary>
[Model(InputShape = new[] { 7, 9, 2 })]
[Conv2D(7, 2, Elu, L1 = 0.003, Name = "Conv")]
[MaxPooling2D(3, Strides = 1, Name = "Pool")]
[GlobalMaxPooling2D(Name = "Gmp")]
[Dense(3, Linear)]
public partial class GlobalMaxConvnet;

/// <summary>Dropout after a convolution, after a pooling layer and after flatten, as the Keras convnet recipe uses it.</summary>
[Model(InputShape = new[] { 10, 10, 2 })]
[Conv2D(6, 3, Relu, Name = "C1")]
[Dropout(0.25)]
[MaxPooling2D(2, Name = "P1")]
[Dropout(0.2)]
[Conv2D(8, 2, Relu, Name = "C2")]
[Flatten(Name = "F")]
[Dropout(0.5)]
[Dense(4, Softmax, Name = "Out")]
public partial class DropoutConvnet;

/// <summary>The Keras "Simple MNIST convnet", for the speed, allocation and thread tests.</summary>
[Model(InputShape = new[] { 28, 28, 1 })]
[Conv2D(32, 3, Relu)]
[MaxPooling2D(2)]
[Conv2D(64, 3, Relu)]
[MaxPooling2D(2)]
[Flatten]
[Dropout(0.5)]
[Dense(10, Softmax)]
public partial class KerasMnistConvnet;
