using DeepGen.Serialization;

namespace DeepGen.EndToEnd.Tests;

/// <summary>A checkpoint's metadata and tensors as editable copies, for tests that damage it and write it back.</summary>
internal static class CheckpointContents
{
    public static (Dictionary<string, string> Metadata, List<(string Name, int[] Shape, float[] Values)> Tensors) Read(string path)
    {
        var file = SafeTensorsFile.Read(path);
        var metadata = file.Metadata.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        var tensors = file.Tensors.Select(t =>
        {
            var values = new float[t.ByteLength / 4];
            file.ReadFloat32(t, values);
            return (t.Name, Shape: t.Shape.Select(d => (int)d).ToArray(), Values: values);
        }).ToList();
        return (metadata, tensors);
    }
}
