namespace DeepGen.Runtime.Tests.Training;

/// <summary>Keras 3's progress lines on a fixed clock: the elapsed time is an argument, so nothing sleeps.</summary>
public class Keras3ProgressLineTests
{
    private static readonly KeyValuePair<string, double>[] Figures = [new("loss", 0.219), new("accuracy", 0.9311)];

    [Fact]
    public void The_finished_bar_is_keras_3s_with_the_figures_in_name_order()
    {
        // 3.2 s over 469 steps: 6.8 ms a step, printed whole.
        var line = ProgressBar.Keras3Line(469, 469, TimeSpan.FromSeconds(3.2), Figures, finished: true, colour: false);
        Assert.Equal("469/469 ━━━━━━━━━━━━━━━━━━━━ 3s 7ms/step - accuracy: 0.9311 - loss: 0.2190", line);
        var epoch = ProgressBar.Keras3EpochLine(469, 469, TimeSpan.FromSeconds(3.2), Figures);
        Assert.Equal("469/469 - 3s - 7ms/step - accuracy: 0.9311 - loss: 0.2190", epoch);
    }

    [Fact]
    public void During_the_epoch_the_bar_shows_the_time_left_and_colours_the_progress()
    {
        // 30 of 469 steps in 1 s: 1 of 20 blocks done, 33 ms a step, 439 × 1/30 s = 14.6 s left (truncated as Keras does).
        var line = ProgressBar.Keras3Line(30, 469, TimeSpan.FromSeconds(1), Figures, finished: false, colour: true);
        Assert.Equal(" 30/469 \x1b[32m━\x1b[0m\x1b[37m" + new string('━', 19) + "\x1b[0m 14s 33ms/step - accuracy: 0.9311 - loss: 0.2190", line);
        Assert.Contains(" 1:05 ", ProgressBar.Keras3Line(1, 14, TimeSpan.FromSeconds(5), [], finished: false, colour: false)); // 65 s left
        Assert.Contains(" 1:01:00 ", ProgressBar.Keras3Line(1, 62, TimeSpan.FromSeconds(60), [], finished: false, colour: false)); // 61 × 60 s = 3,660 s left
        Assert.StartsWith("0/4 " + new string('━', 20) + " 0s 0s/step", ProgressBar.Keras3Line(0, 4, TimeSpan.Zero, [], finished: false, colour: false));
    }

    [Theory]
    [InlineData(2.5, 1, "2s 2s/step")] // Python rounds half to even
    [InlineData(3.5, 1, "4s 4s/step")]
    [InlineData(1.0, 2000, "1s 500us/step")]
    [InlineData(60.0, 30, "60s 2s/step")]
    public void Times_round_and_change_unit_as_keras_3s(double seconds, int steps, string expected)
    {
        var line = ProgressBar.Keras3Line(steps, steps, TimeSpan.FromSeconds(seconds), [], finished: true, colour: false);
        Assert.EndsWith(" " + expected, line);
    }

    [Fact]
    public void Small_values_go_to_exponent_form_as_keras_3s()
    {
        KeyValuePair<string, double>[] values = [new("loss", 0.0005), new("r2_score", -0.5), new("mean_absolute_error", 0.001)];
        var bar = ProgressBar.Keras3Line(1, 1, TimeSpan.FromSeconds(1), values, finished: true, colour: false);
        Assert.EndsWith(" - loss: 5.0000e-04 - mean_absolute_error: 1.0000e-03 - r2_score: -0.5000", bar);
        // Keras's verbose=2 line compares the value itself, not its size, so a negative one goes to exponent form.
        var epoch = ProgressBar.Keras3EpochLine(1, 1, TimeSpan.FromSeconds(1), values);
        Assert.EndsWith(" - loss: 5.0000e-04 - mean_absolute_error: 1.0000e-03 - r2_score: -5.0000e-01", epoch);
    }

    [Fact]
    public void Validation_figures_come_after_the_training_ones()
    {
        KeyValuePair<string, double>[] values = [new("loss", 0.4), new("top_k_categorical_accuracy", 0.9), new("val_loss", 0.5), new("val_top_k_categorical_accuracy", 0.8)];
        var line = ProgressBar.Keras3EpochLine(2, 2, TimeSpan.FromSeconds(1), values);
        Assert.EndsWith("- loss: 0.4000 - top_k_categorical_accuracy: 0.9000 - val_loss: 0.5000 - val_top_k_categorical_accuracy: 0.8000", line);
    }

    [Fact]
    public void A_redirected_bar_writes_the_finished_lines_only_counting_steps()
    {
        foreach (var (verbosity, expected) in new[]
        {
            (Verbosity.ProgressBar, "13/13 ━━━━━━━━━━━━━━━━━━━━ 1s 100ms/step - accuracy: 0.5000 - loss: 0.2500"),
            (Verbosity.OneLinePerEpoch, "13/13 - 1s - 100ms/step - accuracy: 0.5000 - loss: 0.2500"),
            (Verbosity.Keras2ProgressBar, "125/125 [==============================] - 1s 10400us/step - loss: 0.2500 - accuracy: 0.5000"),
        })
        {
            var output = new StringWriter();
            var bar = new ProgressBar(output, verbosity, interactive: false, batchSize: 10); // 125 samples: 12 full batches and one of 5
            bar.BeginEpoch(1, 3);
            Assert.False(bar.ShouldRedraw());
            bar.EndEpoch(125, 125, TimeSpan.FromSeconds(1.3), [new("loss", 0.25), new("accuracy", 0.5)]);
            Assert.Equal("Epoch 1/3\n" + expected + "\n", output.ToString().Replace("\r\n", "\n"));
        }

        var silent = new StringWriter();
        var quiet = new ProgressBar(silent, Verbosity.Silent, interactive: true);
        quiet.BeginEpoch(1, 1);
        quiet.EndEpoch(1, 1, TimeSpan.FromSeconds(1), Figures);
        Assert.Equal("", silent.ToString());
    }
}
