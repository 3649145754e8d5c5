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
}

/// <summary>A diagnostic as plain values: its descriptor's id, where, and the message arguments as strings.</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, Location? location, params object[] arguments) =>
        new(descriptor.Id, LocationInfo.From(location),
            System.Linq.Enumerable.Select(arguments, a => System.Convert.ToString(a, System.Globalization.CultureInfo.InvariantCulture) ?? "").ToEquatableArray());

    public Diagnostic ToDiagnostic()
    {
        var descriptor = Find(Id);
        var arguments = new object[Arguments.Count];
        for (var i = 0; i < arguments.Length; i++) arguments[i] = Arguments[i];
        return Diagnostic.Create(descriptor, Location?.ToLocation() ?? Microsoft.CodeAnalysis.Location.None, arguments);
    }

    private static DiagnosticDescriptor Find(string id)
    {
        foreach (var field in typeof(DiagnosticDescriptors).GetFields())
            if (field.GetValue(null) is DiagnosticDescriptor descriptor && descriptor.Id == id) return descriptor;
        throw new System.InvalidOperationException("Unknown diagnostic id " + id);
    }
}
