using DeepGen.Tests.Shared;

namespace DeepGen.Runtime.Tests.Training;

/// <summary>
/// RMSE, R², F1 and the confusion matrix: each against scikit-learn's documented examples (worked by hand in the
/// comments) and against a naive whole-data reference computed here, fed in uneven batches.
/// </summary>
public class ScoreMetricTests
{
    [Fact]
    public void Rmse_and_mse_match_scikit_learns_example()
    {
        // scikit-learn's mean_squared_error example: errors 0.5, 0.5, 0, 1 → MSE (0.25 + 0.25 + 0 + 1) / 4 = 0.375.
        float[] targets = [3f, -0.5f, 2f, 7f];
        float[] outputs = [2.5f, 0f, 2f, 8f];
        var rmse = new RootMeanSquaredError();
        var mse = new MeanSquaredError();
        rmse.Update(outputs.AsSpan(0, 1), targets.AsSpan(0, 1), batch: 1);
        rmse.Update(outputs.AsSpan(1), targets.AsSpan(1), batch: 3);
        mse.Update(outputs, targets, batch: 4);
        Assert.Equal(Math.Sqrt(0.375), rmse.Result(), 12);
        Assert.Equal(0.375, mse.Result(), 12);
        Assert.False(rmse.HigherIsBetter);
        Assert.Equal("root_mean_squared_error", rmse.Name);
    }

    [Fact]
    public void R2_matches_scikit_learns_examples()
    {
        // SS_res = 1.5; ȳ = 2.875, SS_tot = 29.1875 → 1 - 1.5 / 29.1875.
        var single = new R2Score();
        single.Update([2.5f, 0f], [3f, -0.5f], batch: 2);
        single.Update([2f, 8f], [2f, 7f], batch: 2);
        Assert.Equal(0.9486081370449679, single.Result(), 12);

        // Two outputs: scores 0.965 and 0.908 (per column, by the same formula), averaged plainly or by SS_tot.
        float[] targets = [0.5f, 1f, -1f, 1f, 7f, -6f];
        float[] outputs = [0f, 2f, -1f, 2f, 8f, -5f];
        var uniform = new R2Score();
        uniform.Update(outputs, targets, batch: 3);
        Assert.Equal(0.9368005266622779, uniform.Result(), 12);
        var weighted = new R2Score(R2Aggregation.VarianceWeightedAverage);
        weighted.Update(outputs.AsSpan(0, 2), targets.AsSpan(0, 2), batch: 1);
        weighted.Update(outputs.AsSpan(2), targets.AsSpan(2), batch: 2);
        Assert.Equal(0.9382566585956417, weighted.Result(), 12);
        Assert.Equal("r2_score", weighted.Name);
    }

    [Fact]
    public void R2_follows_keras_at_the_edges()
    {
        var before = new R2Score();
        Assert.True(double.IsNaN(before.Result()));

        var constantMissed = new R2Score();
        constantMissed.Update([1f, 2f], [3f, 3f], batch: 2); // SS_tot = 0, SS_res > 0: Keras maps -inf to 0
        Assert.Equal(0, constantMissed.Result());

        var worseThanMean = new R2Score();
        worseThanMean.Update([2f, 0f], [0f, 2f], batch: 2); // SS_res 8, SS_tot 2
        Assert.Equal(-3, worseThanMean.Result(), 12);

        var r2 = new R2Score();
        r2.Update([1f, 2f], [1f, 2f], batch: 1);
        Assert.Contains("measuring 2 outputs", Assert.Throws<ArgumentException>(() => r2.Update([1f, 2f, 3f], [1f, 2f, 3f], batch: 1)).Message);
        Assert.Contains("one target per output", Assert.Throws<ArgumentException>(() => new R2Score().Update([0.2f, 0.8f], [1f], batch: 1)).Message);
    }

    [Fact]
    public void R2_and_rmse_over_batches_equal_a_naive_whole_data_reference_even_with_a_large_mean()
    {
        const int samples = 301, units = 3;
        var random = new Random(7);
        var targets = new float[samples * units];
        var outputs = new float[samples * units];
        for (var i = 0; i < targets.Length; i++)
        {
            targets[i] = 10_000f + (float)(random.NextDouble() * 4 - 2) * (1 + i % units);
            outputs[i] = targets[i] + (float)(random.NextDouble() - 0.5);
        }

        var r2 = new R2Score();
        var rmse = new RootMeanSquaredError();
        for (var start = 0; start < samples; start += 64)
        {
            var batch = Math.Min(64, samples - start);
            r2.Update(outputs.AsSpan(start * units, batch * units), targets.AsSpan(start * units, batch * units), batch);
            rmse.Update(outputs.AsSpan(start * units, batch * units), targets.AsSpan(start * units, batch * units), batch);
        }

        double scoreSum = 0, squares = 0;
        for (var o = 0; o < units; o++)
        {
            double mean = 0;
            for (var s = 0; s < samples; s++) mean += targets[s * units + o];
            mean /= samples;
            double residual = 0, total = 0;
            for (var s = 0; s < samples; s++)
            {
                var y = (double)targets[s * units + o];
                residual += (y - outputs[s * units + o]) * (y - outputs[s * units + o]);
                total += (y - mean) * (y - mean);
            }

            scoreSum += 1 - residual / total;
            squares += residual;
        }

        Assert.Equal(scoreSum / units, r2.Result(), 9);
        Assert.Equal(Math.Sqrt(squares / (samples * units)), rmse.Result(), 9);
        r2.Reset();
        Assert.True(double.IsNaN(r2.Result()));
    }

    [Fact]
    public void F1_matches_scikit_learns_example_for_each_average()
    {
        // scikit-learn's f1_score example: y_true [0, 1, 2, 0, 1, 2], y_pred [0, 2, 1, 0, 0, 1].
        // Class 0: TP 2, FP 1, FN 0 → P 2/3, R 1, F1 0.8; classes 1 and 2: TP 0 → 0.
        // Macro (0.8 + 0 + 0) / 3; micro TP 2, FP 4, FN 4 → 1/3; weighted (supports 2, 2, 2) = macro.
        int[] actual = [0, 1, 2, 0, 1, 2];
        int[] predicted = [0, 2, 1, 0, 0, 1];
        var outputs = new float[18];
        var oneHot = new float[18];
        var indices = new float[6];
        for (var s = 0; s < 6; s++)
        {
            outputs[s * 3 + predicted[s]] = 0.9f;
            outputs[s * 3 + (predicted[s] + 1) % 3] = 0.05f;
            oneHot[s * 3 + actual[s]] = 1f;
            indices[s] = actual[s];
        }

        const double keras = 1e-6; // Keras's ε = 1e-7 in each ratio moves the score by less than this
        var macro = new F1Score();
        macro.Update(outputs, oneHot, batch: 6);
        Assert.Equal(0.8 / 3, macro.Result(), keras);
        Assert.Equal([0.8, 0, 0], macro.PerClass().Select(v => Math.Round(v, 6)));
        var micro = new F1Score(F1Average.Micro);
        micro.Update(outputs.AsSpan(0, 6), indices.AsSpan(0, 2), batch: 2); // class indices work too
        micro.Update(outputs.AsSpan(6), indices.AsSpan(2), batch: 4);
        Assert.Equal(1.0 / 3, micro.Result(), keras);
        var weighted = new F1Score(F1Average.Weighted);
        weighted.Update(outputs, oneHot, batch: 6);
        Assert.Equal(0.8 / 3, weighted.Result(), keras);
    }

    [Fact]
    public void F1_binary_and_multi_label_with_a_threshold_equal_a_naive_count()
    {
        // One sigmoid output: the positive class's F1 at 0.5. Outputs 0.9 0.2 0.6 0.4 0.7 against 1 0 0 1 1:
        // TP 2 (0.9, 0.7), FP 1 (0.6), FN 1 (0.4) → P = R = 2/3 → F1 = 2/3.
        var binary = new F1Score();
        binary.Update([0.9f, 0.2f, 0.6f, 0.4f, 0.7f], [1f, 0f, 0f, 1f, 1f], batch: 5);
        Assert.Equal(2.0 / 3, binary.Result(), 1e-6);

        // Multi-label, uneven class sizes, weighted average, against counts made here.
        const int samples = 97, classes = 4;
        var random = new Random(11);
        var outputs = new float[samples * classes];
        var targets = new float[samples * classes];
        for (var i = 0; i < outputs.Length; i++)
        {
            targets[i] = random.NextDouble() < 0.2 + 0.15 * (i % classes) ? 1f : 0f;
            outputs[i] = (float)Math.Clamp(targets[i] * 0.4 + random.NextDouble() * 0.6, 0, 1);
        }

        var metric = new F1Score(F1Average.Weighted, threshold: 0.45f);
        metric.Update(outputs.AsSpan(0, 40 * classes), targets.AsSpan(0, 40 * classes), batch: 40);
        metric.Update(outputs.AsSpan(40 * classes), targets.AsSpan(40 * classes), batch: samples - 40);
        double weightedSum = 0, supportSum = 0;
        for (var c = 0; c < classes; c++)
        {
            int tp = 0, fp = 0, fn = 0, support = 0;
            for (var s = 0; s < samples; s++)
            {
                var p = outputs[s * classes + c] > 0.45f;
                var y = targets[s * classes + c] == 1f;
                if (p && y) tp++;
                else if (p) fp++;
                else if (y) fn++;
                if (y) support++;
            }

            weightedSum += support * (2.0 * tp / (2 * tp + fp + fn));
            supportSum += support;
        }

        Assert.Equal(weightedSum / supportSum, metric.Result(), 1e-6);
        Assert.Throws<ArgumentOutOfRangeException>(() => new F1Score(threshold: 0f));
        Assert.Contains("sample 1 of the batch", Assert.Throws<ArgumentException>(() => new F1Score().Update([0.1f, 0.9f, 0.2f, 0.8f], [1f, 2f], batch: 2)).Message);
    }

    [Fact]
    public void Confusion_matrix_matches_scikit_learns_example_and_prints_a_table()
    {
        // scikit-learn's confusion_matrix example: y_true [2, 0, 2, 2, 0, 1], y_pred [0, 0, 2, 2, 0, 2]
        // → [[2, 0, 0], [0, 0, 1], [1, 0, 2]] (rows actual, columns predicted).
        int[] actual = [2, 0, 2, 2, 0, 1];
        int[] predicted = [0, 0, 2, 2, 0, 2];
        var outputs = new float[18];
        var targets = new float[6];
        for (var s = 0; s < 6; s++)
        {
            for (var c = 0; c < 3; c++) outputs[s * 3 + c] = c == predicted[s] ? 0.8f : 0.1f;
            targets[s] = actual[s];
        }

        var matrix = ConfusionMatrix.Compute(outputs, targets, samples: 6);
        Assert.Equal(new long[,] { { 2, 0, 0 }, { 0, 0, 1 }, { 1, 0, 2 } }, matrix.ToArray());
        Assert.Equal(6, matrix.Total);
        Assert.Equal(4.0 / 6, matrix.Accuracy, 12);
        Assert.Equal(
            "actual \\ predicted 0 1 2\n" +
            "                 0 2 0 0\n" +
            "                 1 0 0 1\n" +
            "                 2 1 0 2\n", matrix.ToString());

        var binary = ConfusionMatrix.Compute([0.9f, 0.2f, 0.6f, 0.4f], [1f, 0f, 0f, 1f], samples: 4);
        Assert.Equal(new long[,] { { 1, 1 }, { 1, 1 } }, binary.ToArray());
        Assert.Contains("3 classes", Assert.Throws<ArgumentException>(() => new ConfusionMatrix(3).Update([0.5f, 0.5f], [1f], batch: 1)).Message);
        Assert.Contains("Sample 0", Assert.Throws<ArgumentException>(() => new ConfusionMatrix(3).Update([0.5f, 0.2f, 0.3f], [3f], batch: 1)).Message);
    }

    [Fact]
    public void The_new_metrics_come_by_keras_name_and_clone_with_their_settings()
    {
        Assert.IsType<RootMeanSquaredError>(Metric.FromName("root_mean_squared_error"));
        Assert.IsType<RootMeanSquaredError>(Metric.FromName("rmse"));
        Assert.IsType<MeanSquaredError>(Metric.FromName("mse"));
        Assert.IsType<R2Score>(Metric.FromName("r2_score"));
        Assert.Equal(F1Average.Macro, Assert.IsType<F1Score>(Metric.FromName("f1_score")).Average);
        var f1 = Assert.IsType<F1Score>(new F1Score(F1Average.Micro, 0.3f).Clone());
        Assert.Equal((F1Average.Micro, (float?)0.3f), (f1.Average, f1.Threshold));
        Assert.Equal(R2Aggregation.VarianceWeightedAverage, Assert.IsType<R2Score>(new R2Score(R2Aggregation.VarianceWeightedAverage).Clone()).Aggregation);
    }

    [Fact]
    public void Updates_allocate_nothing_after_the_first()
    {
        float[] outputs = [0.2f, 0.7f, 0.1f, 0.6f, 0.3f, 0.1f];
        float[] targets = [0f, 1f, 0f, 1f, 0f, 0f];
        Metric[] metrics = [new RootMeanSquaredError(), new R2Score(), new F1Score(), new F1Score(F1Average.Weighted, 0.5f)];
        var matrix = new ConfusionMatrix(3);
        foreach (var metric in metrics) metric.Update(outputs, targets, batch: 2);
        var allocated = ThreadAllocation.Least(() =>
        {
            for (var i = 0; i < 10; i++)
            {
                foreach (var metric in metrics) metric.Update(outputs, targets, batch: 2);
                matrix.Update(outputs, targets, batch: 2);
            }
        });
        Assert.Equal(0, allocated);
    }
}
