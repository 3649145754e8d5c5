namespace DeepGen.Generator.Tests;

/// <summary>The valid models the snapshot, caching and run tests share.</summary>
internal static class TestModels
{
    /// <summary>The seed model: the Keras MNIST "hello world", in a namespace.</summary>
    public const string MnistMlp = """
        using DeepGen;
        using static DeepGen.Activation;

        namespace Samples.Mnist;

        /// <summary>784 raw pixels → 500 sigmoid → 500 sigmoid → 10 softmax.</summary>
        [Model(Input = 784)]
        [Dense(500, Sigmoid)]
        [Dense(500, Sigmoid)]
        [Dense(10, Softmax)]
        public partial class MnistMlp;
        """;

    /// <summary>
    /// The Keras MNIST convnet: two 3×3 convolutions with 2×2 max pooling, flattened into a softmax over 10 classes,
    /// with dropout on the flattened features.
    /// </summary>
    public const string MnistConvnet = """
        using DeepGen;
        using static DeepGen.Activation;

        namespace Samples.Mnist;

        /// <summary>28×28×1 → conv 32 → pool → conv 64 → pool → flatten → dropout → 10 softmax.</summary>
        [Model(InputShape = new[] { 28, 28, 1 })]
        [Conv2D(32, 3, Relu)]
        [MaxPooling2D(2)]
        [Conv2D(64, 3, Relu)]
        [MaxPooling2D(2)]
        [Flatten]
        [Dropout(0.5)]
        [Dense(10, Softmax)]
        public partial class MnistConvnet;
        """;

    /// <summary>
    /// Keras's Normalization twice: first on the raw features, then after a hidden layer, so both the first-layer
    /// form (no backward method) and the backward through a normalization to a ReLU layer are generated.
    /// </summary>
    public const string Normalized = """
        using DeepGen;
        using static DeepGen.Activation;

        namespace Samples.Tabular;

        [Model(Input = 3)]
        [Normalization]
        [Dense(8, Relu)]
        [Normalization(Name = "Scaled")]
        [Dense(1)]
        public partial class Regressor;
        """;

    /// <summary>
    /// The Dense options and Dropout together: dropout after a ReLU and after a GELU layer, a GELU layer kept for its
    /// derivative, a layer without bias, L1/L2 penalties, non-default initializers and a Swish output.
    /// </summary>
    public const string DenseOptions = """
        using DeepGen;
        using static DeepGen.Activation;

        namespace Samples.Options;

        [Model(Input = 20)]
        [Dense(16, Relu, KernelInitializer = Initializer.HeNormal, L2 = 0.001)]
        [Dropout(0.5)]
        [Dense(8, Gelu, UseBias = false, L1 = 0.0001, L2 = 0.01)]
        [Dropout(0.25)]
        [Dense(4, Selu, KernelInitializer = Initializer.LecunNormal)]
        [Dense(2, Swish, BiasInitializer = Initializer.Ones)]
        public partial class Regularized;
        """;

    /// <summary>One linear layer in the global namespace, the activation left to its default.</summary>
    public const string LinearRegression = """
        using DeepGen;

        [Model(Input = 3)]
        [Dense(1)]
        public partial class LinearRegression
        {
        }
        """;

    /// <summary>Named layers with a mix of activations, written with the enum's full name.</summary>
    public const string NamedLayers = """
        namespace Samples.Named
        {
            [DeepGen.Model(Input = 8)]
            [DeepGen.Dense(16, DeepGen.Activation.Relu, Name = "Hidden1")]
            [DeepGen.Dense(12, DeepGen.Activation.Tanh, Name = "Hidden2")]
            [DeepGen.Dense(2, DeepGen.Activation.Sigmoid, Name = "Output")]
            internal sealed partial class Classifier
            {
            }
        }
        """;

    /// <summary>A model nested in a partial class and a partial struct; its Input is a constant expression.</summary>
    public const string Nested = """
        using DeepGen;

        namespace Samples.Nested;

        public static partial class Outer
        {
            internal partial struct Holder
            {
                [Model(Input = 2 * 2)]
                [Dense(3, Activation.Tanh)]
                [Dense(2, Activation.Softmax)]
                private partial class Tiny;
            }
        }
        """;

    /// <summary>all-MiniLM-L6-v2 as attributes: BERT's embeddings and 6 encoder layers, mean-pooled and normalized.</summary>
    public const string SentenceEncoder = """
        using DeepGen;

        namespace Samples.Text;

        /// <summary>Sentence embeddings: 384 floats per text, L2-normalized, as sentence-transformers computes them.</summary>
        [Model(Vocabulary = 30522, MaxSequence = 512)]
        [Embedding(384, Positions = 512, TokenTypes = 2)]
        [LayerNormalization(Epsilon = 1e-12f)]
        [TransformerEncoder(Layers = 6, Heads = 12, FeedForward = 1536, Activation = Activation.Gelu, Epsilon = 1e-12f)]
        [MeanPooling]
        [L2Normalize]
        public partial class SentenceEncoder;
        """;

    /// <summary>A small sequence classifier: positions but no token types, one encoder layer, and a softmax head.</summary>
    public const string SequenceClassifier = """
        using DeepGen;
        using static DeepGen.Activation;

        namespace Samples.Text;

        [Model(Vocabulary = 50, MaxSequence = 16)]
        [Embedding(8, Positions = 16)]
        [TransformerEncoder(Heads = 2, FeedForward = 16)]
        [MeanPooling]
        [Dense(2, Softmax)]
        public partial class SequenceClassifier;
        """;
}
