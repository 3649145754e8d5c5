using DeepGen;
using static DeepGen.Activation;

namespace DeepGen.Samples.SentenceEmbeddings;

/// <summary>
/// all-MiniLM-L6-v2, the sentence-transformers model most .NET search code runs today: BERT WordPiece ids (30,522 of
/// them, up to 512 per text) → 384-wide token embeddings with learned positions and two token types → LayerNorm → six
/// post-LayerNorm encoder layers (12 heads of 32, feed-forward 1,536, exact GELU) → the mean over the real tokens →
/// unit length. 22,565,376 parameters; the build writes its forward and backward passes with every size a constant.
/// The weights come from the model's ONNX export (<see cref="MiniLm"/>).
/// </summary>
[Model(Vocabulary = 30522, MaxSequence = 512)]
[Embedding(384, Positions = 512, TokenTypes = 2)]
[LayerNormalization(Epsilon = 1e-12f)]
[TransformerEncoder(Layers = 6, Heads = 12, FeedForward = 1536, Activation = Gelu, Epsilon = 1e-12f)]
[MeanPooling]
[L2Normalize]
public partial class MiniLmL6;
