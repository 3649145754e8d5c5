using System.Diagnostics;
using DeepGen;
using DeepGen.Data;
using DeepGen.Samples.Mnist;

namespace DeepGen.Probes;

/// <summary>
/// The seed lecture's exercise, answered with data: the same recipe at batch sizes 1 to 10,000, each trained for the
/// same wall-clock budget. Larger batches turn many small vector-matrix products into few matrix-matrix products,
/// which is what parallel hardware is good at; smaller batches take more, noisier steps per epoch.
/// </summary>
internal static class BatchSizeSweep
{
    public static readonly int[] BatchSizes = [1, 10, 100, 1_000, 10_000];

    public static void Run(MnistData data, float[] yTrain, float[] yTest, ProbeOptions options, TimeSpan budget)
    {
        Console.WriteLine($"Batch-size sweep: {budget.TotalSeconds:0} s of training per batch size, SGD {options.LearningRate}, MSE, seed {options.Seed}");
        Console.WriteLine($"{"batch",6}  {"s/epoch",8}  {"epochs",7}  {"steps",8}  {"train loss",10}  {"test acc",8}");
        foreach (var batchSize in BatchSizes)
        {
            var result = Train(data, yTrain, yTest, options, batchSize, budget);
            Console.WriteLine($"{batchSize,6}  {result.SecondsPerEpoch,8:0.000}  {result.Epochs,7:0.00}  {result.Steps,8}  {result.TrainLoss,10:0.0000}  {result.TestAccuracy,8:0.0000}");
        }
    }

    private static (double SecondsPerEpoch, double Epochs, long Steps, double TrainLoss, float TestAccuracy) Train(
        MnistData data, float[] yTrain, float[] yTest, ProbeOptions options, int batchSize, TimeSpan budget)
    {
        const int inputs = MnistMlp.InputSize, outputs = MnistMlp.OutputSize;
        var model = new MnistMlp(options.Seed);
        var optimizer = new Sgd(options.LearningRate);
        var order = Enumerable.Range(0, data.TrainCount).ToArray();
        var x = new float[batchSize * inputs];
        var y = new float[batchSize * outputs];
        var random = new Random(options.Seed);
        long samples = 0, steps = 0;
        double recentLoss = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < budget)
        {
            random.Shuffle(order);
            for (var start = 0; start + batchSize <= order.Length && clock.Elapsed < budget; start += batchSize)
            {
                for (var i = 0; i < batchSize; i++)
                {
                    data.TrainImages.AsSpan(order[start + i] * inputs, inputs).CopyTo(x.AsSpan(i * inputs));
                    yTrain.AsSpan(order[start + i] * outputs, outputs).CopyTo(y.AsSpan(i * outputs));
                }

                var loss = model.TrainStep(x, y, batchSize, Loss.MeanSquaredError, optimizer);
                recentLoss = steps == 0 ? loss : 0.99 * recentLoss + 0.01 * loss; // smoothed: single steps are noisy
                samples += batchSize;
                steps++;
            }
        }

        var seconds = clock.Elapsed.TotalSeconds;
        var epochs = (double)samples / data.TrainCount;
        var (_, accuracy) = model.Evaluate(data.TestImages, yTest, batchSize: 1000, Loss.MeanSquaredError);
        return (seconds / epochs, epochs, steps, recentLoss, accuracy);
    }
}
