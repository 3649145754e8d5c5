using System.Numerics;
using System.Runtime.InteropServices;

namespace DeepGen.Cpu;

/// <summary>
/// Keras's <c>L1L2</c> weight regularizer: the penalty <c>l1 · Σ|w| + l2 · Σw²</c> is added to the training loss
/// and its gradient <c>l1 · sign(w) + 2 · l2 · w</c> to the weight gradients.
/// </summary>
public static class Regularization
{
    /// <summary><c>l1 · Σ|w| + l2 · Σw²</c>, summed in double so the value does not depend on the vector width.</summary>
    public static float Penalty(ReadOnlySpan<float> weights, float l1, float l2)
    {
        double absolute = 0, squares = 0;
        foreach (var w in weights)
        {
            absolute += Math.Abs(w);
            squares += (double)w * w;
        }

        return (float)(l1 * absolute + l2 * squares);
    }

    /// <summary>
    /// <c>gradients[i] += l1 · sign(weights[i]) + 2 · l2 · weights[i]</c> with <c>sign(0) = 0</c>; vector and scalar
    /// lanes do the same operations in the same order, so any split into tiles gives the same bits.
    /// </summary>
    public static void AddGradient(Span<float> gradients, ReadOnlySpan<float> weights, float l1, float l2)
    {
        if (weights.Length != gradients.Length)
            throw new ArgumentException($"{gradients.Length} gradients but {weights.Length} weights.", nameof(weights));
        var g = MemoryMarshal.Cast<float, Vector<float>>(gradients);
        var w = MemoryMarshal.Cast<float, Vector<float>>(weights);
        var l1v = new Vector<float>(l1);
        var twoL2 = 2f * l2;
        var twoL2v = new Vector<float>(twoL2);
        for (var i = 0; i < g.Length; i++)
        {
            var sign = Vector.ConditionalSelect(Vector.GreaterThan(w[i], Vector<float>.Zero), Vector<float>.One,
                Vector.ConditionalSelect(Vector.LessThan(w[i], Vector<float>.Zero), -Vector<float>.One, Vector<float>.Zero));
            g[i] += l1v * sign + twoL2v * w[i];
        }

        for (var i = g.Length * Vector<float>.Count; i < gradients.Length; i++)
        {
            var sign = weights[i] > 0f ? 1f : weights[i] < 0f ? -1f : 0f;
            gradients[i] += l1 * sign + twoL2 * weights[i];
        }
    }
}
