using System;
using System.Collections.Generic;

namespace DeepGen.Layout;

// Written once, compiled into both the generator (its constants) and the runtime (its kernels, the architecture's
// checks and the weight import), so the two can never disagree on where a tensor of a sequence model lives.

/// <summary>
/// The parameters of one transformer encoder layer (BERT's post-LayerNorm block), in this order, weights
/// <c>[in, out]</c> row-major as Keras and the dense layers keep them:
/// <c>query W[H, H], b[H]; key W[H, H], b[H]; value W[H, H], b[H]; attention output W[H, H], b[H];
/// attention LayerNorm gamma[H], beta[H]; feed-forward W1[H, F], b1[F]; W2[F, H], b2[H]; output LayerNorm gamma[H], beta[H]</c>.
/// The query, key and value weights are adjacent, so the three projections are also one <c>[H, 3H]</c>-strided read.
/// </summary>
internal readonly struct EncoderLayerLayout
{
    public EncoderLayerLayout(int hidden, int feedForward)
    {
        Hidden = hidden;
        FeedForward = feedForward;
    }

    /// <summary>H: features per token.</summary>
    public int Hidden { get; }

    /// <summary>F: units of the feed-forward's inner layer.</summary>
    public int FeedForward { get; }

    private long Square => (long)Hidden * Hidden;

    public long QueryWeights => 0;
    public long QueryBias => Square;
    public long KeyWeights => Square + Hidden;
    public long KeyBias => 2 * Square + Hidden;
    public long ValueWeights => 2 * Square + 2L * Hidden;
    public long ValueBias => 3 * Square + 2L * Hidden;
    public long AttentionOutputWeights => 3 * Square + 3L * Hidden;
    public long AttentionOutputBias => 4 * Square + 3L * Hidden;
    public long AttentionNormGamma => 4 * Square + 4L * Hidden;
    public long AttentionNormBeta => 4 * Square + 5L * Hidden;
    public long FeedForwardInnerWeights => 4 * Square + 6L * Hidden;
    public long FeedForwardInnerBias => FeedForwardInnerWeights + (long)Hidden * FeedForward;
    public long FeedForwardOuterWeights => FeedForwardInnerBias + FeedForward;
    public long FeedForwardOuterBias => FeedForwardOuterWeights + (long)FeedForward * Hidden;
    public long OutputNormGamma => FeedForwardOuterBias + Hidden;
    public long OutputNormBeta => OutputNormGamma + Hidden;

    /// <summary>Floats of parameters per encoder layer.</summary>
    public long Parameters => OutputNormBeta + Hidden;

    /// <summary>
    /// The tensors in layout order: a name (suffix after <c>{layer}.{index}.</c>), its offset in the layer's slice and its
    /// shape as stored (<c>[in, out]</c> for weights).
    /// </summary>
    public IReadOnlyList<(string Name, long Offset, int[] Shape)> Tensors => new[]
    {
        ("query.weights", QueryWeights, new[] { Hidden, Hidden }),
        ("query.bias", QueryBias, new[] { Hidden }),
        ("key.weights", KeyWeights, new[] { Hidden, Hidden }),
        ("key.bias", KeyBias, new[] { Hidden }),
        ("value.weights", ValueWeights, new[] { Hidden, Hidden }),
        ("value.bias", ValueBias, new[] { Hidden }),
        ("attention_output.weights", AttentionOutputWeights, new[] { Hidden, Hidden }),
        ("attention_output.bias", AttentionOutputBias, new[] { Hidden }),
        ("attention_norm.gamma", AttentionNormGamma, new[] { Hidden }),
        ("attention_norm.beta", AttentionNormBeta, new[] { Hidden }),
        ("feed_forward_inner.weights", FeedForwardInnerWeights, new[] { Hidden, FeedForward }),
        ("feed_forward_inner.bias", FeedForwardInnerBias, new[] { FeedForward }),
        ("feed_forward_outer.weights", FeedForwardOuterWeights, new[] { FeedForward, Hidden }),
        ("feed_forward_outer.bias", FeedForwardOuterBias, new[] { Hidden }),
        ("output_norm.gamma", OutputNormGamma, new[] { Hidden }),
        ("output_norm.beta", OutputNormBeta, new[] { Hidden }),
    };
}

/// <summary>
/// The parameters of an embedding layer, in this order: the token table <c>[vocabulary, dimensions]</c>, then the
/// learned position table <c>[positions, dimensions]</c> and the token-type table <c>[types, dimensions]</c> where the
/// layer has them. Its output is their sum per token.
/// </summary>
internal readonly struct EmbeddingLayout
{
    public EmbeddingLayout(int vocabulary, int dimensions, int positions, int tokenTypes)
    {
        Vocabulary = vocabulary;
        Dimensions = dimensions;
        Positions = positions;
        TokenTypes = tokenTypes;
    }

    public int Vocabulary { get; }
    public int Dimensions { get; }
    public int Positions { get; }
    public int TokenTypes { get; }

    public long Tokens => 0;
    public long PositionTable => (long)Vocabulary * Dimensions;
    public long TokenTypeTable => PositionTable + (long)Positions * Dimensions;
    public long Parameters => TokenTypeTable + (long)TokenTypes * Dimensions;
}
