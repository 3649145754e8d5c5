using Microsoft.CodeAnalysis;

namespace DeepGen.Generator.Diagnostics;

/// <summary>Every diagnostic DeepGen reports. Ids are listed per release in AnalyzerReleases.*.md.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "DeepGen";

    public static readonly DiagnosticDescriptor ClassNotPartial = Error("DG0001",
        "Model class must be partial",
        "The model class '{0}' must be declared 'partial' so DeepGen can generate the rest of it");

    public static readonly DiagnosticDescriptor InvalidInputSize = Error("DG0002",
        "Model input size missing or not positive",
        "The model '{0}' needs a positive input size, such as [Model(Input = 784)] or [Model(InputShape = new[] {{ 28, 28, 1 }})]; got {1}");

    public static readonly DiagnosticDescriptor NoLayers = Error("DG0003",
        "Model has no layers",
        "The model '{0}' has no layers: add at least one layer attribute, such as [Dense(units, activation)], after [Model]");

    public static readonly DiagnosticDescriptor InvalidUnits = Error("DG0004",
        "Layer units not positive",
        "Layer {0} of '{1}' has {2} units; a dense layer needs at least one unit");

    public static readonly DiagnosticDescriptor SoftmaxNotLast = Error("DG0005",
        "Softmax on a layer that is not the last dense layer",
        "Layer {0} of '{1}' uses Softmax, which DeepGen supports on the last layer only, and there only on a [Dense] layer; use another activation here");

    public static readonly DiagnosticDescriptor UnknownActivation = Error("DG0006",
        "Unknown activation",
        "Layer {0} of '{1}' uses activation value {2}, which is not a member of DeepGen.Activation");

    public static readonly DiagnosticDescriptor InvalidLayerName = Error("DG0007",
        "Invalid layer name",
        "Layer {0} of '{1}' is named '{2}': {3}");

    public static readonly DiagnosticDescriptor UnsupportedModelType = Error("DG0008",
        "Unsupported model type",
        "'{0}' cannot be a DeepGen model: {1}");

    public static readonly DiagnosticDescriptor ModelTooLarge = Error("DG0009",
        "Model too large",
        "The model '{0}' needs {1} {2}, more than the {3} DeepGen can address");

    public static readonly DiagnosticDescriptor DenseWithoutModel = Warning("DG0010",
        "Layers on a class without [Model]",
        "'{0}' has layer attributes but no [Model] attribute, so no model is generated; add [Model(Input = …)] or [Model(InputShape = …)], or [Model(Vocabulary = …, MaxSequence = …)] for token ids");

    public static readonly DiagnosticDescriptor LayersOnOtherDeclaration = Error("DG0011",
        "Layers split across partial declarations",
        "The layer attributes of '{0}' must all be written on the declaration that carries [Model], so their order is clear");

    public static readonly DiagnosticDescriptor InvalidDropoutRate = Error("DG0012",
        "Dropout rate outside [0, 1)",
        "The [Dropout] after layer {0} of '{1}' has rate {2}; a dropout rate must be at least 0 and below 1");

    public static readonly DiagnosticDescriptor MisplacedDropout = Error("DG0013",
        "Dropout not after a layer",
        "The [Dropout] in '{0}' {1}; write each [Dropout] right after the layer whose outputs it drops");

    public static readonly DiagnosticDescriptor DropoutAfterLastLayer = Error("DG0014",
        "Dropout after the last layer",
        "The [Dropout] after the last layer of '{0}' would zero the model's own outputs in training; remove it or put it before the last layer");

    public static readonly DiagnosticDescriptor InvalidRegularizer = Error("DG0015",
        "Invalid weight regularizer",
        "Layer {0} of '{1}' has {2} = {3}; a regularization factor must be a finite number, 0 or more");

    public static readonly DiagnosticDescriptor UnknownInitializer = Error("DG0016",
        "Unknown initializer",
        "Layer {0} of '{1}' uses {2} value {3}, which is not a member of DeepGen.Initializer");

    public static readonly DiagnosticDescriptor CrossEntropyWithoutProbabilities = Warning("DG0017",
        "Cross-entropy on an output that is not softmax or sigmoid",
        "'{0}' trains '{1}' with {2}, but its last layer uses {3}, whose outputs are not probabilities; use Softmax (or Sigmoid) on the last layer, or another loss");

    public static readonly DiagnosticDescriptor BinaryLossOnSeveralOutputs = Warning("DG0018",
        "Binary loss on more than one output unit",
        "'{0}' trains '{1}' with {2}, but its last layer has {3} units; a binary loss expects one sigmoid unit (for one-of-many classes use categorical cross-entropy with softmax; for several independent labels this warning can be suppressed)");

    public static readonly DiagnosticDescriptor InvalidLayerShape = Error("DG0019",
        "Layer cannot take its input's shape",
        "Layer {0} of '{1}': {2}");

    public static readonly DiagnosticDescriptor InvalidLayerArgument = Error("DG0020",
        "Invalid layer argument",
        "Layer {0} of '{1}' has {2} = {3}; {4}");

    // DG0021–DG0027: sequence models (token ids in: [Model(Vocabulary = …, MaxSequence = …)]).
    public static readonly DiagnosticDescriptor InvalidSequenceSize = Error("DG0021",
        "Sequence model's vocabulary or longest sequence missing or not positive",
        "The sequence model '{0}' needs a positive Vocabulary and MaxSequence, such as [Model(Vocabulary = 30522, MaxSequence = 512)]; got {1}");

    public static readonly DiagnosticDescriptor MixedModelInput = Error("DG0022",
        "Model reads both floats and token ids",
        "The model '{0}' gives {1} and {2}: a model reads floats (Input or InputShape) or token ids (Vocabulary and MaxSequence), not both");

    public static readonly DiagnosticDescriptor EmbeddingNotFirst = Error("DG0023",
        "Sequence model does not start with its embedding",
        "Layer {0} of '{1}': {2}");

    public static readonly DiagnosticDescriptor LayerNotInThisModelKind = Error("DG0024",
        "Layer not available in this kind of model",
        "[{0}] cannot be used in '{1}': {2}");

    public static readonly DiagnosticDescriptor HeadsDoNotDivideUnits = Error("DG0025",
        "Attention heads do not divide the features per token",
        "Layer {0} of '{1}': TransformerEncoder '{2}' splits {3} features per token into {4} heads, but {3} is not divisible by {4}; choose a head count that divides {3}, such as {5}");

    public static readonly DiagnosticDescriptor SequencePoolingOrder = Error("DG0026",
        "Layer on the wrong side of the pooling",
        "Layer {0} of '{1}': {2}");

    public static readonly DiagnosticDescriptor UnsupportedSequenceActivation = Error("DG0027",
        "Activation not supported after a sequence model's pooling",
        "Layer {0} of '{1}': {2}");

    public static readonly DiagnosticDescriptor CategoricalLossOnOneUnit = Warning("DG0028",
        "Categorical cross-entropy on one output unit",
        "'{0}' trains '{1}' with {2}, but its last layer has 1 unit ({3}): a categorical loss needs one output per class (a softmax over one unit is always 1, and samples of the class without an output add no loss), so the model cannot learn to tell the classes apart; for two classes use Loss.BinaryCrossEntropy with one Sigmoid unit, or {2} with 2 Softmax units");

    // DG0100 and up: the GPU back end (DeepGen.Gpu).
    public static readonly DiagnosticDescriptor NoGpuKernels = Info("DG0100",
        "Model gets no GPU kernels",
        "The model '{0}' gets no GPU code, so ToDevice is not generated for it: {1}. It still runs on the CPU.");

    /// <summary>
    /// Where the documentation pages live: each diagnostic's help link is <c>{HelpLinkBase}/DGxxxx.md</c>, a page of
    /// docs/diagnostics in the repository (what triggers it, an example, how to fix it).
    /// </summary>
    public const string HelpLinkBase = "https://github.com/deepgen/DeepGen/blob/main/docs/diagnostics";

    /// <summary>The help link of the diagnostic <paramref name="id"/>: its page in docs/diagnostics.</summary>
    public static string HelpLink(string id) => HelpLinkBase + "/" + id + ".md";

    private static DiagnosticDescriptor Error(string id, string title, string message) => Create(id, title, message, DiagnosticSeverity.Error);

    private static DiagnosticDescriptor Warning(string id, string title, string message) => Create(id, title, message, DiagnosticSeverity.Warning);

    private static DiagnosticDescriptor Info(string id, string title, string message) => Create(id, title, message, DiagnosticSeverity.Info);

    private static DiagnosticDescriptor Create(string id, string title, string message, DiagnosticSeverity severity) =>
        new(id, title, message, Category, severity, isEnabledByDefault: true, helpLinkUri: HelpLink(id));
}
