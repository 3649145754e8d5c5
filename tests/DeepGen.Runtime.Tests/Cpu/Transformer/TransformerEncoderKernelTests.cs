using DeepGen.Cpu;
using DeepGen.Layout;
using DeepGen.Tests.Shared;
using static DeepGen.Runtime.Tests.Cpu.Transformer.SequenceKernelTests;
using static DeepGen.Runtime.Tests.Cpu.Transformer.TransformerReference;

namespace DeepGen.Runtime.Tests.Cpu.Transformer;

/// <summary>
/// The attention and the whole encoder layer against <see cref="TransformerReference"/> at odd sizes and padding
/// masks, their gradients against central differences of it, and their argument checks.
/// </summary>
public class TransformerEncoderKernelTests
{
    public static TheoryData<int, int, int, int, int, Activation, bool> Cases() => new()
    {
        // hidden, heads, feed-forward, batch, sequence, activation, padded
        { 12, 3, 20, 1, 1, Activation.Gelu, false },
        { 12, 3, 20, 2, 7, Activation.Gelu, true },
        { 20, 5, 28, 3, 17, Activation.Relu, true },
        { 20, 4, 36, 3, 3, Activation.Gelu, true },
        { 20, 4, 28, 1, 17, Activation.Relu, false },
    };

    public static TheoryData<int, int, int, int, bool> AttentionCases() => new()
    {
        // hidden, heads, batch, sequence, padded: head sizes 4, 5 and 7; a single token; query tiles of 16 and a tail.
        { 12, 3, 1, 1, false },
        { 12, 3, 2, 7, true },
        { 20, 5, 3, 17, true },
        { 20, 4, 3, 3, true },
        { 21, 3, 2, 33, true },
    };

    [Theory]
    [MemberData(nameof(AttentionCases))]
    public void Attention_matches_the_definition_and_finite_differences(int hidden, int heads, int batch, int sequence, bool padded)
    {
        var tokens = batch * sequence;
        var mask = padded ? PaddingMask(batch, sequence) : [];
        var (q, k, v) = (NaiveKernels.Random(tokens * hidden, 1, -2f, 2f), NaiveKernels.Random(tokens * hidden, 2, -2f, 2f), NaiveKernels.Random(tokens * hidden, 3));
        var probabilities = Filled(batch * heads * sequence * sequence);
        var context = Attention(q, k, v, mask, probabilities, batch, sequence, heads, hidden);
        var (qs, ks, vs) = (ToDouble(q), ToDouble(k), ToDouble(v));
        Func<double[]> forward = () => TransformerReference.Attention(qs, ks, vs, mask, batch, sequence, heads, hidden);
        AssertClose(forward(), context, 2e-6, "context");
        for (var b = 0; b < batch; b++)
        for (var j = 0; j < sequence; j++)
            if (mask.Length > 0 && mask[b * sequence + j] == 0)
                for (var h = 0; h < heads; h++)
                for (var i = 0; i < sequence; i++)
                    Assert.Equal(0f, probabilities[((b * heads + h) * sequence + i) * sequence + j]);
        FiniteDifferences.AssertBitwise(context, Attention(q, k, v, mask, null, batch, sequence, heads, hidden), "inference context");

        var dContext = NaiveKernels.Random(context.Length, 4);
        var (dq, dk, dv) = (Filled(q.Length), Filled(k.Length), Filled(v.Length));
        AttentionBackward(dq, dk, dv, dContext, q, k, v, mask, probabilities, batch, sequence, heads, hidden);
        CheckGradient(qs, dq, dContext, forward, "dq");
        CheckGradient(ks, dk, dContext, forward, "dk");
        CheckGradient(vs, dv, dContext, forward, "dv");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Encoder_layer_matches_the_definition_and_finite_differences(int hidden, int heads, int feedForward, int batch, int sequence, Activation activation, bool padded)
    {
        var s = new EncoderShape(hidden, heads, feedForward, activation, 1e-5f);
        var tokens = batch * sequence;
        var mask = padded ? PaddingMask(batch, sequence) : [];
        var parameters = Parameters(s, seed: hidden + sequence);
        var x = NaiveKernels.Random(tokens * hidden, 5, -1.5f, 1.5f);
        var (y, kept) = (Filled(tokens * hidden), Filled((int)s.KeptFloats(batch, sequence)));
        TransformerEncoderKernels.Forward(s, parameters, y, x, mask, batch, sequence, kept, training: true);
        var (ps, xs) = (ToDouble(parameters), ToDouble(x));
        Func<double[]> forward = () => EncoderLayer(ps, xs, mask, batch, sequence, s);
        AssertClose(forward(), y, 1e-5, "y");

        var inference = Filled(y.Length);
        TransformerEncoderKernels.Forward(s, parameters, inference, x, mask, batch, sequence, Filled((int)s.InferenceScratchFloats(batch, sequence)), training: false);
        FiniteDifferences.AssertBitwise(y, inference, "inference output");

        var dy = NaiveKernels.Random(y.Length, 6);
        var (gradients, dx) = (Filled(parameters.Length), Filled(x.Length));
        TransformerEncoderKernels.Backward(s, parameters, gradients, dx, dy, x, kept, mask, batch, sequence, Filled((int)s.BackwardScratchFloats(batch, sequence)));
        foreach (var (name, offset, shape) in s.Layout.Tensors)
        {
            var length = shape.Aggregate(1, (a, b) => a * b);
            CheckRange(ps, (int)offset, length, gradients, dy, forward, name);
        }

        CheckGradient(xs, dx, dy, forward, "dx", tolerance: 3e-4, step: 1e-5, most: 200);
    }

    [Fact]
    public void Encoder_layer_at_the_size_of_MiniLM_matches_the_definition()
    {
        // all-MiniLM-L6-v2's layer: 32 features per head fill whole 512-bit tiles, and 40 queries take three tiles.
        var s = new EncoderShape(384, 12, 1536, Activation.Gelu, 1e-12f);
        const int batch = 2, sequence = 40;
        var mask = PaddingMask(batch, sequence);
        var parameters = Parameters(s, seed: 3);
        var x = NaiveKernels.Random(batch * sequence * s.Hidden, 4, -1.5f, 1.5f);
        var y = Filled(x.Length);
        TransformerEncoderKernels.Forward(s, parameters, y, x, mask, batch, sequence, Filled((int)s.InferenceScratchFloats(batch, sequence)), training: false);
        AssertClose(EncoderLayer(ToDouble(parameters), ToDouble(x), mask, batch, sequence, s), y, 1e-5, "y");
        var trained = Filled(x.Length);
        TransformerEncoderKernels.Forward(s, parameters, trained, x, mask, batch, sequence, Filled((int)s.KeptFloats(batch, sequence)), training: true);
        FiniteDifferences.AssertBitwise(y, trained, "training output");
    }

    [Fact]
    public void Encoder_checks_its_arguments()
    {
        Assert.Contains("Gelu or Relu", Assert.Throws<ArgumentException>(() => new EncoderShape(12, 3, 20, Activation.Tanh, 1e-5f)).Message);
        Assert.Contains("multiple", Assert.Throws<ArgumentException>(() => new EncoderShape(12, 5, 20, Activation.Gelu, 1e-5f)).Message);
        var s = new EncoderShape(12, 3, 20, Activation.Gelu, 1e-5f);
        var parameters = new float[s.ParametersPerLayer];
        var (x, y) = (new float[2 * 3 * 12], new float[2 * 3 * 12]);
        var scratch = new float[s.KeptFloats(2, 3)];
        var e = Assert.Throws<ArgumentException>(() => TransformerEncoderKernels.Forward(s, parameters, y, x, [1, 1, 1, 0, 0, 0], 2, 3, scratch, true));
        Assert.Contains("Sample 1 has no token", e.Message);
        e = Assert.Throws<ArgumentException>(() => TransformerEncoderKernels.Forward(s, parameters.AsSpan(1), y, x, [], 2, 3, scratch, true));
        Assert.Contains("parameters", e.Message);
        e = Assert.Throws<ArgumentException>(() => TransformerEncoderKernels.Forward(s, parameters, y, x, [], 2, 3, scratch.AsSpan(1), true));
        Assert.Contains("kept", e.Message);
        e = Assert.Throws<ArgumentException>(() => TransformerEncoderKernels.Forward(s, parameters, x, x, [], 2, 3, scratch, true));
        Assert.Contains("overlap", e.Message);
        e = Assert.Throws<ArgumentException>(() => TransformerEncoderKernels.Forward(s, parameters, y, x.AsSpan(1), [], 2, 3, scratch, false));
        Assert.Contains("input", e.Message);
        e = Assert.Throws<ArgumentException>(() => TransformerEncoderKernels.Forward(default, parameters, y, x, [], 2, 3, scratch, false));
        Assert.Contains("not initialized", e.Message);
        e = Assert.Throws<ArgumentException>(() => TransformerEncoderKernels.Backward(s, parameters, new float[parameters.Length], new float[x.Length],
            y, x, scratch, [], 2, 3, new float[s.BackwardScratchFloats(2, 3) - 1]));
        Assert.Contains("scratch", e.Message);
    }

    /// <summary>Sample 0 padded at the end, sample 1 in the middle (and at the end when long), sample 2 not at all.</summary>
    internal static int[] PaddingMask(int batch, int sequence) =>
        Mask(batch, sequence, (b, j) => (b % 3) switch
        {
            0 => j > 0 && j >= sequence - sequence / 3,
            1 => j > 0 && (j == sequence / 2 || (sequence > 8 && j == sequence - 1)),
            _ => false,
        });

    /// <summary>Weights of a size that keeps the scores and activations in their interesting ranges.</summary>
    internal static float[] Parameters(in EncoderShape s, int seed)
    {
        var parameters = new float[s.ParametersPerLayer];
        var index = 0;
        foreach (var (name, offset, shape) in s.Layout.Tensors)
        {
            var length = shape.Aggregate(1, (a, b) => a * b);
            var (low, high) = name.EndsWith("gamma") ? (0.6f, 1.4f) : name.EndsWith("beta") ? (-0.3f, 0.3f)
                : name.EndsWith("bias") ? (-0.2f, 0.2f) : (-1.5f / MathF.Sqrt(shape[0]), 1.5f / MathF.Sqrt(shape[0]));
            NaiveKernels.Random(length, seed * 31 + index++, low, high).CopyTo(parameters, offset);
        }

        return parameters;
    }

    /// <summary><see cref="TransformerReference.CheckGradient"/> on one tensor of a larger vector.</summary>
    private static void CheckRange(double[] values, int offset, int length, float[] gradient, float[] outputGradient, Func<double[]> forward, string what)
    {
        var part = new double[length];
        Array.Copy(values, offset, part, 0, length);
        CheckGradient(part, gradient[offset..(offset + length)], outputGradient, () =>
        {
            Array.Copy(part, 0, values, offset, length);
            return forward();
        }, what, tolerance: 3e-4, step: 1e-5, most: 100);
        Array.Copy(part, 0, values, offset, length);
    }

    internal static unsafe float[] Attention(float[] q, float[] k, float[] v, int[] mask, float[]? probabilities, int batch, int sequence, int heads, int hidden)
    {
        var d = hidden / heads;
        var slotFloats = AttentionKernels.ForwardSlotFloats(sequence, d, probabilities is not null);
        var slots = Filled((int)(EncoderShape.ScratchSlots * slotFloats));
        var context = Filled(q.Length);
        fixed (float* c = context)
        fixed (float* pq = q)
        fixed (float* pk = k)
        fixed (float* pv = v)
        fixed (int* m = mask)
        fixed (float* p = probabilities)
        fixed (float* scratch = slots)
            AttentionKernels.Forward(c, pq, pk, pv, m, p, batch, sequence, heads, d, scratch, slotFloats);
        return context;
    }

    internal static unsafe void AttentionBackward(float[] dq, float[] dk, float[] dv, float[] dContext, float[] q, float[] k, float[] v,
        int[] mask, float[] probabilities, int batch, int sequence, int heads, int hidden)
    {
        var d = hidden / heads;
        var slotFloats = AttentionKernels.BackwardSlotFloats(sequence, d);
        var slots = Filled((int)(EncoderShape.ScratchSlots * slotFloats));
        fixed (float* pdq = dq)
        fixed (float* pdk = dk)
        fixed (float* pdv = dv)
        fixed (float* dc = dContext)
        fixed (float* pq = q)
        fixed (float* pk = k)
        fixed (float* pv = v)
        fixed (int* m = mask)
        fixed (float* p = probabilities)
        fixed (float* scratch = slots)
            AttentionKernels.Backward(pdq, pdk, pdv, hidden, dc, pq, pk, pv, m, p, batch, sequence, heads, d, scratch, slotFloats);
    }
}
