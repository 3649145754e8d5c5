using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using DeepGen.Generator.Diagnostics;
using DeepGen.Generator.Model;
using DeepGen.Layout;

namespace DeepGen.Generator.Parsing;

/// <summary>
/// What parsing one [Model] class yields: a spec when the model is valid (<see cref="Spec"/> for a model of floats,
/// <see cref="Sequence"/> for one of token ids), and the diagnostics beside it.
/// </summary>
internal sealed record ParseResult(ModelSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics)
{
    public SequenceModelSpec? Sequence { get; init; }
}

/// <summary>Reads a class's [Model] and layer attributes into a <see cref="ModelSpec"/>, reporting every mistake.</summary>
internal static class ModelParser
{
    public const string ModelAttributeName = "DeepGen.ModelAttribute";
    public const string DenseAttributeName = "DeepGen.DenseAttribute";
    public const string DropoutAttributeName = "DeepGen.DropoutAttribute";

    public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var diagnostics = new List<DiagnosticInfo>();
        if (SequenceModelParser.IsSequenceModel(context.Attributes[0]))
        {
            var sequence = SequenceModelParser.TryParse(context, diagnostics, cancellationToken);
            return new ParseResult(null, diagnostics.ToEquatableArray()) { Sequence = diagnostics.Count == 0 ? sequence : null };
        }

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

        if (!CheckType(type, declaration, attributeLocation, diagnostics, ModelBaseClass, MemberNames.Generated)) return null;

        var inputShape = ReadInputShape(modelAttribute, name, attributeLocation, diagnostics);

        // Layer and Dropout attributes in source order: a dropout belongs to the layer written just before it.
        var layerAttributes = type.GetAttributes()
            .Where(a => a.AttributeClass?.ToDisplayString() is { } n &&
                        (LayerAttributes.ContainsKey(n) || n == DropoutAttributeName || SequenceModelParser.LayerAttributes.ContainsKey(n)))
            .ToList();
        if (layerAttributes.Any(HasErrors)) return null;

        // A sequence model's layers read token ids or [sequence, features]; on floats they have no meaning.
        var sequenceLayers = layerAttributes.Where(a => SequenceModelParser.LayerAttributes.ContainsKey(a.AttributeClass!.ToDisplayString())).ToList();
        foreach (var sequenceLayer in sequenceLayers)
        {
            var kind = SequenceModelParser.LayerAttributes[sequenceLayer.AttributeClass!.ToDisplayString()];
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayerNotInThisModelKind,
                sequenceLayer.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation() ?? attributeLocation, kind, name,
                (kind == SequenceLayerKind.Embedding ? "it reads token ids" : "it works on sequences of tokens") +
                $", and '{name}' reads floats; declare a model of token ids with [Model(Vocabulary = …, MaxSequence = …)] and an [Embedding] first"));
        }

        if (sequenceLayers.Count > 0) return null;
        var layerCount = layerAttributes.Count(a => a.AttributeClass?.ToDisplayString() != DropoutAttributeName);
        if (layerCount == 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoLayers, attributeLocation, name));
            return null;
        }

        if (!LayersOnModelDeclaration(modelAttribute, declaration, layerAttributes, name, diagnostics, cancellationToken)) return null;

        var layers = new List<LayerSpec>();
        var taken = new TakenNames(DeclaredMemberNames(type));
        var index = -1;
        var previousWasDropout = false;
        // The shape flowing into the next layer, and who gives it; null once a shape could not be worked out (its
        // diagnostic is already reported, and the layers after it are not checked against a made-up shape).
        var shape = inputShape;
        var shapeSource = "the model's input";
        foreach (var attribute in layerAttributes)
        {
            if (attribute.AttributeClass?.ToDisplayString() == DropoutAttributeName)
            {
                var dropoutLocation = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation() ?? attributeLocation;
                var rate = attribute.ConstructorArguments.Length > 0 && attribute.ConstructorArguments[0].Value is double r ? r : double.NaN;
                if (index < 0)
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MisplacedDropout, dropoutLocation, name,
                        "comes before any layer (dropping the model's inputs is not supported)"));
                else if (previousWasDropout)
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MisplacedDropout, dropoutLocation, name,
                        "follows another [Dropout]; two in a row are one dropout of rate 1 - (1 - a)(1 - b), so write that one"));
                else if (index == layerCount - 1)
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
            var kind = LayerAttributes[attribute.AttributeClass!.ToDisplayString()];
            var location = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation() ?? attributeLocation;
            var layerName = ReadNamedString(attribute, "Name") ?? kind + index.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var nameProblem = CheckLayerName(layerName, type.Name, taken);
            if (nameProblem is not null)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidLayerName, location, index, name, layerName, nameProblem));
            taken.Add(layerName);

            var layerContext = new LayerContext(name, index, kind, layerName, location, shape, shapeSource, diagnostics);
            var layer = kind switch
            {
                LayerKind.Dense => ReadDense(attribute, layerContext, layerCount),
                LayerKind.Conv2D => ReadConv2D(attribute, layerContext, layerCount),
                LayerKind.MaxPooling2D or LayerKind.AveragePooling2D => ReadPooling(attribute, layerContext),
                LayerKind.Reshape => ReadReshape(attribute, layerContext),
                LayerKind.BatchNormalization => ReadBatchNormalization(attribute, layerContext),
                LayerKind.Normalization => Shaped(layerContext, layerContext.Input), // the input's shape, one mean and variance per last-axis feature
                _ => ReadShapeOnly(layerContext),
            };
            layers.Add(layer);
            shape = layer.OutputShape.Count > 0 ? layer.OutputShape.ToArray() : null;
            shapeSource = $"'{layerName}'";
        }

        if (diagnostics.Count > 0) return null;

        if (!CheckSize(name, inputShape!, layers, attributeLocation, diagnostics)) return null;

        var ns = type.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : null;
        return new ModelSpec(ns, ContainingTypes(type), type.Name, (int)Product(inputShape!), layers.ToEquatableArray())
        {
            InputShape = inputShape!.ToEquatableArray(),
        };
    }

    /// <summary>
    /// Whether every layer attribute is written on the declaration that carries [Model], where their order is clear;
    /// reports the first that is not (DG0011).
    /// </summary>
    internal static bool LayersOnModelDeclaration(AttributeData modelAttribute, TypeDeclarationSyntax declaration, IEnumerable<AttributeData> layerAttributes,
        string name, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        var modelSyntaxTree = modelAttribute.ApplicationSyntaxReference?.SyntaxTree;
        var modelSpan = declaration.Span;
        foreach (var layerAttribute in layerAttributes)
        {
            var reference = layerAttribute.ApplicationSyntaxReference;
            if (reference is not null && (reference.SyntaxTree != modelSyntaxTree || !modelSpan.Contains(reference.Span)))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayersOnOtherDeclaration,
                    reference.GetSyntax(cancellationToken).GetLocation(), name));
                return false;
            }
        }

        return true;
    }

    /// <summary>The base class of a generated model of floats.</summary>
    private const string ModelBaseClass = "DeepGen.SequentialModel";

    /// <summary>
    /// Whether the class can take the generated part: a partial, non-generic, non-static class deriving from nothing
    /// or from <paramref name="baseClass"/>, declaring none of the <paramref name="generated"/> members.
    /// </summary>
    internal static bool CheckType(INamedTypeSymbol type, TypeDeclarationSyntax declaration, Location location, List<DiagnosticInfo> diagnostics,
        string baseClass, IReadOnlyList<string> generated)
    {
        string? problem = null;
        if (declaration is RecordDeclarationSyntax) problem = $"records cannot derive from {baseClass}; use a class";
        else if (type.IsFileLocal) problem = "it is file-local, so the generated part, in another file, cannot extend it";
        else if (type.IsStatic) problem = "it is static; a model is created with 'new'";
        else if (type.IsAbstract) problem = "it is abstract; a model is created with 'new'";
        else if (type.IsGenericType) problem = "it is generic; every size of a model is fixed, so it takes no type parameters";
        else if (type.BaseType is { SpecialType: not SpecialType.System_Object } baseType &&
                 baseType.ToDisplayString() != baseClass)
            problem = $"it derives from '{baseType.ToDisplayString()}', but the generated part derives from {baseClass}";
        else if (generated.Contains(type.Name))
            problem = $"the generated part declares a member named '{type.Name}', and a member cannot have the name of its class";
        else if (generated.FirstOrDefault(DeclaredMemberNames(type).Contains) is { } declared)
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
    internal static HashSet<string> DeclaredMemberNames(INamedTypeSymbol type) =>
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
        MemberNames.LayerKernelMembers(layerName);

    /// <summary>
    /// Checks a layer name against everything the generated code derives from it (see <see cref="MemberNames"/>): the
    /// accessor, the constants and methods named <c>{name}Inputs</c> … <c>{name}Backward</c>, the camelCase locals
    /// <c>{name}Output</c> and <c>{name}Delta</c>, and the GPU file's kernels <c>{name}Forward</c> …
    /// <c>{name}WeightGradient</c> and its named sizes <c>{name}Inputs</c> … <c>{name}L2</c>; none may clash with the class, the model's fixed or inherited members or another layer's.
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
    private static bool CheckSize(string name, int[] input, List<LayerSpec> layers, Location location, List<DiagnosticInfo> diagnostics)
    {
        var footprints = layers.Select(Footprint).ToList();
        BufferLayout.Lay(footprints, out var parameters, out var activations, out var workspace);
        var perSample = Math.Max(activations + workspace, Product(input));
        if (parameters > int.MaxValue)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ModelTooLarge, location, name, parameters.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), "parameters", "2,147,483,647"));
        else if (perSample > int.MaxValue / 2)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ModelTooLarge, location, name, perSample.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), "values per sample", "1,073,741,823"));
        else
            return true;
        return false;
    }

    /// <summary>A layer's sizes for the shared buffer layout rule (the planner lays the model out with the same rule).</summary>
    internal static LayerFootprint Footprint(LayerSpec layer)
    {
        var inputs = Product(layer.InputShape);
        var outputs = Product(layer.OutputShape);
        long weights = 0, biases = 0, columns = 0;
        if (layer.Kind == LayerKind.Dense)
        {
            weights = inputs * layer.Units;
            biases = layer.UseBias ? layer.Units : 0;
        }
        else if (layer.Kind == LayerKind.Conv2D)
        {
            var patch = (long)layer.KernelSize * layer.KernelSize * layer.InputShape[2];
            weights = patch * layer.Units;
            biases = layer.UseBias ? layer.Units : 0;
            columns = (long)layer.OutputShape[0] * layer.OutputShape[1] * patch;
        }

        long kept = 0, state = 0;
        if (layer.Kind == LayerKind.BatchNormalization)
        {
            (weights, biases) = (layer.Units, layer.Units);
            kept = outputs;     // the normalized inputs, which the backward pass reads
            state = 4L * layer.Units; // moving mean and variance, the last batch's mean and inverse standard deviation
        }
        else if (layer.Kind == LayerKind.Normalization && layer.OutputShape.Count > 0)
        {
            state = NormalizationState.Size(layer.OutputShape[layer.OutputShape.Count - 1]); // mean and variance per feature, the count
        }

        return new LayerFootprint(outputs, weights, biases, columns, ActivationFacts.NeedsPreActivation(layer.Activation), layer.DropoutRate is not null, kept, state);
    }

    internal static long Product(IEnumerable<int> dimensions)
    {
        long product = 1;
        foreach (var d in dimensions) product *= d;
        return product;
    }

    /// <summary>The attribute of each layer kind, by full name.</summary>
    private static readonly Dictionary<string, LayerKind> LayerAttributes = new(StringComparer.Ordinal)
    {
        [DenseAttributeName] = LayerKind.Dense,
        ["DeepGen.Conv2DAttribute"] = LayerKind.Conv2D,
        ["DeepGen.MaxPooling2DAttribute"] = LayerKind.MaxPooling2D,
        ["DeepGen.AveragePooling2DAttribute"] = LayerKind.AveragePooling2D,
        ["DeepGen.GlobalAveragePooling2DAttribute"] = LayerKind.GlobalAveragePooling2D,
        ["DeepGen.GlobalMaxPooling2DAttribute"] = LayerKind.GlobalMaxPooling2D,
        ["DeepGen.FlattenAttribute"] = LayerKind.Flatten,
        ["DeepGen.ReshapeAttribute"] = LayerKind.Reshape,
        ["DeepGen.BatchNormalizationAttribute"] = LayerKind.BatchNormalization,
        ["DeepGen.NormalizationAttribute"] = LayerKind.Normalization,
    };

    /// <summary>Full names of every layer attribute, of either kind of model, for the check that finds layers on a class without [Model].</summary>
    public static IEnumerable<string> LayerAttributeNames => LayerAttributes.Keys.Concat(SequenceModelParser.LayerAttributes.Keys);

    /// <summary>The kind of a layer attribute of a model of floats, by full name; null for any other attribute.</summary>
    internal static LayerKind? KindOf(string attributeName) => LayerAttributes.TryGetValue(attributeName, out var kind) ? kind : null;

    /// <summary>What every layer reader needs: where the layer is, and the shape it receives (null when unknown).</summary>
    private sealed record LayerContext(
        string Model, int Index, LayerKind Kind, string Name, Location Location, int[]? Input, string InputSource,
        List<DiagnosticInfo> Diagnostics)
    {
        /// <summary>Reports that the layer cannot take its input, e.g. <c>Conv2D 'c2' needs at least 3×3 input, gets 2×2×64 from 'pool1'</c>.</summary>
        public void ShapeProblem(string problem) =>
            Diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidLayerShape, Location, Index, Model, $"{Kind} '{Name}' {problem}"));

        public void ArgumentProblem(string argument, string value, string rule) =>
            Diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidLayerArgument, Location, Index, Model, argument, value, rule));

        /// <summary>The input as the messages write it: <c>2×2×64 from 'pool1'</c>.</summary>
        public string Gets => $"{Dimensions(Input!)} from {InputSource}";

        /// <summary>The input when it is an image, else null (after reporting that the layer needs one).</summary>
        public int[]? ImageInput()
        {
            if (Input is null) return null;
            if (Input.Length == 3) return Input;
            ShapeProblem($"needs a (height, width, channels) input, gets {Gets}" + (Input.Length == 1 ? "; use [Reshape] to give a vector a height and width" : ""));
            return null;
        }
    }

    private static string Dimensions(IEnumerable<int> shape) => string.Join("×", shape.Select(Text));

    private static LayerSpec ReadDense(AttributeData dense, LayerContext c, int layerCount)
    {
        var units = dense.ConstructorArguments.Length > 0 && dense.ConstructorArguments[0].Value is int u ? u : 0;
        if (units <= 0)
            c.Diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidUnits, c.Location, c.Index, c.Model, units));
        if (c.Input is { Length: > 1 })
            c.ShapeProblem($"needs a vector input, gets {c.Gets}; add [Flatten] before it");
        var output = units > 0 && c.Input is { Length: 1 } ? new[] { units } : null;
        return ReadWeighted(dense, c, layerCount, units, activationArgument: 1, output);
    }

    private static LayerSpec ReadConv2D(AttributeData conv, LayerContext c, int layerCount)
    {
        var filters = conv.ConstructorArguments.Length > 0 && conv.ConstructorArguments[0].Value is int f ? f : 0;
        var kernel = conv.ConstructorArguments.Length > 1 && conv.ConstructorArguments[1].Value is int k ? k : 0;
        var strides = ReadNamedInt(conv, "Strides") ?? 1;
        var padding = ReadPadding(conv, c);
        if (filters <= 0) c.ArgumentProblem("filters", Text(filters), "a convolution needs at least one filter");
        var window = ReadWindow(c, kernel, strides, padding, "kernel");
        var output = window is not null && filters > 0 ? new[] { window.Value.Height, window.Value.Width, filters } : null;
        return ReadWeighted(conv, c, layerCount, filters, activationArgument: 2, output) with
        {
            KernelSize = kernel,
            Strides = strides,
            Padding = padding,
        };
    }

    private static LayerSpec ReadPooling(AttributeData pool, LayerContext c)
    {
        var size = pool.ConstructorArguments.Length > 0 && pool.ConstructorArguments[0].Value is int p ? p : 0;
        var strides = ReadNamedInt(pool, "Strides") ?? 0;
        // Keras's strides=None: the window moves by its own size. A bad size is reported once, as the size; the
        // strides it stands in for were not written, so they are not reported as well.
        if (strides == 0) strides = size > 0 ? size : 1;
        var padding = ReadPadding(pool, c);
        var window = ReadWindow(c, size, strides, padding, "pool size");
        var output = window is not null ? new[] { window.Value.Height, window.Value.Width, c.Input![2] } : null;
        return Shaped(c, output) with { KernelSize = size, Strides = strides, Padding = padding };
    }

    private static LayerSpec ReadReshape(AttributeData reshape, LayerContext c)
    {
        // [Reshape(null)] compiles (a null params array) and has no Values to read: it is an empty shape.
        var target = reshape.ConstructorArguments.Length > 0 && reshape.ConstructorArguments[0] is { Kind: TypedConstantKind.Array, IsNull: false }
            ? reshape.ConstructorArguments[0].Values.Select(v => v.Value is int d ? d : 0).ToArray()
            : Array.Empty<int>();
        if (target.Length is < 1 or > 3 || target.Any(d => d <= 0))
        {
            c.ArgumentProblem("shape", "(" + string.Join(", ", target.Select(Text)) + ")", "a sample's shape has one to three dimensions, each at least 1");
            return Shaped(c, null);
        }

        if (c.Input is not null && Product(target) != Product(c.Input))
        {
            c.ShapeProblem($"cannot turn {c.Gets} ({Grouped(Product(c.Input))} values) into {Dimensions(target)} ({Grouped(Product(target))} values): a reshape keeps the number of values");
            return Shaped(c, null);
        }

        return Shaped(c, c.Input is null ? null : target);
    }

    /// <summary>Batch normalization: the input's shape, gamma starting at 1 and beta at 0 (Keras's defaults), per channel.</summary>
    private static LayerSpec ReadBatchNormalization(AttributeData attribute, LayerContext c)
    {
        var momentum = ReadNamedDouble(attribute, "Momentum") ?? 0.99;
        var epsilon = ReadNamedDouble(attribute, "Epsilon") ?? 0.001;
        if (!(momentum >= 0 && momentum <= 1))
            c.ArgumentProblem("Momentum", momentum.ToString("R", System.Globalization.CultureInfo.InvariantCulture), "the moving statistics' momentum is in [0, 1]");
        if (!(epsilon > 0) || double.IsInfinity(epsilon) || !((float)epsilon > 0f) || float.IsInfinity((float)epsilon))
            c.ArgumentProblem("Epsilon", epsilon.ToString("R", System.Globalization.CultureInfo.InvariantCulture), "epsilon must be a positive float");
        var channels = c.Input is null ? 0 : c.Input[c.Input.Length - 1];
        return new LayerSpec(c.Name, channels, Activation.Linear)
        {
            Kind = c.Kind,
            KernelInitializer = Initializer.Ones,
            BiasInitializer = Initializer.Zeros,
            Momentum = momentum,
            Epsilon = epsilon,
            InputShape = (c.Input ?? Array.Empty<int>()).ToEquatableArray(),
            OutputShape = (c.Input ?? Array.Empty<int>()).ToEquatableArray(),
        };
    }

    /// <summary>Flatten and the global pools: their output follows from the input alone.</summary>
    private static LayerSpec ReadShapeOnly(LayerContext c)
    {
        if (c.Kind == LayerKind.Flatten)
            return Shaped(c, c.Input is null ? null : new[] { (int)Product(c.Input) });
        var image = c.ImageInput();
        return Shaped(c, image is null ? null : new[] { image[2] });
    }

    /// <summary>A layer without weights or activation, with its shapes.</summary>
    private static LayerSpec Shaped(LayerContext c, int[]? output) =>
        new(c.Name, output is null ? 0 : (int)Product(output), Activation.Linear)
        {
            Kind = c.Kind,
            UseBias = false,
            InputShape = (c.Input ?? Array.Empty<int>()).ToEquatableArray(),
            OutputShape = (output ?? Array.Empty<int>()).ToEquatableArray(),
        };

    /// <summary>The options dense and convolution layers share: activation, bias, initializers, regularizers.</summary>
    private static LayerSpec ReadWeighted(AttributeData attribute, LayerContext c, int layerCount, int units, int activationArgument, int[]? output)
    {
        var activationValue = attribute.ConstructorArguments.Length > activationArgument && attribute.ConstructorArguments[activationArgument].Value is int a ? a : 0;
        if (!Enum.IsDefined(typeof(Activation), activationValue))
            c.Diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownActivation, c.Location, c.Index, c.Model, activationValue));
        else if ((Activation)activationValue == Activation.Softmax && (c.Index != layerCount - 1 || c.Kind != LayerKind.Dense))
            c.Diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SoftmaxNotLast, c.Location, c.Index, c.Model));

        var kernelInitializer = ReadNamedInt(attribute, "KernelInitializer") ?? (int)Initializer.GlorotUniform;
        var biasInitializer = ReadNamedInt(attribute, "BiasInitializer") ?? (int)Initializer.Zeros;
        foreach (var (property, value) in new[] { ("KernelInitializer", kernelInitializer), ("BiasInitializer", biasInitializer) })
            if (!Enum.IsDefined(typeof(Initializer), value))
                c.Diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownInitializer, c.Location, c.Index, c.Model, property, value));
        var l1 = ReadNamedDouble(attribute, "L1") ?? 0;
        var l2 = ReadNamedDouble(attribute, "L2") ?? 0;
        foreach (var (property, value) in new[] { ("L1", l1), ("L2", l2) })
            if (!(value >= 0) || double.IsInfinity(value) || (float)value is var f && float.IsInfinity(f))
                c.Diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidRegularizer, c.Location, c.Index, c.Model, property,
                    value.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));

        return new LayerSpec(c.Name, units, (Activation)activationValue)
        {
            Kind = c.Kind,
            UseBias = ReadNamedBool(attribute, "UseBias") ?? true,
            KernelInitializer = (Initializer)kernelInitializer,
            BiasInitializer = (Initializer)biasInitializer,
            L1 = l1,
            L2 = l2,
            InputShape = (c.Input ?? Array.Empty<int>()).ToEquatableArray(),
            OutputShape = (output ?? Array.Empty<int>()).ToEquatableArray(),
        };
    }

    private static Padding ReadPadding(AttributeData attribute, LayerContext c)
    {
        var value = ReadNamedInt(attribute, "Padding") ?? (int)Padding.Valid;
        if (Enum.IsDefined(typeof(Padding), value)) return (Padding)value;
        c.ArgumentProblem("Padding", Text(value), "it is not a member of DeepGen.Padding");
        return Padding.Valid;
    }

    /// <summary>A window's output height and width on the layer's input, or null (reported) when it has none.</summary>
    private static (int Height, int Width)? ReadWindow(LayerContext c, int size, int strides, Padding padding, string sizeName)
    {
        var valid = true;
        if (size <= 0) { c.ArgumentProblem(sizeName, Text(size), "a window is at least 1×1"); valid = false; }
        if (strides <= 0) { c.ArgumentProblem("Strides", Text(strides), "a window moves at least one step"); valid = false; }
        var image = c.ImageInput();
        if (!valid || image is null) return null;
        var height = WindowRules.Output(image[0], size, strides, padding);
        var width = WindowRules.Output(image[1], size, strides, padding);
        if (height > 0 && width > 0) return (height, width);
        c.ShapeProblem($"needs at least {size}×{size} input, gets {c.Gets}");
        return null;
    }

    // Messages are written with the invariant culture, like the generated code: the build machine's culture must not show.
    internal static string Text(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    internal static string Grouped(long value) => value.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The declared input shape, <c>Input = n</c> or <c>InputShape = new[] { h, w, c }</c>; null (reported) when missing or invalid.</summary>
    private static int[]? ReadInputShape(AttributeData attribute, string name, Location location, List<DiagnosticInfo> diagnostics)
    {
        int? size = null;
        int[]? shape = null;
        foreach (var argument in attribute.NamedArguments)
        {
            if (argument.Key == "Input" && argument.Value.Value is int value) size = value;
            if (argument.Key == "InputShape" && argument.Value.Kind == TypedConstantKind.Array && !argument.Value.IsNull)
                shape = argument.Value.Values.Select(v => v.Value is int d ? d : 0).ToArray();
        }

        string? problem = null;
        if (size is not null && shape is not null) problem = $"both Input = {Text(size.Value)} and InputShape; give one";
        else if (shape is not null && (shape.Length is < 1 or > 3 || shape.Any(d => d <= 0)))
            problem = $"InputShape = [{string.Join(", ", shape.Select(Text))}] (one to three dimensions, each at least 1)";
        else if (shape is null && size is not > 0) problem = size is null ? "no Input" : "Input = " + Text(size.Value);
        if (problem is null) return shape ?? new[] { size!.Value };
        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidInputSize, location, name, problem));
        return null;
    }

    internal static string? ReadNamedString(AttributeData attribute, string key)
    {
        foreach (var argument in attribute.NamedArguments)
            if (argument.Key == key) return argument.Value.Value as string;
        return null;
    }

    internal static int? ReadNamedInt(AttributeData attribute, string key)
    {
        foreach (var argument in attribute.NamedArguments)
            if (argument.Key == key && argument.Value.Value is int value) return value;
        return null;
    }

    internal static double? ReadNamedDouble(AttributeData attribute, string key)
    {
        foreach (var argument in attribute.NamedArguments)
            if (argument.Key == key && argument.Value.Value is double value) return value;
        return null;
    }

    internal static bool? ReadNamedBool(AttributeData attribute, string key)
    {
        foreach (var argument in attribute.NamedArguments)
            if (argument.Key == key && argument.Value.Value is bool value) return value;
        return null;
    }

    internal static bool HasErrors(AttributeData attribute) =>
        attribute.AttributeConstructor is null ||
        attribute.ConstructorArguments.Any(a => a.Kind == TypedConstantKind.Error) ||
        attribute.NamedArguments.Any(a => a.Value.Kind == TypedConstantKind.Error);

    internal static EquatableArray<ContainingTypeSpec> ContainingTypes(INamedTypeSymbol type)
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
