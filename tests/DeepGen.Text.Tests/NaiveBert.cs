namespace DeepGen.Text.Tests;

/// <summary>
/// BERT's forward pass written out plainly in double from a Hugging Face state dict (names and PyTorch layout as
/// <c>BertOnnxWeights</c> returns them): embeddings, then per layer self-attention, add and LayerNorm, GELU
/// feed-forward, add and LayerNorm. Slow and allocating; it exists to show that the imported weights, run by the
/// textbook computation, give what ONNX Runtime gives from the graph, so each one went where it belongs.
/// </summary>
internal static class NaiveBert
{
    private const double Epsilon = 1e-12; // Hugging Face's BertConfig.layer_norm_eps

    /// <summary>The last hidden state of one unpadded sequence, <c>[tokens, hidden]</c>.</summary>
    public static double[][] LastHiddenState(IReadOnlyDictionary<string, NamedTensor> w, int[] ids, int layers, int heads)
    {
        var hidden = w["embeddings.word_embeddings.weight"].Shape[1];
        var x = new double[ids.Length][];
        for (var t = 0; t < ids.Length; t++)
        {
            x[t] = new double[hidden];
            for (var i = 0; i < hidden; i++)
                x[t][i] = w["embeddings.word_embeddings.weight"].Values[ids[t] * hidden + i]
                          + w["embeddings.position_embeddings.weight"].Values[t * hidden + i]
                          + w["embeddings.token_type_embeddings.weight"].Values[i];
        }

        x = LayerNorm(x, w, "embeddings.LayerNorm");
        for (var layer = 0; layer < layers; layer++)
        {
            var p = $"encoder.layer.{layer}.";
            var q = Linear(x, w, p + "attention.self.query");
            var k = Linear(x, w, p + "attention.self.key");
            var v = Linear(x, w, p + "attention.self.value");
            var context = Attention(q, k, v, heads);
            var attended = Add(Linear(context, w, p + "attention.output.dense"), x);
            x = LayerNorm(attended, w, p + "attention.output.LayerNorm");
            var inner = Linear(x, w, p + "intermediate.dense");
            foreach (var row in inner)
                for (var i = 0; i < row.Length; i++) row[i] = 0.5 * row[i] * (1 + Erf(row[i] / Math.Sqrt(2)));
            x = LayerNorm(Add(Linear(inner, w, p + "output.dense"), x), w, p + "output.LayerNorm");
        }

        return x;
    }

    /// <summary><c>x Wᵀ + b</c> with <c>W</c> in PyTorch's <c>[out, in]</c>.</summary>
    private static double[][] Linear(double[][] x, IReadOnlyDictionary<string, NamedTensor> w, string module)
    {
        var weight = w[module + ".weight"];
        var bias = w[module + ".bias"].Values;
        var (outputs, inputs) = (weight.Shape[0], weight.Shape[1]);
        return x.Select(row =>
        {
            var y = new double[outputs];
            for (var o = 0; o < outputs; o++)
            {
                var sum = (double)bias[o];
                for (var i = 0; i < inputs; i++) sum += row[i] * weight.Values[o * inputs + i];
                y[o] = sum;
            }

            return y;
        }).ToArray();
    }

    private static double[][] Attention(double[][] q, double[][] k, double[][] v, int heads)
    {
        var (tokens, hidden) = (q.Length, q[0].Length);
        var size = hidden / heads;
        var context = q.Select(_ => new double[hidden]).ToArray();
        for (var h = 0; h < heads; h++)
        for (var i = 0; i < tokens; i++)
        {
            var scores = new double[tokens];
            for (var j = 0; j < tokens; j++)
            {
                for (var d = 0; d < size; d++) scores[j] += q[i][h * size + d] * k[j][h * size + d];
                scores[j] /= Math.Sqrt(size);
            }

            var max = scores.Max();
            var exp = scores.Select(s => Math.Exp(s - max)).ToArray();
            var total = exp.Sum();
            for (var j = 0; j < tokens; j++)
            for (var d = 0; d < size; d++)
                context[i][h * size + d] += exp[j] / total * v[j][h * size + d];
        }

        return context;
    }

    private static double[][] Add(double[][] a, double[][] b) => a.Select((row, t) => row.Select((value, i) => value + b[t][i]).ToArray()).ToArray();

    private static double[][] LayerNorm(double[][] x, IReadOnlyDictionary<string, NamedTensor> w, string module)
    {
        var gamma = w[module + ".weight"].Values;
        var beta = w[module + ".bias"].Values;
        return x.Select(row =>
        {
            var mean = row.Average();
            var variance = row.Select(value => (value - mean) * (value - mean)).Average();
            return row.Select((value, i) => (value - mean) / Math.Sqrt(variance + Epsilon) * gamma[i] + beta[i]).ToArray();
        }).ToArray();
    }

    /// <summary>erf to about 1e-15, by its Taylor series near 0 and its continued fraction further out (.NET has no Math.Erf).</summary>
    private static double Erf(double x)
    {
        var z = Math.Abs(x);
        double result;
        if (z < 3)
        {
            // erf z = 2/√π Σ (-1)^n z^(2n+1) / (n! (2n+1))
            double term = z, sum = z;
            for (var n = 1; n < 100 && Math.Abs(term) > 1e-17 * Math.Abs(sum); n++)
            {
                term *= -z * z / n;
                sum += term / (2 * n + 1);
            }

            result = 2 / Math.Sqrt(Math.PI) * sum;
        }
        else
        {
            // erfc z = exp(-z²)/√π · 1/(z + 1/2/(z + 1/(z + 3/2/(z + …)))), evaluated from the tail.
            var fraction = 0.0;
            for (var n = 60; n >= 1; n--) fraction = n / 2.0 / (z + fraction);
            result = 1 - Math.Exp(-z * z) / Math.Sqrt(Math.PI) / (z + fraction);
        }

        return x < 0 ? -result : result;
    }
}
