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
    public static void Open(SourceWriter w, ModelSpec spec, string baseList = "") =>
        Open(w, spec.Namespace, spec.ContainingTypes, spec.ClassName, baseList);

    /// <summary>As <see cref="Open(SourceWriter, ModelSpec, string)"/>, for a model of any kind.</summary>
    public static void Open(SourceWriter w, string? ns, EquatableArray<ContainingTypeSpec> containingTypes, string className, string baseList)
    {
        w.Line("#nullable enable");
        w.Line();
        if (ns is not null)
        {
            w.Line($"namespace {ns};");
            w.Line();
        }

        foreach (var outer in containingTypes) w.Open($"partial {outer.Keyword} {Identifier(outer.Name)}");
        w.Open($"partial class {Identifier(className)}{baseList}");
    }

    /// <summary>Closes what <see cref="Open(SourceWriter, ModelSpec, string)"/> opened.</summary>
    public static void Close(SourceWriter w, ModelSpec spec) => Close(w, spec.ContainingTypes);

    /// <summary>Closes the class and the <paramref name="containingTypes"/> that enclose it.</summary>
    public static void Close(SourceWriter w, EquatableArray<ContainingTypeSpec> containingTypes)
    {
        w.Close();
        foreach (var _ in containingTypes) w.Close();
    }

    /// <summary>A type name as C# source: a keyword used as a name (<c>@class</c>) keeps its <c>@</c>.</summary>
    public static string Identifier(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;
}
