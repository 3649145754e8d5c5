using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using DeepGen.Generator.Diagnostics;

namespace DeepGen.Generator.Parsing;

/// <summary>Finds classes with layer attributes but no [Model], which would otherwise generate nothing in silence.</summary>
internal static class OrphanLayers
{
    public static DiagnosticInfo? Find(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not INamedTypeSymbol type || context.TargetNode is not TypeDeclarationSyntax declaration)
            return null;
        var attributes = type.GetAttributes();
        if (attributes.Any(a => a.AttributeClass?.ToDisplayString() == ModelParser.ModelAttributeName))
            return null;
        // Each layer kind has its own pipeline; only the one of the declaration's first layer attribute reports it.
        var firstLayer = attributes
            .Where(a => a.ApplicationSyntaxReference is { } r && r.SyntaxTree == declaration.SyntaxTree && declaration.Span.Contains(r.Span))
            .Select(a => a.AttributeClass?.ToDisplayString())
            .FirstOrDefault(name => name is not null && ModelParser.LayerAttributeNames.Contains(name));
        if (firstLayer != context.Attributes[0].AttributeClass?.ToDisplayString())
            return null;
        return DiagnosticInfo.Create(DiagnosticDescriptors.DenseWithoutModel, declaration.Identifier.GetLocation(), type.Name);
    }
}
