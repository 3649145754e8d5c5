namespace DeepGen.Gpu.Tests;

/// <summary>
/// The one place the GPU tests open their device. By default ILGPU's CPU accelerator (warps of 32, 256 threads per
/// group), so the tests run on any machine; the environment variable <c>DEEPGEN_GPU_TEST_DEVICE</c> (<c>cuda</c>,
/// <c>opencl</c> or <c>ilgpu-cpu</c>) runs the same tests on a real GPU (bench/gpu/run-device-check.sh does).
/// A device that is asked for and absent fails every test with the device's own error: never a quiet fallback.
/// </summary>
internal static class TestDevice
{
    /// <summary>The environment variable that chooses the device.</summary>
    public const string Variable = "DEEPGEN_GPU_TEST_DEVICE";

    /// <summary>The device the environment asks for; <see cref="DeviceKind.IlgpuCpu"/> when it asks for none.</summary>
    public static DeviceKind Kind => Parse(Environment.GetEnvironmentVariable(Variable));

    /// <summary>Reads the variable's value: empty or unset is ILGPU's CPU accelerator; <c>cpu</c> and unknown names are refused.</summary>
    public static DeviceKind Parse(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return DeviceKind.IlgpuCpu;
        if (!DeviceKinds.TryParse(name.Trim(), out var kind) || kind == DeviceKind.Cpu)
            throw new InvalidOperationException(
                $"{Variable}='{name}' names no device the GPU tests can run on: use cuda, opencl or ilgpu-cpu (the default).");
        return kind;
    }

    /// <summary>Opens the device <see cref="Kind"/> names.</summary>
    public static ComputeDevice Open() =>
        Kind == DeviceKind.IlgpuCpu ? ComputeDevice.OpenCpuAccelerator() : ComputeDevice.Open(Kind);
}
