// Small models for the checkpoint resume and checkpoint fuzz tests: quick to train, with a dropout stream to restore.
using DeepGen;
using static DeepGen.Activation;

namespace DeepGen.EndToEnd.Tests.Models;

/// <summary>A small classifier with dropout, so a resumed run must also restore the dropout masks' random stream.</summary>
[Model(Input = 12)]
[Dense(16, Relu, Name = "Hidden")]
[Dropout(0.3)]
[Dense(3, Softmax, Name = "Output")]
public partial class DropoutClassifier;

/// <summary>Layers without bias, the last one too: a checkpoint must hold exactly the parameters the model has.</summary>
[Model(Input = 12)]
[Dense(8, Tanh, Name = "Hidden", UseBias = false)]
[Dense(3, Softmax, Name = "Output", UseBias = false)]
public partial class NoBiasClassifier;
