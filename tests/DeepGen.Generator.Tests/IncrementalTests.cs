using System.Runtime.CompilerServices;
using System.Collections;
using System.Reflection;
using DeepGen.Generator.Diagnostics;
using DeepGen.Generator.Model;
using DeepGen.Generator.Parsing;
using DeepGen.Generator.Planning;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace DeepGen.Generator.Tests;

/// <summary>
/// The pipeline caches: an edit that does not change a model re-emits nothing, and its models hold plain values
/// only, so they compare equal from one compilation to the next.
/// </summary>
public class IncrementalTests
{
    private const string SourceOutput = "SourceOutput";

    private static readonly IncrementalStepRunReason[] Reused = [IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged];

    public static TheoryData<string, string> ModelPairs() => new()
    {
        { TestModels.MnistMlp, TestModels.NamedLayers },
        { TestModels.MnistConvnet, TestModels.MnistMlp }, // a convnet caches like a dense model
    };

    [Theory]
    [MemberData(nameof(ModelPairs))]
    public void AddingAnUnrelatedFileReusesEverything(string first, string second)
    {
        var (driver, compilation) = FirstRun(first, second);

        var edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText(
            "public static class Unrelated { public static int Answer => 42; }", GeneratorHarness.ParseOptions, path: "Unrelated.cs"));
        var result = Rerun(driver, edited);

        AssertReasons(result, TrackingNames.Parse, Reused);
        AssertReasons(result, TrackingNames.Plan, Reused);
        AssertReasons(result, SourceOutput, Reused);
        Assert.Equal(2, result.GeneratedSources.Length);
    }

    [Fact]
    public void EditingAnUnrelatedFileReusesEverything()
    {
        var (driver, compilation) = FirstRun(TestModels.MnistMlp, "public static class Unrelated { public static int Answer => 42; }");

        var edited = Edit(compilation, 1, text => text.Replace("42", "43"));
        var result = Rerun(driver, edited);

        AssertReasons(result, TrackingNames.Parse, Reused);
        AssertReasons(result, TrackingNames.Plan, Reused);
        AssertReasons(result, SourceOutput, Reused);
    }

    [Fact]
    public void ChangingAModelRegeneratesThatModelOnly()
    {
        var (driver, compilation) = FirstRun(TestModels.MnistMlp, TestModels.NamedLayers);

        var edited = Edit(compilation, 0, text => ReplaceFirst(text, "[Dense(500, Sigmoid)]", "[Dense(400, Sigmoid)]"));
        var result = Rerun(driver, edited);

        Assert.Equal(
            [IncrementalStepRunReason.Modified, IncrementalStepRunReason.Unchanged],
            result.TrackedSteps[TrackingNames.Parse].Select(Reason));
        Assert.Equal(
            [IncrementalStepRunReason.Modified, IncrementalStepRunReason.Cached],
            result.TrackedSteps[TrackingNames.Plan].Select(Reason));
        var outputs = OutputReasons(result, SourceOutput).ToList();
        Assert.Equal(1, outputs.Count(reason => reason == IncrementalStepRunReason.Modified));
        Assert.All(outputs.Where(reason => reason != IncrementalStepRunReason.Modified), reason => Assert.Contains(reason, Reused));
        AssertReasons(result, TrackingNames.HintNames, Reused);
        var mnist = Assert.Single(result.GeneratedSources, s => s.HintName == "Samples.Mnist.MnistMlp.g.cs");
        Assert.Contains("public const int Dense0Units = 400;", mnist.SourceText.ToString());
    }

    [Fact]
    public void MovingAModelDoesNotRegenerateIt()
    {
        var (driver, compilation) = FirstRun(TestModels.MnistMlp);

        var edited = Edit(compilation, 0, text => "\n\n\n// A comment above the model moves it down.\n" + text);
        var result = Rerun(driver, edited);

        AssertReasons(result, TrackingNames.Parse, Reused);
        AssertReasons(result, TrackingNames.Plan, Reused);
        AssertReasons(result, SourceOutput, Reused);
    }

    [Fact]
    public void MovingABadModelReReportsItsDiagnosticAtTheNewPlace()
    {
        const string bad = "using DeepGen;\n[Model(Input = 0)]\n[Dense(2)]\npublic partial class Bad;\n";
        var (driver, compilation) = FirstRun(bad);

        var edited = Edit(compilation, 0, text => "\n\n" + text);
        driver = driver.RunGeneratorsAndUpdateCompilation(edited, out _, out var diagnostics);
        var result = driver.GetRunResult().Results.Single();

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("DG0002", diagnostic.Id);
        Assert.Equal(3, diagnostic.Location.GetLineSpan().StartLinePosition.Line);
        AssertReasons(result, TrackingNames.Parse, [IncrementalStepRunReason.Modified]);
        Assert.Empty(result.TrackedSteps.GetValueOrDefault(TrackingNames.Plan, []).SelectMany(s => s.Outputs));
    }

    [Fact]
    public void AddingAModelLeavesTheOthersCached()
    {
        var (driver, compilation) = FirstRun(TestModels.MnistMlp);

        var edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText(TestModels.LinearRegression, GeneratorHarness.ParseOptions, path: "Added.cs"));
        var result = Rerun(driver, edited);

        Assert.Equal(2, result.GeneratedSources.Length);
        Assert.Contains(IncrementalStepRunReason.Cached, result.TrackedSteps[TrackingNames.Plan].Select(Reason));
    }

    // ---- A convnet caches like a dense model ------------------------------------------------------------------

    [Fact]
    public void MovingAConvnetDoesNotRegenerateIt()
    {
        var (driver, compilation) = FirstRun(TestModels.MnistConvnet);

        var edited = Edit(compilation, 0, text => "\n\n\n// A comment above the model moves it down.\n" + text);
        var result = Rerun(driver, edited);

        AssertReasons(result, TrackingNames.Parse, Reused);
        AssertReasons(result, TrackingNames.Plan, Reused);
        AssertReasons(result, SourceOutput, Reused);
    }

    /// <summary>The input shape is compared by value: the same dimensions written another way change nothing.</summary>
    [Fact]
    public void RewritingTheInputShapeWithTheSameValuesReusesTheConvnet()
    {
        var (driver, compilation) = FirstRun(TestModels.MnistConvnet);

        var edited = Edit(compilation, 0, text => ReplaceFirst(text, "new[] { 28, 28, 1 }", "new int[] { 14 * 2, 28, 1 }"));
        var result = Rerun(driver, edited);

        AssertReasons(result, TrackingNames.Parse, [IncrementalStepRunReason.Unchanged]);
        AssertReasons(result, TrackingNames.Plan, Reused);
        AssertReasons(result, SourceOutput, Reused);
    }

    [Theory]
    [InlineData("[Conv2D(64, 3, Relu)]", "[Conv2D(48, 3, Relu)]")]
    [InlineData("[Conv2D(64, 3, Relu)]", "[Conv2D(64, 3, Relu, Padding = Padding.Same)]")]
    [InlineData("[MaxPooling2D(2)]", "[AveragePooling2D(2)]")]
    [InlineData("new[] { 28, 28, 1 }", "new[] { 32, 32, 1 }")]
    public void ChangingAConvnetRegeneratesThatModelOnly(string before, string after)
    {
        var (driver, compilation) = FirstRun(TestModels.MnistConvnet, TestModels.MnistMlp);
        var firstText = driver.GetRunResult().Results.Single().GeneratedSources
            .Single(s => s.HintName == "Samples.Mnist.MnistConvnet.g.cs").SourceText.ToString();

        var edited = Edit(compilation, 0, text => ReplaceFirst(text, before, after));
        var result = Rerun(driver, edited);

        Assert.Equal(
            [IncrementalStepRunReason.Modified, IncrementalStepRunReason.Unchanged],
            result.TrackedSteps[TrackingNames.Parse].Select(Reason));
        Assert.Equal(
            [IncrementalStepRunReason.Modified, IncrementalStepRunReason.Cached],
            result.TrackedSteps[TrackingNames.Plan].Select(Reason));
        var outputs = OutputReasons(result, SourceOutput).ToList();
        Assert.Equal(1, outputs.Count(reason => reason == IncrementalStepRunReason.Modified));
        Assert.All(outputs.Where(reason => reason != IncrementalStepRunReason.Modified), reason => Assert.Contains(reason, Reused));
        var convnet = Assert.Single(result.GeneratedSources, s => s.HintName == "Samples.Mnist.MnistConvnet.g.cs");
        Assert.NotEqual(firstText, convnet.SourceText.ToString());
    }

    /// <summary>A shape mistake is a diagnostic, not a spec; fixing it brings the model's source back.</summary>
    [Fact]
    public void FixingAShapeMistakeGeneratesTheConvnet()
    {
        var (driver, compilation) = FirstRun(TestModels.MnistConvnet.Replace("[Flatten]", ""));
        Assert.Empty(driver.GetRunResult().Results.Single().GeneratedSources);
        Assert.Contains(driver.GetRunResult().Diagnostics, d => d.Id == "DG0019");

        var fixedCompilation = compilation.ReplaceSyntaxTree(compilation.SyntaxTrees.Single(),
            CSharpSyntaxTree.ParseText(TestModels.MnistConvnet, GeneratorHarness.ParseOptions, path: "Source0.cs"));
        driver = driver.RunGenerators(fixedCompilation);

        Assert.Empty(driver.GetRunResult().Diagnostics);
        Assert.Equal("Samples.Mnist.MnistConvnet.g.cs", Assert.Single(driver.GetRunResult().Results.Single().GeneratedSources).HintName);
    }

    // ---- A sequence model caches like the others ------------------------------------------------------------

    [Fact]
    public void MovingASequenceModelDoesNotRegenerateIt()
    {
        var (driver, compilation) = FirstRun(TestModels.SentenceEncoder, TestModels.MnistMlp);

        var edited = Edit(compilation, 0, text => "\n\n\n// A comment above the model moves it down.\n" + text);
        var result = Rerun(driver, edited);

        AssertReasons(result, TrackingNames.Parse, Reused);
        AssertReasons(result, SequenceTrackingNames.SequencePlan, Reused);
        AssertReasons(result, SourceOutput, Reused);
    }

    [Fact]
    public void ChangingASequenceModelRegeneratesThatModelOnly()
    {
        var (driver, compilation) = FirstRun(TestModels.SentenceEncoder, TestModels.MnistMlp, TestModels.SequenceClassifier);

        var edited = Edit(compilation, 0, text => ReplaceFirst(text, "Layers = 6", "Layers = 4"));
        var result = Rerun(driver, edited);

        // One model of three changed: its parse and plan are modified, the others' reused (in whatever order Roslyn lists them).
        Assert.Equal(
            [IncrementalStepRunReason.Modified, IncrementalStepRunReason.Unchanged, IncrementalStepRunReason.Unchanged],
            result.TrackedSteps[TrackingNames.Parse].Select(Reason).Order());
        Assert.Equal(
            [IncrementalStepRunReason.Modified, IncrementalStepRunReason.Cached],
            result.TrackedSteps[SequenceTrackingNames.SequencePlan].Select(Reason).Order());
        AssertReasons(result, TrackingNames.Plan, Reused);
        AssertReasons(result, TrackingNames.HintNames, Reused);
        var outputs = OutputReasons(result, SourceOutput).ToList();
        Assert.Equal(1, outputs.Count(reason => reason == IncrementalStepRunReason.Modified));
        var encoder = Assert.Single(result.GeneratedSources, s => s.HintName == "Samples.Text.SentenceEncoder.g.cs");
        Assert.Contains("public const int TransformerEncoder2Layers = 4;", encoder.SourceText.ToString());
    }

    [Fact]
    public void SequenceStepValuesCompareByValueAndHoldNoRoslynObjects()
    {
        string[] sources =
        [
            TestModels.SentenceEncoder, TestModels.SequenceClassifier,
            "using DeepGen; [Model(Vocabulary = 5, MaxSequence = 0)] [Embedding(2)] public partial class Bad;",
        ];
        var first = AssertStepValuesCompareByValue(sources, TrackingNames.Parse, SequenceTrackingNames.SequencePlan, TrackingNames.Diagnostics);

        var seen = new HashSet<Type>();
        foreach (var value in first.TrackedSteps[SequenceTrackingNames.SequencePlan].SelectMany(s => s.Outputs).Select(o => o.Value)
                     .Concat(first.TrackedSteps[TrackingNames.Parse].SelectMany(s => s.Outputs).Select(o => o.Value)))
            AssertPlainValues(value, "sequence", seen, new HashSet<object>(ReferenceEqualityComparer.Instance));
        Assert.Subset(seen, new HashSet<Type> { typeof(SequenceModelSpec), typeof(SequenceLayerSpec), typeof(SequenceModelPlan), typeof(SequenceLayerPlan) });
    }

    /// <summary>
    /// Walks every value that flows through a tracked step — ParseResult, ModelSpec, ModelPlan, DiagnosticInfo and
    /// what they hold, EquatableArray contents included — and fails on any Roslyn object that would pin a
    /// compilation in memory and defeat caching.
    /// </summary>
    [Fact]
    public void PipelineHoldsNoRoslynObjects()
    {
        var run = GeneratorHarness.Run(
            TestModels.MnistMlp, TestModels.Nested, TestModels.MnistConvnet,
            "using DeepGen; [Model(Input = 0)] [Dense(2)] public partial class Bad;",
            "using DeepGen; [Model(InputShape = new[] { 2, 2, 1 })] [Conv2D(4, 3)] [Flatten] [Dense(2)] public partial class BadShape;",
            "using DeepGen; [Dense(2)] public partial class Orphan;");
        var result = run.Result;

        // DeepGen's named steps (Roslyn tracks its own, such as "Compilation", beside them), and what each source
        // output is handed (the outputs of an output step are the generated files).
        var ownSteps = typeof(TrackingNames).GetFields().Select(field => (string)field.GetRawConstantValue()!).ToHashSet();
        Assert.Subset(result.TrackedSteps.Keys.ToHashSet(), ownSteps);
        var values = result.TrackedSteps
            .Where(pair => ownSteps.Contains(pair.Key))
            .SelectMany(pair => pair.Value.SelectMany(step => step.Outputs.Select(output => (pair.Key, output.Value))))
            .Concat(result.TrackedOutputSteps.SelectMany(pair => pair.Value
                .SelectMany(step => step.Inputs)
                .Select(input => (pair.Key + " input", input.Source.Outputs[input.OutputIndex].Value))));
        var seen = new HashSet<Type>();
        foreach (var (path, value) in values)
        {
            // The diagnostics outputs are handed the compilation beside each diagnostic, at the very last step, to
            // place it in the compilation's own syntax tree (where pragmas reach it). Nothing cached holds it.
            var plain = value is ITuple { Length: 2 } pair && pair[1] is Compilation ? pair[0] : value;
            AssertPlainValues(plain, path, seen, new HashSet<object>(ReferenceEqualityComparer.Instance));
        }

        Assert.Subset(seen, new HashSet<Type>
        {
            typeof(ParseResult), typeof(ModelSpec), typeof(LayerSpec), typeof(ContainingTypeSpec), typeof(ModelPlan),
            typeof(LayerPlan), typeof(DiagnosticInfo), typeof(LocationInfo),
        });
    }

    /// <summary>The walk above is not vacuous: it finds a Roslyn object inside a tuple inside an array.</summary>
    [Fact]
    public void TheWalkFindsAHiddenRoslynObject()
    {
        var location = Location.Create("x.cs", new TextSpan(0, 1), new LinePositionSpan(new(0, 0), new(0, 1)));
        object holder = new[] { (Name: "x", Where: location) };
        var failure = Assert.ThrowsAny<Xunit.Sdk.XunitException>(() =>
            AssertPlainValues(holder, "holder", [], new HashSet<object>(ReferenceEqualityComparer.Instance)));
        Assert.Contains("holder[0].Item2", failure.Message);
    }

    /// <summary>Two compilations of the same text give equal step values: equality is by value, not by reference.</summary>
    [Fact]
    public void StepValuesCompareByValue()
    {
        string[] sources =
        [
            TestModels.MnistMlp, TestModels.MnistConvnet, "using DeepGen; [Model(Input = 0)] [Dense(2)] public partial class Bad;",
            "using DeepGen; [Model(InputShape = new[] { 2, 2, 1 })] [Conv2D(4, 3)] [Flatten] [Dense(2)] public partial class BadShape;",
        ];
        AssertStepValuesCompareByValue(sources, TrackingNames.Parse, TrackingNames.Plan, TrackingNames.Diagnostics);
    }

    /// <summary>
    /// Runs the generator twice over the same text, in two compilations, and asserts each named step's values are
    /// there and equal, hash codes included; returns the first run.
    /// </summary>
    private static GeneratorRunResult AssertStepValuesCompareByValue(string[] sources, params string[] stepNames)
    {
        var first = GeneratorHarness.Run(sources).Result;
        var second = GeneratorHarness.Run(sources).Result;
        foreach (var name in stepNames)
        {
            var a = first.TrackedSteps[name].SelectMany(s => s.Outputs).Select(o => o.Value).ToList();
            var b = second.TrackedSteps[name].SelectMany(s => s.Outputs).Select(o => o.Value).ToList();
            Assert.NotEmpty(a);
            Assert.Equal(a, b);
            Assert.Equal(a.Select(v => v.GetHashCode()), b.Select(v => v.GetHashCode()));
        }

        return first;
    }

    private static readonly Type[] RoslynTypes =
    [
        typeof(ISymbol), typeof(SyntaxNode), typeof(SyntaxTree), typeof(Compilation), typeof(SemanticModel),
        typeof(Location), typeof(AttributeData), typeof(SyntaxToken), typeof(SyntaxReference), typeof(IOperation),
    ];

    private static void AssertPlainValues(object? value, string path, HashSet<Type> seen, HashSet<object> visited)
    {
        if (value is null) return;
        var type = value.GetType();
        var roslynType = RoslynTypes.FirstOrDefault(t => t.IsAssignableFrom(type));
        Assert.True(roslynType is null, $"{path} holds a {type.FullName}, a {roslynType?.Name}: pipeline models must hold plain values only.");

        if (type.IsPrimitive || type.IsEnum || value is string or decimal) return;
        if (!type.IsValueType && !visited.Add(value)) return;
        seen.Add(type);

        if (value is IEnumerable items)
        {
            var index = 0;
            foreach (var item in items) AssertPlainValues(item, $"{path}[{index++}]", seen, visited);
            if (type.IsArray) return;
        }

        for (var t = type; t is not null && t != typeof(object); t = t.BaseType)
            foreach (var field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                AssertPlainValues(field.GetValue(value), $"{path}.{field.Name}", seen, visited);
    }

    private static (GeneratorDriver Driver, Compilation Compilation) FirstRun(params string[] sources)
    {
        var compilation = GeneratorHarness.CreateCompilation(sources);
        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        Assert.Null(driver.GetRunResult().Results.Single().Exception);
        return (driver, compilation);
    }

    private static GeneratorRunResult Rerun(GeneratorDriver driver, Compilation edited)
    {
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();
        Assert.Null(result.Exception);
        return result;
    }

    private static Compilation Edit(Compilation compilation, int treeIndex, Func<string, string> edit)
    {
        var tree = compilation.SyntaxTrees.ElementAt(treeIndex);
        var text = tree.GetText();
        return compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(SourceText.From(edit(text.ToString()), text.Encoding)));
    }

    private static string ReplaceFirst(string text, string oldValue, string newValue)
    {
        var at = text.IndexOf(oldValue, StringComparison.Ordinal);
        Assert.True(at >= 0, $"'{oldValue}' not found");
        return text[..at] + newValue + text[(at + oldValue.Length)..];
    }

    private static IncrementalStepRunReason Reason(IncrementalGeneratorRunStep step) => Assert.Single(step.Outputs).Reason;

    private static IEnumerable<IncrementalStepRunReason> OutputReasons(GeneratorRunResult result, string stepName)
    {
        var steps = stepName == SourceOutput ? result.TrackedOutputSteps : result.TrackedSteps;
        return steps[stepName].SelectMany(step => step.Outputs).Select(output => output.Reason);
    }

    private static void AssertReasons(GeneratorRunResult result, string stepName, IncrementalStepRunReason[] allowed)
    {
        var reasons = OutputReasons(result, stepName).ToList();
        Assert.NotEmpty(reasons);
        Assert.All(reasons, reason => Assert.Contains(reason, allowed));
    }
}
