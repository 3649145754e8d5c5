using DeepGen.Tests.Shared;
namespace DeepGen.Runtime.Tests.Training;

public class MetricTests
{
    [Fact]
    public void Accuracy_resolves_binary_sparse_and_categorical_from_the_shapes_as_keras_does()
    {
        var binary = new Accuracy();
        binary.Update([0.9f, 0.2f, 0.6f, 0.4f], [1f, 0f, 0f, 1f], batch: 4);
        Assert.Equal(0.5, binary.Result());

        var sparse = new Accuracy();
        sparse.Update([0.1f, 0.7f, 0.2f, 0.5f, 0.3f, 0.2f], [1f, 2f], batch: 2);
        Assert.Equal(0.5, sparse.Result());

        var categorical = new Accuracy();
        categorical.Update([0.1f, 0.7f, 0.2f, 0.5f, 0.3f, 0.2f], [0f, 1f, 0f, 1f, 0f, 0f], batch: 2);
        Assert.Equal(1.0, categorical.Result());
        Assert.Equal("accuracy", categorical.Name);
    }

    [Fact]
    public void Metrics_accumulate_over_batches_and_reset()
    {
        var metric = new CategoricalAccuracy();
        metric.Update([0.9f, 0.1f], [1f, 0f], batch: 1);
        metric.Update([0.9f, 0.1f, 0.2f, 0.8f, 0.6f, 0.4f], [0f, 1f, 0f, 1f, 0f, 1f], batch: 3);
        Assert.Equal(2.0 / 4, metric.Result());
        metric.Reset();
        Assert.Equal(0, metric.Result());
        metric.Update([0.2f, 0.8f], [0f, 1f], batch: 1);
        Assert.Equal(1.0, metric.Result());
    }

    [Fact]
    public void Sparse_categorical_and_binary_accuracy()
    {
        var sparse = new SparseCategoricalAccuracy();
        sparse.Update([0.1f, 0.6f, 0.3f, 0.8f, 0.1f, 0.1f, 0.3f, 0.3f, 0.4f], [1f, 0f, 0f], batch: 3);
        Assert.Equal(2.0 / 3, sparse.Result(), 12);
        Assert.Contains("not a whole number in [0, 3)", Assert.Throws<ArgumentException>(() => sparse.Update([0.1f, 0.6f, 0.3f], [3f], 1)).Message);

        var binary = new BinaryAccuracy(threshold: 0.7f);
        binary.Update([0.8f, 0.6f, 0.9f, 0.1f], [1f, 1f, 0f, 0f], batch: 2);
        Assert.Equal(0.5, binary.Result());
    }

    [Fact]
    public void Top_k_counts_the_target_among_the_k_largest_with_ties_in_its_favour()
    {
        float[] outputs = [0.1f, 0.5f, 0.4f, /* */ 0.3f, 0.3f, 0.4f];
        var top1 = new SparseTopKCategoricalAccuracy(k: 1);
        top1.Update(outputs, [2f, 0f], batch: 2);
        Assert.Equal(0, top1.Result());
        var top2 = new SparseTopKCategoricalAccuracy(k: 2);
        top2.Update(outputs, [2f, 0f], batch: 2);
        Assert.Equal(1.0, top2.Result());

        var dense = new TopKCategoricalAccuracy(k: 2);
        dense.Update(outputs, [1f, 0f, 0f, 0f, 1f, 0f], batch: 2);
        Assert.Equal(0.5, dense.Result()); // class 0 (0.1) is last in the first row; class 1 ties for second in the second
        Assert.Throws<ArgumentOutOfRangeException>(() => new TopKCategoricalAccuracy(k: 0));
    }

    [Fact]
    public void Precision_and_recall_count_thresholded_outputs()
    {
        float[] outputs = [0.6f, 0.4f, 0.7f, 0.9f, 0.2f, 0.55f];
        float[] targets = [0f, 1f, 1f, 1f, 0f, 0f];
        var precision = new Precision();
        var recall = new Recall();
        precision.Update(outputs, targets, batch: 6);
        recall.Update(outputs, targets, batch: 6);
        Assert.Equal(2.0 / 4, precision.Result(), 12); // TP 0.7, 0.9; FP 0.6, 0.55
        Assert.Equal(2.0 / 3, recall.Result(), 12); // FN 0.4

        var strict = new Precision(threshold: 0.65f);
        strict.Update(outputs, targets, batch: 6);
        Assert.Equal(1.0, strict.Result());
        Assert.Equal(0, new Recall().Result());
    }

    [Fact]
    public void Auc_matches_keras_on_its_documented_example()
    {
        // Keras's AUC docstring: num_thresholds=3, y_true [0, 0, 1, 1], y_pred [0, 0.5, 0.3, 0.9] gives 0.75.
        var auc = new Auc(thresholds: 3);
        auc.Update([0f, 0.5f, 0.3f, 0.9f], [0f, 0f, 1f, 1f], batch: 4);
        Assert.Equal(0.75, auc.Result(), 12);
    }

    [Fact]
    public void Auc_with_200_thresholds_approximates_the_exact_area()
    {
        var random = new Random(3);
        var outputs = new float[2000];
        var targets = new float[2000];
        for (var i = 0; i < outputs.Length; i++)
        {
            targets[i] = random.Next(2);
            outputs[i] = (float)Math.Clamp(0.5 + (targets[i] - 0.5) * 0.4 + random.NextDouble() * 0.6 - 0.3, 0, 1);
        }

        var auc = new Auc();
        for (var start = 0; start < outputs.Length; start += 128)
        {
            var batch = Math.Min(128, outputs.Length - start);
            auc.Update(outputs.AsSpan(start, batch), targets.AsSpan(start, batch), batch);
        }

        // Exact: the probability that a random positive scores above a random negative (ties count half).
        double wins = 0;
        long pairs = 0;
        for (var p = 0; p < outputs.Length; p++)
        {
            if (targets[p] != 1f) continue;
            for (var n = 0; n < outputs.Length; n++)
            {
                if (targets[n] != 0f) continue;
                pairs++;
                wins += outputs[p] > outputs[n] ? 1 : outputs[p] == outputs[n] ? 0.5 : 0;
            }
        }

        var exact = wins / pairs;
        Assert.InRange(exact, 0.7, 0.99);
        Assert.Equal(exact, auc.Result(), 0.005);
    }

    [Fact]
    public void Mean_absolute_error_is_the_mean_over_every_output()
    {
        var mae = new MeanAbsoluteError();
        mae.Update([1f, 2f, 3f, 4f], [1.5f, 2f, 2f, 4f], batch: 2);
        mae.Update([0f, 0f], [1f, -1f], batch: 1);
        Assert.Equal((0.5 + 0 + 1 + 0 + 1 + 1) / 6, mae.Result(), 12);
        Assert.False(mae.HigherIsBetter);
        Assert.Contains("needs one target per output", Assert.Throws<ArgumentException>(() => mae.Update([1f, 2f], [1f], 1)).Message);
    }

    [Fact]
    public void Names_resolve_and_clones_start_empty_with_the_same_settings()
    {
        Assert.IsType<Accuracy>(Metric.FromName("acc"));
        Assert.IsType<MeanAbsoluteError>(Metric.FromName("mae"));
        Assert.Equal(5, Assert.IsType<SparseTopKCategoricalAccuracy>(Metric.FromName("sparse_top_k_categorical_accuracy")).K);
        Assert.Contains("is not a metric DeepGen knows", Assert.Throws<ArgumentException>(() => Metric.FromName("f1")).Message);

        var precision = new Precision(threshold: 0.3f);
        precision.Update([0.4f], [1f], 1);
        var clone = Assert.IsType<Precision>(precision.Clone());
        Assert.Equal(0.3f, clone.Threshold);
        Assert.Equal(0, clone.Result());
        Assert.Equal(200, ((Auc)new Auc().Clone()).Thresholds);
    }

    [Fact]
    public void Updates_allocate_nothing()
    {
        Metric[] metrics = [new Accuracy(), new CategoricalAccuracy(), new TopKCategoricalAccuracy(2), new Precision(), new Recall(), new Auc(), new MeanAbsoluteError(), new BinaryAccuracy()];
        var outputs = new float[64 * 4];
        var targets = new float[64 * 4];
        for (var i = 0; i < outputs.Length; i++)
        {
            outputs[i] = i % 7 / 7f;
            targets[i] = i % 4 == 0 ? 1f : 0f;
        }

        foreach (var metric in metrics) metric.Update(outputs, targets, 64);
        Assert.Equal(0, ThreadAllocation.Least(() =>
        {
            foreach (var metric in metrics)
            {
                metric.Reset();
                metric.Update(outputs, targets, 64);
                _ = metric.Result();
            }
        }));
    }
}
