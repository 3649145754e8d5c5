using System.Runtime.InteropServices;

namespace DeepGen.Serialization;

/// <summary>
/// Flushes a folder's entries to disk, so that a file just renamed into it keeps its new name through a power loss.
/// .NET cannot open a folder as a file, so this calls the C library's <c>open</c>, <c>fsync</c> and <c>close</c>
/// where a folder can be opened that way (Linux, macOS, FreeBSD); elsewhere (Windows) it does nothing.
/// </summary>
internal static partial class FolderSync
{
    private const int ReadOnly = 0; // O_RDONLY, 0 on every Unix

    /// <summary>True when the folder was flushed; false where the system does not allow it or the flush failed.</summary>
    internal static bool TryFlush(string folder)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD()) return false;
        try
        {
            var descriptor = Open(folder, ReadOnly);
            if (descriptor < 0) return false;
            try
            {
                return FSync(descriptor) == 0;
            }
            finally
            {
                Close(descriptor);
            }
        }
        catch (DllNotFoundException)
        {
            return false;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int FSync(int descriptor);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int descriptor);
}
