using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using DeepGen.Onnx;
using DeepGen.Samples.SentenceEmbeddings;
using DeepGen.Samples;
using DeepGen.Tests.MiniLm;
using DeepGen.Text;
using Microsoft.ML.OnnxRuntime;
using System.Globalization;

namespace DeepGen.Benchmarks;

/// <summary>
/// Sentence embeddings with all-MiniLM-L6-v2: DeepGen's generated model against ONNX Runtime 1.31.1 running the same
/// <c>model.onnx</c> (intra-op threads = cores, all graph optimizations), on the same token ids, both mean-pooling and
/// L2-normalizing. ONNX Runtime is the baseline, so DeepGen's Ratio is its time as a fraction of ONNX Runtime's.
/// </summary>
/// <remarks>
/// The sentences are real ones (the license texts of Debian's base-files, as the parity test uses): for each point the
/// <see cref="Batch"/> sentences whose token counts are nearest <see cref="Tokens"/>, padded to the longest, exactly
/// as <see cref="SentenceEncoder"/> batches them. ONNX Runtime's inputs and output are pre-allocated and bound once;
/// its mean pooling and normalization (in C#, over <c>last_hidden_state</c>) are timed with it, as a user of the
/// graph must do them. At setup both run once and must agree to a cosine of 0.99999 for every sentence.
/// <see cref="Tokenize"/> times the tokenizer alone on the same texts: it is the same for both engines.
/// </remarks>
[MemoryDiagnoser]
[Gflops]
[Config(typeof(Config))]
public class SentenceEmbeddingBenchmarks
{
    private const int Hidden = 384, FeedForward = 1536, Layers = 6, Heads = 12;

    private MiniLmL6 _model = null!;
    private BertTextTokenizer _tokenizer = null!;
    private string[] _texts = [];
    private int[] _ids = [], _mask = [], _types = [];
    private int _sequence;
    private float[] _deepGen = [], _onnxRuntime = [], _hidden = [];
    private long[] _ortIds = [], _ortMask = [], _ortTypes = [];
    private InferenceSession? _session;
    private SessionOptions? _options;
    private RunOptions? _runOptions;
    private OrtIoBinding? _binding;
    private OrtValue[] _values = [];

    /// <summary>Sentences per call.</summary>
    [Params(1, 8, 32)]
    public int Batch { get; set; }

    /// <summary>Tokens per sentence, about ([CLS] and [SEP] included).</summary>
    [Params(8, 128)]
    public int Tokens { get; set; }

    /// <summary>
    /// The encoder's FLOPs on the padded batch, 2 per multiply-add: per token and layer the six products (4·H² + 2·H·F)
    /// and attention's two (2·sequence·H).
    /// </summary>
    public static double Flops(BenchmarkCase benchmarkCase)
    {
        var batch = (int)benchmarkCase.Parameters["Batch"];
        var tokens = (int)benchmarkCase.Parameters["Tokens"];
        return 2.0 * batch * tokens * Layers * (4.0 * Hidden * Hidden + 2.0 * Hidden * FeedForward + 2.0 * tokens * Hidden);
    }

    [GlobalSetup]
    public void Setup()
    {
        _model = new MiniLmL6();
        using (var onnx = MiniLmResources.OpenModel()) _model.LoadWeights(BertOnnxWeights.Read(onnx));
        using (var vocabulary = MiniLmResources.OpenVocabulary()) _tokenizer = BertTextTokenizer.Create(vocabulary);

        // The Batch sentences nearest Tokens tokens long, longest first.
        _texts = [.. LicenseCorpus.Sentences
            .Select(text => (Text: text, Length: _tokenizer.Encode(text).Length))
            .OrderBy(pair => Math.Abs(pair.Length - Tokens)).ThenBy(pair => pair.Text, StringComparer.Ordinal)
            .Take(Batch).Select(pair => pair.Text)];
        var batches = TokenBatches.Create(_tokenizer, _texts, Batch);
        var batch = batches[0];
        (_ids, _mask, _types, _sequence) = (batch.Ids.ToArray(), batch.AttentionMask.ToArray(), batch.TokenTypes.ToArray(), batch.Sequence);
        Console.WriteLine($"// batch {Batch}: {batch.Batch} sentences padded to {_sequence} tokens (wanted about {Tokens})");

        _deepGen = new float[Batch * Hidden];
        _onnxRuntime = new float[Batch * Hidden];
        _hidden = new float[Batch * _sequence * Hidden];
        _ortIds = [.. _ids.Select(i => (long)i)];
        _ortMask = [.. _mask.Select(i => (long)i)];
        _ortTypes = [.. _types.Select(i => (long)i)];
        _options = new SessionOptions { IntraOpNumThreads = Environment.ProcessorCount, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        _session = new InferenceSession(MiniLmResources.ReadModel(), _options);
        _runOptions = new RunOptions();
        long[] shape = [Batch, _sequence];
        _values =
        [
            OrtValue.CreateTensorValueFromMemory(_ortIds, shape),
            OrtValue.CreateTensorValueFromMemory(_ortMask, shape),
            OrtValue.CreateTensorValueFromMemory(_ortTypes, shape),
            OrtValue.CreateTensorValueFromMemory(_hidden, [Batch, _sequence, Hidden]),
        ];
        _binding = _session.CreateIoBinding();
        _binding.BindInput("input_ids", _values[0]);
        _binding.BindInput("attention_mask", _values[1]);
        _binding.BindInput("token_type_ids", _values[2]);
        _binding.BindOutput(OnnxRuntimeEmbedder.OutputName, _values[3]);

        OnnxRuntime();
        DeepGen();
        var worst = 1.0;
        for (var s = 0; s < Batch; s++)
        {
            double dot = 0;
            for (var i = 0; i < Hidden; i++) dot += (double)_deepGen[s * Hidden + i] * _onnxRuntime[s * Hidden + i];
            worst = Math.Min(worst, dot);
        }

        if (!(worst >= 0.99999))
            throw new InvalidOperationException($"DeepGen and ONNX Runtime disagree: worst cosine {worst}. The benchmark would not compare the same computation.");
        Console.WriteLine($"// ONNX Runtime {OrtEnv.Instance().GetVersionString()} and DeepGen agree: worst cosine {worst:F9}");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _binding?.Dispose();
        foreach (var value in _values) value.Dispose();
        _runOptions?.Dispose();
        _session?.Dispose();
        _options?.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void OnnxRuntime()
    {
        _session!.RunWithBinding(_runOptions, _binding);
        OnnxRuntimeEmbedder.MeanPoolAndNormalize(_hidden, _mask, Batch, _sequence, Hidden, _onnxRuntime);
    }

    [Benchmark]
    public void DeepGen() => _model.Predict(new TokenBatch(_ids, _mask, _types, Batch, _sequence), _deepGen);

    /// <summary>WordPiece tokenization of the batch's texts (the same for both engines; not part of their times).</summary>
    [Benchmark]
    public int Tokenize()
    {
        var total = 0;
        foreach (var text in _texts) total += _tokenizer.Encode(text).Length;
        return total;
    }

    /// <summary>Sentences per second: the batch divided by the mean time.</summary>
    private sealed class SentencesPerSecondColumn : IColumn
    {
        public string Id => nameof(SentencesPerSecondColumn);
        public string ColumnName => "Sentences/s";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 1;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => "Sentences per second: Batch / mean time";
        public bool IsAvailable(Summary summary) => true;
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var mean = summary[benchmarkCase]?.ResultStatistics?.Mean; // nanoseconds
            return mean is > 0 ? ((int)benchmarkCase.Parameters["Batch"] * 1e9 / mean.Value).ToString("0", CultureInfo.InvariantCulture) : "-";
        }
    }

    private sealed class Config : ManualConfig
    {
        public Config() => AddColumn(new SentencesPerSecondColumn());
    }
}
