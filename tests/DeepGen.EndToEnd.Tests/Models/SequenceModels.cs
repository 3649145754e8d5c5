// Sequence models (token ids in) for the gradient, determinism, allocation and training tests: odd sizes (no multiple
// of a vector width), both encoder activations, one and two encoder layers, token types, a softmax head and an
// L2-normalized embedding output.
using DeepGen;
using static DeepGen.Activation;

namespace DeepGen.EndToEnd.Tests.Models;

/// <summary>BERT's shape in miniature, with a classifier head: every sequence layer kind that has weights.</summary>
[Model(Vocabulary = 13, MaxSequence = 7)]
[Embedding(6, Positions = 7, TokenTypes = 2, Name = "Embed")]
[LayerNormalization(Epsilon = 1e-5f, Name = "Norm")]
[TransformerEncoder(Layers = 2, Heads = 2, FeedForward = 10, Name = "Encoder")]
[MeanPooling(Name = "Pool")]
[Dense(5, Tanh, Name = "Hidden")]
[Dense(3, Softmax, Name = "Out")]
public partial class TinyClassifier;

/// <summary>An embedding model without LayerNorm before the encoder, ReLU feed-forward, three heads, unit vectors out.</summary>
[Model(Vocabulary = 11, MaxSequence = 9)]
[Embedding(9, Positions = 9)]
[TransformerEncoder(Heads = 3, FeedForward = 7, Activation = Relu, Epsilon = 1e-6f)]
[MeanPooling]
[L2Normalize]
public partial class TinyEmbedder;

/// <summary>Detects whether token 3 is directly followed by token 7 somewhere in a sequence of 12.</summary>
[Model(Vocabulary = 16, MaxSequence = 12)]
[Embedding(32, Positions = 12)]
[TransformerEncoder(Layers = 1, Heads = 4, FeedForward = 64)]
[MeanPooling]
[Dense(2, Softmax)]
public partial class PatternDetector;

/// <summary>Large enough that its products and attention are split over two threads: the determinism test's model.</summary>
[Model(Vocabulary = 50, MaxSequence = 16)]
[Embedding(24, Positions = 16, TokenTypes = 2)]
[LayerNormalization]
[TransformerEncoder(Layers = 2, Heads = 3, FeedForward = 48)]
[MeanPooling]
[Dense(3, Softmax)]
public partial class MidClassifier;
