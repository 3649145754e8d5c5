using System.Globalization;
using DeepGen.Generator.Model;
using Microsoft.CodeAnalysis;

namespace DeepGen.Generator.Tests;

/// <summary>
/// The names of sequence models: every member a generated sequence model declares or inherits is on a list the
/// parser checks layer names against (checked by reflection over DeepGen.SequenceModel and over a compiled model), and
/// the generated file is the same under any culture and from one run to the next.
/// </summary>
public class SequenceNamingTests
{
    /// <summary>A new public or protected member of SequenceModel must be refused as a layer name, or a layer of that name would hide it (CS0108).</summary>
    [Fact]
    public void EveryInheritedMemberOfSequenceModelIsReservedAndRefused()
    {
        var inherited = TypeMembers.AccessibleNames(typeof(SequenceModel));
        Assert.Contains("LoadWeights", inherited);
        Assert.Contains("ReferenceEquals", inherited);
        var missing = inherited.Except(MemberNames.SequenceInherited).ToList();
        Assert.True(missing.Count == 0, "MemberNames.SequenceInherited lacks: " + string.Join(", ", missing));
        AssertRefused(MemberNames.SequenceReserved);
    }

    /// <summary>What a compiled sequence model declares is either reserved or named after one of its layers.</summary>
    [Fact]
    public void EveryGeneratedMemberIsReservedOrNamedAfterALayer()
    {
        var run = GeneratorHarness.Run("""
            using DeepGen;
            [Model(Vocabulary = 50, MaxSequence = 16)]
            [Embedding(8, Positions = 16, TokenTypes = 2, Name = "Words")]
            [LayerNormalization(Name = "Norm")]
            [TransformerEncoder(Heads = 2, FeedForward = 8, Name = "Encoder")]
            [MeanPooling(Name = "Pool")]
            [Dense(4, Activation.Relu, Name = "Hidden")]
            [Dense(2, Name = "Projection")]
            [L2Normalize(Name = "Unit")]
            public partial class Everything;
            """);
        Assert.True(run.OutputDiagnostics.IsEmpty, GeneratorRun.Describe(run.OutputDiagnostics));

        string[] layers = ["Words", "Norm", "Encoder", "Pool", "Hidden", "Projection", "Unit"];
        var layerMembers = layers.SelectMany(MemberNames.SequenceLayerMembers).ToHashSet();
        var declared = TypeMembers.DeclaredNames(run.Output.GetTypeByMetadataName("Everything")!);
        var unlisted = declared.Where(n => !MemberNames.IsSequenceReserved(n) && !layerMembers.Contains(n)).ToList();
        Assert.True(unlisted.Count == 0, "Everything declares members on no list: " + string.Join(", ", unlisted));
        Assert.All(new[] { "WordsPositionsOffset", "NormGammaOffset", "EncoderParametersPerLayer", "EncoderShape", "PoolStage", "HiddenBiasOffset" },
            member => Assert.Contains(member, declared));
    }

    [Fact]
    public void GenerationIsDeterministic()
    {
        var first = GeneratorHarness.Run(TestModels.SentenceEncoder, TestModels.SequenceClassifier).Sources;
        var second = GeneratorHarness.Run(TestModels.SentenceEncoder, TestModels.SequenceClassifier).Sources;
        Assert.Equal(2, first.Count);
        Assert.Equal(first, second);
    }

    /// <summary>Numbers, epsilons and the header's grouping are written with the invariant culture, whatever the machine's.</summary>
    [Theory]
    [InlineData("de-DE")]
    [InlineData("ar-SA")]
    public void GenerationIgnoresTheCurrentCulture(string cultureName)
    {
        var invariant = GeneratorHarness.Run(TestModels.SentenceEncoder, TestModels.SequenceClassifier).Sources;
        var (culture0, uiCulture0) = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = new CultureInfo(cultureName);
            Assert.Equal(invariant, GeneratorHarness.Run(TestModels.SentenceEncoder, TestModels.SequenceClassifier).Sources);
        }
        finally
        {
            CultureInfo.CurrentCulture = culture0;
            CultureInfo.CurrentUICulture = uiCulture0;
        }
    }

    /// <summary>One sequence model per name, each with one layer of that name: each gets DG0007 and nothing is emitted.</summary>
    private static void AssertRefused(IReadOnlyCollection<string> names)
    {
        var models = names.Select((name, i) => $"[Model(Vocabulary = 5, MaxSequence = 4)] [Embedding(2, Name = \"{name}\")] public partial class Model{i};");
        var run = GeneratorHarness.Run(gpu: true, "using DeepGen;\n" + string.Join("\n", models));

        Assert.Null(run.Result.Exception);
        var accepted = names.Where(name => !run.GeneratorDiagnostics.Any(d => d.Id == "DG0007" && d.GetMessage().Contains($"named '{name}'", StringComparison.Ordinal))).ToList();
        Assert.True(accepted.Count == 0, "Not refused with DG0007: " + string.Join(", ", accepted));
        Assert.Equal(names.Count, run.GeneratorDiagnostics.Length);
        Assert.Empty(run.Sources);
    }
}
