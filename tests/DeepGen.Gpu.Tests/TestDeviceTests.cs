namespace DeepGen.Gpu.Tests;

public class TestDeviceTests
{
    [Theory]
    [InlineData(null, DeviceKind.IlgpuCpu)]
    [InlineData("", DeviceKind.IlgpuCpu)]
    [InlineData("ilgpu-cpu", DeviceKind.IlgpuCpu)]
    [InlineData(" CUDA ", DeviceKind.Cuda)]
    [InlineData("opencl", DeviceKind.OpenCL)]
    public void TheEnvironmentChoosesTheDevice(string? value, DeviceKind expected) =>
        Assert.Equal(expected, TestDevice.Parse(value));

    [Theory]
    [InlineData("cpu")] // the generated SIMD code is not an ILGPU device
    [InlineData("tpu")]
    public void ANameThatIsNoTestDeviceIsRefusedByName(string value)
    {
        var error = Assert.Throws<InvalidOperationException>(() => TestDevice.Parse(value));
        Assert.Contains($"DEEPGEN_GPU_TEST_DEVICE='{value}'", error.Message, StringComparison.Ordinal);
    }
}
