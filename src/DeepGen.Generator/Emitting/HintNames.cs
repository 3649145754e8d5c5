using System;
using System.Linq;
using DeepGen.Generator.Model;

namespace DeepGen.Generator.Emitting;

/// <summary>Generated file names are compared ignoring case; this keeps two models named Net and net apart.</summary>
internal static class HintNames
{
    private const string Extension = ".g.cs";

    /// <summary>
    /// <paramref name="hintName"/> itself, unless another model's differs from it only in case: then the names that
    /// clash are sorted ordinally and all but the first get their position, <c>net.2.g.cs</c>. No type name starts
    /// with a digit, so the result cannot clash with another model's.
    /// </summary>
    public static string Unique(string hintName, EquatableArray<string> allHintNames)
    {
        var clashing = allHintNames
            .Where(name => string.Equals(name, hintName, StringComparison.OrdinalIgnoreCase))
            .Distinct(StringComparer.Ordinal)
            .OrderBy(name => name, StringComparer.Ordinal)
            .ToList();
        var position = clashing.IndexOf(hintName);
        return position <= 0
            ? hintName
            : hintName.Substring(0, hintName.Length - Extension.Length) + "." + (position + 1) + Extension;
    }

    /// <summary>The GPU file's name beside the CPU file <paramref name="uniqueHintName"/>: <c>Net.g.cs</c> → <c>Net.Gpu.g.cs</c>.</summary>
    public static string Gpu(string uniqueHintName) =>
        uniqueHintName.Substring(0, uniqueHintName.Length - Extension.Length) + ".Gpu" + Extension;
}
