using DeepGen.Cpu;
using DeepGen.Tests.Shared;
using static DeepGen.Runtime.Tests.Cpu.Transformer.SequenceKernelTests;

namespace DeepGen.Runtime.Tests.Cpu.Transformer;

/// <summary>The transformer kernels give the same bits on one and two threads, and allocate nothing once warm.</summary>
[Collection(ThreadSettingsCollection.Name)]
public class TransformerThreadTests
{
    // Large enough that every stage splits over threads: attention 4 × 4 units, products over 2^20 multiply-adds,
    // 180 rows of layer normalization.
    private static readonly EncoderShape Shape = new(96, 4, 192, Activation.Gelu, 1e-12f);
    private const int Batch = 4, Sequence = 45;

    private sealed class Pass
    {
        public readonly EncoderShape S;
        public readonly float[] Parameters, X, Dy, Y, Inference, Kept, Scratch, InferenceScratch, Gradients, Dx;
        public readonly int[] Mask;

        public Pass(EncoderShape s)
        {
            S = s;
            var size = Batch * Sequence * s.Hidden;
            Parameters = TransformerEncoderKernelTests.Parameters(s, seed: 7);
            X = NaiveKernels.Random(size, 8, -1.5f, 1.5f);
            Dy = NaiveKernels.Random(size, 9);
            Mask = TransformerEncoderKernelTests.PaddingMask(Batch, Sequence);
            (Y, Inference, Dx) = (Filled(size), Filled(size), Filled(size));
            Kept = Filled((int)s.KeptFloats(Batch, Sequence));
            Scratch = Filled((int)s.BackwardScratchFloats(Batch, Sequence));
            InferenceScratch = Filled((int)s.InferenceScratchFloats(Batch, Sequence));
            Gradients = Filled(Parameters.Length);
        }

        public void Run()
        {
            TransformerEncoderKernels.Forward(S, Parameters, Inference, X, Mask, Batch, Sequence, InferenceScratch, training: false);
            TransformerEncoderKernels.Forward(S, Parameters, Y, X, Mask, Batch, Sequence, Kept, training: true);
            TransformerEncoderKernels.Backward(S, Parameters, Gradients, Dx, Dy, X, Kept, Mask, Batch, Sequence, Scratch);
        }
    }

    [Theory]
    [InlineData(Activation.Gelu)]
    [InlineData(Activation.Relu)]
    public void One_and_two_threads_give_the_same_bits(Activation activation)
    {
        var s = new EncoderShape(Shape.Hidden, Shape.Heads, Shape.FeedForward, activation, Shape.Epsilon);
        var one = WithThreads(1, () =>
        {
            var pass = new Pass(s);
            pass.Run();
            return pass;
        });
        var workerUnits = 0L;
        for (var repeat = 0; repeat < 3; repeat++)
        {
            var before = WorkerPool.Shared.UnitsRunByWorkers;
            var two = WithThreads(2, () =>
            {
                var pass = new Pass(s);
                pass.Run();
                return pass;
            });
            workerUnits += WorkerPool.Shared.UnitsRunByWorkers - before;
            FiniteDifferences.AssertBitwise(one.Inference, two.Inference, "inference output");
            FiniteDifferences.AssertBitwise(one.Y, two.Y, "training output");
            var kept = (int)KeptData(s);
            FiniteDifferences.AssertBitwise(one.Kept[..kept], two.Kept[..kept], "kept");
            FiniteDifferences.AssertBitwise(one.Gradients, two.Gradients, "gradients");
            FiniteDifferences.AssertBitwise(one.Dx, two.Dx, "input gradient");
        }

        if (WorkerPool.Shared.MaxThreads >= 2)
            Assert.True(workerUnits > 0, "No unit of the two-thread runs ran on a worker thread: they used one thread.");
    }

    [Fact]
    public void Steady_state_passes_allocate_nothing()
    {
        const int width = 96;
        var tokens = Batch * Sequence;
        var pass = new Pass(Shape);
        var (ids, types) = (Enumerable.Range(0, tokens).Select(i => i % 50).ToArray(), Enumerable.Range(0, tokens).Select(i => i % 2).ToArray());
        var (table, positions, typeTable) = (NaiveKernels.Random(50 * width, 1), NaiveKernels.Random(Sequence * width, 2), NaiveKernels.Random(2 * width, 3));
        var (dTable, dPositions, dTypes) = (new float[table.Length], new float[positions.Length], new float[typeTable.Length]);
        var (embedded, normalized, inverse, pooled, unit, dPooled, dx) =
            (new float[tokens * width], new float[tokens * width], new float[tokens], new float[Batch * width], new float[Batch * width], new float[Batch * width], new float[tokens * width]);
        var (gamma, beta, dGamma, dBeta) = (new float[width], new float[width], new float[width], new float[width]);

        void Everything()
        {
            pass.Run();
            EmbeddingKernels.Forward(embedded, ids, types, table, positions, typeTable, Batch, Sequence, width);
            EmbeddingKernels.Backward(dTable, dPositions, dTypes, embedded, ids, types, Batch, Sequence, width);
            LayerNormalizationKernels.Forward(pass.Inference, normalized, inverse, embedded, pass.Y, gamma, beta, tokens, width, 1e-12f);
            LayerNormalizationKernels.Backward(dx, dGamma, dBeta, pass.Dy, normalized, inverse, gamma, tokens, width);
            SequencePoolingKernels.MaskedMeanForward(pooled, pass.Y, pass.Mask, Batch, Sequence, width);
            SequencePoolingKernels.L2NormalizeForward(unit, pooled, Batch, width);
            SequencePoolingKernels.L2NormalizeBackward(dPooled, unit, pooled, unit, Batch, width);
            SequencePoolingKernels.MaskedMeanBackward(dx, dPooled, pass.Mask, Batch, Sequence, width);
        }

        foreach (var threads in new[] { 1, 2 })
        {
            WithThreads(threads, () =>
            {
                Everything(); // warm-up: the jobs for this thread
                Assert.Equal(0, ThreadAllocation.Least(Everything));
                return 0;
            });
        }
    }

    /// <summary>Floats of <c>kept</c> before the per-thread attention scratch, which holds whatever a thread left there.</summary>
    private static long KeptData(in EncoderShape s) => new EncoderShape.KeptLayout(s, Batch, Sequence).Slots;

    private static T WithThreads<T>(int threads, Func<T> action)
    {
        var previous = CpuBackend.MaxDegreeOfParallelism;
        CpuBackend.MaxDegreeOfParallelism = threads;
        try
        {
            return action();
        }
        finally
        {
            CpuBackend.MaxDegreeOfParallelism = previous;
        }
    }
}
