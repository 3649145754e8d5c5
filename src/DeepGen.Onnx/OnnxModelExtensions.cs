using DeepGen.Onnx;

namespace DeepGen;

/// <summary><c>model.ExportOnnx(path)</c> on any generated model, for projects that reference DeepGen.Onnx.</summary>
public static class OnnxModelExtensions
{
    /// <summary>Writes the model as an ONNX graph (opset 13) with its current weights; see <see cref="OnnxExporter"/>.</summary>
    /// <remarks>The write is atomic: a failure leaves any existing file at <paramref name="path"/> untouched.</remarks>
    public static void ExportOnnx(this SequentialModel model, string path) => OnnxExporter.Export(model, path);

    /// <summary>The model as ONNX protobuf bytes; see <see cref="OnnxExporter"/>.</summary>
    public static byte[] ToOnnx(this SequentialModel model) => OnnxExporter.ToOnnx(model);
}
