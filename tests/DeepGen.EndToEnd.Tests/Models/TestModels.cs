using DeepGen;
using static DeepGen.Activation;

namespace DeepGen.EndToEnd.Tests.Models;

/// <summary>The seed network, exactly as the MNIST sample declares it.</summary>
[Model(Input = 28 * 28)]
[Dense(500, Sigmoid)]
[Dense(500, Sigmoid)]
[Dense(10, Softmax)]
public partial class SeedMlp;

/// <summary>Awkward sizes: nothing is a multiple of a vector width, and a layer of one unit.</summary>
[Model(Input = 37)]
[Dense(45, Tanh, Name = "Wide")]
[Dense(29, Relu, Name = "Narrow")]
[Dense(1, Sigmoid, Name = "Score")]
public partial class OddShapes;

/// <summary>A small classifier for training tests.</summary>
[Model(Input = 20)]
[Dense(32, Relu, Name = "Hidden")]
[Dense(4, Softmax, Name = "Output")]
public partial class SmallClassifier;

public partial class Outer
{
    /// <summary>Models may be nested in partial types.</summary>
    [Model(Input = 3)]
    [Dense(2)]
    public partial class NestedRegression;
}

/// <summary>The modern MNIST recipe's network, as samples/MnistModern defines it.</summary>
[Model(Input = 784)]
[Dense(512, Relu, Name = "Hidden1")]
[Dropout(0.3)]
[Dense(512, Relu, Name = "Hidden2")]
[Dropout(0.3)]
[Dense(10, Softmax, Name = "Digits")]
public partial class ModernMlp;
