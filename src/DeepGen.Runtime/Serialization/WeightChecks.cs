using System.Globalization;

namespace DeepGen.Serialization;

/// <summary>Checks and message pieces shared by the weight loaders (<c>Load</c>, <c>LoadForInference</c>, <c>LoadPyTorch</c>).</summary>
internal static class WeightChecks
{
    /// <summary>How many names a message lists before it only counts the rest.</summary>
    private const int ListedNames = 20;

    /// <summary>One rule for every loader: a weight that is NaN or infinite refuses the file, naming the tensor.</summary>
    internal static void RequireFinite(ReadOnlySpan<float> values, string tensor, string path)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (float.IsFinite(values[i])) continue;
            var value = float.IsNaN(values[i]) ? "NaN" : values[i] > 0 ? "+Infinity" : "-Infinity";
            throw new InvalidModelFileException($"Tensor '{tensor}' in '{path}' holds {value} at index {i}; weights must be finite.");
        }
    }

    /// <summary>The items joined with commas, the first <see cref="ListedNames"/> of them and a count of the rest.</summary>
    internal static string List(IEnumerable<string> items)
    {
        var all = items as IReadOnlyCollection<string> ?? items.ToList();
        return all.Count <= ListedNames
            ? string.Join(", ", all)
            : string.Join(", ", all.Take(ListedNames)) + string.Create(CultureInfo.InvariantCulture, $" and {all.Count - ListedNames:N0} more");
    }
}
