using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DeepGen.Generator.Tests;

/// <summary>
/// Compiles source strings in memory, runs <see cref="ModelGenerator"/> over them the way the compiler does, and hands
/// back what came out: the generated files, the generator's diagnostics and the diagnostics of the final compilation.
/// </summary>
internal static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private static readonly CSharpCompilationOptions CompilationOptions = new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary)
        .WithNullableContextOptions(NullableContextOptions.Enable)
        // The SDK silences these two assembly-unification notes too; the test host's assemblies trigger them.
        .WithSpecificDiagnosticOptions(new Dictionary<string, ReportDiagnostic>
        {
            ["CS1701"] = ReportDiagnostic.Suppress,
            ["CS1702"] = ReportDiagnostic.Suppress,
        });

    /// <summary>
    /// The running test's platform assemblies, plus DeepGen.Runtime, which every model derives from. The generator
    /// and this test assembly are left out: the generator compiles the attributes in too, and a user's project never
    /// references it, only runs it.
    /// </summary>
    public static readonly ImmutableArray<MetadataReference> References = LoadReferences();

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(path => path != typeof(ModelGenerator).Assembly.Location && path != typeof(GeneratorHarness).Assembly.Location)
            .Where(path => !IsGpuAssembly(path))
            .ToList();
        var runtime = typeof(SequentialModel).Assembly.Location;
        if (!paths.Contains(runtime)) paths.Add(runtime);
        return [.. paths.Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))];
    }

    /// <summary>
    /// <see cref="References"/> plus DeepGen.Gpu and ILGPU: a project that references the GPU back end, for which the
    /// generator also writes each model's GPU file. Every other test compiles without them, as a CPU-only project.
    /// </summary>
    public static readonly ImmutableArray<MetadataReference> GpuReferences =
    [
        .. References,
        .. ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(IsGpuAssembly)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path)),
    ];

    private static bool IsGpuAssembly(string path) =>
        Path.GetFileName(path) is "DeepGen.Gpu.dll" or "ILGPU.dll" or "ILGPU.Algorithms.dll";

    /// <summary>A compilation of <paramref name="sources"/> in a project that references DeepGen.Gpu.</summary>
    public static CSharpCompilation CreateGpuCompilation(params string[] sources) =>
        CSharpCompilation.Create("DeepGenGpuTests_" + Guid.NewGuid().ToString("N"),
            sources.Select((source, i) => CSharpSyntaxTree.ParseText(source, ParseOptions, path: $"Source{i}.cs")),
            GpuReferences, CompilationOptions);

    /// <summary>A compilation of <paramref name="sources"/>, named <c>Source0.cs</c>, <c>Source1.cs</c>, ….</summary>
    public static CSharpCompilation CreateCompilation(params string[] sources) =>
        CSharpCompilation.Create("DeepGenTests_" + Guid.NewGuid().ToString("N"),
            sources.Select((source, i) => CSharpSyntaxTree.ParseText(source, ParseOptions, path: $"Source{i}.cs")),
            References, CompilationOptions);

    /// <summary>A driver with step tracking on, so the caching tests can read each step's run reason.</summary>
    public static GeneratorDriver CreateDriver() =>
        CSharpGeneratorDriver.Create(
            [new ModelGenerator().AsSourceGenerator()],
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    public static GeneratorRun Run(params string[] sources) => Run(CreateCompilation(sources));

    /// <summary>Runs over <paramref name="sources"/> in a CPU-only project, or one that references DeepGen.Gpu.</summary>
    public static GeneratorRun Run(bool gpu, params string[] sources) =>
        Run(gpu ? CreateGpuCompilation(sources) : CreateCompilation(sources));

    /// <summary>
    /// Runs over <paramref name="sources"/> in the strictest build a user may have (every warning of every warning
    /// wave an error, nullable on, arithmetic checked), in a CPU-only project or one that references DeepGen.Gpu, and
    /// asserts the generator does not throw and the output compiles and emits with no diagnostic but the Info DG0100
    /// (a model that gets no GPU code).
    /// </summary>
    public static GeneratorRun RunStrictest(bool gpu, params string[] sources)
    {
        var input = gpu ? CreateGpuCompilation(sources) : CreateCompilation(sources);
        var run = Run(input.WithOptions(input.Options
            .WithGeneralDiagnosticOption(ReportDiagnostic.Error)
            .WithWarningLevel(9999)
            .WithNullableContextOptions(NullableContextOptions.Enable)
            .WithOverflowChecks(true)));

        Assert.Null(run.Result.Exception);
        var problems = run.Output.GetDiagnostics().Concat(run.GeneratorDiagnostics).Where(d => d.Severity != DiagnosticSeverity.Hidden && d.Id != "DG0100").ToList();
        Assert.True(problems.Count == 0, GeneratorRun.Describe(problems));
        _ = run.Emit();
        return run;
    }

    public static GeneratorRun Run(Compilation input, GeneratorDriver? driver = null)
    {
        driver = (driver ?? CreateDriver()).RunGeneratorsAndUpdateCompilation(input, out var output, out var generatorDiagnostics);
        return new GeneratorRun(input, output, driver, generatorDiagnostics);
    }
}

/// <summary>One run of the generator and everything the tests look at afterwards.</summary>
internal sealed class GeneratorRun(Compilation input, Compilation output, GeneratorDriver driver, ImmutableArray<Diagnostic> generatorDiagnostics)
{
    public Compilation Input { get; } = input;

    /// <summary>The input with the generated files added.</summary>
    public Compilation Output { get; } = output;

    /// <summary>The driver after this run: run it again on an edited compilation to test caching.</summary>
    public GeneratorDriver Driver { get; } = driver;

    public ImmutableArray<Diagnostic> GeneratorDiagnostics { get; } = generatorDiagnostics;

    public GeneratorDriverRunResult RunResult { get; } = driver.GetRunResult();

    public GeneratorRunResult Result => RunResult.Results.Single();

    /// <summary>Generated files by hint name, text with \n line endings.</summary>
    public IReadOnlyList<(string HintName, string Text)> Sources =>
        [.. Result.GeneratedSources.Select(s => (s.HintName, s.SourceText.ToString().ReplaceLineEndings("\n")))];

    public string SingleSource => Assert.Single(Sources).Text;

    /// <summary>Warnings and errors of the final compilation, the generator's own diagnostics included.</summary>
    public ImmutableArray<Diagnostic> OutputDiagnostics =>
        [.. Output.GetDiagnostics().Concat(GeneratorDiagnostics).Where(d => d.Severity >= DiagnosticSeverity.Warning)];

    /// <summary>The output compiled to an assembly image; the test fails with the compiler's errors if it does not emit.</summary>
    public byte[] Emit()
    {
        using var image = new MemoryStream();
        var emit = Output.Emit(image);
        Assert.True(emit.Success, Describe(emit.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        return image.ToArray();
    }

    public static string Describe(IEnumerable<Diagnostic> diagnostics) =>
        string.Join(Environment.NewLine, diagnostics.Select(d => d.ToString()));
}
