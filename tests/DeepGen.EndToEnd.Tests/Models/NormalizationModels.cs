// Models with Keras's Normalization layer: a small regression on features of very different scales (and the same
// network without it, for comparison), and a convnet with normalizations first, after a convolution and after a
// dropout-followed dense layer, so Adapt runs through earlier layers and backward runs through every position.
using DeepGen;
using static DeepGen.Activation;

namespace DeepGen.EndToEnd.Tests.Models;

/// <summary>Three raw features → normalization → 16 tanh → 1.</summary>
[Model(Input = 3)]
[Normalization(Name = "Norm")]
[Dense(16, Tanh, Name = "Hidden")]
[Dense(1, Name = "Out")]
public partial class NormalizedRegressor;

/// <summary><see cref="NormalizedRegressor"/> without its normalization.</summary>
[Model(Input = 3)]
[Dense(16, Tanh, Name = "Hidden")]
[Dense(1, Name = "Out")]
public partial class UnnormalizedRegressor;

/// <summary>Per-channel normalization of an image, after a convolution, and after a dense layer with dropout.</summary>
[Model(InputShape = new[] { 5, 4, 2 })]
[Normalization(Name = "Pixels")]
[Conv2D(3, 3, Relu, Padding = Padding.Same, Name = "Conv")]
[Normalization(Name = "Mid")]
[Flatten(Name = "F")]
[Dense(6, Sigmoid, Name = "Hidden")]
[Dropout(0.25)]
[Normalization(Name = "Late")]
[Dense(2, Softmax, Name = "Out")]
public partial class NormalizedConvnet;
