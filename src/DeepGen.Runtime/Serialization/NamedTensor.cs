namespace DeepGen;

/// <summary>
/// One tensor of a state dict read from another framework's file (a Hugging Face <c>model.safetensors</c>, an ONNX
/// file's initializers): its name there, its shape as stored there and its values, row-major, as floats.
/// </summary>
/// <param name="Name">The tensor's name in its file (<c>encoder.layer.0.attention.self.query.weight</c>).</param>
/// <param name="Shape">Its shape in its file's layout (PyTorch's <c>[out, in]</c> for a linear layer's weight).</param>
/// <param name="Values">Its values, row-major in <paramref name="Shape"/>.</param>
public sealed record NamedTensor(string Name, int[] Shape, float[] Values)
{
    /// <summary>The shape as text, <c>[384, 1536]</c>, for messages.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}
