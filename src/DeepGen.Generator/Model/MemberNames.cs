using System.Collections.Generic;
using System.Linq;

namespace DeepGen.Generator.Model;

/// <summary>
/// Every name the generated code declares in a model class or inherits there, in one list: the emitters write their
/// identifiers from these constants, and the parser refuses a layer or model class whose name (or a name derived
/// from it) would take one (DG0007, DG0008). A member added to <c>DeepGen.SequentialModel</c> or to a generated file
/// must be added here; NamingTests reflect over the runtime and the generated files to prove none is missing.
/// Sequence models (token ids in) derive from <c>DeepGen.SequenceModel</c> and have lists of their own (the
/// <c>Sequence…</c> members below), checked the same way by SequenceNamingTests.
/// </summary>
/// <remarks>
/// Two classes are generated per model: the model class itself (CPU file, and <see cref="ToDevice"/> plus the nested
/// <see cref="GpuKernels"/> from the GPU file when the project references DeepGen.Gpu), and that nested kernel class,
/// which derives from <c>DeepGen.Gpu.GpuKernelSet</c>. Each has its own list below. A layer name is checked against
/// both whether or not the project references DeepGen.Gpu today, so adding the reference never breaks a build.
/// Members the user declares in the model class are checked against the same names (see ModelParser).
/// </remarks>
internal static class MemberNames
{
    // ---- Inherited by the model class and used by the generated code -------------------------------------------

    public const string Parameters = "Parameters";
    public const string NonTrainableWeights = "NonTrainableWeights";
    public const string GradientBuffer = "GradientBuffer";
    public const string Layer = "Layer";
    public const string Forward = "Forward";
    public const string Backward = "Backward";
    public const string TrainStep = "TrainStep";
    public const string BeginTrainStep = "BeginTrainStep";
    public const string ApplyDropout = "ApplyDropout";
    public const string FusedSgdLearningRate = "FusedSgdLearningRate";

    /// <summary>
    /// The public and protected members of <c>DeepGen.SequentialModel</c> and <c>System.Object</c>: a generated member
    /// of one of these names would hide it (CS0108, an error under warnings-as-errors).
    /// </summary>
    public static readonly IReadOnlyList<string> Inherited = new[]
    {
        // SequentialModel: training, inference, files, layers.
        "Architecture", Parameters, NonTrainableWeights, "Gradients", GradientBuffer, "Layers", Layer, Forward, Backward, TrainStep,
        BeginTrainStep, "Buffers", ApplyDropout, FusedSgdLearningRate, "RegularizationPenalty", "TrainingRandomState",
        "Fit", "Evaluate", "Predict", "ReserveInferenceWorkspaces", "DefaultInferenceBatchSize", "Save", "Load",
        "LoadForInference", "IsInferenceOnly", "Embed", "GetLayer", "TryGetLayer", "LayerNames", "Summary",
        "SummaryText", "Adapt",
        "ModelMetadataKey", "ArchitectureMetadataKey", "FormatMetadataKey",
        // System.Object.
        "Equals", "GetHashCode", "ToString", "GetType", "MemberwiseClone", "Finalize", "ReferenceEquals",
    };

    // ---- Declared in the model class by the CPU file, whatever its layers ---------------------------------------

    public const string InputSize = "InputSize";
    public const string OutputSize = "OutputSize";
    public const string ParameterCount = "ParameterCount";
    public const string ActivationsPerSample = "ActivationsPerSample";
    public const string WorkspacePerSample = "WorkspacePerSample";
    public const string ArchitectureDefinition = "ArchitectureDefinition";

    // ---- Declared in the model class by the GPU file ------------------------------------------------------------

    /// <summary>The method that moves a model onto a device.</summary>
    public const string ToDevice = "ToDevice";

    /// <summary>The nested class of the model's compiled kernels.</summary>
    public const string GpuKernels = "GpuKernels";

    /// <summary>Members every generated model class declares, whatever its layers (the constructor aside).</summary>
    public static readonly IReadOnlyList<string> Generated = new[]
    {
        InputSize, OutputSize, ParameterCount, ActivationsPerSample, WorkspacePerSample, ArchitectureDefinition,
        Forward, Backward, TrainStep, ToDevice, GpuKernels,
    };

    /// <summary>Every name a layer may not take, because every model class already has a member of that name.</summary>
    public static readonly IReadOnlyList<string> Reserved = Inherited.Concat(Generated).Distinct().ToArray();

    private static readonly HashSet<string> ReservedSet = new(Reserved);

    public static bool IsReserved(string name) => ReservedSet.Contains(name);

    // ---- Declared in the model class for each layer: the accessor is the layer's name, these follow it ----------

    public const string InputsSuffix = "Inputs";
    public const string UnitsSuffix = "Units";
    public const string WeightsOffsetSuffix = "WeightsOffset";
    public const string BiasOffsetSuffix = "BiasOffset";
    public const string OutputOffsetSuffix = "OutputOffset";
    public const string PreActivationOffsetSuffix = "PreActivationOffset";
    public const string DropoutOutputOffsetSuffix = "DropoutOutputOffset";
    public const string DropoutMaskOffsetSuffix = "DropoutMaskOffset";
    public const string DropoutRateSuffix = "DropoutRate";
    public const string L1Suffix = "L1";
    public const string L2Suffix = "L2";
    public const string ForwardSuffix = "Forward";
    public const string BackwardSuffix = "Backward";
    public const string WindowSuffix = "Window";
    public const string ColumnsOffsetSuffix = "ColumnsOffset";
    public const string WeightCountSuffix = "WeightCount";
    public const string FiltersSuffix = "Filters";
    public const string ChannelsSuffix = "Channels";
    public const string NormalizedOffsetSuffix = "NormalizedOffset";
    public const string StateOffsetSuffix = "StateOffset";
    public const string MomentumSuffix = "Momentum";
    public const string EpsilonSuffix = "Epsilon";

    /// <summary>Every member of the model class a layer of this name may add: its accessor, constants and methods.</summary>
    public static IEnumerable<string> LayerMembers(string layerName) => new LayerMemberNames(layerName).ClassMembers;

    // ---- Sequence models: the class derives from DeepGen.SequenceModel ------------------------------------------

    /// <summary>The base class of a sequence model.</summary>
    public const string SequenceBaseClass = "DeepGen.SequenceModel";

    public const string Vocabulary = "Vocabulary";
    public const string MaxSequence = "MaxSequence";

    /// <summary>
    /// The public and protected members of <c>DeepGen.SequenceModel</c> and <c>System.Object</c>. Fit and Evaluate are
    /// listed before the runtime has them, so adding them later breaks no model that builds today.
    /// </summary>
    public static readonly IReadOnlyList<string> SequenceInherited = new[]
    {
        "Architecture", Parameters, "Gradients", Forward, Backward, "Predict", "ReserveInferenceBuffers", TrainStep,
        "Fit", "Evaluate", "LoadWeights", "Save", "Load",
        "Equals", "GetHashCode", "ToString", "GetType", "MemberwiseClone", "Finalize", "ReferenceEquals",
    };

    /// <summary>Members every generated sequence model class declares, whatever its layers (the constructor aside).</summary>
    public static readonly IReadOnlyList<string> SequenceGenerated = new[]
    {
        Vocabulary, MaxSequence, OutputSize, ParameterCount, ArchitectureDefinition, Forward, Backward,
    };

    /// <summary>Every name a layer of a sequence model may not take.</summary>
    public static readonly IReadOnlyList<string> SequenceReserved = SequenceInherited.Concat(SequenceGenerated).Distinct().ToArray();

    private static readonly HashSet<string> SequenceReservedSet = new(SequenceReserved);

    public static bool IsSequenceReserved(string name) => SequenceReservedSet.Contains(name);

    // Suffixes of a sequence model's layer constants (Units, Inputs, WeightsOffset, BiasOffset, Epsilon, Forward
    // and Backward are shared with the other models' layers, above).
    public const string PositionsSuffix = "Positions";
    public const string TokenTypesSuffix = "TokenTypes";
    public const string TokensOffsetSuffix = "TokensOffset";
    public const string PositionsOffsetSuffix = "PositionsOffset";
    public const string TokenTypesOffsetSuffix = "TokenTypesOffset";
    public const string GammaOffsetSuffix = "GammaOffset";
    public const string BetaOffsetSuffix = "BetaOffset";
    public const string LayersSuffix = "Layers";
    public const string HeadsSuffix = "Heads";
    public const string FeedForwardSuffix = "FeedForward";
    public const string ParametersOffsetSuffix = "ParametersOffset";
    public const string ParametersPerLayerSuffix = "ParametersPerLayer";
    public const string StageSuffix = "Stage";
    public const string FirstStageSuffix = "FirstStage";
    public const string ShapeSuffix = "Shape";

    /// <summary>Every member of a sequence model's class a layer of this name may add.</summary>
    public static IEnumerable<string> SequenceLayerMembers(string layerName) => new LayerMemberNames(layerName).SequenceClassMembers;

    // ---- Locals of Forward and Backward, named after each layer in camelCase --------------------------------------

    public const string OutputLocalSuffix = "Output";
    public const string DeltaLocalSuffix = "Delta";
    public const string PreActivationLocalSuffix = "PreActivation";
    public const string DroppedLocalSuffix = "Dropped";
    public const string MaskLocalSuffix = "Mask";
    public const string ColumnsLocalSuffix = "Columns";
    public const string ColumnDeltasLocalSuffix = "ColumnDeltas";
    public const string NormalizedLocalSuffix = "Normalized";

    /// <summary>A layer name with its first letter in lower case: the stem of the locals named after the layer.</summary>
    public static string Camel(string name) =>
        name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name.Substring(1);

    // ---- The nested kernel class of the GPU file ----------------------------------------------------------------

    public const string ForwardAndLoss = "ForwardAndLoss";
    public const string ReduceStep = "ReduceStep";
    public const string TileGrid = "TileGrid";
    public const string RowGrid = "RowGrid";
    public const string Accelerator = "Accelerator";

    /// <summary>The loss launcher, inherited from <c>GpuKernelSet</c> (the library's loss kernel).</summary>
    public const string LossKernel = "Loss";

    /// <summary>The prediction-only softmax launcher, inherited from <c>GpuKernelSet</c>, for a model whose last layer is softmax.</summary>
    public const string SoftmaxKernel = "Softmax";

    public const string InputGradientSuffix = "InputGradient";
    public const string WeightGradientSuffix = "WeightGradient";

    /// <summary>The field of the kernel class that holds the penalty kernel, in a model with an L1/L2 penalty.</summary>
    public const string PenaltyField = "_penalty";

    /// <summary>Follows a product's name to name the method that builds its launch (shape, operands, epilogue).</summary>
    public const string ProductSuffix = "Product";

    /// <summary>Follows a kernel's name to name the static method that is its body.</summary>
    public const string KernelMethodSuffix = "Kernel";

    /// <summary>
    /// The public and protected members of <c>DeepGen.Gpu.GpuKernelSet</c> (and <c>System.Object</c>), which the
    /// nested kernel class inherits.
    /// </summary>
    public static readonly IReadOnlyList<string> KernelSetInherited = new[]
    {
        "Tile", "RowGroupSize", Accelerator, Forward, ForwardAndLoss, TrainStep, TileGrid, RowGrid, ReduceStep, LossKernel, SoftmaxKernel,
        "Equals", "GetHashCode", "ToString", "GetType", "MemberwiseClone", "Finalize", "ReferenceEquals",
    };

    /// <summary>The field that holds a kernel's loaded delegate: <c>_</c> and the kernel's name in camelCase.</summary>
    public static string KernelField(string kernelName) => "_" + Camel(kernelName);

    /// <summary>The launchers of a layer's kernels in the nested kernel class.</summary>
    public static IEnumerable<string> LayerKernels(string layerName) => new LayerMemberNames(layerName).Kernels;

    /// <summary>
    /// Every member of the nested kernel class named after a layer: its kernels' launchers and fields, and its named
    /// sizes and offsets.
    /// </summary>
    public static IEnumerable<string> LayerKernelMembers(string layerName) =>
        LayerKernels(layerName).SelectMany(KernelMembers).Concat(new LayerMemberNames(layerName).KernelConstants);

    /// <summary>A kernel's members in the nested kernel class: its launcher, its body and its delegate field.</summary>
    public static IEnumerable<string> KernelMembers(string kernelName) =>
        new[] { kernelName, kernelName + KernelMethodSuffix, kernelName + ProductSuffix, KernelField(kernelName) };

    /// <summary>Members the nested kernel class declares or inherits whatever the layers.</summary>
    public static readonly IReadOnlyList<string> KernelClassReserved = KernelSetInherited
        .Concat(new[] { GpuKernels })
        .Concat(KernelMembers(LossKernel))
        .Concat(KernelMembers(SoftmaxKernel))
        .Concat(new[] { PenaltyField })
        .Distinct()
        .ToArray();
}

/// <summary>The names generated for one layer, each its name followed by a suffix of <see cref="MemberNames"/>.</summary>
internal readonly struct LayerMemberNames(string layerName)
{
    /// <summary>The layer's accessor in the model class, and the stem of every other name here.</summary>
    public string Accessor => layerName;

    // Constants and methods of the model class.
    public string Inputs => layerName + MemberNames.InputsSuffix;
    public string Units => layerName + MemberNames.UnitsSuffix;
    public string WeightsOffset => layerName + MemberNames.WeightsOffsetSuffix;
    public string BiasOffset => layerName + MemberNames.BiasOffsetSuffix;
    public string OutputOffset => layerName + MemberNames.OutputOffsetSuffix;
    public string PreActivationOffset => layerName + MemberNames.PreActivationOffsetSuffix;
    public string DropoutOutputOffset => layerName + MemberNames.DropoutOutputOffsetSuffix;
    public string DropoutMaskOffset => layerName + MemberNames.DropoutMaskOffsetSuffix;
    public string DropoutRate => layerName + MemberNames.DropoutRateSuffix;
    public string L1 => layerName + MemberNames.L1Suffix;
    public string L2 => layerName + MemberNames.L2Suffix;
    public string Forward => layerName + MemberNames.ForwardSuffix;
    public string Backward => layerName + MemberNames.BackwardSuffix;
    public string Window => layerName + MemberNames.WindowSuffix;
    public string ColumnsOffset => layerName + MemberNames.ColumnsOffsetSuffix;
    public string WeightCount => layerName + MemberNames.WeightCountSuffix;
    public string Filters => layerName + MemberNames.FiltersSuffix;
    public string Channels => layerName + MemberNames.ChannelsSuffix;
    public string NormalizedOffset => layerName + MemberNames.NormalizedOffsetSuffix;
    public string StateOffset => layerName + MemberNames.StateOffsetSuffix;
    public string Momentum => layerName + MemberNames.MomentumSuffix;
    public string Epsilon => layerName + MemberNames.EpsilonSuffix;

    /// <summary>Every member of the model class named after the layer.</summary>
    public IEnumerable<string> ClassMembers => new[]
    {
        Accessor, Inputs, Units, WeightsOffset, BiasOffset, OutputOffset, PreActivationOffset, DropoutOutputOffset,
        DropoutMaskOffset, DropoutRate, L1, L2, Forward, Backward, Window, ColumnsOffset, WeightCount, Filters,
        Channels, NormalizedOffset, StateOffset, Momentum, Epsilon,
    };

    // Constants of a sequence model's layers.
    public string Positions => layerName + MemberNames.PositionsSuffix;
    public string TokenTypes => layerName + MemberNames.TokenTypesSuffix;
    public string TokensOffset => layerName + MemberNames.TokensOffsetSuffix;
    public string PositionsOffset => layerName + MemberNames.PositionsOffsetSuffix;
    public string TokenTypesOffset => layerName + MemberNames.TokenTypesOffsetSuffix;
    public string GammaOffset => layerName + MemberNames.GammaOffsetSuffix;
    public string BetaOffset => layerName + MemberNames.BetaOffsetSuffix;
    public string Layers => layerName + MemberNames.LayersSuffix;
    public string Heads => layerName + MemberNames.HeadsSuffix;
    public string FeedForward => layerName + MemberNames.FeedForwardSuffix;
    public string ParametersOffset => layerName + MemberNames.ParametersOffsetSuffix;
    public string ParametersPerLayer => layerName + MemberNames.ParametersPerLayerSuffix;
    public string Stage => layerName + MemberNames.StageSuffix;
    public string FirstStage => layerName + MemberNames.FirstStageSuffix;
    public string Shape => layerName + MemberNames.ShapeSuffix;

    /// <summary>
    /// Every member of a sequence model's class named after the layer, whatever its kind (a name is checked against
    /// all of them, so changing a layer's kind never makes its name clash). The bare name is kept for an accessor.
    /// </summary>
    public IEnumerable<string> SequenceClassMembers => new[]
    {
        Accessor, Inputs, Units, WeightsOffset, BiasOffset, Epsilon, Positions, TokenTypes, TokensOffset, PositionsOffset,
        TokenTypesOffset, GammaOffset, BetaOffset, Layers, Heads, FeedForward, ParametersOffset, ParametersPerLayer,
        Stage, FirstStage, Shape, Forward, Backward,
    };

    // Locals of Forward and Backward.
    public string OutputLocal => MemberNames.Camel(layerName) + MemberNames.OutputLocalSuffix;
    public string DeltaLocal => MemberNames.Camel(layerName) + MemberNames.DeltaLocalSuffix;
    public string PreActivationLocal => MemberNames.Camel(layerName) + MemberNames.PreActivationLocalSuffix;
    public string DroppedLocal => MemberNames.Camel(layerName) + MemberNames.DroppedLocalSuffix;
    public string MaskLocal => MemberNames.Camel(layerName) + MemberNames.MaskLocalSuffix;
    public string ColumnsLocal => MemberNames.Camel(layerName) + MemberNames.ColumnsLocalSuffix;
    public string ColumnDeltasLocal => MemberNames.Camel(layerName) + MemberNames.ColumnDeltasLocalSuffix;
    public string NormalizedLocal => MemberNames.Camel(layerName) + MemberNames.NormalizedLocalSuffix;

    // Kernels of the GPU file's nested kernel class.
    public string ForwardKernel => layerName + MemberNames.ForwardSuffix;
    public string InputGradientKernel => layerName + MemberNames.InputGradientSuffix;
    public string WeightGradientKernel => layerName + MemberNames.WeightGradientSuffix;
    public string BackwardKernel => layerName + MemberNames.BackwardSuffix;

    /// <summary>Every kernel of the nested kernel class named after the layer.</summary>
    public IEnumerable<string> Kernels => new[] { ForwardKernel, InputGradientKernel, WeightGradientKernel, BackwardKernel };

    // Named sizes and offsets of the GPU file's kernel class. No suffix is the end of another, so two layers' names
    // cannot collide through them (a layer "X" with "DropoutMask" against a layer "XDropout" with "Mask").
    public string InputsConstant => layerName + "Inputs";
    public string UnitsConstant => layerName + "Units";
    public string WeightsConstant => layerName + "Weights";
    public string BiasConstant => layerName + "Bias";
    public string OutputsConstant => layerName + "Outputs";
    public string PreActivationsConstant => layerName + "PreActivations";
    public string DropoutConstant => layerName + "Dropout";
    public string DropoutMaskConstant => layerName + "DropoutMask";
    public string L1Constant => layerName + "L1";
    public string L2Constant => layerName + "L2";

    /// <summary>Every named size and offset of the layer in the GPU file's kernel class.</summary>
    public IEnumerable<string> KernelConstants => new[]
    {
        InputsConstant, UnitsConstant, WeightsConstant, BiasConstant, OutputsConstant, PreActivationsConstant,
        DropoutConstant, DropoutMaskConstant, L1Constant, L2Constant,
    };
}
