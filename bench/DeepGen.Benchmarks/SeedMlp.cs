using DeepGen;
using static DeepGen.Activation;

namespace DeepGen.Benchmarks;

/// <summary>The seed network, declared here so the benchmarks compile it with the generator like any user would.</summary>
[Model(Input = 28 * 28)]
[Dense(500, Sigmoid)]
[Dense(500, Sigmoid)]
[Dense(10, Softmax)]
public partial class SeedMlp;
