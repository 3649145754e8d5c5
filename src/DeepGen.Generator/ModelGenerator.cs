using System.Linq;
using Microsoft.CodeAnalysis;
using DeepGen.Generator.Diagnostics;
using DeepGen.Generator.Emitting;
using DeepGen.Generator.Model;
using DeepGen.Generator.Parsing;
using DeepGen.Generator.Planning;

namespace DeepGen.Generator;

/// <summary>Compiles each [Model] class into fused, shape-specialized forward, backward and training code.</summary>
[Generator(LanguageNames.CSharp)]
public sealed class ModelGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // 1. Parse: every class carrying [Model] becomes a ModelSpec (floats in) or a SequenceModelSpec (token ids in) of
        //    plain values, with its diagnostics beside it.
        var parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(ModelParser.ModelAttributeName,
                static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax,
                ModelParser.Parse)
            .WithTrackingName(TrackingNames.Parse);

        // 2. Diagnostics leave on their own output, so moving a declaration re-reports locations without re-emitting code.
        //    They are reported against the compilation's own syntax tree, so `#pragma warning disable DGxxxx` reaches
        //    them (a location made from a file path alone is outside every tree, where pragmas do not apply).
        context.RegisterSourceOutput(
            parsed.SelectMany(static (result, _) => result.Diagnostics).WithTrackingName(TrackingNames.Diagnostics)
                .Combine(context.CompilationProvider),
            static (output, pair) => output.ReportDiagnostic(pair.Left.ToDiagnostic(pair.Right)));

        // 3. Plan: lay every valid model out in flat buffers, all offsets constant.
        var plans = parsed
            .Where(static result => result.Spec is not null)
            .Select(static (result, _) => LayoutPlanner.Plan(result.Spec!))
            .WithTrackingName(TrackingNames.Plan);

        //    Sequence models (token ids in) have a plan of their own: parameter offsets and stages; their activations
        //    are carved per call by the runtime, since the sequence length varies.
        var sequencePlans = parsed
            .Where(static result => result.Sequence is not null)
            .Select(static (result, _) => SequencePlanner.Plan(result.Sequence!))
            .WithTrackingName(SequenceTrackingNames.SequencePlan);

        // 4. Emit: one readable file per model. File names must differ ignoring case, so each model also sees every
        //    model's file name, to tell Net.g.cs from net.g.cs; that list changes only when a model is added or renamed.
        var hintNames = plans
            .Select(static (plan, _) => plan.Spec.HintName)
            .Collect()
            .Combine(sequencePlans.Select(static (plan, _) => plan.Spec.HintName).Collect())
            .Select(static (names, _) => names.Left.Concat(names.Right).ToEquatableArray())
            .WithTrackingName(TrackingNames.HintNames);
        context.RegisterSourceOutput(plans.Combine(hintNames),
            static (output, pair) => output.AddSource(HintNames.Unique(pair.Left.Spec.HintName, pair.Right), ModelEmitter.Emit(pair.Left)));
        context.RegisterSourceOutput(sequencePlans.Combine(hintNames),
            static (output, pair) => output.AddSource(HintNames.Unique(pair.Left.Spec.HintName, pair.Right), SequenceModelEmitter.Emit(pair.Left)));

        // 5. Layers on a class without [Model] generate nothing: say so rather than stay silent. One pipeline per layer
        //    attribute; a declaration is reported by the pipeline of its first layer attribute only, so just once.
        foreach (var layerAttribute in ModelParser.LayerAttributeNames)
        {
            var orphanLayers = context.SyntaxProvider
                .ForAttributeWithMetadataName(layerAttribute,
                    static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.TypeDeclarationSyntax,
                    OrphanLayers.Find)
                .Where(static diagnostic => diagnostic is not null)
                .WithTrackingName(TrackingNames.OrphanLayers);
            context.RegisterSourceOutput(orphanLayers.Combine(context.CompilationProvider),
                static (output, pair) => output.ReportDiagnostic(pair.Left!.ToDiagnostic(pair.Right)));
        }

        // 6. GPU: only when the project references DeepGen.Gpu, a second file per model with its ILGPU kernels. The
        //    compilation is reduced to one bool at once, so an edit elsewhere leaves the models' GPU output cached.
        var gpuReferenced = context.CompilationProvider
            .Select(static (compilation, _) => compilation.GetTypeByMetadataName(GpuEmitter.MarkerTypeName) is not null)
            .WithTrackingName(GpuTrackingNames.GpuReferenced);
        var gpuPlans = plans
            .Combine(gpuReferenced)
            .Select(static (pair, _) => pair.Right ? pair.Left : null)
            .WithTrackingName(GpuTrackingNames.GpuPlan)
            .Where(static plan => plan is not null);
        context.RegisterSourceOutput(gpuPlans.Combine(hintNames), static (output, pair) =>
        {
            var plan = pair.Left!;
            var unsupported = GpuEmitter.FindUnsupported(plan);
            if (unsupported is not null)
            {
                output.ReportDiagnostic(DiagnosticInfo.Create(DiagnosticDescriptors.NoGpuKernels, null, plan.Spec.ClassName, unsupported).ToDiagnostic());
                return;
            }

            output.AddSource(HintNames.Gpu(HintNames.Unique(plan.Spec.HintName, pair.Right)), GpuEmitter.Emit(plan));
        });

        //    No layer of a sequence model has a GPU kernel yet: such a model runs on the CPU, and the project that
        //    references DeepGen.Gpu is told why it gets no GPU file (an Info, as for any other model without one).
        var gpuSequencePlans = sequencePlans
            .Combine(gpuReferenced)
            .Where(static pair => pair.Right)
            .Select(static (pair, _) => pair.Left)
            .WithTrackingName(GpuTrackingNames.GpuSequencePlan);
        context.RegisterSourceOutput(gpuSequencePlans, static (output, plan) =>
            output.ReportDiagnostic(DiagnosticInfo.Create(DiagnosticDescriptors.NoGpuKernels, null, plan.Spec.ClassName, GpuEmitter.FindUnsupported(plan)).ToDiagnostic()));
    }
}

/// <summary>Names of the pipeline steps, for the incremental-caching tests.</summary>
internal static class TrackingNames
{
    public const string Parse = nameof(Parse);
    public const string Diagnostics = nameof(Diagnostics);
    public const string Plan = nameof(Plan);
    public const string HintNames = nameof(HintNames);
    public const string OrphanLayers = nameof(OrphanLayers);
}

/// <summary>
/// Names of the GPU pipeline's steps. Kept apart from <see cref="TrackingNames"/>: Roslyn reports these steps only for
/// compilations that reference DeepGen.Gpu, and the caching tests expect every <see cref="TrackingNames"/> step in
/// every run.
/// </summary>
internal static class GpuTrackingNames
{
    public const string GpuReferenced = nameof(GpuReferenced);
    public const string GpuPlan = nameof(GpuPlan);
    public const string GpuSequencePlan = nameof(GpuSequencePlan);
}

/// <summary>
/// Names of the sequence models' steps. Kept apart from <see cref="TrackingNames"/> for the same reason as the GPU
/// steps: the caching tests expect every <see cref="TrackingNames"/> step in every run, and a compilation without a
/// sequence model may not report these.
/// </summary>
internal static class SequenceTrackingNames
{
    public const string SequencePlan = nameof(SequencePlan);
}
