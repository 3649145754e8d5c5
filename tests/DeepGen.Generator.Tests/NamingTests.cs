using DeepGen.Generator.Model;
using DeepGen.Gpu;
using Microsoft.CodeAnalysis;

namespace DeepGen.Generator.Tests;

/// <summary>
/// Unusual but valid names: the generated files must still compile, in a CPU-only project and in one that references
/// DeepGen.Gpu (which adds each model's GPU file), and every model gets its own files. Names the generated code
/// already uses are refused with DG0007, and that list is checked against the runtime by reflection.
/// </summary>
public class NamingTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void KeywordsUsedAsNamesKeepTheirAt(bool gpu)
    {
        var run = GeneratorHarness.Run(gpu, """
            using DeepGen;
            namespace @event.Models;
            public partial class @struct
            {
                [Model(Input = 4)]
                [Dense(2)]
                public partial class @class;
            }
            """);

        Assert.True(run.OutputDiagnostics.IsEmpty, GeneratorRun.Describe(run.OutputDiagnostics));
        var (hintName, text) = Assert.Single(CpuFiles(run, gpu));
        Assert.Equal("event.Models.struct+class.g.cs", hintName);
        Assert.Contains("partial class @struct", text);
        Assert.Contains("partial class @class : global::DeepGen.SequentialModel", text);
        Assert.Contains("public @class(int seed = 0)", text);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ModelsWhoseNamesDifferOnlyInCaseGetTheirOwnFiles(bool gpu)
    {
        var run = GeneratorHarness.Run(gpu, 
            "using DeepGen; [Model(Input = 4)] [Dense(2)] public partial class net;",
            "using DeepGen; [Model(Input = 4)] [Dense(3)] public partial class Net;",
            "using DeepGen; [Model(Input = 4)] [Dense(5)] public partial class NET;");

        Assert.Null(run.Result.Exception);
        Assert.True(run.OutputDiagnostics.IsEmpty, GeneratorRun.Describe(run.OutputDiagnostics));
        Assert.Equal(["NET.g.cs", "Net.2.g.cs", "net.3.g.cs"], CpuFiles(run, gpu).Select(s => s.HintName).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ANestedModelAndANamespaceOfTheSameNameDoNotShareAFile(bool gpu)
    {
        var run = GeneratorHarness.Run(gpu, """
            using DeepGen;
            namespace A.B { [Model(Input = 4)] [Dense(2)] public partial class C; }
            namespace A { public partial class B { [Model(Input = 4)] [Dense(2)] public partial class C; } }
            """);

        Assert.Null(run.Result.Exception);
        Assert.Equal(["A.B+C.g.cs", "A.B.C.g.cs"], CpuFiles(run, gpu).Select(s => s.HintName).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void UnicodeNamesCompile(bool gpu)
    {
        var run = GeneratorHarness.Run(gpu, """
            using DeepGen;
            namespace Модели;
            [Model(Input = 4)]
            [Dense(3, Activation.Relu, Name = "Скрытый")]
            [Dense(2, Activation.Softmax, Name = "Выход")]
            public partial class Модель;
            """);

        Assert.True(run.OutputDiagnostics.IsEmpty, GeneratorRun.Describe(run.OutputDiagnostics));
        Assert.Equal("Модели.Модель.g.cs", Assert.Single(CpuFiles(run, gpu)).HintName);
    }

    /// <summary>
    /// The generated CPU files; in a project that references DeepGen.Gpu, after checking that each has its GPU file
    /// beside it.
    /// </summary>
    private static IReadOnlyList<(string HintName, string Text)> CpuFiles(GeneratorRun run, bool gpu)
    {
        var cpu = run.Sources.Where(s => !s.HintName.EndsWith(GpuSuffix, StringComparison.Ordinal)).ToList();
        var gpuFiles = run.Sources.Where(s => s.HintName.EndsWith(GpuSuffix, StringComparison.Ordinal)).Select(s => s.HintName);
        var expected = gpu ? cpu.Select(s => s.HintName[..^".g.cs".Length] + GpuSuffix).Order(StringComparer.Ordinal).ToList() : [];
        Assert.Equal(expected, gpuFiles.Order(StringComparer.Ordinal).ToList());
        return cpu;
    }

    private const string GpuSuffix = ".Gpu.g.cs";

    // ---- The reserved names ------------------------------------------------------------------------------------

    [Fact]
    public void EveryReservedNameIsRefusedWithDG0007() => AssertRefused(MemberNames.Reserved);

    /// <summary>
    /// The public and protected members of SequentialModel (and of System.Object, which it derives from), read by
    /// reflection: a member added to the runtime must be refused as a layer name, or a model with a layer of that
    /// name would hide it (CS0108) and fail to build under warnings-as-errors.
    /// </summary>
    [Fact]
    public void EveryInheritedMemberOfSequentialModelIsReservedAndRefused()
    {
        var inherited = TypeMembers.AccessibleNames(typeof(SequentialModel));
        Assert.Contains("Embed", inherited);
        Assert.Contains("IsInferenceOnly", inherited);
        Assert.Contains("ReferenceEquals", inherited);
        var missing = inherited.Except(MemberNames.Inherited).ToList();
        Assert.True(missing.Count == 0, "MemberNames.Inherited lacks: " + string.Join(", ", missing));
        AssertRefused(inherited);
    }

    /// <summary>
    /// Everything the two generated files declare in a model class, read from a compiled model with every kind of
    /// layer member: what is not named after a layer must be on the reserved list, and what is must be a member
    /// <see cref="MemberNames.LayerMembers"/> lists for that layer (so a layer can be checked against it).
    /// </summary>
    [Fact]
    public void EveryGeneratedMemberIsReservedOrNamedAfterALayer()
    {
        var run = GeneratorHarness.Run(gpu: true, """
            using DeepGen;
            [Model(Input = 4)]
            [Dense(5, Activation.Gelu, Name = "Hidden", L1 = 0.01, L2 = 0.01)]
            [Dropout(0.5)]
            [Dense(3, Activation.Softmax, Name = "Last")]
            public partial class Everything;

            [Model(Input = 4)]
            [Dense(5, Activation.Sigmoid, Name = "Hidden")]
            [Dense(3, Activation.Softmax, Name = "Last")]
            public partial class OnGpu;
            """);
        Assert.True(run.OutputDiagnostics.IsEmpty, GeneratorRun.Describe(run.OutputDiagnostics));
        Assert.Contains(run.Sources, s => s.HintName == "OnGpu" + GpuSuffix);

        var layerMembers = new[] { "Hidden", "Last" }.SelectMany(MemberNames.LayerMembers).ToHashSet();
        var layerKernelMembers = new[] { "Hidden", "Last" }.SelectMany(MemberNames.LayerKernelMembers).ToHashSet();
        foreach (var className in new[] { "Everything", "OnGpu" })
        {
            var model = run.Output.GetTypeByMetadataName(className)!;
            var declared = TypeMembers.DeclaredNames(model);
            var unlisted = declared.Where(n => !MemberNames.IsReserved(n) && !layerMembers.Contains(n)).ToList();
            Assert.True(unlisted.Count == 0, $"{className} declares members on no list: {string.Join(", ", unlisted)}");
        }

        // The first model has every kind of per-layer member (penalties, pre-activations, dropout), so each was checked.
        var everything = TypeMembers.DeclaredNames(run.Output.GetTypeByMetadataName("Everything")!);
        Assert.All(new[] { MemberNames.L1Suffix, MemberNames.PreActivationOffsetSuffix, MemberNames.DropoutMaskOffsetSuffix },
            suffix => Assert.Contains("Hidden" + suffix, everything));

        var kernels = run.Output.GetTypeByMetadataName("OnGpu+" + MemberNames.GpuKernels);
        Assert.NotNull(kernels);
        var unlistedKernelMembers = TypeMembers.DeclaredNames(kernels)
            .Where(n => n != MemberNames.GpuKernels && !MemberNames.KernelClassReserved.Contains(n) && !layerKernelMembers.Contains(n))
            .ToList();
        Assert.True(unlistedKernelMembers.Count == 0, "The GPU kernel class declares members on no list: " + string.Join(", ", unlistedKernelMembers));
        var missing = TypeMembers.AccessibleNames(typeof(GpuKernelSet)).Except(MemberNames.KernelSetInherited).ToList();
        Assert.True(missing.Count == 0, "MemberNames.KernelSetInherited lacks: " + string.Join(", ", missing));
        Assert.Contains(MemberNames.ToDevice, TypeMembers.DeclaredNames(run.Output.GetTypeByMetadataName("OnGpu")!));
    }

    /// <summary>
    /// Ordinary names, many of them near the reserved ones (<c>Embedding</c>, <c>Loss</c>, <c>Device</c>), each the
    /// reserved names with a prefix: all of them compile, with the GPU file, without a warning.
    /// </summary>
    [Fact]
    public void EveryOtherOrdinaryNameCompilesWithTheGpuFile()
    {
        string[] near =
        [
            "Hidden", "Output", "Encoder", "Embedding", "Embeddings", "Loss", "Softmax", "Sigmoid", "Tile", "Accelerator",
            "Device", "Kernels", "Gpu", "Cpu", "ModelArchitecture", "SequentialModel", "Inference", "IsTraining", "Step",
            "Train", "Optimizer", "Batch", "Input", "Deltas", "Activations", "Weights", "Bias", "Dense", "Dropout",
            "ForwardAndLoss", "ReduceStep", "TileGrid", "RowGrid", "RowGroupSize", "Value", "Item", "Count", "Length",
        ];
        var names = near.Concat(MemberNames.Reserved.Select(name => "My" + name)).ToList();
        Assert.DoesNotContain(names, MemberNames.IsReserved);

        var layers = string.Concat(names.Select((name, i) =>
            $"[Dense(3, {(i == names.Count - 1 ? "Activation.Softmax" : "Activation.Sigmoid")}, Name = \"{name}\")] "));
        var run = GeneratorHarness.Run(gpu: true, $"using DeepGen; [Model(Input = 4)] {layers}public partial class Ordinary;");

        Assert.Null(run.Result.Exception);
        Assert.True(run.OutputDiagnostics.IsEmpty, GeneratorRun.Describe(run.OutputDiagnostics));
        Assert.Equal(["Ordinary" + GpuSuffix, "Ordinary.g.cs"], run.Sources.Select(s => s.HintName).Order(StringComparer.Ordinal));
    }

    /// <summary>One model per name, each with one layer of that name, in a project referencing DeepGen.Gpu: each gets DG0007 and nothing is emitted.</summary>
    private static void AssertRefused(IReadOnlyCollection<string> names)
    {
        var models = names.Select((name, i) => $"[Model(Input = 4)] [Dense(2, Name = \"{name}\")] public partial class Model{i};");
        var run = GeneratorHarness.Run(gpu: true, "using DeepGen;\n" + string.Join("\n", models));

        Assert.Null(run.Result.Exception);
        var accepted = names.Where(name => !run.GeneratorDiagnostics.Any(d => d.Id == "DG0007" && d.GetMessage().Contains($"named '{name}'", StringComparison.Ordinal))).ToList();
        Assert.True(accepted.Count == 0, "Not refused with DG0007: " + string.Join(", ", accepted) + Environment.NewLine + GeneratorRun.Describe(run.OutputDiagnostics));
        Assert.Equal(names.Count, run.GeneratorDiagnostics.Length);
        Assert.Empty(run.Sources);
        var compilerProblems = run.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(compilerProblems.Count == 0, GeneratorRun.Describe(compilerProblems));
    }
}
