using System.Globalization;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace DeepGen.Gpu;

/// <summary>Where a model runs.</summary>
public enum DeviceKind
{
    /// <summary>The generated SIMD C# code on this machine's cores: the default, and the fast CPU path.</summary>
    Cpu = 0,
    /// <summary>An NVIDIA GPU through ILGPU's CUDA back end.</summary>
    Cuda = 1,
    /// <summary>A GPU through ILGPU's OpenCL back end.</summary>
    OpenCL = 2,
    /// <summary>ILGPU's CPU accelerator, which runs the GPU kernels on simulated threads: for testing kernels without a GPU, never for speed.</summary>
    IlgpuCpu = 3,
}

/// <summary>Parsing and printing of <see cref="DeviceKind"/> as command lines write it: <c>cpu</c>, <c>cuda</c>, <c>opencl</c>, <c>ilgpu-cpu</c>.</summary>
public static class DeviceKinds
{
    /// <summary>The names <see cref="TryParse"/> accepts, in order.</summary>
    public static IReadOnlyList<string> Names { get; } = ["cpu", "cuda", "opencl", "ilgpu-cpu"];

    /// <summary>Reads a device name, ignoring case.</summary>
    public static bool TryParse(string text, out DeviceKind kind)
    {
        var index = Names.ToList().FindIndex(name => string.Equals(name, text, StringComparison.OrdinalIgnoreCase));
        kind = index < 0 ? DeviceKind.Cpu : (DeviceKind)index;
        return index >= 0;
    }

    /// <summary>The command-line name of <paramref name="kind"/>.</summary>
    public static string ToName(this DeviceKind kind) => Names[(int)kind];
}

/// <summary>Thrown when the device asked for is not on this machine; the message lists the devices that are.</summary>
public sealed class DeviceNotFoundException(string message) : InvalidOperationException(message);

/// <summary>
/// One ILGPU accelerator and its context: the device a <see cref="GpuModel"/> runs on. Open it once and share it;
/// disposing it frees every buffer and kernel created on it.
/// </summary>
public sealed class ComputeDevice : IDisposable
{
    /// <summary>Threads per warp of the test CPU accelerator: what NVIDIA GPUs have, so kernels see the same shape.</summary>
    public const int TestWarpSize = 32;

    /// <summary>Warps per group of the test CPU accelerator: 32 × 8 = 256 threads, enough for a 16 × 16 tile.</summary>
    public const int TestWarpsPerGroup = 8;

    private readonly Context _context;

    private ComputeDevice(Context context, Accelerator accelerator, DeviceKind kind)
    {
        _context = context;
        Accelerator = accelerator;
        Kind = kind;
    }

    /// <summary>The ILGPU accelerator, for generated kernels to load onto.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>What kind of device this is.</summary>
    public DeviceKind Kind { get; }

    /// <summary>The device's name as its driver reports it, e.g. <c>NVIDIA H100 80GB HBM3</c>.</summary>
    public string Name => Accelerator.Name;

    /// <summary>
    /// Opens the <paramref name="index"/>-th device of <paramref name="kind"/>. <see cref="DeviceKind.Cpu"/> is not
    /// an ILGPU device: train the model itself for that. Throws <see cref="DeviceNotFoundException"/>, listing what
    /// was found, when there is no such device.
    /// </summary>
    public static ComputeDevice Open(DeviceKind kind, int index = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        if (kind == DeviceKind.Cpu)
            throw new ArgumentException("DeviceKind.Cpu runs the generated SIMD code: call Fit, Evaluate and Predict on the model itself.", nameof(kind));
        if (kind == DeviceKind.IlgpuCpu) return OpenCpuAccelerator(TestWarpSize, TestWarpsPerGroup);
        if (!Enum.IsDefined(kind)) throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown device kind.");

        NativeDriverResolver.Register();
        var context = Context.Create(builder =>
        {
            builder.Optimize(OptimizationLevel.O2).EnableAlgorithms();
            if (kind == DeviceKind.Cuda) builder.Cuda();
            else builder.OpenCL();
        });
        try
        {
            var wanted = kind == DeviceKind.Cuda ? AcceleratorType.Cuda : AcceleratorType.OpenCL;
            var devices = context.Devices.Where(device => device.AcceleratorType == wanted).ToList();
            if (index >= devices.Count)
                throw new DeviceNotFoundException(DescribeMissing(kind, index, devices.Count));
            return new ComputeDevice(context, devices[index].CreateAccelerator(context), kind);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>
    /// ILGPU's CPU accelerator with <paramref name="warpSize"/> threads per warp and
    /// <paramref name="warpsPerGroup"/> warps per group (ILGPU's default CPU device allows only 16 threads per group,
    /// too few for the generated 16 × 16 tiles). Slow: for tests of the kernels.
    /// </summary>
    public static ComputeDevice OpenCpuAccelerator(int warpSize = TestWarpSize, int warpsPerGroup = TestWarpsPerGroup, int multiprocessors = 1)
    {
        var cpu = new CPUDevice(warpSize, warpsPerGroup, multiprocessors);
        var context = Context.Create(builder => builder.Optimize(OptimizationLevel.O1).EnableAlgorithms().CPU(cpu));
        try
        {
            var accelerator = context.GetDevices<CPUDevice>()[0].CreateAccelerator(context);
            return new ComputeDevice(context, accelerator, DeviceKind.IlgpuCpu);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>One line per ILGPU device this machine has (CUDA, OpenCL and ILGPU's CPU accelerator).</summary>
    public static IReadOnlyList<string> ListDevices()
    {
        NativeDriverResolver.Register();
        using var context = Context.Create(builder => builder.Cuda().OpenCL().CPU());
        return [.. context.Devices.Select(device => string.Create(CultureInfo.InvariantCulture,
            $"{device.AcceleratorType}: {device.Name} ({device.MemorySize / (1024 * 1024)} MiB)"))];
    }

    private static string DescribeMissing(DeviceKind kind, int index, int count)
    {
        var found = ListDevices();
        var wanted = count == 0 ? $"No {kind} device was found" : $"{kind} device {index} was asked for but only {count} exist";
        var list = found.Count == 0 ? " none" : Environment.NewLine + string.Join(Environment.NewLine, found.Select(line => "  " + line));
        var hint = kind == DeviceKind.Cuda && OperatingSystem.IsLinux()
            ? " CUDA needs the NVIDIA driver's libcuda.so.1 on the library path."
            : "";
        return $"{wanted}.{hint} ILGPU devices on this machine:{list}";
    }

    /// <inheritdoc />
    public override string ToString() => $"{Kind.ToName()}: {Name}";

    /// <inheritdoc />
    public void Dispose()
    {
        Accelerator.Dispose();
        _context.Dispose();
    }
}
