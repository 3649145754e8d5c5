using System.Reflection;
using Microsoft.CodeAnalysis;

namespace DeepGen.Generator.Tests;

/// <summary>
/// The generated code of sequence models runs: compiled in memory, loaded, created, asked for predictions and
/// trained a few steps. This checks the wiring to the runtime (stages, offsets, kernel arguments); the numbers are
/// the runtime tests' business.
/// </summary>
public class SequenceGeneratedCodeTests
{
    /// <summary>A model with every option the emitter has a branch for: no position table, token types, two Dense layers (one without bias), a Relu encoder.</summary>
    private const string EveryOption = """
        using DeepGen;
        using static DeepGen.Activation;

        namespace Samples.Text;

        [Model(Vocabulary = 40, MaxSequence = 9)]
        [Embedding(12, TokenTypes = 3, Name = "Tokens")]
        [LayerNormalization]
        [TransformerEncoder(Layers = 2, Heads = 3, FeedForward = 10, Activation = Relu, Name = "Encoder")]
        [LayerNormalization(Epsilon = 1e-5f)]
        [MeanPooling(Name = "Pool")]
        [Dense(6, Tanh, UseBias = false)]
        [Dense(4)]
        [L2Normalize]
        public partial class EveryOption;
        """;

    public static TheoryData<string, string, int, int, int, int, int> Models => new()
    {
        // 30,522·384 + 512·384 + 2·384, 2·384, 6·EncoderLayerLayout(384, 1536) = 6 · 1,774,464.
        { TestModels.SentenceEncoder, "Samples.Text.SentenceEncoder", 30_522, 512, 384, 22_565_376, 10 },
        // 50·8 + 16·8, EncoderLayerLayout(8, 16) = 600, 8·2 + 2.
        { TestModels.SequenceClassifier, "Samples.Text.SequenceClassifier", 50, 16, 2, 528 + 600 + 18, 4 },
        // 40·12 + 3·12, 2·12, 2·EncoderLayerLayout(12, 10) = 2·934, 2·12, 12·6 (no bias), 6·4 + 4.
        { EveryOption, "Samples.Text.EveryOption", 40, 9, 4, 516 + 24 + 2 * 934 + 24 + 72 + 28, 9 },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void GeneratedSequenceModelPredicts(string source, string typeName, int vocabulary, int maxSequence, int outputSize, int parameterCount, int stages)
    {
        var type = Load(source).GetType(typeName, throwOnError: true)!;
        Assert.Equal(vocabulary, Constant(type, "Vocabulary"));
        Assert.Equal(maxSequence, Constant(type, "MaxSequence"));
        Assert.Equal(outputSize, Constant(type, "OutputSize"));
        Assert.Equal(parameterCount, Constant(type, "ParameterCount"));

        var model = Create(type, seed: 7);
        Assert.Equal(type.Name, model.Architecture.Name);
        Assert.Equal(parameterCount, model.Architecture.ParameterCount);
        Assert.Equal(stages, model.Architecture.StageCount);

        // Two sequences of 5 tokens, the second padded after 3.
        const int batch = 2, sequence = 5;
        var ids = new[] { 1, 7, 3, 9, 2, 4, 4, 8, 0, 0 };
        var mask = new[] { 1, 1, 1, 1, 1, 1, 1, 1, 0, 0 };
        var types = new[] { 0, 0, 0, 1, 1, 0, 1, 1, 0, 0 };
        if (!source.Contains("TokenTypes", StringComparison.Ordinal)) types = [];
        var predictions = model.Predict(new TokenBatch(ids, mask, types, batch, sequence));

        Assert.Equal(batch * outputSize, predictions.Length);
        Assert.All(predictions, p => Assert.True(float.IsFinite(p)));
        for (var row = 0; row < batch; row++)
        {
            var values = predictions.AsSpan(row * outputSize, outputSize).ToArray();
            if (source.Contains("[L2Normalize]", StringComparison.Ordinal))
                Assert.Equal(1f, MathF.Sqrt(values.Sum(v => v * v)), 1e-4f);
            if (source.Contains("Softmax", StringComparison.Ordinal))
                Assert.Equal(1f, values.Sum(), 1e-5f);
        }

        // The seed decides the weights; what the padding holds does not change a prediction.
        Assert.Equal(predictions, Create(type, seed: 7).Predict(new TokenBatch(ids, mask, types, batch, sequence)));
        Assert.NotEqual(predictions, Create(type, seed: 8).Predict(new TokenBatch(ids, mask, types, batch, sequence)));
        var otherPadding = (int[])ids.Clone();
        otherPadding[8] = otherPadding[9] = 5;
        Assert.Equal(predictions, model.Predict(new TokenBatch(otherPadding, mask, types, batch, sequence)), new ToleranceComparer(1e-5f));
    }

    /// <summary>A training step runs every generated backward method and lowers the loss on a fixed batch.</summary>
    [Theory]
    [InlineData(TestModels.SequenceClassifier, "Samples.Text.SequenceClassifier")]
    [InlineData(EveryOption, "Samples.Text.EveryOption")]
    public void GeneratedSequenceModelTrains(string source, string typeName)
    {
        var type = Load(source).GetType(typeName, throwOnError: true)!;
        var model = Create(type, seed: 3);
        var outputs = Constant(type, "OutputSize");
        const int batch = 4, sequence = 6;
        var ids = Enumerable.Range(0, batch * sequence).Select(i => i * 7 % 31 + 1).ToArray();
        var targets = new float[batch * outputs];
        for (var row = 0; row < batch; row++) targets[row * outputs + row % outputs] = 1f;
        var loss = source.Contains("Softmax", StringComparison.Ordinal) ? Loss.CategoricalCrossEntropy : Loss.MeanSquaredError;

        var losses = new List<float>();
        var optimizer = new Adam(0.01f);
        for (var step = 0; step < 20; step++)
            losses.Add(model.TrainStep(new TokenBatch(ids, batch, sequence), targets, loss, optimizer));

        Assert.All(losses, value => Assert.True(float.IsFinite(value), string.Join(", ", losses)));
        Assert.True(losses[^1] < losses[0], string.Join(", ", losses));
        Assert.Contains(model.Gradients.ToArray(), g => g != 0f);
    }

    /// <summary>
    /// The strictest build a user may have (every warning an error, nullable on, arithmetic checked): a sequence model
    /// compiles and emits cleanly in a CPU-only project and in one that references DeepGen.Gpu, where it gets no GPU
    /// file and an Info DG0100 naming its embedding.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SequenceModelsCompileUnderWarningsAsErrors(bool gpu)
    {
        var run = GeneratorHarness.RunStrictest(gpu, TestModels.SentenceEncoder, TestModels.SequenceClassifier, EveryOption);
        Assert.Equal(
            ["Samples.Text.EveryOption.g.cs", "Samples.Text.SentenceEncoder.g.cs", "Samples.Text.SequenceClassifier.g.cs"],
            run.Sources.Select(s => s.HintName).Order(StringComparer.Ordinal));

        var info = run.GeneratorDiagnostics.Where(d => d.Id == "DG0100").ToList();
        if (!gpu)
        {
            Assert.Empty(info);
            return;
        }

        Assert.Equal(3, info.Count);
        Assert.All(info, d => Assert.Equal(DiagnosticSeverity.Info, d.Severity));
        Assert.Contains(info, d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture) ==
            "The model 'SentenceEncoder' gets no GPU code, so ToDevice is not generated for it: layer 0 ('Embedding0') is an Embedding layer, which has no GPU kernel yet. It still runs on the CPU.");
        Assert.Contains(info, d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture).Contains("layer 0 ('Tokens') is an Embedding layer", StringComparison.Ordinal));
    }

    /// <summary>A dense model and a sequence model whose names differ only in case still get files of their own.</summary>
    [Fact]
    public void ASequenceModelAndADenseModelNamedAlikeGetTheirOwnFiles()
    {
        var run = GeneratorHarness.Run(
            "using DeepGen; [Model(Input = 4)] [Dense(2)] public partial class Net;",
            "using DeepGen; [Model(Vocabulary = 10, MaxSequence = 4)] [Embedding(4)] [MeanPooling] public partial class net;");
        Assert.True(run.OutputDiagnostics.IsEmpty, GeneratorRun.Describe(run.OutputDiagnostics));
        Assert.Equal(["Net.g.cs", "net.2.g.cs"], run.Sources.Select(s => s.HintName).Order(StringComparer.Ordinal));
    }

    /// <summary>Valid sequence models at the edges of what the emitter writes: each generates its file, which compiles without a warning.</summary>
    [Theory]
    [InlineData("[Embedding(8)]")]
    [InlineData("[Embedding(6, Positions = 40, TokenTypes = 1)] [LayerNormalization] [TransformerEncoder(Layers = 3, Heads = 6, FeedForward = 5, Activation = Activation.Relu)]")]
    [InlineData("[Embedding(8)] [MeanPooling] [Dense(5, Activation.LeakyRelu)] [Dense(4, Activation.Elu)] [Dense(4, Activation.Selu)] [Dense(3, Activation.Softplus)] [Dense(3, Activation.HardSigmoid)] [Dense(3, Activation.Sigmoid, UseBias = false)] [Dense(2, Activation.Tanh)] [Dense(2)] [L2Normalize] [L2Normalize]")]
    [InlineData("""[Embedding(8, Name = "pass")] [TransformerEncoder(Heads = 2, FeedForward = 8, Name = "layer")] [TransformerEncoder(Heads = 2, FeedForward = 8, Name = "stage")] [LayerNormalization(Name = "parameters")] [MeanPooling(Name = "seed")] [Dense(2, Name = "Scratch")]""")]
    [InlineData("""[Embedding(8, Name = "Вложение")] [MeanPooling(Name = "Пул")]""")]
    public void UnusualSequenceModelsGenerateAndCompile(string layers)
    {
        var run = GeneratorHarness.Run($"using DeepGen; namespace @event; public partial class @struct {{ [Model(Vocabulary = 50, MaxSequence = 16)] {layers} public partial class @class; }}");
        Assert.True(run.OutputDiagnostics.IsEmpty, GeneratorRun.Describe(run.OutputDiagnostics));
        Assert.Equal("event.struct+class.g.cs", Assert.Single(run.Sources).HintName);
    }

    private static Assembly Load(string source)
    {
        var run = GeneratorHarness.Run(source);
        Assert.True(run.OutputDiagnostics.IsEmpty, GeneratorRun.Describe(run.OutputDiagnostics));
        return Assembly.Load(run.Emit());
    }

    private static SequenceModel Create(Type type, int seed) =>
        (SequenceModel)Activator.CreateInstance(type, BindingFlags.Instance | BindingFlags.Public, null, [seed], null)!;

    private static int Constant(Type type, string name) => (int)type.GetField(name)!.GetRawConstantValue()!;

    private sealed class ToleranceComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => MathF.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }
}
