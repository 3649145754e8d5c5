namespace DeepGen.Gpu.Tests;

public class DeviceTests
{
    [Fact]
    public void AnAbsentDeviceIsAClearErrorListingWhatWasFound()
    {
        // No machine has a thousand CUDA devices, so this fails the same way with or without a GPU.
        var error = Assert.Throws<DeviceNotFoundException>(() => ComputeDevice.Open(DeviceKind.Cuda, index: 1000));
        Assert.Contains("Cuda", error.Message, StringComparison.Ordinal);
        Assert.Contains("ILGPU devices on this machine", error.Message, StringComparison.Ordinal);
        // ILGPU's CPU accelerator is always there, so the list is never empty.
        Assert.Contains("CPU", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CpuIsNotAnIlgpuDevice() =>
        Assert.Throws<ArgumentException>(() => ComputeDevice.Open(DeviceKind.Cpu));

    [Theory]
    [InlineData("cpu", DeviceKind.Cpu)]
    [InlineData("CUDA", DeviceKind.Cuda)]
    [InlineData("opencl", DeviceKind.OpenCL)]
    [InlineData("ilgpu-cpu", DeviceKind.IlgpuCpu)]
    public void DeviceNamesParse(string name, DeviceKind kind)
    {
        Assert.True(DeviceKinds.TryParse(name, out var parsed));
        Assert.Equal(kind, parsed);
        Assert.Equal(name.ToLowerInvariant(), parsed.ToName());
    }

    [Fact]
    public void UnknownDeviceNamesDoNotParse() => Assert.False(DeviceKinds.TryParse("tpu", out _));

    [Fact]
    public void TheCudaDriverIsLookedUpByItsVersionedName()
    {
        Assert.Equal("libcuda.so.1", NativeDriverResolver.CandidatesFor("cuda")[0]);
        Assert.Equal("libOpenCL.so.1", NativeDriverResolver.CandidatesFor("OpenCL")[0]);
        Assert.Empty(NativeDriverResolver.CandidatesFor("libm"));
        if (OperatingSystem.IsLinux() && !File.ReadAllText("/proc/version").Contains("microsoft", StringComparison.OrdinalIgnoreCase))
            Assert.True(NativeDriverResolver.Register());
        // With the resolver in place, asking ILGPU for CUDA and OpenCL devices still works (none here is fine).
        Assert.NotEmpty(ComputeDevice.ListDevices());
    }

    [Fact]
    public void TheTestAcceleratorHasWarpsOf32AndRoomForATile()
    {
        using var device = ComputeDevice.OpenCpuAccelerator();
        Assert.Equal(32, device.Accelerator.WarpSize);
        Assert.True(device.Accelerator.MaxNumThreadsPerGroup >= GpuKernelSet.Tile * GpuKernelSet.Tile);
    }
}
