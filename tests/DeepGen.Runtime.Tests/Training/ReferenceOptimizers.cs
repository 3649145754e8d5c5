namespace DeepGen.Runtime.Tests.Training;

/// <summary>
/// The optimizers written straight from Keras 3's update rules, one parameter at a time in double precision, sharing
/// no code with the runtime. Each <see cref="Step"/> is one optimizer iteration; t counts from 1.
/// </summary>
internal abstract class ReferenceOptimizer(int length)
{
    protected int Length { get; } = length;
    public int Iteration { get; private set; }
    public double WeightDecay { get; init; }
    public double? ClipValue { get; init; }
    public double? GlobalClipNorm { get; init; }
    public Func<int, double>? Schedule { get; init; }
    public double LearningRate { get; init; }

    public void Step(double[] parameters, float[] gradients)
    {
        var lr = Schedule?.Invoke(Iteration) ?? LearningRate;
        var g = Array.ConvertAll(gradients, v => (double)v);
        if (GlobalClipNorm is { } clipNorm)
        {
            var norm = Math.Sqrt(g.Sum(v => v * v));
            if (norm > clipNorm) for (var i = 0; i < g.Length; i++) g[i] *= clipNorm / norm;
        }

        if (ClipValue is { } clip) for (var i = 0; i < g.Length; i++) g[i] = Math.Clamp(g[i], -clip, clip);
        for (var i = 0; i < parameters.Length; i++) parameters[i] -= parameters[i] * WeightDecay * lr;
        Iteration++;
        for (var i = 0; i < parameters.Length; i++) parameters[i] = Update(i, parameters[i], g[i], Iteration, lr);
    }

    protected abstract double Update(int i, double p, double g, int t, double lr);
}

internal sealed class ReferenceSgd(int length, double momentum, bool nesterov) : ReferenceOptimizer(length)
{
    private readonly double[] _m = new double[length];

    protected override double Update(int i, double p, double g, int t, double lr)
    {
        if (momentum == 0) return p - lr * g;
        _m[i] = momentum * _m[i] - lr * g;
        return nesterov ? p + momentum * _m[i] - lr * g : p + _m[i];
    }
}

internal sealed class ReferenceAdam(int length, double beta1, double beta2, double epsilon, bool amsgrad) : ReferenceOptimizer(length)
{
    private readonly double[] _m = new double[length];
    private readonly double[] _v = new double[length];
    private readonly double[] _vMax = new double[length];

    protected override double Update(int i, double p, double g, int t, double lr)
    {
        _m[i] = beta1 * _m[i] + (1 - beta1) * g;
        _v[i] = beta2 * _v[i] + (1 - beta2) * g * g;
        _vMax[i] = Math.Max(_vMax[i], _v[i]);
        var v = amsgrad ? _vMax[i] : _v[i];
        var alpha = lr * Math.Sqrt(1 - Math.Pow(beta2, t)) / (1 - Math.Pow(beta1, t));
        return p - alpha * _m[i] / (Math.Sqrt(v) + epsilon);
    }
}

internal sealed class ReferenceNadam(int length, double beta1, double beta2, double epsilon) : ReferenceOptimizer(length)
{
    private readonly double[] _m = new double[length];
    private readonly double[] _v = new double[length];

    private double U(int t) => beta1 * (1 - 0.5 * Math.Pow(0.96, t));

    private double Product(int t)
    {
        var product = 1.0;
        for (var k = 1; k <= t; k++) product *= U(k);
        return product;
    }

    protected override double Update(int i, double p, double g, int t, double lr)
    {
        _m[i] = beta1 * _m[i] + (1 - beta1) * g;
        _v[i] = beta2 * _v[i] + (1 - beta2) * g * g;
        var mHat = U(t + 1) * _m[i] / (1 - Product(t + 1)) + (1 - U(t)) * g / (1 - Product(t));
        var vHat = _v[i] / (1 - Math.Pow(beta2, t));
        return p - lr * mHat / (Math.Sqrt(vHat) + epsilon);
    }
}

internal sealed class ReferenceRmsProp(int length, double rho, double momentum, double epsilon, bool centered) : ReferenceOptimizer(length)
{
    private readonly double[] _v = new double[length];
    private readonly double[] _a = new double[length];
    private readonly double[] _m = new double[length];

    protected override double Update(int i, double p, double g, int t, double lr)
    {
        _v[i] = rho * _v[i] + (1 - rho) * g * g;
        _a[i] = rho * _a[i] + (1 - rho) * g;
        var denominator = centered ? _v[i] - _a[i] * _a[i] + epsilon : _v[i] + epsilon;
        var increment = lr * g / Math.Sqrt(denominator);
        if (momentum == 0) return p - increment;
        _m[i] = momentum * _m[i] + increment;
        return p - _m[i];
    }
}

internal sealed class ReferenceAdagrad(int length, double initial, double epsilon) : ReferenceOptimizer(length)
{
    private readonly double[] _s = Enumerable.Repeat(initial, length).ToArray();

    protected override double Update(int i, double p, double g, int t, double lr)
    {
        _s[i] += g * g;
        return p - lr * g / Math.Sqrt(_s[i] + epsilon);
    }
}
