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

/// <summary>
/// Reads a sequence model — <c>[Model(Vocabulary = …, MaxSequence = …)]</c> and its layers — into a
/// <see cref="SequenceModelSpec"/>, reporting every mistake at the attribute that causes it.
/// </summary>
/// <remarks>
/// The rules, which the runtime's <c>SequenceArchitecture</c> checks again at run time: one [Embedding], first (it
/// turns token ids into the floats every other layer reads); per-token layers (LayerNormalization, TransformerEncoder)
/// on <c>[sequence, units]</c>; at most one [MeanPooling], after which each sequence is one vector; L2Normalize and
/// Dense on that vector only.
/// </remarks>
internal static class SequenceModelParser
{
    public const string EmbeddingAttributeName = "DeepGen.EmbeddingAttribute";
    public const string LayerNormalizationAttributeName = "DeepGen.LayerNormalizationAttribute";
    public const string TransformerEncoderAttributeName = "DeepGen.TransformerEncoderAttribute";
    public const string MeanPoolingAttributeName = "DeepGen.MeanPoolingAttribute";
    public const string L2NormalizeAttributeName = "DeepGen.L2NormalizeAttribute";

    private const string VocabularyArgument = "Vocabulary";
    private const string MaxSequenceArgument = "MaxSequence";

    /// <summary>The attributes of the layer kinds only a sequence model has, by full name ([Dense] is shared with the other models).</summary>
    internal static readonly Dictionary<string, SequenceLayerKind> LayerAttributes = new(StringComparer.Ordinal)
    {
        [EmbeddingAttributeName] = SequenceLayerKind.Embedding,
        [LayerNormalizationAttributeName] = SequenceLayerKind.LayerNormalization,
        [TransformerEncoderAttributeName] = SequenceLayerKind.TransformerEncoder,
        [MeanPoolingAttributeName] = SequenceLayerKind.MeanPooling,
        [L2NormalizeAttributeName] = SequenceLayerKind.L2Normalize,
    };

    /// <summary>A [Model] that names a vocabulary or a longest sequence declares a model of token ids, even with a bad value.</summary>
    public static bool IsSequenceModel(AttributeData model) =>
        model.NamedArguments.Any(a => a.Key is VocabularyArgument or MaxSequenceArgument);

    public static SequenceModelSpec? TryParse(GeneratorAttributeSyntaxContext context, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not INamedTypeSymbol type || context.TargetNode is not TypeDeclarationSyntax declaration)
            return null;
        if (declaration.Identifier.IsMissing || type.Name.Length == 0) return null;
        var modelAttribute = context.Attributes[0];
        var modelLocation = modelAttribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation()
                            ?? declaration.Identifier.GetLocation();
        var name = type.Name;

        // A broken attribute is already a compiler error; say nothing more.
        if (ModelParser.HasErrors(modelAttribute)) return null;
        if (!ModelParser.CheckType(type, declaration, modelLocation, diagnostics, MemberNames.SequenceBaseClass, MemberNames.SequenceGenerated))
            return null;
        if (!ReadSize(modelAttribute, name, modelLocation, diagnostics, out var vocabulary, out var maxSequence)) return null;

        // Every layer attribute in source order, of either kind of model, and [Dropout]: the ones a sequence model
        // cannot use are reported, not skipped in silence.
        var attributes = type.GetAttributes()
            .Where(a => a.AttributeClass?.ToDisplayString() is { } n &&
                        (LayerAttributes.ContainsKey(n) || ModelParser.KindOf(n) is not null || n == ModelParser.DropoutAttributeName))
            .ToList();
        if (attributes.Any(ModelParser.HasErrors)) return null;
        var layerCount = attributes.Count(a => a.AttributeClass!.ToDisplayString() != ModelParser.DropoutAttributeName);
        if (layerCount == 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoLayers, modelLocation, name));
            return null;
        }

        if (!ModelParser.LayersOnModelDeclaration(modelAttribute, declaration, attributes, name, diagnostics, cancellationToken)) return null;

        var reader = new LayerReader(name, maxSequence, layerCount, new TakenNames(ModelParser.DeclaredMemberNames(type)), diagnostics);
        foreach (var attribute in attributes)
            reader.Read(attribute, attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation() ?? modelLocation, type.Name);
        if (diagnostics.Count > 0) return null;

        // Parameters are indexed with int, like every other model's; the count is first taken in doubles, which cannot overflow.
        var approximate = reader.Layers.Sum(layer => layer.ApproximateParameterCount(vocabulary));
        if (approximate > int.MaxValue)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ModelTooLarge, modelLocation, name,
                approximate.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), "parameters", "2,147,483,647"));
            return null;
        }

        var ns = type.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : null;
        return new SequenceModelSpec(ns, ModelParser.ContainingTypes(type), type.Name, vocabulary, maxSequence, reader.Layers.ToEquatableArray());
    }

    /// <summary>
    /// Reads Vocabulary and MaxSequence. False (reported) when the model also declares a float input, which leaves no
    /// sensible way to read its layers; a missing or non-positive size is reported and reading goes on, so the layers'
    /// own mistakes are reported in the same build.
    /// </summary>
    private static bool ReadSize(AttributeData model, string name, Location location, List<DiagnosticInfo> diagnostics, out int vocabulary, out int maxSequence)
    {
        int? vocabularyValue = null, maxSequenceValue = null;
        string? floatInput = null;
        foreach (var argument in model.NamedArguments)
        {
            switch (argument.Key)
            {
                case VocabularyArgument when argument.Value.Value is int value: vocabularyValue = value; break;
                case MaxSequenceArgument when argument.Value.Value is int value: maxSequenceValue = value; break;
                case "Input": floatInput = argument.Value.Value is int input ? "Input = " + ModelParser.Text(input) : "Input"; break;
                case "InputShape": floatInput = "InputShape"; break;
            }
        }

        vocabulary = vocabularyValue ?? 0;
        maxSequence = maxSequenceValue ?? 0;
        if (floatInput is not null)
        {
            var tokens = vocabularyValue is not null ? "Vocabulary = " + ModelParser.Text(vocabulary) : "MaxSequence = " + ModelParser.Text(maxSequence);
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MixedModelInput, location, name, floatInput, tokens));
            return false;
        }

        var problems = new List<string>();
        if (vocabularyValue is null) problems.Add("no Vocabulary");
        else if (vocabulary <= 0) problems.Add("Vocabulary = " + ModelParser.Text(vocabulary));
        if (maxSequenceValue is null) problems.Add("no MaxSequence");
        else if (maxSequence <= 0) problems.Add("MaxSequence = " + ModelParser.Text(maxSequence));
        if (problems.Count > 0)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidSequenceSize, location, name, string.Join(" and ", problems)));
        return true;
    }

    /// <summary>
    /// Reads the layers one after another, following what flows between them: the width (features per token before
    /// the pooling, per sequence after it; 0 once unknown, so later layers are not checked against a made-up width)
    /// and whether, and by which layer, the sequence has been pooled.
    /// </summary>
    private sealed class LayerReader(string model, int maxSequence, int layerCount, TakenNames taken, List<DiagnosticInfo> diagnostics)
    {
        private int _index = -1;
        private int _width;
        private string _source = "the model's input";
        private string? _pooledBy;
        private bool _pooled;
        private SequenceLayerSpec? _previous;

        public List<SequenceLayerSpec> Layers { get; } = new();

        public void Read(AttributeData attribute, Location location, string className)
        {
            var attributeName = attribute.AttributeClass!.ToDisplayString();
            if (attributeName == ModelParser.DropoutAttributeName)
            {
                Report(DiagnosticDescriptors.LayerNotInThisModelKind, location, "Dropout", model,
                    "a sequence model has no dropout yet; remove it");
                return;
            }

            _index++;
            if (ModelParser.KindOf(attributeName) is { } otherKind && otherKind != LayerKind.Dense)
            {
                Report(DiagnosticDescriptors.LayerNotInThisModelKind, location, otherKind.ToString(), model,
                    "it works on images or flat vectors of floats, and a sequence model is built of Embedding, LayerNormalization, " +
                    "TransformerEncoder, MeanPooling, L2Normalize and, after the pooling, Dense layers");
                _width = 0;
                _previous = null;
                return;
            }

            var kind = ModelParser.KindOf(attributeName) == LayerKind.Dense ? SequenceLayerKind.Dense : LayerAttributes[attributeName];
            var layerName = ModelParser.ReadNamedString(attribute, "Name") ?? kind + ModelParser.Text(_index);
            var nameProblem = CheckLayerName(layerName, className, taken);
            if (nameProblem is not null)
                Report(DiagnosticDescriptors.InvalidLayerName, location, _index, model, layerName, nameProblem);
            taken.Add(layerName);

            var c = new LayerContext(this, _index, kind, layerName, location);
            // Only an embedding can read token ids: any other first layer is reported for that alone, and the
            // pooling rules are not applied to it as well (which would report a second problem it does not have).
            var readsIds = _index == 0 && kind != SequenceLayerKind.Embedding;
            if (readsIds)
                Report(DiagnosticDescriptors.EmbeddingNotFirst, location, _index, model,
                    $"{kind} '{layerName}' needs floats, but gets the model's token ids; start the model with an [Embedding], which turns ids into vectors");
            var layer = kind switch
            {
                SequenceLayerKind.Embedding => ReadEmbedding(attribute, c),
                SequenceLayerKind.LayerNormalization => ReadLayerNormalization(attribute, c, checkOrder: !readsIds),
                SequenceLayerKind.TransformerEncoder => ReadTransformerEncoder(attribute, c, checkOrder: !readsIds),
                SequenceLayerKind.MeanPooling => ReadMeanPooling(c, checkOrder: !readsIds),
                SequenceLayerKind.L2Normalize => ReadL2Normalize(c, checkOrder: !readsIds),
                _ => ReadDense(attribute, c, checkOrder: !readsIds),
            };
            Layers.Add(layer);
            _width = readsIds ? 0 : layer.Units;
            // A layer on vectors marks the sequence pooled even where it was misplaced (reported above), so the
            // layers after it are not reported for the same missing pooling again.
            if (!layer.PerToken) _pooled = true;
            if (kind == SequenceLayerKind.MeanPooling) _pooledBy ??= layerName;
            _source = $"'{layerName}'";
            _previous = layer;
        }

        private SequenceLayerSpec ReadEmbedding(AttributeData attribute, LayerContext c)
        {
            var units = attribute.ConstructorArguments.Length > 0 && attribute.ConstructorArguments[0].Value is int u ? u : 0;
            var positions = ModelParser.ReadNamedInt(attribute, "Positions") ?? 0;
            var tokenTypes = ModelParser.ReadNamedInt(attribute, "TokenTypes") ?? 0;
            if (_index > 0)
                Report(DiagnosticDescriptors.EmbeddingNotFirst, c.Location, _index, model,
                    $"Embedding '{c.Name}' needs token ids, but gets {Describe()} from {_source}; a sequence model has one [Embedding], its first layer");
            if (units <= 0) c.ArgumentProblem("units", ModelParser.Text(units), "an embedding needs at least one feature per token");
            if (positions < 0)
                c.ArgumentProblem("Positions", ModelParser.Text(positions), "the learned positions are 0 (none) or more");
            else if (positions > 0 && maxSequence > 0 && positions < maxSequence)
                c.ArgumentProblem("Positions", ModelParser.Text(positions),
                    $"a position would have no vector: the model takes up to {ModelParser.Text(maxSequence)} tokens (its MaxSequence), so give at least {ModelParser.Text(maxSequence)} positions, or 0 for none");
            if (tokenTypes < 0)
                c.ArgumentProblem("TokenTypes", ModelParser.Text(tokenTypes), "the token types are 0 (none) or more");
            return new SequenceLayerSpec(SequenceLayerKind.Embedding, c.Name, 0, Math.Max(units, 0))
            {
                Positions = Math.Max(positions, 0),
                TokenTypes = Math.Max(tokenTypes, 0),
            };
        }

        private SequenceLayerSpec ReadLayerNormalization(AttributeData attribute, LayerContext c, bool checkOrder)
        {
            if (checkOrder) CheckPerToken(c);
            var epsilon = ReadNamedFloat(attribute, "Epsilon") ?? 1e-3f;
            CheckEpsilon(c, epsilon);
            return new SequenceLayerSpec(SequenceLayerKind.LayerNormalization, c.Name, _width, _width) { Epsilon = epsilon };
        }

        private SequenceLayerSpec ReadTransformerEncoder(AttributeData attribute, LayerContext c, bool checkOrder)
        {
            if (checkOrder) CheckPerToken(c);
            var layers = ModelParser.ReadNamedInt(attribute, "Layers") ?? 1;
            var heads = ModelParser.ReadNamedInt(attribute, "Heads") ?? 0;
            var feedForward = ModelParser.ReadNamedInt(attribute, "FeedForward") ?? 0;
            var activation = ModelParser.ReadNamedInt(attribute, "Activation") ?? (int)Activation.Gelu;
            var epsilon = ReadNamedFloat(attribute, "Epsilon") ?? 1e-5f;
            if (layers <= 0) c.ArgumentProblem("Layers", ModelParser.Text(layers), "an encoder has at least one layer");
            if (heads <= 0) c.ArgumentProblem("Heads", ModelParser.Text(heads), "give the number of attention heads, at least 1 (it has no default)");
            if (feedForward <= 0) c.ArgumentProblem("FeedForward", ModelParser.Text(feedForward), "give the units of the feed-forward's inner layer, at least 1 (it has no default)");
            if (!Enum.IsDefined(typeof(Activation), activation))
                Report(DiagnosticDescriptors.UnknownActivation, c.Location, _index, model, activation);
            else if ((Activation)activation is not (Activation.Gelu or Activation.Relu))
                c.ArgumentProblem("Activation", ((Activation)activation).ToString(), "a transformer encoder's feed-forward uses Gelu or Relu");
            CheckEpsilon(c, epsilon);
            if (heads > 0 && _width > 0 && _width % heads != 0)
                Report(DiagnosticDescriptors.HeadsDoNotDivideUnits, c.Location, _index, model, c.Name, ModelParser.Text(_width), ModelParser.Text(heads),
                    ModelParser.Text(NearestDivisor(_width, heads)));
            return new SequenceLayerSpec(SequenceLayerKind.TransformerEncoder, c.Name, _width, _width)
            {
                Layers = Math.Max(layers, 0),
                Heads = heads,
                FeedForward = feedForward,
                Activation = (Activation)activation,
                Epsilon = epsilon,
            };
        }

        private SequenceLayerSpec ReadMeanPooling(LayerContext c, bool checkOrder)
        {
            if (checkOrder && _pooledBy is not null)
                Report(DiagnosticDescriptors.SequencePoolingOrder, c.Location, _index, model,
                    $"MeanPooling '{c.Name}' would pool again, but '{_pooledBy}' already made each sequence one vector; a sequence model pools once");
            return new SequenceLayerSpec(SequenceLayerKind.MeanPooling, c.Name, _width, _width);
        }

        private SequenceLayerSpec ReadL2Normalize(LayerContext c, bool checkOrder)
        {
            if (checkOrder && CheckPooled(c) && _previous is { Kind: SequenceLayerKind.Dense, Activation: not Activation.Linear } dense)
                Report(DiagnosticDescriptors.UnsupportedSequenceActivation, c.Location, _index, model,
                    $"L2Normalize '{c.Name}' follows '{dense.Name}', which uses {dense.Activation}; a Dense right before [L2Normalize] must be Linear, " +
                    "because the normalization's backward pass gives the gradient of that Dense's outputs, not of its pre-activations (put the activation on an earlier Dense)");
            return new SequenceLayerSpec(SequenceLayerKind.L2Normalize, c.Name, _width, _width);
        }

        private SequenceLayerSpec ReadDense(AttributeData attribute, LayerContext c, bool checkOrder)
        {
            var units = attribute.ConstructorArguments.Length > 0 && attribute.ConstructorArguments[0].Value is int u ? u : 0;
            var activation = attribute.ConstructorArguments.Length > 1 && attribute.ConstructorArguments[1].Value is int a ? a : (int)Activation.Linear;
            if (checkOrder) CheckPooled(c);
            if (units <= 0) Report(DiagnosticDescriptors.InvalidUnits, c.Location, _index, model, units);
            if (!Enum.IsDefined(typeof(Activation), activation))
                Report(DiagnosticDescriptors.UnknownActivation, c.Location, _index, model, activation);
            else if ((Activation)activation == Activation.Softmax && _index != layerCount - 1)
                Report(DiagnosticDescriptors.SoftmaxNotLast, c.Location, _index, model);
            else if (ActivationFacts.NeedsPreActivation((Activation)activation))
                Report(DiagnosticDescriptors.UnsupportedSequenceActivation, c.Location, _index, model,
                    $"Dense '{c.Name}' uses {(Activation)activation}, whose derivative needs the pre-activations, which a sequence model's Dense does not keep; " +
                    "use an activation whose derivative follows from its output (Relu, Tanh, Sigmoid, …)");

            // The runtime starts a sequence model's Dense Glorot-uniform with a zero bias and applies no penalty; any
            // other choice would be silently ignored, so it is refused.
            var kernelInitializer = ModelParser.ReadNamedInt(attribute, "KernelInitializer") ?? (int)Initializer.GlorotUniform;
            var biasInitializer = ModelParser.ReadNamedInt(attribute, "BiasInitializer") ?? (int)Initializer.Zeros;
            if (kernelInitializer != (int)Initializer.GlorotUniform)
                c.ArgumentProblem("KernelInitializer", InitializerText(kernelInitializer), "a sequence model's Dense starts Glorot-uniform; other initializers are not supported there yet");
            if (biasInitializer != (int)Initializer.Zeros)
                c.ArgumentProblem("BiasInitializer", InitializerText(biasInitializer), "a sequence model's Dense starts with a zero bias; other initializers are not supported there yet");
            foreach (var penalty in new[] { "L1", "L2" })
                if (ModelParser.ReadNamedDouble(attribute, penalty) is { } value && value != 0)
                    c.ArgumentProblem(penalty, value.ToString("R", System.Globalization.CultureInfo.InvariantCulture), "weight penalties are not supported in a sequence model yet");

            return new SequenceLayerSpec(SequenceLayerKind.Dense, c.Name, _width, Math.Max(units, 0))
            {
                Activation = (Activation)activation,
                UseBias = ModelParser.ReadNamedBool(attribute, "UseBias") ?? true,
            };
        }

        private static string InitializerText(int value) =>
            Enum.IsDefined(typeof(Initializer), value) ? ((Initializer)value).ToString() : ModelParser.Text(value);

        /// <summary>A per-token layer after the pooling has no tokens left to work on.</summary>
        private void CheckPerToken(LayerContext c)
        {
            if (_pooledBy is not null)
                Report(DiagnosticDescriptors.SequencePoolingOrder, c.Location, _index, model,
                    $"{c.Kind} '{c.Name}' works on each token, but follows the pooling '{_pooledBy}', after which each sequence is one vector; put it before the [MeanPooling]");
        }

        /// <summary>A layer on one vector per sequence needs the pooling before it; false (reported) when it is missing.</summary>
        private bool CheckPooled(LayerContext c)
        {
            if (_pooled) return true;
            Report(DiagnosticDescriptors.SequencePoolingOrder, c.Location, _index, model,
                $"{c.Kind} '{c.Name}' works on one vector per sequence, but gets {Describe()} from {_source}; put a [MeanPooling] before it");
            return false;
        }

        private static void CheckEpsilon(LayerContext c, float epsilon)
        {
            if (!(epsilon > 0) || float.IsInfinity(epsilon))
                c.ArgumentProblem("Epsilon", epsilon.ToString("R", System.Globalization.CultureInfo.InvariantCulture), "epsilon must be a positive float");
        }

        /// <summary>What flows into the next layer, as the messages write it: <c>sequence × 384</c> or <c>384</c>.</summary>
        private string Describe() =>
            _width == 0 ? "its output" : _pooled ? ModelParser.Text(_width) : "sequence × " + ModelParser.Text(_width);

        public void Report(DiagnosticDescriptor descriptor, Location location, params object[] arguments) =>
            diagnostics.Add(DiagnosticInfo.Create(descriptor, location, arguments));

        /// <summary>The model's name, as the messages write it.</summary>
        private string Model => model;

        /// <summary>What every layer reader needs: which layer it is and where.</summary>
        private sealed record LayerContext(LayerReader Reader, int Index, SequenceLayerKind Kind, string Name, Location Location)
        {
            public void ArgumentProblem(string argument, string value, string rule) =>
                Reader.Report(DiagnosticDescriptors.InvalidLayerArgument, Location, Index, Reader.Model, argument, value, rule);
        }
    }

    /// <summary>The divisor of <paramref name="value"/> nearest to <paramref name="target"/> (the smaller on a tie), for the suggestion of DG0025.</summary>
    internal static int NearestDivisor(int value, int target)
    {
        var best = 1;
        for (var d = 1; (long)d * d <= value; d++)
        {
            if (value % d != 0) continue;
            foreach (var candidate in new[] { d, value / d })
            {
                var distance = Math.Abs((long)candidate - target);
                var bestDistance = Math.Abs((long)best - target);
                if (distance < bestDistance || distance == bestDistance && candidate < best) best = candidate;
            }
        }

        return best;
    }

    private static float? ReadNamedFloat(AttributeData attribute, string key)
    {
        foreach (var argument in attribute.NamedArguments)
            if (argument.Key == key && argument.Value.Value is float value) return value;
        return null;
    }

    /// <summary>The names the layers read so far have taken, and the members the user declared in the class.</summary>
    private sealed class TakenNames(HashSet<string> declaredByTheClass)
    {
        public HashSet<string> DeclaredByTheClass { get; } = declaredByTheClass;

        public HashSet<string> Layers { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Members { get; } = new(StringComparer.Ordinal);

        public void Add(string layerName)
        {
            Layers.Add(layerName);
            Members.UnionWith(MemberNames.SequenceLayerMembers(layerName));
        }
    }

    /// <summary>
    /// Checks a layer name against everything the generated code derives from it (<see cref="MemberNames.SequenceLayerMembers"/>):
    /// none may clash with the class, a member every sequence model has or inherits, another layer's, or one the user declared.
    /// </summary>
    private static string? CheckLayerName(string layerName, string className, TakenNames taken)
    {
        if (!SyntaxFacts.IsValidIdentifier(layerName) || SyntaxFacts.GetKeywordKind(layerName) != SyntaxKind.None)
            return "a layer name must be a C# identifier, because it names the generated constants";
        if (layerName == className) return "a member cannot have the name of its class";
        if (MemberNames.IsSequenceReserved(layerName)) return "that name is taken by a member of every sequence model";
        if (taken.Layers.Contains(layerName)) return "another layer of this model already has that name";
        foreach (var member in MemberNames.SequenceLayerMembers(layerName))
        {
            if (taken.DeclaredByTheClass.Contains(member))
                return $"the class already declares a member named '{member}', which the generated code declares for this layer; rename one of them";
            if (member == className) return $"its generated member '{member}' would have the name of its class";
            if (MemberNames.IsSequenceReserved(member)) return $"its generated member '{member}' is taken by a member of every sequence model";
            if (taken.Members.Contains(member)) return $"its generated member '{member}' clashes with a member generated for another layer";
        }

        return null;
    }
}
