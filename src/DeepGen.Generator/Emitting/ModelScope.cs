using Microsoft.CodeAnalysis.CSharp;
using DeepGen.Generator.Model;

namespace DeepGen.Generator.Emitting;

/// <summary>What every generated file of a model wraps its code in: the namespace, the containing types, the class.</summary>
internal static class ModelScope
{
    /// <summary>
    /// Writes <c>#nullable enable</c>, the model's namespace and containing types, and opens
    /// <c>partial class Model</c> followed by <paramref name="baseList"/> (for example <c>" : Base"</c>).
    /// </summary>
    public static void Open(SourceWriter w, ModelSpec spec, string baseList = "")
    {
        w.Line("#nullable enable");
        w.Line();
        if (spec.Namespace is not null)
        {
            w.Line($"namespace {spec.Namespace};");
            w.Line();
        }

        foreach (var outer in spec.ContainingTypes) w.Open($"partial {outer.Keyword} {Identifier(outer.Name)}");
        w.Open($"partial class {Identifier(spec.ClassName)}{baseList}");
    }

    /// <summary>Closes what <see cref="Open"/> opened.</summary>
    public static void Close(SourceWriter w, ModelSpec spec)
    {
        w.Close();
        foreach (var _ in spec.ContainingTypes) w.Close();
    }

    /// <summary>A type name as C# source: a keyword used as a name (<c>@class</c>) keeps its <c>@</c>.</summary>
    public static string Identifier(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;
}
