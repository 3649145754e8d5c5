using static DeepGen.Activation;

namespace DeepGen.Gpu.Tests;

/// <summary>The seed network: 784 → 500 sigmoid → 500 sigmoid → 10 softmax.</summary>
[Model(Input = 784)]
[Dense(500, Sigmoid)]
[Dense(500, Sigmoid)]
[Dense(10, Softmax)]
public partial class SeedMlp;

/// <summary>Awkward sizes, none a multiple of the 16-wide tile: 45 → 29 sigmoid → 31 tanh → 13 softmax.</summary>
[Model(Input = 45)]
[Dense(29, Sigmoid)]
[Dense(31, Tanh)]
[Dense(13, Softmax)]
public partial class AwkwardNet;

/// <summary>The other activations: 45 → 29 relu → 7 linear, and a one-output sigmoid head after.</summary>
[Model(Input = 45)]
[Dense(29, Relu)]
[Dense(7, Linear)]
[Dense(1, Sigmoid)]
public partial class ReluLinearNet;

/// <summary>Sizes that are whole tiles: 32 → 16 → 48 linear, so the bound checks are left out.</summary>
[Model(Input = 32)]
[Dense(16, Tanh)]
[Dense(48, Linear)]
public partial class WholeTiles;
