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

// Convolutional models: between them a valid, a same-padded, a strided and a bias-free convolution, odd and even
// kernels (an even one pads unevenly: the extra row and column after), max and average pooling with same padding
// (the average must not count the padded cells), both global poolings, Flatten, a Reshape from a vector to an image
// and one from an image to a matrix, and a convolution as the last layer.

/// <summary>Convolution, max pooling, a strided same-padded convolution, same-padded average pooling, flatten, dense.</summary>
[Model(InputShape = new[] { 9, 8, 3 })]
[Conv2D(5, 3, Tanh, Name = "C1")]
[MaxPooling2D(2, Name = "P1")]
[Conv2D(4, 2, Sigmoid, Strides = 2, Padding = Padding.Same, Name = "C2")]
[AveragePooling2D(2, Padding = Padding.Same, Name = "P2")]
[Flatten(Name = "F")]
[Dense(3, Softmax, Name = "Out")]
public partial class SmallConvnet;

/// <summary>An even kernel with same padding and no bias, strided same-padded average pooling, global average pooling.</summary>
[Model(InputShape = new[] { 7, 6, 2 })]
[Conv2D(6, 4, Relu, Padding = Padding.Same, UseBias = false)]
[AveragePooling2D(3, Strides = 2, Padding = Padding.Same)]
[Conv2D(3, 3, Linear, Strides = 2, Padding = Padding.Same)]
[GlobalAveragePooling2D]
[Dense(2, Sigmoid)]
public partial class SamePaddedConvnet;

/// <summary>A flat input reshaped into an image, strided same-padded max pooling, global max pooling.</summary>
[Model(Input = 48)]
[Reshape(4, 4, 3)]
[Conv2D(6, 3, Elu, Padding = Padding.Same)]
[MaxPooling2D(3, Strides = 2, Padding = Padding.Same)]
[GlobalMaxPooling2D]
[Dense(3, Linear)]
public partial class ReshapedConvnet;

/// <summary>An image reshaped into a matrix and flattened, a dense layer reshaped back into an image, and a convolution last.</summary>
[Model(InputShape = new[] { 6, 5, 2 })]
[Conv2D(4, 3, Tanh)]
[Reshape(12, 4)]
[Flatten]
[Dense(10, LeakyRelu)]
[Reshape(5, 2, 1)]
[Conv2D(3, 2, Swish, Padding = Padding.Same)]
public partial class ConvolutionLast;

// Batch normalization, which ONNX normalizes on axis 1 and DeepGen on the last: on the input image (channels last,
// transposed first), after a convolution (already channels first), after a dense layer and as the last layer (a
// vector), and on a matrix; with Keras's, a PyTorch-like and a large epsilon.

/// <summary>Batch normalization on the input image, after a convolution and after a dense layer.</summary>
[Model(InputShape = new[] { 7, 6, 3 })]
[BatchNormalization(Name = "InputNorm")]
[Conv2D(4, 3, Relu, Padding = Padding.Same, Name = "Conv")]
[BatchNormalization(Epsilon = 0.01, Name = "ConvNorm")]
[MaxPooling2D(2, Name = "Pool")]
[Flatten(Name = "F")]
[Dense(5, Tanh, Name = "Hidden")]
[BatchNormalization(Momentum = 0.9, Epsilon = 1e-5, Name = "HiddenNorm")]
[Dense(3, Softmax, Name = "Out")]
public partial class BatchNormConvnet;

/// <summary>Batch normalization after a dense layer and as the last layer, whose output is the model's.</summary>
[Model(Input = 6)]
[Dense(8, Relu)]
[BatchNormalization]
[Dense(4, Linear)]
[BatchNormalization(Name = "Last")]
public partial class BatchNormLast;

/// <summary>Batch normalization of a matrix over its columns, then flattened into a dense layer.</summary>
[Model(Input = 12)]
[Reshape(4, 3)]
[BatchNormalization]
[Flatten]
[Dense(2, Sigmoid)]
public partial class BatchNormMatrix;

/// <summary>Normalization of the input image, after a convolution (channels first in ONNX) and after a dense layer.</summary>
[Model(InputShape = new[] { 7, 6, 3 })]
[Normalization(Name = "Pixels")]
[Conv2D(4, 3, Relu, Padding = Padding.Same, Name = "Conv")]
[Normalization(Name = "ConvNorm")]
[MaxPooling2D(2, Name = "Pool")]
[Flatten(Name = "F")]
[Dense(5, Tanh, Name = "Hidden")]
[Normalization(Name = "HiddenNorm")]
[Dense(3, Softmax, Name = "Out")]
public partial class NormalizedConvnet;

/// <summary>Normalization of raw features, and as the last layer, whose output is the model's.</summary>
[Model(Input = 6)]
[Normalization(Name = "Features")]
[Dense(4, Linear)]
[Normalization(Name = "Last")]
public partial class NormalizedLast;

/// <summary>Normalization of a matrix over its columns, then flattened into a dense layer.</summary>
[Model(Input = 12)]
[Reshape(4, 3)]
[Normalization]
[Flatten]
[Dense(2, Sigmoid)]
public partial class NormalizedMatrix;
