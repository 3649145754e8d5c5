using System.Globalization;

namespace DeepGen.Generator.Tests;

/// <summary>
/// The impossible sequence models (token ids in): each mistake is one diagnostic at the attribute that causes it,
/// with a message that names the layer, the numbers and what to write instead. The older ids are reused where the
/// meaning is the same (DG0003 no layers, DG0004 units, DG0005 softmax, DG0006 activation, DG0007 names, DG0008 the
/// class, DG0009 size, DG0010 no [Model], DG0011 split declarations, DG0020 arguments).
/// </summary>
public partial class DiagnosticTests
{
    // ---- DG0021: Vocabulary and MaxSequence ---------------------------------------------------------------------

    [Theory]
    [InlineData("Model(Vocabulary = 50)", "no MaxSequence")]
    [InlineData("Model(MaxSequence = 16)", "no Vocabulary")]
    [InlineData("Model(Vocabulary = 0, MaxSequence = 16)", "Vocabulary = 0")]
    [InlineData("Model(Vocabulary = 50, MaxSequence = -1)", "MaxSequence = -1")]
    [InlineData("Model(Vocabulary = -3, MaxSequence = 0)", "Vocabulary = -3 and MaxSequence = 0")]
    public void DG0021_VocabularyOrMaxSequenceMissingOrNotPositive(string attribute, string got) =>
        Assert.Equal("The sequence model 'M' needs a positive Vocabulary and MaxSequence, such as [Model(Vocabulary = 30522, MaxSequence = 512)]; got " + got,
            ReportedMessage("DG0021", attribute, ClassM($"[{attribute}]", "[Embedding(8)]", "[MeanPooling]")));

    // ---- DG0022: floats and token ids at once -------------------------------------------------------------------

    [Theory]
    [InlineData("Model(Input = 4, Vocabulary = 50, MaxSequence = 16)", "Input = 4 and Vocabulary = 50")]
    [InlineData("Model(InputShape = new[] { 2, 2 }, MaxSequence = 16)", "InputShape and MaxSequence = 16")]
    public void DG0022_BothAFloatInputAndTokenIds(string attribute, string gives) =>
        Assert.Equal($"The model 'M' gives {gives}: a model reads floats (Input or InputShape) or token ids (Vocabulary and MaxSequence), not both",
            ReportedMessage("DG0022", attribute, ClassM($"[{attribute}]", "[Embedding(8)]", "[MeanPooling]")));

    // ---- DG0023: the embedding comes first, and only there ------------------------------------------------------

    [Theory]
    [InlineData("LayerNormalization", "LayerNormalization 'LayerNormalization0'")]
    [InlineData("TransformerEncoder(Heads = 2, FeedForward = 8)", "TransformerEncoder 'TransformerEncoder0'")]
    [InlineData("MeanPooling", "MeanPooling 'MeanPooling0'")]
    [InlineData("Dense(2)", "Dense 'Dense0'")]
    public void DG0023_TheFirstLayerIsNotAnEmbedding(string layer, string named) =>
        Assert.Equal($"Layer 0 of 'M': {named} needs floats, but gets the model's token ids; start the model with an [Embedding], which turns ids into vectors",
            ReportedMessage("DG0023", layer, SequenceModel($"[{layer}]")));

    [Fact]
    public void DG0023_AnEmbeddingAfterALayerThatWritesFloats()
    {
        var source = SequenceModel("[Embedding(8)]", """[TransformerEncoder(Heads = 2, FeedForward = 8, Name = "Encoder")]""", """[Embedding(8, Name = "Second")]""", "[MeanPooling]");
        Assert.Equal("Layer 2 of 'M': Embedding 'Second' needs token ids, but gets sequence × 8 from 'Encoder'; a sequence model has one [Embedding], its first layer",
            ReportedMessage("DG0023", """Embedding(8, Name = "Second")""", source));
    }

    // ---- DG0024: a layer of the other kind of model -------------------------------------------------------------

    [Theory]
    [InlineData("Conv2D(4, 3)", "Conv2D")]
    [InlineData("MaxPooling2D(2)", "MaxPooling2D")]
    [InlineData("GlobalAveragePooling2D", "GlobalAveragePooling2D")]
    [InlineData("Flatten", "Flatten")]
    [InlineData("Reshape(2, 4)", "Reshape")]
    [InlineData("BatchNormalization", "BatchNormalization")]
    [InlineData("Normalization", "Normalization")]
    public void DG0024_AnImageOrVectorLayerInASequenceModel(string layer, string kind) =>
        Assert.Equal($"[{kind}] cannot be used in 'M': it works on images or flat vectors of floats, and a sequence model is built of Embedding, " +
                     "LayerNormalization, TransformerEncoder, MeanPooling, L2Normalize and, after the pooling, Dense layers",
            ReportedMessage("DG0024", layer, SequenceModel("[Embedding(8)]", $"[{layer}]", "[MeanPooling]")));

    [Fact]
    public void DG0024_DropoutInASequenceModel() =>
        Assert.Equal("[Dropout] cannot be used in 'M': a sequence model has no dropout yet; remove it",
            ReportedMessage("DG0024", "Dropout(0.1)", SequenceModel("[Embedding(8)]", "[Dropout(0.1)]", "[MeanPooling]")));

    [Theory]
    [InlineData("Embedding(8)", "Embedding", "it reads token ids")]
    [InlineData("LayerNormalization", "LayerNormalization", "it works on sequences of tokens")]
    [InlineData("TransformerEncoder(Heads = 2, FeedForward = 8)", "TransformerEncoder", "it works on sequences of tokens")]
    [InlineData("MeanPooling", "MeanPooling", "it works on sequences of tokens")]
    [InlineData("L2Normalize", "L2Normalize", "it works on sequences of tokens")]
    public void DG0024_ASequenceLayerInAModelOfFloats(string layer, string kind, string why) =>
        Assert.Equal($"[{kind}] cannot be used in 'M': {why}, and 'M' reads floats; declare a model of token ids with [Model(Vocabulary = …, MaxSequence = …)] and an [Embedding] first",
            ReportedMessage("DG0024", layer, ClassM("[Model(Input = 4)]", $"[{layer}]", "[Dense(2)]")));

    // ---- DG0020: an argument out of range -----------------------------------------------------------------------

    [Theory]
    [InlineData("Embedding(0)", "units = 0; an embedding needs at least one feature per token")]
    [InlineData("Embedding(-8)", "units = -8; an embedding needs at least one feature per token")]
    [InlineData("Embedding(8, Positions = -1)", "Positions = -1; the learned positions are 0 (none) or more")]
    [InlineData("Embedding(8, TokenTypes = -2)", "TokenTypes = -2; the token types are 0 (none) or more")]
    [InlineData("Embedding(8, Positions = 15)", "Positions = 15; a position would have no vector: the model takes up to 16 tokens (its MaxSequence), so give at least 16 positions, or 0 for none")]
    public void DG0020_EmbeddingArguments(string layer, string message) =>
        Assert.Equal("Layer 0 of 'M' has " + message, ReportedMessage("DG0020", layer, SequenceModel($"[{layer}]", "[MeanPooling]")));

    [Theory]
    [InlineData("TransformerEncoder(Layers = 0, Heads = 2, FeedForward = 8)", "Layers = 0; an encoder has at least one layer")]
    [InlineData("TransformerEncoder(FeedForward = 8)", "Heads = 0; give the number of attention heads, at least 1 (it has no default)")]
    [InlineData("TransformerEncoder(Heads = -2, FeedForward = 8)", "Heads = -2; give the number of attention heads, at least 1 (it has no default)")]
    [InlineData("TransformerEncoder(Heads = 2)", "FeedForward = 0; give the units of the feed-forward's inner layer, at least 1 (it has no default)")]
    [InlineData("TransformerEncoder(Heads = 2, FeedForward = 8, Activation = Activation.Tanh)", "Activation = Tanh; a transformer encoder's feed-forward uses Gelu or Relu")]
    [InlineData("TransformerEncoder(Heads = 2, FeedForward = 8, Epsilon = 0f)", "Epsilon = 0; epsilon must be a positive float")]
    [InlineData("TransformerEncoder(Heads = 2, FeedForward = 8, Epsilon = float.NaN)", "Epsilon = NaN; epsilon must be a positive float")]
    [InlineData("LayerNormalization(Epsilon = -1e-5f)", "Epsilon = -1E-05; epsilon must be a positive float")]
    [InlineData("LayerNormalization(Epsilon = float.PositiveInfinity)", "Epsilon = Infinity; epsilon must be a positive float")]
    public void DG0020_EncoderAndNormalizationArguments(string layer, string message) =>
        Assert.Equal("Layer 1 of 'M' has " + message, ReportedMessage("DG0020", layer, SequenceModel("[Embedding(8)]", $"[{layer}]", "[MeanPooling]")));

    [Theory]
    [InlineData("Dense(2, KernelInitializer = Initializer.HeNormal)", "KernelInitializer = HeNormal; a sequence model's Dense starts Glorot-uniform; other initializers are not supported there yet")]
    [InlineData("Dense(2, BiasInitializer = Initializer.Ones)", "BiasInitializer = Ones; a sequence model's Dense starts with a zero bias; other initializers are not supported there yet")]
    [InlineData("Dense(2, L2 = 0.01)", "L2 = 0.01; weight penalties are not supported in a sequence model yet")]
    public void DG0020_DenseOptionsASequenceModelDoesNotHave(string layer, string message) =>
        Assert.Equal("Layer 2 of 'M' has " + message, ReportedMessage("DG0020", layer, SequenceModel("[Embedding(8)]", "[MeanPooling]", $"[{layer}]")));

    [Fact]
    public void DG0006_UnknownEncoderActivation() =>
        AssertReports("DG0006", "TransformerEncoder(Heads = 2, FeedForward = 8, Activation = (Activation)42)",
            SequenceModel("[Embedding(8)]", "[TransformerEncoder(Heads = 2, FeedForward = 8, Activation = (Activation)42)]"));

    // ---- DG0025: heads that do not divide the width -------------------------------------------------------------

    [Theory]
    [InlineData(384, 5, 4)]
    [InlineData(384, 7, 6)]
    [InlineData(10, 3, 2)]
    [InlineData(7, 2, 1)]
    [InlineData(8, 100, 8)]
    public void DG0025_HeadsDoNotDivideTheFeaturesPerToken(int units, int heads, int suggestion)
    {
        var layer = $"TransformerEncoder(Heads = {heads}, FeedForward = 16)";
        Assert.Equal($"Layer 1 of 'M': TransformerEncoder 'TransformerEncoder1' splits {units} features per token into {heads} heads, but {units} is not divisible by {heads}; " +
                     $"choose a head count that divides {units}, such as {suggestion}",
            ReportedMessage("DG0025", layer, SequenceModel($"[Embedding({units})]", $"[{layer}]", "[MeanPooling]")));
    }

    // ---- DG0026: the pooling ------------------------------------------------------------------------------------

    [Theory]
    [InlineData("TransformerEncoder(Heads = 2, FeedForward = 8)", "TransformerEncoder 'TransformerEncoder2'")]
    [InlineData("LayerNormalization", "LayerNormalization 'LayerNormalization2'")]
    public void DG0026_APerTokenLayerAfterThePooling(string layer, string named) =>
        Assert.Equal($"Layer 2 of 'M': {named} works on each token, but follows the pooling 'Pool', after which each sequence is one vector; put it before the [MeanPooling]",
            ReportedMessage("DG0026", layer, SequenceModel("[Embedding(8)]", """[MeanPooling(Name = "Pool")]""", $"[{layer}]")));

    [Theory]
    [InlineData("Dense(2)", "Dense 'Dense2'")]
    [InlineData("L2Normalize", "L2Normalize 'L2Normalize2'")]
    public void DG0026_AVectorLayerWithoutThePooling(string layer, string named) =>
        Assert.Equal($"Layer 2 of 'M': {named} works on one vector per sequence, but gets sequence × 8 from 'Encoder'; put a [MeanPooling] before it",
            ReportedMessage("DG0026", layer, SequenceModel("[Embedding(8)]", """[TransformerEncoder(Heads = 2, FeedForward = 8, Name = "Encoder")]""", $"[{layer}]")));

    [Fact]
    public void DG0026_ASecondPooling() =>
        Assert.Equal("Layer 2 of 'M': MeanPooling 'Again' would pool again, but 'MeanPooling1' already made each sequence one vector; a sequence model pools once",
            ReportedMessage("DG0026", """MeanPooling(Name = "Again")""", SequenceModel("[Embedding(8)]", "[MeanPooling]", """[MeanPooling(Name = "Again")]""")));

    // ---- DG0027, DG0005, DG0004: the Dense head -----------------------------------------------------------------

    [Theory]
    [InlineData("Gelu")]
    [InlineData("Swish")]
    public void DG0027_ADenseWhoseDerivativeNeedsItsPreActivations(string activation)
    {
        var layer = $"Dense(4, Activation.{activation})";
        Assert.StartsWith($"Layer 2 of 'M': Dense 'Dense2' uses {activation}, whose derivative needs the pre-activations",
            ReportedMessage("DG0027", layer, SequenceModel("[Embedding(8)]", "[MeanPooling]", $"[{layer}]", "[Dense(2)]")));
    }

    [Fact]
    public void DG0027_L2NormalizeAfterADenseThatIsNotLinear() =>
        Assert.StartsWith("Layer 3 of 'M': L2Normalize 'L2Normalize3' follows 'Projection', which uses Relu; a Dense right before [L2Normalize] must be Linear",
            ReportedMessage("DG0027", "L2Normalize", SequenceModel("[Embedding(8)]", "[MeanPooling]", """[Dense(4, Activation.Relu, Name = "Projection")]""", "[L2Normalize]")));

    [Fact]
    public void DG0005_SoftmaxNotLastInASequenceModel() =>
        AssertReports("DG0005", "Dense(4, Activation.Softmax)", SequenceModel("[Embedding(8)]", "[MeanPooling]", "[Dense(4, Activation.Softmax)]", "[Dense(2)]"));

    [Fact]
    public void DG0004_DenseUnitsInASequenceModel() =>
        AssertReports("DG0004", "Dense(0)", SequenceModel("[Embedding(8)]", "[MeanPooling]", "[Dense(0)]"));

    // ---- The older ids on sequence models -----------------------------------------------------------------------

    [Fact]
    public void DG0003_ASequenceModelWithoutLayers() =>
        AssertReports("DG0003", "Model(Vocabulary = 50, MaxSequence = 16)", SequenceModel());

    [Theory]
    [InlineData("reserved by the base class", """MeanPooling(Name = "LoadWeights")""", "")]
    [InlineData("a generated constant", """MeanPooling(Name = "MaxSequence")""", "")]
    [InlineData("duplicate of a default name", "MeanPooling", """[LayerNormalization(Name = "MeanPooling2")]""")]
    [InlineData("a stage constant of another layer", """MeanPooling(Name = "NormStage")""", """[LayerNormalization(Name = "Norm")]""")]
    [InlineData("another layer's stage constant clashes with it", """MeanPooling(Name = "Norm")""", """[LayerNormalization(Name = "NormStage")]""")]
    [InlineData("not an identifier", """MeanPooling(Name = "2nd")""", "")]
    public void DG0007_SequenceLayerNames(string problem, string badLayer, string layersBefore)
    {
        _ = problem;
        AssertReports("DG0007", badLayer, $$"""
            using DeepGen;
            [Model(Vocabulary = 50, MaxSequence = 16)]
            [Embedding(8)]
            {{layersBefore}}
            [{{badLayer}}]
            public partial class Net;
            """);
    }

    [Fact]
    public void DG0007_TheClassDeclaresAGeneratedLayerConstant()
    {
        var diagnostic = AssertReports("DG0007", "Embedding(8)", """
            using DeepGen;
            [Model(Vocabulary = 50, MaxSequence = 16)]
            [Embedding(8)]
            [MeanPooling]
            public partial class Net
            {
                public const int Embedding0PositionsOffset = 3;
            }
            """);
        Assert.Contains("the class already declares a member named 'Embedding0PositionsOffset'", diagnostic.GetMessage(CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("derives from another class", "public partial class M : System.Exception;", "it derives from 'System.Exception', but the generated part derives from DeepGen.SequenceModel")]
    [InlineData("declares a generated constant", "public partial class M { public const int Vocabulary = 5; }", "it declares a member named 'Vocabulary', which the generated part declares too; rename that member")]
    [InlineData("a record", "public partial record M;", "records cannot derive from DeepGen.SequenceModel; use a class")]
    public void DG0008_ASequenceModelClassTheGeneratedPartCannotExtend(string problem, string declaration, string message)
    {
        _ = problem;
        var diagnostic = AssertReports("DG0008", "Model(Vocabulary = 50, MaxSequence = 16)", $$"""
            using DeepGen;
            [Model(Vocabulary = 50, MaxSequence = 16)]
            [Embedding(8)]
            [MeanPooling]
            {{declaration}}
            """);
        Assert.Equal("'M' cannot be a DeepGen model: " + message, diagnostic.GetMessage(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void DG0009_ASequenceModelTooLarge() =>
        Assert.Equal("The model 'M' needs 4,096,000,000 parameters, more than the 2,147,483,647 DeepGen can address",
            ReportedMessage("DG0009", "Model(Vocabulary = 1_000_000, MaxSequence = 512)", ClassM("[Model(Vocabulary = 1_000_000, MaxSequence = 512)]", "[Embedding(4096)]", "[MeanPooling]")));

    [Fact]
    public void DG0010_SequenceLayersWithoutModel() =>
        AssertReports("DG0010", "NoModel", """
            using DeepGen;
            [Embedding(8)]
            [MeanPooling]
            public partial class NoModel;
            """);

    [Fact]
    public void DG0011_SequenceLayersOnAnotherDeclaration() =>
        AssertReports("DG0011", "MeanPooling", """
            using DeepGen;
            [Model(Vocabulary = 50, MaxSequence = 16)]
            [Embedding(8)]
            public partial class M;
            [MeanPooling]
            public partial class M;
            """);

    /// <summary>A class 'M' with these attributes, one a line.</summary>
    private static string ClassM(params string[] attributes) =>
        string.Join("\n", ["using DeepGen;", .. attributes, "public partial class M;"]);

    /// <summary>A sequence model 'M' of 50 token ids, up to 16 at a time, with these layers.</summary>
    private static string SequenceModel(params string[] layers) => ClassM(["[Model(Vocabulary = 50, MaxSequence = 16)]", .. layers]);

    /// <summary>The message of the one diagnostic <see cref="AssertReports"/> finds, in the invariant culture.</summary>
    private static string ReportedMessage(string id, string spanText, string source) =>
        AssertReports(id, spanText, source).GetMessage(CultureInfo.InvariantCulture);
}
