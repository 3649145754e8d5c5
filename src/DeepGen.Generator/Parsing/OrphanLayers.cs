using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using DeepGen.Generator.Diagnostics;

namespace DeepGen.Generator.Parsing;

/// <summary>Finds classes with [Dense] layers but no [Model], which would otherwise generate nothing in silence.</summary>
internal static class OrphanLayers
{
    public static DiagnosticInfo? Find(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not INamedTypeSymbol type || context.TargetNode is not TypeDeclarationSyntax declaration)
            return null;
        if (type.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == ModelParser.ModelAttributeName))
            return null;
        return DiagnosticInfo.Create(DiagnosticDescriptors.DenseWithoutModel, declaration.Identifier.GetLocation(), type.Name);
    }
}
