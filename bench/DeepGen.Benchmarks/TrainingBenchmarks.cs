using BenchmarkDotNet.Attributes;
using DeepGen;

namespace DeepGen.Benchmarks;

/// <summary>
/// Training the seed network with the seed recipe (MSE, SGD 0.1, batch 100): one step, and one full epoch of
/// <see cref="SequentialModel.Fit"/> over 60,000 samples. The step is the baseline, so the epoch's ratio is the
/// number of steps' worth of time it takes (600 steps plus shuffling, gathering and accuracy bookkeeping).
/// </summary>
/// <remarks>
/// An epoch takes about a second, so this class runs few iterations (BenchmarkDotNet picks one invocation per
/// iteration by itself for an operation that long). The step must allocate 0 bytes: see the Allocated column.
/// </remarks>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class TrainingBenchmarks
{
    public const int BatchSize = 100;

    private readonly Loss _loss = Loss.MeanSquaredError;
    private readonly Sgd _optimizer = new(learningRate: 0.1f);
    private SeedMlp _model = null!;
    private float[] _x = [];
    private float[] _y = [];
    private SyntheticMnist _train = null!;

    [GlobalSetup(Target = nameof(TrainStep))]
    public void SetupStep()
    {
        var data = new SyntheticMnist(BatchSize, seed: 3);
        _x = data.Images;
        _y = data.Labels;
        _model = new SeedMlp(seed: 1);
        _model.TrainStep(_x, _y, BatchSize, _loss, _optimizer); // buffers for batch 100 exist from here on
    }

    [GlobalSetup(Target = nameof(Epoch))]
    public void SetupEpoch()
    {
        _train = SyntheticMnist.Train;
        _model = new SeedMlp(seed: 1);
    }

    /// <summary>One training step on 100 samples: forward, loss gradient, backward, SGD update.</summary>
    [Benchmark(Baseline = true)]
    public float TrainStep() => _model.TrainStep(_x, _y, BatchSize, _loss, _optimizer);

    /// <summary>One epoch: 600 shuffled steps of 100 over 60,000 samples, silent.</summary>
    [Benchmark]
    public History Epoch() =>
        _model.Fit(_train.Images, _train.Labels, epochs: 1, batchSize: BatchSize, _loss, _optimizer,
            shuffle: true, seed: 1, verbosity: Verbosity.Silent);
}
