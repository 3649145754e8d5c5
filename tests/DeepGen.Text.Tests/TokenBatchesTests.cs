using DeepGen.Samples;
using DeepGen.Tests.MiniLm;

namespace DeepGen.Text.Tests;

public sealed class TokenBatchesTests
{
    private static readonly Lazy<BertTextTokenizer> Shared = new(() =>
    {
        using var vocabulary = MiniLmResources.OpenVocabulary();
        return BertTextTokenizer.Create(vocabulary);
    });

    private static readonly string[] Texts =
    [
        "short",                                        // 3 tokens
        "a somewhat longer sentence than that",         // 8
        "tiny",                                         // 3
        "the longest of all the sentences in this list, by far", // 14
        "one two",                                      // 4
    ];

    [Fact]
    public void Batches_come_longest_first_padded_to_their_own_longest_text()
    {
        var batches = TokenBatches.Create(Shared.Value, Texts, batchSize: 2);

        Assert.Equal(3, batches.Count);
        Assert.Equal(5, batches.TextCount);
        Assert.Equal([3, 1], batches[0].TextIndices.ToArray());
        Assert.Equal([4, 0], batches[1].TextIndices.ToArray());
        Assert.Equal([2], batches[2].TextIndices.ToArray()); // ties in input order: "short" (0) before "tiny" (2)
        Assert.Equal([14, 4, 3], batches.Select(b => b.Sequence));
        Assert.Equal(3 + 8 + 3 + 14 + 4, batches.TokenCount);
        Assert.Equal(2 * 14 + 2 * 4 + 3, batches.PaddedTokenCount);
    }

    [Fact]
    public void Each_row_holds_its_texts_ids_then_zeros_with_mask_one_on_the_tokens_and_type_zero()
    {
        var tokenizer = Shared.Value;
        var batches = TokenBatches.Create(tokenizer, Texts, batchSize: 2);

        var seen = new List<int>();
        foreach (var batch in batches)
        {
            Assert.Equal(batch.Batch * batch.Sequence, batch.Ids.Length);
            Assert.Equal(batch.Ids.Length, batch.AttentionMask.Length);
            Assert.Equal(batch.Ids.Length, batch.TokenTypes.Length);
            Assert.All(batch.TokenTypes.ToArray(), t => Assert.Equal(0, t));
            for (var row = 0; row < batch.Batch; row++)
            {
                var text = batch.TextIndices.Span[row];
                seen.Add(text);
                var expected = tokenizer.Encode(Texts[text]);
                var ids = batch.Ids.Span.Slice(row * batch.Sequence, batch.Sequence);
                var mask = batch.AttentionMask.Span.Slice(row * batch.Sequence, batch.Sequence);
                Assert.Equal(expected, ids[..expected.Length].ToArray());
                Assert.All(ids[expected.Length..].ToArray(), id => Assert.Equal(0, id));
                Assert.All(mask[..expected.Length].ToArray(), m => Assert.Equal(1, m));
                Assert.All(mask[expected.Length..].ToArray(), m => Assert.Equal(0, m));
            }
        }

        Assert.Equal(Enumerable.Range(0, Texts.Length), seen.Order());
    }

    [Fact]
    public void One_batch_of_everything_pads_to_the_longest_text()
    {
        var batches = TokenBatches.Create(Shared.Value, Texts, batchSize: 100);

        var batch = Assert.Single(batches);
        Assert.Equal(5, batch.Batch);
        Assert.Equal(14, batch.Sequence);
        Assert.Equal([3, 1, 4, 0, 2], batch.TextIndices.ToArray());
    }

    [Fact]
    public void Texts_longer_than_the_tokenizers_limit_are_truncated_in_their_batch()
    {
        var tokenizer = Shared.Value.WithMaxSequence(5);
        var batches = TokenBatches.Create(tokenizer, Texts, batchSize: 2);

        Assert.Equal([5, 4, 3], batches.Select(b => b.Sequence));
    }

    [Fact]
    public void Pre_tokenized_sequences_batch_the_same_way()
    {
        int[][] sequences = [[101, 5, 102], [101, 7, 8, 9, 102], [101, 102]];

        var batches = TokenBatches.Create(sequences, batchSize: 2);

        Assert.Equal([1, 0], batches[0].TextIndices.ToArray());
        Assert.Equal([101, 7, 8, 9, 102, 101, 5, 102, 0, 0], batches[0].Ids.ToArray());
        Assert.Equal([1, 1, 1, 1, 1, 1, 1, 1, 0, 0], batches[0].AttentionMask.ToArray());
        Assert.Equal([101, 102], batches[1].Ids.ToArray());
        Assert.Throws<ArgumentException>(() => TokenBatches.Create([[1], []], 2));
    }

    [Fact]
    public void No_texts_make_no_batches_and_bad_arguments_are_refused()
    {
        Assert.Empty(TokenBatches.Create(Shared.Value, [], batchSize: 8));
        var error = Assert.Throws<ArgumentNullException>(() => TokenBatches.Create(Shared.Value, ["a", null!], batchSize: 8));
        Assert.Contains("Text 1", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenBatches.Create(Shared.Value, ["a"], batchSize: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenBatches.Create(Shared.Value, ["a"], batchSize: 1)[1]);
    }

    [Fact]
    public void Many_texts_grow_the_token_buffer_without_losing_any()
    {
        var texts = Enumerable.Range(0, 300).Select(i => string.Join(" ", Enumerable.Repeat("word", i % 97))).ToArray();

        var batches = TokenBatches.Create(Shared.Value, texts, batchSize: 32);

        Assert.Equal(texts.Sum(t => Shared.Value.Encode(t).Length), batches.TokenCount);
        Assert.Equal(Enumerable.Range(0, 300), batches.SelectMany(b => b.TextIndices.ToArray()).Order());
        var lengths = batches.SelectMany(b => Enumerable.Range(0, b.Batch).Select(r => b.AttentionMask.Span.Slice(r * b.Sequence, b.Sequence).ToArray().Sum())).ToList();
        Assert.Equal(lengths.OrderDescending(), lengths);
    }
}
