using DeepGen.Samples;
using Microsoft.ML.OnnxRuntime;

namespace DeepGen.Tests.MiniLm;

/// <summary>
/// The reference all-MiniLM-L6-v2 sentence embedding: <c>model.onnx</c> run by ONNX Runtime (the project's
/// Microsoft.ML.OnnxRuntime package, 1.31.1), then what sentence-transformers does with its output: the mean of
/// <c>last_hidden_state</c> over the tokens whose attention mask is 1, divided by its L2 norm. DeepGen's embeddings
/// are checked against these.
/// </summary>
/// <remarks>
/// Inputs are DeepGen's: <c>int</c> token ids, attention mask and token types, row-major <c>[batch, sequence]</c>;
/// they are widened to the graph's <c>int64</c>. Pooling and normalization are computed in double, so the reference
/// adds no rounding of its own to ONNX Runtime's. Not thread-safe (it reuses its input buffers); one per thread.
/// </remarks>
public sealed class OnnxRuntimeEmbedder : IDisposable
{
    /// <summary>The graph's output: <c>[batch, sequence, 384]</c> float.</summary>
    public const string OutputName = "last_hidden_state";

    private readonly InferenceSession _session;
    private readonly RunOptions _run = new();
    private long[] _ids = [], _mask = [], _types = [];

    /// <summary>An ONNX Runtime session over the packaged <c>model.onnx</c>.</summary>
    /// <param name="intraOpThreads">ONNX Runtime's threads within an operator (2 as in the benchmarks).</param>
    public OnnxRuntimeEmbedder(int intraOpThreads = 2) : this(MiniLmResources.ReadModel(), intraOpThreads)
    {
    }

    /// <summary>An ONNX Runtime session over the model in <paramref name="model"/> (a BERT export with the same inputs and output).</summary>
    public OnnxRuntimeEmbedder(byte[] model, int intraOpThreads = 2)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = intraOpThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _session = new InferenceSession(model, options);
    }

    /// <summary>Hidden size: the width of <c>last_hidden_state</c> and of an embedding.</summary>
    public int Dimensions => MiniLmResources.Dimensions;

    /// <summary>ONNX Runtime's <c>last_hidden_state</c>, <c>[batch, sequence, 384]</c> row-major.</summary>
    /// <param name="attentionMask">1 for a token, 0 for padding; empty: all 1.</param>
    /// <param name="tokenTypes">Segment ids; empty: all 0.</param>
    public float[] LastHiddenState(ReadOnlySpan<int> ids, ReadOnlySpan<int> attentionMask, ReadOnlySpan<int> tokenTypes, int batch, int sequence)
    {
        var tokens = Check(ids, attentionMask, tokenTypes, batch, sequence);
        if (_ids.Length != tokens) (_ids, _mask, _types) = (new long[tokens], new long[tokens], new long[tokens]);
        for (var i = 0; i < tokens; i++)
        {
            _ids[i] = ids[i];
            _mask[i] = attentionMask.IsEmpty ? 1 : attentionMask[i];
            _types[i] = tokenTypes.IsEmpty ? 0 : tokenTypes[i];
        }

        long[] shape = [batch, sequence];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(_ids, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(_mask, shape);
        using var typesValue = OrtValue.CreateTensorValueFromMemory(_types, shape);
        var inputs = new Dictionary<string, OrtValue>
        {
            ["input_ids"] = idsValue,
            ["attention_mask"] = maskValue,
            ["token_type_ids"] = typesValue,
        };
        using var outputs = _session.Run(_run, inputs, [OutputName]);
        var hidden = outputs[0].GetTensorDataAsSpan<float>();
        if (hidden.Length != tokens * Dimensions)
            throw new InvalidOperationException($"'{OutputName}' holds {hidden.Length} values; {batch} × {sequence} × {Dimensions} expected.");
        return hidden.ToArray();
    }

    /// <summary>
    /// Writes each sample's sentence embedding, <c>[batch, 384]</c>, into <paramref name="output"/>: the masked mean
    /// of <see cref="LastHiddenState"/> over its tokens, L2-normalized.
    /// </summary>
    public void Embed(ReadOnlySpan<int> ids, ReadOnlySpan<int> attentionMask, ReadOnlySpan<int> tokenTypes, int batch, int sequence, Span<float> output)
    {
        if (output.Length != batch * Dimensions)
            throw new ArgumentException($"'output' holds {output.Length} values; {batch} × {Dimensions} expected.", nameof(output));
        var hidden = LastHiddenState(ids, attentionMask, tokenTypes, batch, sequence);
        MeanPoolAndNormalize(hidden, attentionMask, batch, sequence, Dimensions, output);
    }

    /// <summary><see cref="Embed(ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, int, int, Span{float})"/> into a new array.</summary>
    public float[] Embed(ReadOnlySpan<int> ids, ReadOnlySpan<int> attentionMask, ReadOnlySpan<int> tokenTypes, int batch, int sequence)
    {
        var output = new float[batch * Dimensions];
        Embed(ids, attentionMask, tokenTypes, batch, sequence, output);
        return output;
    }

    /// <summary>
    /// sentence-transformers' pooling and normalization of <c>[batch, sequence, width]</c> hidden states: the sum of the
    /// rows whose mask is 1 over their count (at least 1e-9), then divided by its norm (at least 1e-12), in double.
    /// </summary>
    public static void MeanPoolAndNormalize(ReadOnlySpan<float> hidden, ReadOnlySpan<int> attentionMask, int batch, int sequence, int width, Span<float> output)
    {
        var sum = new double[width];
        for (var b = 0; b < batch; b++)
        {
            Array.Clear(sum);
            var count = 0;
            for (var t = 0; t < sequence; t++)
            {
                if (!attentionMask.IsEmpty && attentionMask[b * sequence + t] == 0) continue;
                count++;
                var row = hidden.Slice((b * sequence + t) * width, width);
                for (var i = 0; i < width; i++) sum[i] += row[i];
            }

            var squares = 0.0;
            for (var i = 0; i < width; i++)
            {
                sum[i] /= Math.Max(count, 1e-9);
                squares += sum[i] * sum[i];
            }

            var norm = Math.Max(Math.Sqrt(squares), 1e-12);
            for (var i = 0; i < width; i++) output[b * width + i] = (float)(sum[i] / norm);
        }
    }

    private static int Check(ReadOnlySpan<int> ids, ReadOnlySpan<int> attentionMask, ReadOnlySpan<int> tokenTypes, int batch, int sequence)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sequence);
        var tokens = batch * sequence;
        if (ids.Length != tokens) throw new ArgumentException($"'ids' holds {ids.Length} values; {batch} × {sequence} expected.", nameof(ids));
        if (!attentionMask.IsEmpty && attentionMask.Length != tokens)
            throw new ArgumentException($"'attentionMask' holds {attentionMask.Length} values; {tokens} or none expected.", nameof(attentionMask));
        if (!tokenTypes.IsEmpty && tokenTypes.Length != tokens)
            throw new ArgumentException($"'tokenTypes' holds {tokenTypes.Length} values; {tokens} or none expected.", nameof(tokenTypes));
        return tokens;
    }

    public void Dispose()
    {
        _session.Dispose();
        _run.Dispose();
    }
}
