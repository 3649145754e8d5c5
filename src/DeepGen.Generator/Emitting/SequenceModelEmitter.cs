using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using DeepGen.Generator.Model;
using DeepGen.Generator.Planning;

namespace DeepGen.Generator.Emitting;

/// <summary>
/// Writes one sequence model's C# file: a header table of its layers and stages, its sizes and parameter offsets as
/// constants, the architecture the runtime checks them against, and one static method per layer per pass, each a
/// call of a runtime kernel on the stages' buffers. Forward and Backward are straight lists of those calls.
/// </summary>
/// <remarks>
/// A stage is a step of a pass: one per layer, except a transformer encoder of L layers, which takes L stages in a
/// row. Stage s reads <c>pass.Output(s - 1)</c> and writes <c>pass.Output(s)</c>; its backward pass reads
/// <c>pass.Gradient(s)</c> and writes <c>pass.Gradient(s - 1)</c>. The runtime (SequenceArchitecture) numbers stages
/// the same way and carves their buffers per call, since the sequence length varies.
/// </remarks>
internal static class SequenceModelEmitter
{
    // Names the generated code uses from the runtime, fully qualified so no user type can shadow them.
    private const string BaseClass = "global::DeepGen.SequenceModel";
    private const string ArchitectureType = "global::DeepGen.SequenceArchitecture";
    private const string LayerInfoType = "global::DeepGen.SequenceLayerInfo";
    private const string LayerKindType = "global::DeepGen.SequenceLayerKind";
    private const string ActivationType = "global::DeepGen.Activation";
    private const string PassType = "global::DeepGen.SequencePass";
    private const string EncoderShapeType = "global::DeepGen.Cpu.EncoderShape";
    private const string EmbeddingKernels = "global::DeepGen.Cpu.EmbeddingKernels";
    private const string LayerNormalizationKernels = "global::DeepGen.Cpu.LayerNormalizationKernels";
    private const string EncoderKernels = "global::DeepGen.Cpu.TransformerEncoderKernels";
    private const string PoolingKernels = "global::DeepGen.Cpu.SequencePoolingKernels";
    private const string DenseKernels = "global::DeepGen.Cpu.DenseKernels";
    private const string ActivationStructPrefix = "global::DeepGen.Cpu.";
    private const string ActivationStructSuffix = "Activation";
    private const string EmptyReadOnlySpan = "global::System.ReadOnlySpan<float>.Empty";
    private const string EmptySpan = "global::System.Span<float>.Empty";

    // The pass's members and the generated methods' parameter and locals.
    private const string Pass = "pass";
    private const string PassParameter = "in " + PassType + " " + Pass;
    private const string Parameters = Pass + "." + MemberNames.Parameters;
    private const string Gradients = Pass + ".Gradients";
    private const string Ids = Pass + ".Ids";
    private const string TokenTypes = Pass + ".TokenTypes";
    private const string Mask = Pass + ".Mask";
    private const string Batch = Pass + ".Batch";
    private const string Sequence = Pass + ".Sequence";
    private const string Tokens = Batch + " * " + Sequence;
    private const string Training = Pass + ".Training";
    private const string Scratch = Pass + ".Scratch";
    private const string OutputOf = Pass + ".Output";
    private const string GradientOf = Pass + ".Gradient";
    private const string NormalizedOf = Pass + ".Normalized";
    private const string InverseStdOf = Pass + ".InverseStd";
    private const string KeptOf = Pass + ".Kept";
    private const string SeedParameter = "seed";
    private const string LayerLocal = "layer";
    private const string StageLocal = "stage";
    private const string ParametersLocal = "parameters";

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Emit(SequenceModelPlan plan)
    {
        var w = new SourceWriter();
        WriteHeader(w, plan);
        ModelScope.Open(w, plan.Spec.Namespace, plan.Spec.ContainingTypes, plan.Spec.ClassName, " : " + BaseClass);
        WriteConstants(w, plan);
        WriteArchitecture(w, plan);
        WriteConstructor(w, plan);
        WritePasses(w, plan);
        foreach (var layer in plan.Layers)
        {
            switch (layer.Kind)
            {
                case SequenceLayerKind.Embedding: WriteEmbedding(w, layer); break;
                case SequenceLayerKind.LayerNormalization: WriteLayerNormalization(w, layer); break;
                case SequenceLayerKind.TransformerEncoder: WriteTransformerEncoder(w, layer); break;
                case SequenceLayerKind.MeanPooling: WriteMeanPooling(w, layer); break;
                case SequenceLayerKind.L2Normalize: WriteL2Normalize(w, layer); break;
                default: WriteDense(w, layer, layer.Index > 0 ? plan.Layers[layer.Index - 1] : null); break;
            }
        }

        ModelScope.Close(w, plan.Spec.ContainingTypes);
        return w.ToString();
    }

    // ---- Header -------------------------------------------------------------------------------------------------

    private static void WriteHeader(SourceWriter w, SequenceModelPlan plan)
    {
        w.Line("// <auto-generated/>");
        w.Line($"// DeepGen: {plan.Spec.ClassName}, generated from its [Model] and layer attributes. Change those and build; do not edit.");
        w.Line("//");
        var rows = new List<string[]>
        {
            new[] { "#", "layer", "name", "output shape", "activation", "params", "param offset", "stages" },
            new[] { "", "Input", "", $"≤ {Text(plan.Spec.MaxSequence)} token ids", $"vocabulary {Grouped(plan.Spec.Vocabulary)}", "", "", "" },
        };
        foreach (var layer in plan.Layers)
        {
            rows.Add(new[]
            {
                Text(layer.Index), layer.Kind.ToString(), layer.Name, Shape(layer.Spec.Units, layer.Spec.PerToken),
                HasActivation(layer) ? layer.Spec.Activation.ToString() : "", Grouped(layer.ParameterCount), Grouped(layer.ParametersOffset),
                Stages(layer),
            });
        }

        // A row's last cell may run past its column (the input's vocabulary does), since nothing follows it on that row.
        var widths = Enumerable.Range(0, rows[0].Length)
            .Select(c => rows.Where(r => r.Skip(c + 1).Any(cell => cell.Length > 0)).Select(r => r[c].Length).DefaultIfEmpty(0).Max())
            .ToArray();
        foreach (var row in rows)
            w.Line(("//  " + string.Join("  ", row.Select((cell, c) => cell.PadRight(widths[c])))).TrimEnd());
        var mebibytes = (plan.ParameterCount * 4.0 / (1024 * 1024)).ToString("0.00", Invariant);
        w.Line($"//  {Grouped(plan.ParameterCount)} parameters ({mebibytes} MiB)");
        w.Line("//");
        w.Line("// Buffers: parameters [ParameterCount], laid out by the offsets below (weights [in, out] row-major; an encoder's");
        w.Line("// layers back to back, each in EncoderLayerLayout's order); gradients [ParameterCount], the same layout, overwritten");
        w.Line("// by Backward. Activations are carved per call by the runtime (SequencePass), since the sequence length varies: each");
        w.Line("// stage's outputs are [batch × sequence, width] before the pooling and [batch, width] after it.");
        w.Line();
    }

    private static bool HasActivation(SequenceLayerPlan layer) =>
        layer.Kind is SequenceLayerKind.TransformerEncoder or SequenceLayerKind.Dense;

    /// <summary>The stages column: <c>8</c>, or <c>2–7: 6 layers, 12 heads × 32, feed-forward 1,536</c> for an encoder.</summary>
    private static string Stages(SequenceLayerPlan layer)
    {
        if (layer.Kind != SequenceLayerKind.TransformerEncoder) return Text(layer.FirstStage);
        var range = layer.LastStage > layer.FirstStage ? $"{Text(layer.FirstStage)}–{Text(layer.LastStage)}" : Text(layer.FirstStage);
        return $"{range}: {EncoderLayers(layer.Spec.Layers)}, {Text(layer.Spec.Heads)} heads × {Text(layer.HeadSize)}, feed-forward {Grouped(layer.Spec.FeedForward)}";
    }

    private static string EncoderLayers(int count) => count == 1 ? "1 layer" : $"{Text(count)} layers";

    /// <summary>A layer's output per sample: <c>sequence × 384</c> per token, <c>384</c> per sequence.</summary>
    private static string Shape(int units, bool perToken) => perToken ? $"sequence × {Text(units)}" : Text(units);

    // ---- Constants ----------------------------------------------------------------------------------------------

    private static void WriteConstants(SourceWriter w, SequenceModelPlan plan)
    {
        w.Line("/// <summary>Token ids run from 0 to Vocabulary - 1.</summary>");
        w.Line($"public const int {MemberNames.Vocabulary} = {Literal(plan.Spec.Vocabulary)};");
        w.Line("/// <summary>The longest sequence a call may pass.</summary>");
        w.Line($"public const int {MemberNames.MaxSequence} = {Literal(plan.Spec.MaxSequence)};");
        w.Line(plan.IsPooled ? "/// <summary>Outputs per sequence.</summary>" : "/// <summary>Outputs per token.</summary>");
        w.Line($"public const int {MemberNames.OutputSize} = {Literal(plan.OutputSize)};");
        w.Line("/// <summary>Floats of parameters: the length of the parameter and gradient buffers.</summary>");
        w.Line($"public const int {MemberNames.ParameterCount} = {Literal(plan.ParameterCount)};");
        foreach (var layer in plan.Layers)
        {
            w.Line();
            var n = Names(layer);
            var spec = layer.Spec;
            var stage = $"private const int {n.Stage} = {Text(layer.FirstStage)};";
            switch (layer.Kind)
            {
                case SequenceLayerKind.Embedding:
                    var tables = Embedding(layer, plan);
                    var extras = new List<string>();
                    if (spec.Positions > 0) extras.Add($"positions ({Text(spec.Positions)})");
                    if (spec.TokenTypes > 0) extras.Add($"token types ({Text(spec.TokenTypes)})");
                    w.Line($"// Layer {Text(layer.Index)}, {layer.Name}: token ids → {Shape(spec.Units, perToken: true)}" +
                           (extras.Count > 0 ? ", learned " + string.Join(" and ", extras) : ""));
                    w.Constant(n.Units, Literal(spec.Units), $"Features per token {layer.Name} writes.");
                    w.Constant(n.Positions, Literal(spec.Positions), spec.Positions == 0
                        ? $"Rows of {layer.Name}'s learned position table: 0, it has none."
                        : $"Rows of {layer.Name}'s learned position table: the positions it can embed.");
                    w.Constant(n.TokenTypes, Literal(spec.TokenTypes), spec.TokenTypes == 0
                        ? $"Rows of {layer.Name}'s token-type table: 0, it has none."
                        : $"Rows of {layer.Name}'s token-type table: the token types (segments) it can embed.");
                    w.Constant(n.TokensOffset, Literal(tables.Tokens), $"Where {layer.Name}'s token table [{Text(plan.Spec.Vocabulary)}, {Text(spec.Units)}] starts in the parameters and gradients.");
                    w.Constant(n.PositionsOffset, Literal(tables.Positions), spec.Positions > 0
                        ? $"Where {layer.Name}'s position table [{Text(spec.Positions)}, {Text(spec.Units)}] starts in the parameters and gradients."
                        : $"Where {layer.Name}'s position table would start in the parameters; it is empty.");
                    w.Constant(n.TokenTypesOffset, Literal(tables.TokenTypes), spec.TokenTypes > 0
                        ? $"Where {layer.Name}'s token-type table [{Text(spec.TokenTypes)}, {Text(spec.Units)}] starts in the parameters and gradients."
                        : $"Where {layer.Name}'s token-type table would start in the parameters; it is empty.");
                    w.Line(stage);
                    break;
                case SequenceLayerKind.LayerNormalization:
                    w.Line($"// Layer {Text(layer.Index)}, {layer.Name}: {Shape(spec.Inputs, perToken: true)} → {Shape(spec.Units, perToken: true)}");
                    w.Constant(n.Units, Literal(spec.Units), $"Features per token {layer.Name} normalizes.");
                    w.Constant(n.GammaOffset, Literal(layer.ParametersOffset), $"Where {layer.Name}'s scale gamma [{Text(spec.Units)}] starts in the parameters and gradients.");
                    w.Constant(n.BetaOffset, Literal(layer.ParametersOffset + spec.Units), $"Where {layer.Name}'s offset beta [{Text(spec.Units)}] starts in the parameters and gradients.");
                    w.Line($"private const float {n.Epsilon} = {FloatLiteral(spec.Epsilon)};");
                    w.Line(stage);
                    break;
                case SequenceLayerKind.TransformerEncoder:
                    w.Line($"// Layer {Text(layer.Index)}, {layer.Name}: {(spec.Layers == 1 ? "1 encoder layer" : $"{Text(spec.Layers)} encoder layers")}, " +
                           $"{Text(spec.Heads)} heads × {Text(layer.HeadSize)}, feed-forward {Text(spec.FeedForward)} {spec.Activation}");
                    w.Constant(n.Units, Literal(spec.Units), $"Features per token {layer.Name} reads and writes.");
                    w.Constant(n.Layers, Literal(spec.Layers), $"Encoder layers in {layer.Name}, run one after another.");
                    w.Constant(n.Heads, Literal(spec.Heads), $"Attention heads of each of {layer.Name}'s encoder layers.");
                    w.Constant(n.FeedForward, Literal(spec.FeedForward), $"Width of the feed-forward block's hidden layer in each of {layer.Name}'s encoder layers.");
                    w.Constant(n.ParametersOffset, Literal(layer.ParametersOffset), $"Where {layer.Name}'s first encoder layer's parameters start in the parameters and gradients; the others follow it.");
                    w.Constant(n.ParametersPerLayer, Literal(layer.EncoderLayer.Parameters),
                        $"Parameters of one of {layer.Name}'s encoder layers: EncoderLayerLayout({Text(spec.Units)}, {Text(spec.FeedForward)}).Parameters.");
                    w.Line($"private const float {n.Epsilon} = {FloatLiteral(spec.Epsilon)};");
                    w.Line($"private const int {n.FirstStage} = {Text(layer.FirstStage)};");
                    w.Line($"private static readonly {EncoderShapeType} {n.Shape} = new({n.Units}, {n.Heads}, {n.FeedForward}, {ActivationType}.{spec.Activation}, {n.Epsilon});");
                    break;
                case SequenceLayerKind.MeanPooling:
                    w.Line($"// Layer {Text(layer.Index)}, {layer.Name}: {Shape(spec.Inputs, perToken: true)} → {Shape(spec.Units, perToken: false)}, the mean over each sequence's tokens (the attention mask's 1s)");
                    w.Constant(n.Units, Literal(spec.Units), $"Outputs per sequence of {layer.Name}: the mean of each feature over the tokens.");
                    w.Line(stage);
                    break;
                case SequenceLayerKind.L2Normalize:
                    w.Line($"// Layer {Text(layer.Index)}, {layer.Name}: {Text(spec.Inputs)} → {Text(spec.Units)}, x / max(‖x‖, 1e-12)");
                    w.Constant(n.Units, Literal(spec.Units), $"Outputs per sequence of {layer.Name}: its inputs scaled to unit L2 norm.");
                    w.Line(stage);
                    break;
                default:
                    w.Line($"// Layer {Text(layer.Index)}, {layer.Name}: {Text(spec.Inputs)} → {Text(spec.Units)}, {spec.Activation}" + (spec.UseBias ? "" : ", no bias"));
                    w.Constant(n.Inputs, Literal(spec.Inputs), $"Inputs per sequence of {layer.Name}.");
                    w.Constant(n.Units, Literal(spec.Units), $"Units of {layer.Name}: its outputs per sequence.");
                    w.Constant(n.WeightsOffset, Literal(layer.ParametersOffset), $"Where {layer.Name}'s weights [{Text(spec.Inputs)}, {Text(spec.Units)}] start in the parameters and gradients.");
                    if (spec.UseBias)
                        w.Constant(n.BiasOffset, Literal(layer.ParametersOffset + (long)spec.Inputs * spec.Units), $"Where {layer.Name}'s bias [{Text(spec.Units)}] starts in the parameters and gradients.");
                    w.Line(stage);
                    break;
            }
        }

        w.Line();
    }

    /// <summary>An embedding's table offsets in the model's parameters.</summary>
    private static (long Tokens, long Positions, long TokenTypes) Embedding(SequenceLayerPlan layer, SequenceModelPlan plan)
    {
        var layout = layer.Embedding(plan.Spec.Vocabulary);
        return (layer.ParametersOffset + layout.Tokens, layer.ParametersOffset + layout.PositionTable, layer.ParametersOffset + layout.TokenTypeTable);
    }

    // ---- Architecture and constructor ---------------------------------------------------------------------------

    private static void WriteArchitecture(SourceWriter w, SequenceModelPlan plan)
    {
        w.Line($"private static readonly {ArchitectureType} {MemberNames.ArchitectureDefinition} = new(\"{plan.Spec.ClassName}\", " +
               $"{MemberNames.Vocabulary}, {MemberNames.MaxSequence}, new {LayerInfoType}[]");
        w.Line("{");
        w.Indent();
        foreach (var layer in plan.Layers)
        {
            var n = Names(layer);
            var spec = layer.Spec;
            var head = $"new({Text(layer.Index)}, \"{layer.Name}\", {LayerKindType}.{layer.Kind}, {Literal(spec.Inputs)}, {n.Units}, ";
            w.Line(layer.Kind switch
            {
                SequenceLayerKind.Embedding =>
                    head + $"{n.TokensOffset}, {Literal(layer.ParameterCount)}) {{ Vocabulary = {MemberNames.Vocabulary}, Positions = {n.Positions}, TokenTypes = {n.TokenTypes} }},",
                SequenceLayerKind.LayerNormalization =>
                    head + $"{n.GammaOffset}, {Literal(layer.ParameterCount)}) {{ Epsilon = {n.Epsilon} }},",
                SequenceLayerKind.TransformerEncoder =>
                    head + $"{n.ParametersOffset}, {n.Layers} * {n.ParametersPerLayer}) {{ Layers = {n.Layers}, Heads = {n.Heads}, " +
                    $"FeedForward = {n.FeedForward}, Activation = {ActivationType}.{spec.Activation}, Epsilon = {n.Epsilon} }},",
                SequenceLayerKind.Dense =>
                    head + $"{n.WeightsOffset}, {Literal(layer.ParameterCount)}) {{ Activation = {ActivationType}.{spec.Activation}" +
                    (spec.UseBias ? "" : ", UseBias = false") + " },",
                // No parameters: where they would start, which the runtime checks like any other offset.
                _ => head + $"{Literal(layer.ParametersOffset)}, 0),",
            });
        }

        w.Outdent();
        w.Line("});");
        w.Line();
    }

    private static void WriteConstructor(SourceWriter w, SequenceModelPlan plan)
    {
        var parts = new List<string>();
        if (plan.Layers.Any(l => l.Kind == SequenceLayerKind.Embedding)) parts.Add("embedding tables uniform in [-0.05, 0.05]");
        if (plan.Layers.Any(l => l.Kind is SequenceLayerKind.TransformerEncoder or SequenceLayerKind.Dense)) parts.Add("Glorot-uniform weights, zero biases");
        if (plan.Layers.Any(l => l.Kind is SequenceLayerKind.TransformerEncoder or SequenceLayerKind.LayerNormalization)) parts.Add("LayerNorm scales 1");
        w.Line($"/// <summary>A new model: {string.Join(", ", parts)}.</summary>");
        w.Open($"public {ModelScope.Identifier(plan.Spec.ClassName)}(int {SeedParameter} = 0) : base({MemberNames.ArchitectureDefinition}, {SeedParameter})");
        w.Close();
    }

    private static void WritePasses(SourceWriter w, SequenceModelPlan plan)
    {
        w.Line();
        w.Line("/// <inheritdoc />");
        w.Open($"protected override void {MemberNames.Forward}({PassParameter})");
        foreach (var layer in plan.Layers) w.Line($"{Names(layer).Forward}({Pass});");
        w.Close();
        w.Line();
        w.Line("/// <inheritdoc />");
        w.Open($"protected override void {MemberNames.Backward}({PassParameter})");
        for (var i = plan.Layers.Count - 1; i >= 0; i--) w.Line($"{Names(plan.Layers[i]).Backward}({Pass});");
        w.Close();
    }

    // ---- One method per layer per pass ----------------------------------------------------------------------------

    private static void WriteEmbedding(SourceWriter w, SequenceLayerPlan layer)
    {
        var n = Names(layer);
        var spec = layer.Spec;
        var tables = "tokens[id]" + (spec.Positions > 0 ? " + positions[position]" : "") + (spec.TokenTypes > 0 ? " + token_types[type]" : "");
        string Table(string buffer, string offset, string rows) => $"{buffer}.Slice({offset}, {rows} * {n.Units})";
        w.Line();
        w.Line($"// {layer.Name}: output[tokens, {Text(spec.Units)}] = {tables}" +
               (spec.Positions > 0 && spec.TokenTypes > 0 ? "" : "; a table the layer does not have is an empty slice, which the kernel skips"));
        w.Line($"private static void {n.Forward}({PassParameter}) =>");
        w.Line($"    {EmbeddingKernels}.Forward({Output(n.Stage)}, {Ids}, {TokenTypes},");
        w.Line($"        {Table(Parameters, n.TokensOffset, MemberNames.Vocabulary)},");
        w.Line($"        {Table(Parameters, n.PositionsOffset, n.Positions)},");
        w.Line($"        {Table(Parameters, n.TokenTypesOffset, n.TokenTypes)},");
        w.Line($"        {Batch}, {Sequence}, {n.Units});");
        w.Line();
        w.Line($"// {layer.Name}: each table row's gradient is the sum of the output gradients of the tokens that read it");
        w.Line($"private static void {n.Backward}({PassParameter}) =>");
        w.Line($"    {EmbeddingKernels}.Backward(");
        w.Line($"        {Table(Gradients, n.TokensOffset, MemberNames.Vocabulary)},");
        w.Line($"        {Table(Gradients, n.PositionsOffset, n.Positions)},");
        w.Line($"        {Table(Gradients, n.TokenTypesOffset, n.TokenTypes)},");
        w.Line($"        {Gradient(n.Stage)}, {Ids}, {TokenTypes}, {Batch}, {Sequence}, {n.Units});");
    }

    private static void WriteLayerNormalization(SourceWriter w, SequenceLayerPlan layer)
    {
        var n = Names(layer);
        var gamma = $"{Parameters}.Slice({n.GammaOffset}, {n.Units})";
        var beta = $"{Parameters}.Slice({n.BetaOffset}, {n.Units})";
        w.Line();
        w.Line($"// {layer.Name}: each token's {Text(layer.Spec.Units)} features to zero mean and unit variance, times gamma plus beta");
        w.Line($"private static void {n.Forward}({PassParameter}) =>");
        w.Line($"    {LayerNormalizationKernels}.Forward({Output(n.Stage)}, {NormalizedOf}({n.Stage}),");
        w.Line($"        {InverseStdOf}({n.Stage}), {Output(n.Stage + " - 1")}, default,");
        w.Line($"        {gamma}, {beta},");
        w.Line($"        {Tokens}, {n.Units}, {n.Epsilon});");
        w.Line();
        w.Line($"// {layer.Name}: the input's gradient through the normalization, and gamma's and beta's, from the values Forward kept");
        w.Line($"private static void {n.Backward}({PassParameter}) =>");
        w.Line($"    {LayerNormalizationKernels}.Backward({Gradient(n.Stage + " - 1")},");
        w.Line($"        {Gradients}.Slice({n.GammaOffset}, {n.Units}), {Gradients}.Slice({n.BetaOffset}, {n.Units}),");
        w.Line($"        {Gradient(n.Stage)}, {NormalizedOf}({n.Stage}), {InverseStdOf}({n.Stage}),");
        w.Line($"        {gamma}, {Tokens}, {n.Units});");
    }

    private static void WriteTransformerEncoder(SourceWriter w, SequenceLayerPlan layer)
    {
        var n = Names(layer);
        var spec = layer.Spec;
        var f = spec.Activation.ToString().ToLowerInvariant();
        var slice = $"{n.ParametersOffset} + {LayerLocal} * {n.ParametersPerLayer}";
        w.Line();
        var block = $"h = LN(x + attention(x)); y = LN(h + W2 · {f}(W1 · h + b1) + b2)";
        w.Line($"// {layer.Name}: " + (spec.Layers == 1 ? block + ";" : $"{Text(spec.Layers)} × ({block}), each with its own weights;"));
        w.Line($"//   encoder layer l is stage {n.FirstStage} + l, which reads the stage before it");
        w.Open($"private static void {n.Forward}({PassParameter})");
        w.Open($"for (var {LayerLocal} = 0; {LayerLocal} < {n.Layers}; {LayerLocal}++)");
        w.Line($"var {StageLocal} = {n.FirstStage} + {LayerLocal};");
        w.Line($"{EncoderKernels}.Forward({n.Shape},");
        w.Line($"    {Parameters}.Slice({slice}, {n.ParametersPerLayer}),");
        w.Line($"    {Output(StageLocal)}, {Output(StageLocal + " - 1")}, {Mask}, {Batch}, {Sequence}, {KeptOf}({StageLocal}), {Training});");
        w.Close();
        w.Close();
        w.Line();
        w.Line($"// {layer.Name}: the encoder layers in reverse, each overwriting its own slice of the gradients");
        w.Open($"private static void {n.Backward}({PassParameter})");
        w.Open($"for (var {LayerLocal} = {n.Layers} - 1; {LayerLocal} >= 0; {LayerLocal}--)");
        w.Line($"var {StageLocal} = {n.FirstStage} + {LayerLocal};");
        w.Line($"var {ParametersLocal} = {slice};");
        w.Line($"{EncoderKernels}.Backward({n.Shape},");
        w.Line($"    {Parameters}.Slice({ParametersLocal}, {n.ParametersPerLayer}), {Gradients}.Slice({ParametersLocal}, {n.ParametersPerLayer}),");
        w.Line($"    {Gradient(StageLocal + " - 1")}, {Gradient(StageLocal)}, {Output(StageLocal + " - 1")}, {KeptOf}({StageLocal}), {Mask}, {Batch}, {Sequence}, {Scratch});");
        w.Close();
        w.Close();
    }

    private static void WriteMeanPooling(SourceWriter w, SequenceLayerPlan layer)
    {
        var n = Names(layer);
        w.Line();
        w.Line($"// {layer.Name}: output[batch, {Text(layer.Spec.Units)}] = the mean of each sequence's token vectors where the attention mask is 1");
        w.Line($"private static void {n.Forward}({PassParameter}) =>");
        w.Line($"    {PoolingKernels}.MaskedMeanForward({Output(n.Stage)}, {Output(n.Stage + " - 1")}, {Mask}, {Batch}, {Sequence}, {n.Units});");
        w.Line();
        w.Line($"// {layer.Name}: each token's gradient is its sequence's gradient over the number of its tokens; padding gets 0");
        w.Line($"private static void {n.Backward}({PassParameter}) =>");
        w.Line($"    {PoolingKernels}.MaskedMeanBackward({Gradient(n.Stage + " - 1")}, {Gradient(n.Stage)}, {Mask}, {Batch}, {Sequence}, {n.Units});");
    }

    private static void WriteL2Normalize(SourceWriter w, SequenceLayerPlan layer)
    {
        var n = Names(layer);
        w.Line();
        w.Line($"// {layer.Name}: output = x / max(‖x‖, 1e-12) per sequence");
        w.Line($"private static void {n.Forward}({PassParameter}) =>");
        w.Line($"    {PoolingKernels}.L2NormalizeForward({Output(n.Stage)}, {Output(n.Stage + " - 1")}, {Batch}, {n.Units});");
        w.Line();
        w.Line($"// {layer.Name}: the input's gradient, (g - y (y · g)) / ‖x‖, from the input and the output");
        w.Line($"private static void {n.Backward}({PassParameter}) =>");
        w.Line($"    {PoolingKernels}.L2NormalizeBackward({Gradient(n.Stage + " - 1")}, {Gradient(n.Stage)},");
        w.Line($"        {Output(n.Stage + " - 1")}, {Output(n.Stage)}, {Batch}, {n.Units});");
    }

    /// <summary>
    /// A dense layer on the pooled vectors. Its stage's gradient is dLoss/d(pre-activation): the loss folds the last
    /// layer's activation into it, and a Dense folds the activation of the Dense before it into the gradient it writes
    /// (the derivative from that layer's outputs, which is why GELU and Swish, whose derivatives need the
    /// pre-activations, are refused here by the parser). Any other layer before it passes its gradient through as is.
    /// </summary>
    private static void WriteDense(SourceWriter w, SequenceLayerPlan layer, SequenceLayerPlan? previous)
    {
        var n = Names(layer);
        var spec = layer.Spec;
        var f = spec.Activation.ToString().ToLowerInvariant();
        var weights = $"{Parameters}.Slice({n.WeightsOffset}, {n.Inputs} * {n.Units})";
        var bias = spec.UseBias ? $"{Parameters}.Slice({n.BiasOffset}, {n.Units})" : EmptyReadOnlySpan;
        var kernel = spec.Activation == Activation.Softmax
            ? $"{DenseKernels}.ForwardSoftmax("
            : $"{DenseKernels}.Forward<{ActivationStruct(spec.Activation)}>(";
        w.Line();
        w.Line($"// {layer.Name}: output[batch, {Text(spec.Units)}] = {f}(input[batch, {Text(spec.Inputs)}] · W[{Text(spec.Inputs)}, {Text(spec.Units)}]" +
               (spec.UseBias ? $" + b[{Text(spec.Units)}])" : ")"));
        w.Line($"private static void {n.Forward}({PassParameter}) =>");
        w.Line($"    {kernel}{Output(n.Stage)}, {Output(n.Stage + " - 1")},");
        w.Line($"        {weights}, {bias},");
        w.Line($"        {Batch}, {n.Inputs}, {n.Units});");

        var previousActivation = previous is { Kind: SequenceLayerKind.Dense } ? previous.Spec.Activation : Activation.Linear;
        var derivative = previousActivation == Activation.Linear ? "" : $" ⊙ {previousActivation.ToString().ToLowerInvariant()}'(input)";
        w.Line();
        w.Line($"// {layer.Name}: dW = inputᵀ · delta" + (spec.UseBias ? " and db = Σ over the batch of delta" : "") +
               $"; then the input's gradient, delta · Wᵀ{derivative}");
        w.Open($"private static void {n.Backward}({PassParameter})");
        w.Line($"{DenseKernels}.WeightGradients(");
        w.Line($"    {Gradients}.Slice({n.WeightsOffset}, {n.Inputs} * {n.Units}), " +
               (spec.UseBias ? $"{Gradients}.Slice({n.BiasOffset}, {n.Units})," : $"{EmptySpan},"));
        w.Line($"    {Output(n.Stage + " - 1")}, {Gradient(n.Stage)}, {Batch}, {n.Inputs}, {n.Units});");
        w.Line($"{DenseKernels}.InputGradients<{ActivationStruct(previousActivation)}>(");
        w.Line($"    {Gradient(n.Stage + " - 1")}, {Gradient(n.Stage)}, {weights},");
        w.Line($"    {Output(n.Stage + " - 1")}, {Scratch}, {Batch}, {n.Inputs}, {n.Units});");
        w.Close();
    }

    // ---- Helpers ------------------------------------------------------------------------------------------------

    private static string ActivationStruct(Activation activation) => ActivationStructPrefix + activation + ActivationStructSuffix;

    private static string Output(string stage) => $"{OutputOf}({stage})";

    private static string Gradient(string stage) => $"{GradientOf}({stage})";

    private static LayerMemberNames Names(SequenceLayerPlan layer) => new(layer.Name);

    /// <summary>The shortest text that reads back as the same float, e.g. <c>1E-12</c>.</summary>
    private static string FloatLiteral(float value) => value.ToString("R", Invariant) + "f";

    private static string Text(long value) => value.ToString(Invariant);

    private static string Grouped(long value) => value.ToString("N0", Invariant);

    /// <summary>An int literal with digit separators every three digits, e.g. <c>30_522</c>.</summary>
    private static string Literal(long value) => Grouped(value).Replace(",", "_");
}
