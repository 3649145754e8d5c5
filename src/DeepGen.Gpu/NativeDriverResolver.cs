using System.Reflection;
using System.Runtime.InteropServices;
using ILGPU;

namespace DeepGen.Gpu;

/// <summary>
/// Points ILGPU at the GPU driver libraries by their versioned Linux names. ILGPU 1.5.3 imports the CUDA driver as
/// <c>cuda</c>, which .NET probes as <c>libcuda.so</c>: that unversioned link ships only with the CUDA toolkit's
/// development files, not with the driver, so on a machine with just the driver ILGPU silently finds zero CUDA
/// devices. The driver always installs <c>libcuda.so.1</c> (and the ICD loader <c>libOpenCL.so.1</c>); this resolver
/// loads those when the plain name fails.
/// </summary>
public static class NativeDriverResolver
{
    private static readonly Lock Gate = new();
    private static bool _registered;

    /// <summary>
    /// Registers the resolver on ILGPU's assembly, once; later calls do nothing. Must run before the first ILGPU
    /// <see cref="Context"/> is created, because ILGPU binds the driver library the first time it asks for devices.
    /// Returns whether this resolver is in place. On WSL it is not: ILGPU registers its own resolver there (for
    /// <c>/usr/lib/wsl/lib</c>) and only one may exist per assembly.
    /// </summary>
    public static bool Register()
    {
        lock (Gate)
        {
            if (_registered) return true;
            if (!OperatingSystem.IsLinux() || IsWsl()) return false;
            try
            {
                NativeLibrary.SetDllImportResolver(typeof(Context).Assembly, Resolve);
                _registered = true;
            }
            catch (InvalidOperationException)
            {
                // Someone registered a resolver on ILGPU's assembly first; theirs stays in charge.
            }

            return _registered;
        }
    }

    /// <summary>The versioned file names tried for an ILGPU import, in order; empty for names this resolver leaves alone.</summary>
    public static IReadOnlyList<string> CandidatesFor(string libraryName) => libraryName.ToLowerInvariant() switch
    {
        "cuda" or "libcuda" or "libcuda.so" => ["libcuda.so.1", "libcuda.so"],
        "opencl" or "libopencl" or "libopencl.so" => ["libOpenCL.so.1", "libOpenCL.so"],
        _ => [],
    };

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        foreach (var candidate in CandidatesFor(libraryName))
            if (NativeLibrary.TryLoad(candidate, assembly, searchPath, out var handle))
                return handle;
        // Zero hands the import back to the default probing, which reports its own DllNotFoundException.
        return IntPtr.Zero;
    }

    private static bool IsWsl()
    {
        try
        {
            return File.ReadAllText("/proc/version").Contains("microsoft", StringComparison.OrdinalIgnoreCase);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
