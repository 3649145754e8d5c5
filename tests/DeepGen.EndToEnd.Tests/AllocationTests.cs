using DeepGen.Cpu;
using DeepGen.EndToEnd.Tests.Models;

namespace DeepGen.EndToEnd.Tests;

/// <summary>After the first call for a batch size, training steps, predictions into a span and evaluations allocate nothing.</summary>
[Collection(ThreadSettingsCollection.Name)]
public class AllocationTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Training_step_allocates_nothing(int threads)
    {
        CpuBackend.MaxDegreeOfParallelism = threads;
        try
        {
            var model = new SeedMlp(seed: 1);
            var x = TestData.Uniform(100 * 784, 0f, 255f, seed: 1);
            var y = TestData.OneHot(100, 10, seed: 2);
            var optimizer = new Sgd(0.1f);
            for (var i = 0; i < 3; i++) model.TrainStep(x, y, 100, Loss.MeanSquaredError, optimizer);

            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 5; i++) model.TrainStep(x, y, 100, Loss.MeanSquaredError, optimizer);
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        finally
        {
            CpuBackend.MaxDegreeOfParallelism = Environment.ProcessorCount;
        }
    }

    [Fact]
    public void Predict_into_a_span_and_evaluate_allocate_nothing()
    {
        var model = new SeedMlp(seed: 1);
        var x = TestData.Uniform(250 * 784, 0f, 255f, seed: 1);
        var y = TestData.OneHot(250, 10, seed: 2);
        var predictions = new float[250 * 10];
        var single = new float[10];
        model.Predict(x, predictions, batchSize: 100);
        model.Predict(x.AsSpan(0, 784), single);
        model.Evaluate(x, y, batchSize: 32, loss: Loss.MeanSquaredError);

        var before = GC.GetAllocatedBytesForCurrentThread();
        model.Predict(x, predictions, batchSize: 100);
        model.Predict(x.AsSpan(0, 784), single);
        var result = model.Evaluate(x, y, batchSize: 32, loss: Loss.MeanSquaredError);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.InRange(result.Accuracy, 0f, 1f);
    }
}

/// <summary>Tests that change the process-wide thread setting run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public class ThreadSettingsCollection
{
    public const string Name = "Thread settings";
}
