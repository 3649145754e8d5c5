using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using DeepGen.Generator.Diagnostics;
using DeepGen.Generator.Model;

namespace DeepGen.Generator.Parsing;

/// <summary>What parsing one [Model] class yields: a spec when the model is valid, and the diagnostics beside it.</summary>
internal sealed record ParseResult(ModelSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>Reads a class's [Model] and [Dense] attributes into a <see cref="ModelSpec"/>, reporting every mistake.</summary>
internal static class ModelParser
{
    public const string ModelAttributeName = "DeepGen.ModelAttribute";
    public const string DenseAttributeName = "DeepGen.DenseAttribute";
    public const string DropoutAttributeName = "DeepGen.DropoutAttribute";

    public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var diagnostics = new List<DiagnosticInfo>();
        var spec = TryParse(context, diagnostics, cancellationToken);
        return new ParseResult(diagnostics.Count == 0 ? spec : null, diagnostics.ToEquatableArray());
    }

    private static ModelSpec? TryParse(GeneratorAttributeSyntaxContext context, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not INamedTypeSymbol type || context.TargetNode is not TypeDeclarationSyntax declaration)
            return null;
        // A declaration still being typed, with no name yet, is a compiler error already; there is nothing to extend.
        if (declaration.Identifier.IsMissing || type.Name.Length == 0) return null;
        var modelAttribute = context.Attributes[0];
        var attributeLocation = modelAttribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation()
                                ?? declaration.Identifier.GetLocation();
        var name = type.Name;

        // A broken attribute (wrong argument types, unresolved names) is already a compiler error; say nothing more.
        if (HasErrors(modelAttribute)) return null;

        if (!CheckType(type, declaration, attributeLocation, diagnostics)) return null;

        var input = ReadInputSize(modelAttribute);
        if (input is not > 0)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidInputSize, attributeLocation, name,
                input is null ? "no Input" : "Input = " + input.Value));

        // Dense and Dropout attributes in source order: a dropout belongs to the dense layer written just before it.
        var layerAttributes = type.GetAttributes()
            .Where(a => a.AttributeClass?.ToDisplayString() is DenseAttributeName or DropoutAttributeName)
            .ToList();
        if (layerAttributes.Any(HasErrors)) return null;
        var denseAttributes = layerAttributes.Where(a => a.AttributeClass?.ToDisplayString() == DenseAttributeName).ToList();
        if (denseAttributes.Count == 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoLayers, attributeLocation, name));
            return null;
        }

        var modelSyntaxTree = modelAttribute.ApplicationSyntaxReference?.SyntaxTree;
        var modelSpan = declaration.Span;
        foreach (var dense in layerAttributes)
        {
            var reference = dense.ApplicationSyntaxReference;
            if (reference is not null && (reference.SyntaxTree != modelSyntaxTree || !modelSpan.Contains(reference.Span)))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayersOnOtherDeclaration,
                    reference.GetSyntax(cancellationToken).GetLocation(), name));
                return null;
            }
        }

        var layers = new List<LayerSpec>();
        var taken = new TakenNames(DeclaredMemberNames(type));
        var index = -1;
        var previousWasDropout = false;
        foreach (var attribute in layerAttributes)
        {
            if (attribute.AttributeClass?.ToDisplayString() == DropoutAttributeName)
            {
                var dropoutLocation = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation() ?? attributeLocation;
                var rate = attribute.ConstructorArguments.Length > 0 && attribute.ConstructorArguments[0].Value is double r ? r : double.NaN;
                if (index < 0)
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MisplacedDropout, dropoutLocation, name,
                        "comes before any [Dense] layer (dropping the model's inputs is not supported)"));
                else if (previousWasDropout)
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MisplacedDropout, dropoutLocation, name,
                        "follows another [Dropout]; two in a row are one dropout of rate 1 - (1 - a)(1 - b), so write that one"));
                else if (index == denseAttributes.Count - 1)
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DropoutAfterLastLayer, dropoutLocation, name));
                if (!(rate >= 0 && rate < 1))
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidDropoutRate, dropoutLocation, Math.Max(index, 0), name,
                        rate.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
                if (index >= 0 && !previousWasDropout) layers[index] = layers[index] with { DropoutRate = rate };
                previousWasDropout = true;
                continue;
            }

            previousWasDropout = false;
            index++;
            var dense = attribute;
            var location = dense.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation() ?? attributeLocation;
            var units = dense.ConstructorArguments.Length > 0 && dense.ConstructorArguments[0].Value is int u ? u : 0;
            var activationValue = dense.ConstructorArguments.Length > 1 && dense.ConstructorArguments[1].Value is int a ? a : 0;
            var layerName = ReadNamedString(dense, "Name") ?? "Dense" + index;

            if (units <= 0)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidUnits, location, index, name, units));
            if (!Enum.IsDefined(typeof(Activation), activationValue))
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownActivation, location, index, name, activationValue));
            else if ((Activation)activationValue == Activation.Softmax && index != denseAttributes.Count - 1)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SoftmaxNotLast, location, index, name));

            var nameProblem = CheckLayerName(layerName, type.Name, taken);
            if (nameProblem is not null)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidLayerName, location, index, name, layerName, nameProblem));
            taken.Add(layerName);
            var kernelInitializer = ReadNamedInt(dense, "KernelInitializer") ?? (int)Initializer.GlorotUniform;
            var biasInitializer = ReadNamedInt(dense, "BiasInitializer") ?? (int)Initializer.Zeros;
            foreach (var (property, value) in new[] { ("KernelInitializer", kernelInitializer), ("BiasInitializer", biasInitializer) })
                if (!Enum.IsDefined(typeof(Initializer), value))
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownInitializer, location, index, name, property, value));
            var l1 = ReadNamedDouble(dense, "L1") ?? 0;
            var l2 = ReadNamedDouble(dense, "L2") ?? 0;
            foreach (var (property, value) in new[] { ("L1", l1), ("L2", l2) })
                if (!(value >= 0) || double.IsInfinity(value) || (float)value is var f && float.IsInfinity(f))
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidRegularizer, location, index, name, property,
                        value.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));

            layers.Add(new LayerSpec(layerName, units, (Activation)activationValue)
            {
                UseBias = ReadNamedBool(dense, "UseBias") ?? true,
                KernelInitializer = (Initializer)kernelInitializer,
                BiasInitializer = (Initializer)biasInitializer,
                L1 = l1,
                L2 = l2,
            });
        }

        if (diagnostics.Count > 0) return null;

        if (!CheckSize(name, input!.Value, layers, attributeLocation, diagnostics)) return null;

        var ns = type.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : null;
        return new ModelSpec(ns, ContainingTypes(type), type.Name, input.Value, layers.ToEquatableArray());
    }

    private static bool CheckType(INamedTypeSymbol type, TypeDeclarationSyntax declaration, Location location, List<DiagnosticInfo> diagnostics)
    {
        string? problem = null;
        if (declaration is RecordDeclarationSyntax) problem = "records cannot derive from DeepGen.SequentialModel; use a class";
        else if (type.IsFileLocal) problem = "it is file-local, so the generated part, in another file, cannot extend it";
        else if (type.IsStatic) problem = "it is static; a model is created with 'new'";
        else if (type.IsAbstract) problem = "it is abstract; a model is created with 'new'";
        else if (type.IsGenericType) problem = "it is generic; every size of a model is fixed, so it takes no type parameters";
        else if (type.BaseType is { SpecialType: not SpecialType.System_Object } baseType &&
                 baseType.ToDisplayString() != "DeepGen.SequentialModel")
            problem = $"it derives from '{baseType.ToDisplayString()}', but the generated part derives from DeepGen.SequentialModel";
        else if (MemberNames.Generated.Contains(type.Name))
            problem = $"the generated part declares a member named '{type.Name}', and a member cannot have the name of its class";
        else if (MemberNames.Generated.FirstOrDefault(DeclaredMemberNames(type).Contains) is { } declared)
            problem = $"it declares a member named '{declared}', which the generated part declares too; rename that member";
        else
        {
            for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
            {
                if (outer.IsGenericType) problem = $"it is nested in the generic type '{outer.Name}'";
                else if (outer.IsFileLocal) problem = $"it is nested in the file-local type '{outer.Name}', which the generated part, in another file, cannot extend";
                else if (!IsPartial(outer)) problem = $"it is nested in '{outer.Name}', which is not partial";
                if (problem is not null) break;
            }
        }

        if (problem is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedModelType, location, type.Name, problem));
            return false;
        }

        if (!declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ClassNotPartial, declaration.Identifier.GetLocation(), type.Name));
            return false;
        }

        return true;
    }

    private static bool IsPartial(INamedTypeSymbol type) =>
        type.DeclaringSyntaxReferences.Any(r => r.GetSyntax() is TypeDeclarationSyntax t && t.Modifiers.Any(SyntaxKind.PartialKeyword));

    /// <summary>
    /// The names of the members the user's own declarations of the class hold (in any of its partial parts; the
    /// generated part is not in the compilation the generator reads). A generated member of the same name would be a
    /// duplicate or an overload the user did not ask for, so such a name is refused, overloads included.
    /// </summary>
    private static HashSet<string> DeclaredMemberNames(INamedTypeSymbol type) =>
        new(type.GetMembers()
            .Where(m => !m.IsImplicitlyDeclared && m is not IMethodSymbol { MethodKind: not MethodKind.Ordinary })
            .Select(m => m.Name), StringComparer.Ordinal);

    /// <summary>The names the layers read so far have taken, in each scope the generated code names after a layer.</summary>
    private sealed class TakenNames(HashSet<string> declaredByTheClass)
    {
        /// <summary>Members the user declared in the model class (see <see cref="DeclaredMemberNames"/>).</summary>
        public HashSet<string> DeclaredByTheClass { get; } = declaredByTheClass;

        public HashSet<string> Layers { get; } = new(StringComparer.Ordinal);

        /// <summary>Members of the model class: accessors, constants and methods.</summary>
        public HashSet<string> Members { get; } = new(StringComparer.Ordinal);

        /// <summary>Locals of Forward and Backward, named after the layers in camelCase.</summary>
        public HashSet<string> Locals { get; } = new(StringComparer.Ordinal);

        /// <summary>Members of the GPU file's nested kernel class: launchers, kernel bodies and their delegate fields.</summary>
        public HashSet<string> KernelMembers { get; } = new(StringComparer.Ordinal);

        public void Add(string layerName)
        {
            Layers.Add(layerName);
            Members.UnionWith(MemberNames.LayerMembers(layerName));
            Locals.Add(MemberNames.Camel(layerName));
            KernelMembers.UnionWith(LayerKernelMembers(layerName));
        }
    }

    private static IEnumerable<string> LayerKernelMembers(string layerName) =>
        MemberNames.LayerKernels(layerName).SelectMany(MemberNames.KernelMembers);

    /// <summary>
    /// Checks a layer name against everything the generated code derives from it (see <see cref="MemberNames"/>): the
    /// accessor, the constants and methods named <c>{name}Inputs</c> … <c>{name}Backward</c>, the camelCase locals
    /// <c>{name}Output</c> and <c>{name}Delta</c>, and the GPU file's kernels <c>{name}Forward</c> …
    /// <c>{name}BiasGradient</c>; none may clash with the class, the model's fixed or inherited members or another layer's.
    /// </summary>
    private static string? CheckLayerName(string layerName, string className, TakenNames taken)
    {
        if (!SyntaxFacts.IsValidIdentifier(layerName) || SyntaxFacts.GetKeywordKind(layerName) != SyntaxKind.None)
            return "a layer name must be a C# identifier, because it names the generated accessor";
        if (layerName == className) return "a member cannot have the name of its class";
        if (MemberNames.IsReserved(layerName)) return "that name is taken by a member of every model";
        if (taken.Layers.Contains(layerName)) return "another layer of this model already has that name";
        foreach (var member in MemberNames.LayerMembers(layerName))
            if (taken.DeclaredByTheClass.Contains(member))
                return $"the class already declares a member named '{member}', which the generated code declares for this layer; rename one of them";
        foreach (var member in MemberNames.LayerMembers(layerName))
        {
            if (member == className) return $"its generated member '{member}' would have the name of its class";
            if (MemberNames.IsReserved(member)) return $"its generated member '{member}' is taken by a member of every model";
            if (taken.Members.Contains(member))
                return $"its generated member '{member}' clashes with a member generated for another layer";
        }

        if (taken.Locals.Contains(MemberNames.Camel(layerName)))
            return "another layer's name differs from it only in the case of its first letter, and the generated code names locals after layers in camelCase";
        foreach (var member in LayerKernelMembers(layerName))
        {
            if (MemberNames.KernelClassReserved.Contains(member))
                return $"its GPU kernel member '{member}' is taken by a member of every model's GPU kernel class";
            if (taken.KernelMembers.Contains(member))
                return $"its GPU kernel member '{member}' clashes with a kernel generated for another layer";
        }

        return null;
    }

    /// <summary>Parameters and activations are indexed with <c>int</c>; a model whose buffers need more is refused.</summary>
    private static bool CheckSize(string name, int input, List<LayerSpec> layers, Location location, List<DiagnosticInfo> diagnostics)
    {
        long parameters = 0, activations = 0, previous = input;
        foreach (var layer in layers)
        {
            parameters += previous * layer.Units + (layer.UseBias ? layer.Units : 0);
            activations += layer.Units;
            if (ActivationFacts.NeedsPreActivation(layer.Activation)) activations += layer.Units;
            if (layer.DropoutRate is not null) activations += 2L * layer.Units;
            previous = layer.Units;
        }

        if (parameters > int.MaxValue)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ModelTooLarge, location, name, parameters.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), "parameters", "2,147,483,647"));
        else if (activations > int.MaxValue / 2 || input > int.MaxValue / 2)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ModelTooLarge, location, name, Math.Max(activations, input).ToString("N0", System.Globalization.CultureInfo.InvariantCulture), "values per sample", "1,073,741,823"));
        else
            return true;
        return false;
    }

    private static int? ReadInputSize(AttributeData attribute)
    {
        foreach (var argument in attribute.NamedArguments)
            if (argument.Key == "Input" && argument.Value.Value is int value) return value;
        return null;
    }

    private static string? ReadNamedString(AttributeData attribute, string key)
    {
        foreach (var argument in attribute.NamedArguments)
            if (argument.Key == key) return argument.Value.Value as string;
        return null;
    }

    private static int? ReadNamedInt(AttributeData attribute, string key)
    {
        foreach (var argument in attribute.NamedArguments)
            if (argument.Key == key && argument.Value.Value is int value) return value;
        return null;
    }

    private static double? ReadNamedDouble(AttributeData attribute, string key)
    {
        foreach (var argument in attribute.NamedArguments)
            if (argument.Key == key && argument.Value.Value is double value) return value;
        return null;
    }

    private static bool? ReadNamedBool(AttributeData attribute, string key)
    {
        foreach (var argument in attribute.NamedArguments)
            if (argument.Key == key && argument.Value.Value is bool value) return value;
        return null;
    }

    private static bool HasErrors(AttributeData attribute) =>
        attribute.AttributeConstructor is null ||
        attribute.ConstructorArguments.Any(a => a.Kind == TypedConstantKind.Error) ||
        attribute.NamedArguments.Any(a => a.Value.Kind == TypedConstantKind.Error);

    private static EquatableArray<ContainingTypeSpec> ContainingTypes(INamedTypeSymbol type)
    {
        var chain = new List<ContainingTypeSpec>();
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            var keyword = outer.IsRecord ? (outer.IsValueType ? "record struct" : "record")
                : outer.TypeKind switch { TypeKind.Struct => "struct", TypeKind.Interface => "interface", _ => "class" };
            chain.Insert(0, new ContainingTypeSpec(keyword, outer.Name));
        }

        return chain.ToEquatableArray();
    }
}
