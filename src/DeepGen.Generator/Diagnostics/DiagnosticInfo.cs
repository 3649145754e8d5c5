using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using DeepGen.Generator.Model;

namespace DeepGen.Generator.Diagnostics;

/// <summary>A location as plain values, so a diagnostic can travel through the pipeline and still compare by value.</summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public static LocationInfo? From(Location? location) =>
        location is { IsInSource: true } source
            ? new LocationInfo(source.SourceTree!.FilePath, source.SourceSpan, source.GetLineSpan().Span)
            : null;

    public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);

    /// <summary>
    /// The location in <paramref name="compilation"/>'s syntax tree of that file, so that <c>#pragma warning disable</c>
    /// and the editor see it as source; a plain file location (which pragmas do not reach) when the tree is gone.
    /// </summary>
    public Location ToLocation(Compilation compilation)
    {
        foreach (var tree in compilation.SyntaxTrees)
            if (tree.FilePath == FilePath && tree.Length >= Span.End)
                return Location.Create(tree, Span);
        return ToLocation();
    }
}

/// <summary>A diagnostic as plain values: its descriptor's id, where, and the message arguments as strings.</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, Location? location, params object[] arguments) =>
        new(descriptor.Id, LocationInfo.From(location),
            System.Linq.Enumerable.Select(arguments, a => System.Convert.ToString(a, System.Globalization.CultureInfo.InvariantCulture) ?? "").ToEquatableArray());

    /// <summary>The diagnostic at its source location in <paramref name="compilation"/>, where pragmas can suppress it.</summary>
    public Diagnostic ToDiagnostic(Compilation compilation) =>
        Create(Location is null ? Microsoft.CodeAnalysis.Location.None : Location.ToLocation(compilation));

    public Diagnostic ToDiagnostic() => Create(Location?.ToLocation() ?? Microsoft.CodeAnalysis.Location.None);

    private Diagnostic Create(Location location)
    {
        var descriptor = Find(Id);
        var arguments = new object[Arguments.Count];
        for (var i = 0; i < arguments.Length; i++) arguments[i] = Arguments[i];
        return Diagnostic.Create(descriptor, location, arguments);
    }

    private static DiagnosticDescriptor Find(string id)
    {
        foreach (var field in typeof(DiagnosticDescriptors).GetFields())
            if (field.GetValue(null) is DiagnosticDescriptor descriptor && descriptor.Id == id) return descriptor;
        throw new System.InvalidOperationException("Unknown diagnostic id " + id);
    }
}
