using DeepGen.Cpu;
using DeepGen.EndToEnd.Tests.Models;
using DeepGen.Runtime.Tests.Cpu.Transformer;
using Xunit;

namespace DeepGen.EndToEnd.Tests;

/// <summary>
/// Generated sequence models end to end: the backward pass through every stage against central differences of the
/// double-precision reference, threads, allocation, padding, save/load, and training a small encoder to a task.
/// </summary>
[Collection(ThreadSettingsCollection.Name)]
public class SequenceModelTests
{
    private const int Batch = 3, Sequence = 7;

    /// <summary>Token ids, types and a mask with padding at the end of sample 1 and in the middle of sample 2.</summary>
    private static (int[] Ids, int[] Types, int[] Mask) Tokens(int vocabulary, int batch, int sequence, int seed)
    {
        var random = new Random(seed);
        var ids = Enumerable.Range(0, batch * sequence).Select(_ => random.Next(vocabulary)).ToArray();
        var types = Enumerable.Range(0, batch * sequence).Select(i => i % sequence >= sequence / 2 ? 1 : 0).ToArray();
        var mask = TransformerReference.Mask(batch, sequence, (b, j) => (b == 1 && j >= sequence - 2) || (b == 2 && j == 2));
        return (ids, types, mask);
    }

    private static double[] Tensor(double[] parameters, SequenceModel model, string name)
    {
        var tensor = model.Architecture.Tensors.Single(t => t.Name == name);
        return parameters.AsSpan(tensor.Offset, tensor.Length).ToArray();
    }

    /// <summary>TinyClassifier's forward pass in double precision, from its parameters, straight from the definitions.</summary>
    private static double[] ReferenceClassifier(double[] p, SequenceModel model, int[] ids, int[] types, int[] mask)
    {
        var x = TransformerReference.Embedding(ids, types, Tensor(p, model, "Embed.tokens"), Tensor(p, model, "Embed.positions"), Tensor(p, model, "Embed.token_types"), Batch, Sequence, 6);
        x = TransformerReference.LayerNorm(x, null, Tensor(p, model, "Norm.gamma"), Tensor(p, model, "Norm.beta"), Batch * Sequence, 6, 1e-5);
        var encoder = model.Architecture.Layers[2];
        var shape = new EncoderShape(6, 2, 10, Activation.Gelu, 1e-5f);
        for (var layer = 0; layer < 2; layer++)
        {
            var slice = p.AsSpan(encoder.ParametersOffset + layer * (int)shape.ParametersPerLayer, (int)shape.ParametersPerLayer).ToArray();
            x = TransformerReference.EncoderLayer(slice, x, mask, Batch, Sequence, shape);
        }

        var pooled = TransformerReference.MaskedMean(x, mask, Batch, Sequence, 6);
        var hidden = TransformerReference.Linear(pooled, Tensor(p, model, "Hidden.weights"), Tensor(p, model, "Hidden.bias"), Batch, 6, 5).Select(Math.Tanh).ToArray();
        var logits = TransformerReference.Linear(hidden, Tensor(p, model, "Out.weights"), Tensor(p, model, "Out.bias"), Batch, 5, 3);
        var output = new double[logits.Length];
        for (var b = 0; b < Batch; b++)
        {
            var row = logits.AsSpan(b * 3, 3).ToArray();
            var max = row.Max();
            var sum = row.Sum(v => Math.Exp(v - max));
            for (var c = 0; c < 3; c++) output[b * 3 + c] = Math.Exp(row[c] - max) / sum;
        }

        return output;
    }

    private static void RandomizeBiasesAndScales(SequenceModel model, int seed)
    {
        // Zero biases and unit LayerNorm scales would hide a mix-up between them and other tensors.
        var random = new Random(seed);
        foreach (var tensor in model.Architecture.Tensors.Where(t => t.Shape.Length == 1))
            foreach (ref var value in model.Parameters.Slice(tensor.Offset, tensor.Length))
                value += (float)(random.NextDouble() - 0.5) * 0.4f;
    }

    [Fact]
    public void The_classifier_matches_the_double_reference_forward_and_backward()
    {
        var model = new TinyClassifier(seed: 3);
        RandomizeBiasesAndScales(model, seed: 4);
        var (ids, types, mask) = Tokens(TinyClassifier.Vocabulary, Batch, Sequence, seed: 5);
        var targets = TestData.OneHot(Batch, 3, seed: 6);
        var tokens = new TokenBatch(ids, mask, types, Batch, Sequence);
        var parameters = TransformerReference.ToDouble(model.Parameters.ToArray());

        TransformerReference.AssertClose(ReferenceClassifier(parameters, model, ids, types, mask), model.Predict(tokens), 2e-5, "prediction");

        // A step with a learning rate so small the weights keep their bits' worth: the gradients are what we read.
        model.TrainStep(tokens, targets, Loss.CategoricalCrossEntropy, new Sgd(learningRate: 1e-30f));
        var gradients = model.Gradients.ToArray();
        double LossAt()
        {
            var output = ReferenceClassifier(parameters, model, ids, types, mask);
            var sum = 0.0;
            for (var i = 0; i < output.Length; i++) sum -= targets[i] * Math.Log(output[i]);
            return sum / Batch;
        }

        var worst = 0.0;
        var checkedCount = 0;
        foreach (var tensor in model.Architecture.Tensors)
        {
            // Every element of the small tensors, an odd-strided sample of the large ones.
            var stride = tensor.Length <= 40 ? 1 : (tensor.Length / 40) | 1;
            for (var i = tensor.Offset; i < tensor.Offset + tensor.Length; i += stride)
            {
                var original = parameters[i];
                parameters[i] = original + 1e-6;
                var above = LossAt();
                parameters[i] = original - 1e-6;
                var below = LossAt();
                parameters[i] = original;
                var numeric = (above - below) / 2e-6;
                var error = Math.Abs(numeric - gradients[i]);
                worst = Math.Max(worst, error);
                checkedCount++;
                Assert.True(error <= 2e-5 + 2e-3 * Math.Abs(numeric),
                    $"{tensor.Name}[{i - tensor.Offset}]: backward {gradients[i]:G9}, finite difference {numeric:G9}.");
            }
        }

        Assert.True(checkedCount > 300, $"Only {checkedCount} gradients checked.");
        // Token ids that never occur in the batch get no gradient.
        var words = model.Architecture.Tensors.Single(t => t.Name == "Embed.tokens");
        for (var id = 0; id < TinyClassifier.Vocabulary; id++)
            if (!ids.Contains(id))
                Assert.True(gradients.AsSpan(words.Offset + id * 6, 6).ToArray().All(g => g == 0f), $"Token {id} is not in the batch but has a gradient.");
    }

    [Fact]
    public void The_embedder_gives_unit_vectors_equal_to_the_reference()
    {
        var model = new TinyEmbedder(seed: 7);
        RandomizeBiasesAndScales(model, seed: 8);
        const int batch = 4, sequence = 9;
        var random = new Random(9);
        var ids = Enumerable.Range(0, batch * sequence).Select(_ => random.Next(TinyEmbedder.Vocabulary)).ToArray();
        var mask = TransformerReference.Mask(batch, sequence, (b, j) => j >= sequence - b);
        var output = model.Predict(new TokenBatch(ids, mask, [], batch, sequence));

        var p = TransformerReference.ToDouble(model.Parameters.ToArray());
        var x = TransformerReference.Embedding(ids, [], Tensor(p, model, "Embedding0.tokens"), Tensor(p, model, "Embedding0.positions"), [], batch, sequence, 9);
        var shape = new EncoderShape(9, 3, 7, Activation.Relu, 1e-6f);
        x = TransformerReference.EncoderLayer(p.AsSpan(model.Architecture.Layers[1].ParametersOffset, (int)shape.ParametersPerLayer).ToArray(), x, mask, batch, sequence, shape);
        var expected = TransformerReference.L2Normalize(TransformerReference.MaskedMean(x, mask, batch, sequence, 9), batch, 9);
        TransformerReference.AssertClose(expected, output, 2e-6, "embedding");
        for (var b = 0; b < batch; b++)
            Assert.Equal(1.0, Math.Sqrt(output.AsSpan(b * 9, 9).ToArray().Sum(v => (double)v * v)), 5);
    }

    [Fact]
    public void Padding_a_sequence_further_leaves_its_vector_unchanged()
    {
        var model = new TinyEmbedder(seed: 10);
        int[] sentence = [1, 4, 2, 8, 5];
        var alone = model.Predict(new TokenBatch(sentence, 1, sentence.Length));
        // The same tokens in a batch of two, padded to 9 with ids that would change the result if they were read.
        var ids = new int[18];
        var mask = new int[18];
        sentence.CopyTo(ids, 0);
        for (var j = 5; j < 9; j++) ids[j] = 10;
        for (var j = 0; j < 5; j++) mask[j] = 1;
        for (var j = 9; j < 18; j++) (ids[j], mask[j]) = (j % 11, 1);
        var padded = model.Predict(new TokenBatch(ids, mask, [], 2, 9));
        TransformerReference.AssertClose(alone.Select(v => (double)v).ToArray(), padded.AsSpan(0, 9).ToArray(), 1e-6, "padded");
    }

    [Fact]
    public void Training_and_prediction_are_bitwise_identical_for_one_and_two_threads()
    {
        // 75 sequences of 16 at batch 32: two full batches and one of 11, which splits differently over the threads.
        const int count = 75, sequence = 16;
        var (ids, types, mask) = Tokens(MidClassifier.Vocabulary, count, sequence, seed: 11);
        var y = TestData.OneHot(count, 3, seed: 12);
        var data = new TokenSequences(ids, mask, types, sequence);
        var one = ThreadRuns.AssertSameBitsOnOneAndTwoThreads(() =>
        {
            var model = new MidClassifier(seed: 13);
            model.Fit(data, y, epochs: 2, batchSize: 32, Loss.CategoricalCrossEntropy, new Adam(0.01f), seed: 14, verbosity: Verbosity.Silent);
            return (model.Parameters.ToArray(), model.Predict(new TokenBatch(ids, mask, types, count, sequence)));
        });
        Assert.NotEqual(new MidClassifier(seed: 13).Parameters.ToArray(), one);
    }

    [Theory]
    [InlineData(1, 24)]
    [InlineData(2, 24)]
    [InlineData(2, 1)]
    [InlineData(1, 3)]
    public void Training_steps_and_predictions_into_a_span_allocate_nothing(int threads, int batch)
    {
        var model = new TinyClassifier(seed: 15);
        var (ids, types, mask) = Tokens(TinyClassifier.Vocabulary, batch, Sequence, seed: 16);
        var y = TestData.OneHot(batch, 3, seed: 17);
        var optimizer = new Adam(0.001f);
        var predictions = new float[batch * 3];
        Assert.Equal(0, AllocationTests.LeastAllocated(threads, () =>
        {
            var tokens = new TokenBatch(ids, mask, types, batch, Sequence);
            model.TrainStep(tokens, y, Loss.CategoricalCrossEntropy, optimizer);
            model.Predict(tokens, predictions);
            // A shorter sequence in the same buffers.
            model.Predict(new TokenBatch(ids.AsSpan(0, batch * 4), [], [], batch, 4), predictions);
        }));
    }

    [Fact]
    public void A_saved_model_loads_back_to_the_same_predictions_and_bad_input_is_named()
    {
        var model = new TinyClassifier(seed: 18);
        var (ids, types, mask) = Tokens(TinyClassifier.Vocabulary, 20, Sequence, seed: 19);
        model.Fit(new TokenSequences(ids, mask, types, Sequence), TestData.OneHot(20, 3, seed: 20), epochs: 1, batchSize: 8,
            Loss.CategoricalCrossEntropy, new Adam(0.01f), verbosity: Verbosity.Silent);
        var path = Path.Combine(Path.GetTempPath(), $"deepgen-sequence-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            var loaded = new TinyClassifier(seed: 99);
            loaded.Load(path);
            var tokens = new TokenBatch(ids, mask, types, 20, Sequence);
            Assert.Equal(model.Predict(tokens), loaded.Predict(tokens));
        }
        finally
        {
            File.Delete(path);
        }

        var badId = (int[])ids.Clone();
        badId[2 * Sequence + 4] = 13;
        var error = Assert.ThrowsAny<ArgumentException>(() => model.Predict(new TokenBatch(badId, mask, types, 20, Sequence)));
        Assert.Contains("13", error.Message);
        Assert.Contains("sample 2", error.Message);
        Assert.Contains("8 tokens", Assert.Throws<ArgumentException>(() => model.Predict(new TokenBatch(new int[16], 2, 8))).Message);
    }

    [Fact]
    public void Fit_and_evaluate_name_a_bad_token_id_or_target_by_its_sample_in_the_data()
    {
        var model = new TinyClassifier(seed: 18);
        var (ids, types, mask) = Tokens(TinyClassifier.Vocabulary, 20, Sequence, seed: 19);
        var y = TestData.OneHot(20, 3, seed: 20);
        History Fit(int[] tokenIds, float[] targets) => model.Fit(new TokenSequences(tokenIds, mask, types, Sequence), targets, epochs: 1, batchSize: 8,
            Loss.CategoricalCrossEntropy, new Adam(0.01f), verbosity: Verbosity.Silent);

        // Shuffled batches of 8 would number the sample within its batch; the check before training names it in the data.
        var badId = (int[])ids.Clone();
        badId[17 * Sequence + 3] = -1;
        Assert.Contains($"'x' holds the token id -1 at sample 17, position 3, outside the vocabulary of {TinyClassifier.Vocabulary}",
            Assert.Throws<ArgumentOutOfRangeException>(() => Fit(badId, y)).Message);
        var badTarget = (float[])y.Clone();
        badTarget[13 * 3 + 1] = float.NaN;
        Assert.Contains("'y' holds NaN at sample 13, target 1", Assert.Throws<ArgumentException>(() => Fit(ids, badTarget)).Message);
        Assert.Contains("'y' holds NaN at sample 13, target 1", Assert.Throws<ArgumentException>(() =>
            model.Evaluate(new TokenSequences(ids, mask, types, Sequence), badTarget, Loss.CategoricalCrossEntropy)).Message);
    }

    /// <summary>Random sequences over 16 tokens; the label is whether token 3 is directly followed by token 7.</summary>
    private static (TokenSequences X, float[] Y) PatternData(int count, int seed)
    {
        const int sequence = 12;
        var random = new Random(seed);
        var ids = new int[count * sequence];
        var y = new float[count * 2];
        for (var n = 0; n < count; n++)
        {
            var row = ids.AsSpan(n * sequence, sequence);
            for (var j = 0; j < sequence; j++) row[j] = random.Next(16);
            // Half the rows get the pattern planted; the others have every occurrence broken up.
            var positive = n % 2 == 0;
            for (var j = 0; j + 1 < sequence; j++)
                if (row[j] == 3 && row[j + 1] == 7) row[j + 1] = 8;
            if (positive)
            {
                var at = random.Next(sequence - 1);
                (row[at], row[at + 1]) = (3, 7);
            }

            // The tokens alone do not tell: negatives hold a 3 and a 7 too, just not side by side.
            if (!positive)
            {
                var a = random.Next(sequence - 3);
                (row[a], row[a + 2]) = (3, 7);
                // The token between must neither finish "3 7" after row[a] nor start it before row[a + 2].
                if (row[a + 1] is 3 or 7) row[a + 1] = 9;
            }

            y[n * 2 + (positive ? 1 : 0)] = 1f;
        }

        return (new TokenSequences(ids, null, null, sequence), y);
    }

    [Fact]
    public void A_small_encoder_learns_to_find_a_token_pair_in_a_sequence()
    {
        var (x, y) = PatternData(4000, seed: 21);
        var (testX, testY) = PatternData(500, seed: 22);
        var model = new PatternDetector(seed: 23);
        var before = model.Evaluate(testX, testY, Loss.CategoricalCrossEntropy);
        var history = model.Fit(x, y, epochs: 20, batchSize: 32, Loss.CategoricalCrossEntropy, new Adam(0.003f), seed: 24, verbosity: Verbosity.Silent);
        var after = model.Evaluate(testX, testY, Loss.CategoricalCrossEntropy);
        Assert.InRange(before.Accuracy, 0.3f, 0.7f);
        Assert.True(after.Accuracy >= 0.95f, $"Test accuracy {after.Accuracy:F3} after 20 epochs (training loss {string.Join(", ", history.Loss.Select(l => l.ToString("F3")))}).");
    }
}
