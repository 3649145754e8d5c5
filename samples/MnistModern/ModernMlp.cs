using DeepGen;
using static DeepGen.Activation;

namespace DeepGen.Samples.MnistModern;

/// <summary>
/// The modern MNIST multilayer perceptron: pixels scaled to 0–1, two 512-unit ReLU layers each followed by 30%
/// dropout, and a softmax over the ten digits (Glorot-uniform weights, as Keras starts).
/// </summary>
[Model(Input = 28 * 28)]
[Dense(512, Relu, Name = "Hidden1")]
[Dropout(0.3)]
[Dense(512, Relu, Name = "Hidden2")]
[Dropout(0.3)]
[Dense(10, Softmax, Name = "Digits")]
public partial class ModernMlp;
