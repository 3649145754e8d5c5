using System.Linq;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using DeepGen.Generator.Diagnostics;
using DeepGen.Generator.Parsing;

namespace DeepGen.Generator.Analyzers;

/// <summary>
/// Looks at calls of <c>Fit</c>, <c>Evaluate</c> and <c>TrainStep</c> on a generated model (of floats or of token ids)
/// and warns when the loss does not suit the model's last layer: cross-entropy on outputs that are not probabilities
/// (DG0017), a binary loss on more than one output unit (DG0018), or a categorical loss on one output unit (DG0028).
/// Losses are recognised by their member name on <c>DeepGen.Loss</c> (<c>Loss.CategoricalCrossEntropy</c> …), so a
/// loss held in a variable is not checked; only a model whose last layer is a <c>[Dense]</c> is checked.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class LossUsageAnalyzer : DiagnosticAnalyzer
{
    private const string LossTypeName = "DeepGen.Loss";
    private static readonly ImmutableHashSet<string> BaseModelTypeNames = ImmutableHashSet.Create("DeepGen.SequentialModel", "DeepGen.SequenceModel");

    /// <summary>Every layer attribute, [Dropout] left out (it follows a layer), to find which layer is the last.</summary>
    private static readonly ImmutableHashSet<string> LayerAttributeNames = ImmutableHashSet.CreateRange(ModelParser.LayerAttributeNames);

    /// <summary>Losses defined on probabilities, by their property name on DeepGen.Loss.</summary>
    private static readonly ImmutableHashSet<string> CrossEntropyLosses = ImmutableHashSet.Create(
        "CategoricalCrossEntropy", "SparseCategoricalCrossEntropy", "BinaryCrossEntropy");

    /// <summary>Losses that expect one sigmoid unit per sample.</summary>
    private static readonly ImmutableHashSet<string> BinaryLosses = ImmutableHashSet.Create("BinaryCrossEntropy");

    /// <summary>Losses that compare classes across the outputs, so they need one output per class.</summary>
    private static readonly ImmutableHashSet<string> CategoricalLosses = ImmutableHashSet.Create("CategoricalCrossEntropy", "SparseCategoricalCrossEntropy");

    private static readonly ImmutableHashSet<string> TrainingMethods = ImmutableHashSet.Create("Fit", "Evaluate", "TrainStep");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(
            DiagnosticDescriptors.CrossEntropyWithoutProbabilities, DiagnosticDescriptors.BinaryLossOnSeveralOutputs, DiagnosticDescriptors.CategoricalLossOnOneUnit);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterOperationAction(AnalyzeInvocation, OperationKind.Invocation);
    }

    private static void AnalyzeInvocation(OperationAnalysisContext context)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var method = invocation.TargetMethod;
        if (!TrainingMethods.Contains(method.Name) || !DerivesFromModelBase(method.ContainingType)) return;
        if (invocation.Instance?.Type is not INamedTypeSymbol receiver) return;
        var output = LastLayerOf(receiver);
        if (output is null) return;

        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.Name != "loss") continue;
            var lossName = LossMemberName(argument.Value);
            if (lossName is null) return;
            var (units, activation) = output.Value;
            var location = argument.Syntax.GetLocation();
            // One unit under a categorical loss is wrong whatever its activation; that warning says all DG0017 would.
            if (CategoricalLosses.Contains(lossName) && units == 1)
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.CategoricalLossOnOneUnit, location,
                    method.Name, receiver.Name, "Loss." + lossName, activation.ToString()));
            else if (CrossEntropyLosses.Contains(lossName) && activation != Activation.Softmax && activation != Activation.Sigmoid)
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.CrossEntropyWithoutProbabilities, location,
                    method.Name, receiver.Name, "Loss." + lossName, activation.ToString()));
            if (BinaryLosses.Contains(lossName) && units > 1)
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.BinaryLossOnSeveralOutputs, location,
                    method.Name, receiver.Name, "Loss." + lossName, units));
            return;
        }
    }

    private static bool DerivesFromModelBase(INamedTypeSymbol? type)
    {
        for (; type is not null; type = type.BaseType)
            if (BaseModelTypeNames.Contains(type.ToDisplayString())) return true;
        return false;
    }

    /// <summary>
    /// Units and activation of the last layer of the [Model] class <paramref name="type"/> is or derives from, when
    /// that layer is a [Dense]; null when it is another kind (a pooling, a normalization, …), which is not checked.
    /// </summary>
    private static (int Units, Activation Activation)? LastLayerOf(INamedTypeSymbol type)
    {
        for (INamedTypeSymbol? current = type; current is not null; current = current.BaseType)
        {
            var attributes = current.GetAttributes();
            if (!attributes.Any(a => a.AttributeClass?.ToDisplayString() == ModelParser.ModelAttributeName)) continue;
            var last = attributes.LastOrDefault(a => a.AttributeClass is { } c && LayerAttributeNames.Contains(c.ToDisplayString()));
            if (last is null || last.AttributeClass!.ToDisplayString() != ModelParser.DenseAttributeName || last.ConstructorArguments.Length == 0 || last.ConstructorArguments[0].Value is not int units) return null;
            var activation = last.ConstructorArguments.Length > 1 && last.ConstructorArguments[1].Value is int a ? (Activation)a : Activation.Linear;
            return (units, activation);
        }

        return null;
    }

    /// <summary>The name of the static DeepGen.Loss property the argument reads, through any conversion; else null.</summary>
    private static string? LossMemberName(IOperation value)
    {
        while (value is IConversionOperation conversion) value = conversion.Operand;
        return value is IPropertyReferenceOperation { Property: { IsStatic: true } property } &&
               property.ContainingType?.ToDisplayString() == LossTypeName
            ? property.Name
            : null;
    }
}
