using DeepGen.Onnx;
using DeepGen.Samples;
using DeepGen.Tests.MiniLm;

namespace DeepGen.Text.Tests;

/// <summary>all-MiniLM-L6-v2's weights read once per test run: reading 90 MB is the slow part of these tests.</summary>
internal static class MiniLmWeights
{
    private static readonly Lazy<IReadOnlyDictionary<string, NamedTensor>> Weights = new(() =>
    {
        using var stream = MiniLmResources.OpenModel();
        return BertOnnxWeights.Read(stream);
    });

    public static IReadOnlyDictionary<string, NamedTensor> FromOnnx => Weights.Value;

    public const int Layers = 6, Hidden = 384, FeedForward = 1536;

    /// <summary>Hugging Face's names for a BERT encoder with a pooler, in state-dict order.</summary>
    public static IEnumerable<string> ExpectedNames(int layers, bool pooler = true)
    {
        yield return "embeddings.word_embeddings.weight";
        yield return "embeddings.position_embeddings.weight";
        yield return "embeddings.token_type_embeddings.weight";
        yield return "embeddings.LayerNorm.weight";
        yield return "embeddings.LayerNorm.bias";
        for (var layer = 0; layer < layers; layer++)
            foreach (var module in (string[])["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
                         "attention.output.LayerNorm", "intermediate.dense", "output.dense", "output.LayerNorm"])
            {
                yield return $"encoder.layer.{layer}.{module}.weight";
                yield return $"encoder.layer.{layer}.{module}.bias";
            }

        if (!pooler) yield break;
        yield return "pooler.dense.weight";
        yield return "pooler.dense.bias";
    }
}
