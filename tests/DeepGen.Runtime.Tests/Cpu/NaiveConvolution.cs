using DeepGen.Cpu;

namespace DeepGen.Runtime.Tests.Cpu;

/// <summary>
/// Convolution and pooling straight from their definitions, in double: direct sums over each window's cells, no
/// im2col. Layouts as the kernels': channels-last samples <c>[height, width, channels]</c>, batch outermost, weights
/// <c>[kernelHeight, kernelWidth, channels, filters]</c>.
/// </summary>
internal static class NaiveConvolution
{
    /// <summary><c>y[n, oy, ox, f] = b[f] + Σ over the window's cells inside the input of x[n, y, x, c] · w[ky, kx, c, f]</c>.</summary>
    public static double[] Forward(float[] x, float[] w, float[] b, int batch, Window2D g, int filters)
    {
        var y = new double[batch * g.OutputPixels * filters];
        for (var n = 0; n < batch; n++)
        for (var oy = 0; oy < g.OutputHeight; oy++)
        for (var ox = 0; ox < g.OutputWidth; ox++)
        for (var f = 0; f < filters; f++)
        {
            double sum = b.Length == 0 ? 0 : b[f];
            foreach (var (ky, kx, iy, ix) in Cells(g, oy, ox))
                for (var c = 0; c < g.Channels; c++)
                    sum += (double)x[Input(g, n, iy, ix, c)] * w[Weight(g, ky, kx, c, filters, f)];
            y[Output(g, n, oy, ox, filters, f)] = sum;
        }

        return y;
    }

    /// <summary><c>dx[n, y, x, c] = Σ over the windows and filters that read it of dz[n, oy, ox, f] · w[ky, kx, c, f]</c>.</summary>
    public static double[] InputGradient(float[] dz, float[] w, int batch, Window2D g, int filters)
    {
        var dx = new double[batch * g.InputSize];
        for (var n = 0; n < batch; n++)
        for (var oy = 0; oy < g.OutputHeight; oy++)
        for (var ox = 0; ox < g.OutputWidth; ox++)
        foreach (var (ky, kx, iy, ix) in Cells(g, oy, ox))
        for (var c = 0; c < g.Channels; c++)
        for (var f = 0; f < filters; f++)
            dx[Input(g, n, iy, ix, c)] += (double)dz[Output(g, n, oy, ox, filters, f)] * w[Weight(g, ky, kx, c, filters, f)];
        return dx;
    }

    /// <summary><c>dw[ky, kx, c, f] = Σ over samples and windows of x[n, y, x, c] · dz[n, oy, ox, f]</c>; <c>db[f] = Σ dz[…, f]</c>.</summary>
    public static (double[] Weights, double[] Bias) WeightGradients(float[] x, float[] dz, int batch, Window2D g, int filters)
    {
        var dw = new double[g.PatchSize * filters];
        var db = new double[filters];
        for (var n = 0; n < batch; n++)
        for (var oy = 0; oy < g.OutputHeight; oy++)
        for (var ox = 0; ox < g.OutputWidth; ox++)
        for (var f = 0; f < filters; f++)
        {
            var gradient = (double)dz[Output(g, n, oy, ox, filters, f)];
            db[f] += gradient;
            foreach (var (ky, kx, iy, ix) in Cells(g, oy, ox))
                for (var c = 0; c < g.Channels; c++)
                    dw[Weight(g, ky, kx, c, filters, f)] += x[Input(g, n, iy, ix, c)] * gradient;
        }

        return (dw, db);
    }

    /// <summary>The largest cell of each window and channel, and the index of the first cell holding it, in (ky, kx) order.</summary>
    public static (double[] Output, int[] ArgMax) MaxPool(float[] x, int batch, Window2D g)
    {
        var y = new double[batch * g.OutputPixels * g.Channels];
        var arg = new int[y.Length];
        for (var n = 0; n < batch; n++)
        for (var oy = 0; oy < g.OutputHeight; oy++)
        for (var ox = 0; ox < g.OutputWidth; ox++)
        for (var c = 0; c < g.Channels; c++)
        {
            var best = -1;
            foreach (var (_, _, iy, ix) in Cells(g, oy, ox))
            {
                var at = Input(g, n, iy, ix, c);
                if (best < 0 || x[at] > x[best]) best = at;
            }

            var o = Output(g, n, oy, ox, g.Channels, c);
            (y[o], arg[o]) = (x[best], best);
        }

        return (y, arg);
    }

    /// <summary>The mean of each window's cells inside the input.</summary>
    public static double[] AveragePool(float[] x, int batch, Window2D g)
    {
        var y = new double[batch * g.OutputPixels * g.Channels];
        for (var n = 0; n < batch; n++)
        for (var oy = 0; oy < g.OutputHeight; oy++)
        for (var ox = 0; ox < g.OutputWidth; ox++)
        for (var c = 0; c < g.Channels; c++)
        {
            var cells = Cells(g, oy, ox).ToList();
            y[Output(g, n, oy, ox, g.Channels, c)] = cells.Sum(cell => (double)x[Input(g, n, cell.Y, cell.X, c)]) / cells.Count;
        }

        return y;
    }

    /// <summary>Each output gradient added to its window's first maximal cell.</summary>
    public static double[] MaxPoolBackward(float[] x, float[] dy, int batch, Window2D g)
    {
        var (_, arg) = MaxPool(x, batch, g);
        var dx = new double[x.Length];
        for (var o = 0; o < dy.Length; o++) dx[arg[o]] += dy[o];
        return dx;
    }

    /// <summary>Each output gradient shared equally by its window's cells inside the input.</summary>
    public static double[] AveragePoolBackward(float[] dy, int batch, Window2D g)
    {
        var dx = new double[batch * g.InputSize];
        for (var n = 0; n < batch; n++)
        for (var oy = 0; oy < g.OutputHeight; oy++)
        for (var ox = 0; ox < g.OutputWidth; ox++)
        {
            var cells = Cells(g, oy, ox).ToList();
            foreach (var (_, _, iy, ix) in cells)
            for (var c = 0; c < g.Channels; c++)
                dx[Input(g, n, iy, ix, c)] += (double)dy[Output(g, n, oy, ox, g.Channels, c)] / cells.Count;
        }

        return dx;
    }

    /// <summary>The window cells of output <c>(oy, ox)</c> that lie inside the input, in (ky, kx) order.</summary>
    public static IEnumerable<(int Ky, int Kx, int Y, int X)> Cells(Window2D g, int oy, int ox)
    {
        for (var ky = 0; ky < g.KernelHeight; ky++)
        for (var kx = 0; kx < g.KernelWidth; kx++)
        {
            var y = oy * g.StrideHeight - g.PadTop + ky;
            var x = ox * g.StrideWidth - g.PadLeft + kx;
            if (y >= 0 && y < g.InputHeight && x >= 0 && x < g.InputWidth) yield return (ky, kx, y, x);
        }
    }

    public static int Input(Window2D g, int n, int y, int x, int c) => ((n * g.InputHeight + y) * g.InputWidth + x) * g.Channels + c;

    public static int Output(Window2D g, int n, int oy, int ox, int channels, int c) => ((n * g.OutputHeight + oy) * g.OutputWidth + ox) * channels + c;

    public static int Weight(Window2D g, int ky, int kx, int c, int filters, int f) => ((ky * g.KernelWidth + kx) * g.Channels + c) * filters + f;

    public static float[] Abs(float[] values) => Array.ConvertAll(values, MathF.Abs);

    public static double[] Abs(double[] values) => Array.ConvertAll(values, Math.Abs);
}
