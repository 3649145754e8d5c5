namespace DeepGen.Runtime.Tests.Training;

public class EvaluationResultTests
{
    [Fact]
    public void Results_are_read_by_name_with_the_loss_among_them()
    {
        var result = new EvaluationResult(0.25f, [new("r2_score", 0.75f), new("root_mean_squared_error", 1.5f)]);
        Assert.Equal(0.25f, result["loss"]);
        Assert.Equal(0.75f, result["r2_score"]);
        Assert.True(result.TryGetValue("root_mean_squared_error", out var rmse));
        Assert.Equal(1.5f, rmse);
        Assert.False(result.TryGetValue("accuracy", out var missing));
        Assert.True(float.IsNaN(missing));
        Assert.Equal(["loss", "r2_score", "root_mean_squared_error"], result.Names);
        Assert.Equal(["r2_score", "root_mean_squared_error"], result.Metrics.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(1.5f, result.Metrics["root_mean_squared_error"]);
        Assert.Equal("loss: 0.2500 - r2_score: 0.7500 - root_mean_squared_error: 1.5000", result.ToString());
        var notThere = Assert.Throws<KeyNotFoundException>(() => result["f1_score"]);
        Assert.Equal("This evaluation measured no 'f1_score', only loss, r2_score, root_mean_squared_error.", notThere.Message);
    }

    [Fact]
    public void Accuracy_throws_naming_what_was_measured_instead_of_a_silent_nan()
    {
        var regression = new EvaluationResult(18324.147f, [new("r2_score", 0.5f)]);
        var error = Assert.Throws<InvalidOperationException>(() => regression.Accuracy);
        Assert.StartsWith("This evaluation measured no accuracy, only loss, r2_score.", error.Message);
        Assert.Throws<InvalidOperationException>(() =>
        {
            var (_, accuracy) = regression;
            return accuracy;
        });
        Assert.Throws<InvalidOperationException>(() => new EvaluationResult(1f).Accuracy);
        Assert.Equal("loss: 1.0000", new EvaluationResult(1f).ToString());
        Assert.Empty(default(EvaluationResult).Metrics);
    }

    [Fact]
    public void A_classifier_result_deconstructs_into_loss_and_accuracy()
    {
        var (loss, accuracy) = new EvaluationResult(0.5f, "accuracy", 0.9f);
        Assert.Equal((0.5f, 0.9f), (loss, accuracy));
        var listed = new EvaluationResult(0.5f, [new("precision", 0.8f), new("accuracy", 0.7f)]);
        Assert.Equal(0.7f, listed.Accuracy);
        Assert.Equal(["loss", "accuracy"], new EvaluationResult(0.5f, "accuracy", 0.9f).Names);
    }

    [Fact]
    public void Repeated_names_are_refused()
    {
        Assert.Contains("'loss'", Assert.Throws<ArgumentException>(() => new EvaluationResult(1f, [new("loss", 1f)])).Message);
        Assert.Contains("'auc'", Assert.Throws<ArgumentException>(() => new EvaluationResult(1f, [new("auc", 1f), new("auc", 2f)])).Message);
    }
}

/// <summary>Every branch of the rule that picks a run's metrics when it is given none.</summary>
public class DefaultMetricTests
{
    [Theory]
    [InlineData("categorical_crossentropy", 10, Activation.Softmax, "accuracy")]
    [InlineData("sparse_categorical_crossentropy", 10, Activation.Softmax, "accuracy")]
    [InlineData("categorical_crossentropy", 3, Activation.Linear, "accuracy")] // cross-entropy means classes, whatever the output
    [InlineData("binary_crossentropy", 1, Activation.Sigmoid, "accuracy")]
    [InlineData("binary_crossentropy", 5, Activation.Sigmoid, "binary_accuracy")] // independent labels
    [InlineData("mean_squared_error", 10, Activation.Softmax, "accuracy")] // the seed recipe
    [InlineData("mean_absolute_error", 2, Activation.Softmax, "accuracy")]
    [InlineData("huber", 4, Activation.Softmax, "accuracy")]
    [InlineData("mean_squared_error", 1, Activation.Linear, null)] // a regression
    [InlineData("mean_squared_error", 3, Activation.Linear, null)]
    [InlineData("mean_absolute_error", 1, Activation.Relu, null)]
    [InlineData("huber", 2, Activation.Linear, null)]
    [InlineData("mean_squared_error", 1, Activation.Sigmoid, null)]
    [InlineData("mean_squared_error", 1, Activation.Softmax, null)] // one softmax unit is the constant 1
    public void Accuracy_is_measured_by_default_only_where_it_means_something(string loss, int outputs, Activation activation, string? expected)
    {
        var metric = DefaultMetrics.Accuracy(LossNamed(loss), outputs, activation);
        Assert.Equal(expected, metric?.Name);
        Assert.Equal(expected == "accuracy" && outputs >= 2, DefaultMetrics.ArgMaxAccuracy(LossNamed(loss), outputs, activation));
    }

    private static Loss LossNamed(string name) => name switch
    {
        "categorical_crossentropy" => Loss.CategoricalCrossEntropy,
        "sparse_categorical_crossentropy" => Loss.SparseCategoricalCrossEntropy,
        "binary_crossentropy" => Loss.BinaryCrossEntropy,
        "mean_squared_error" => Loss.MeanSquaredError,
        "mean_absolute_error" => Loss.MeanAbsoluteError,
        "huber" => Loss.Huber,
        _ => throw new ArgumentException(name),
    };
}
