namespace DeepGen.Cpu;

/// <summary>Settings of the CPU back end, shared by every model in the process.</summary>
public static class CpuBackend
{
    private static int _maxDegreeOfParallelism = Environment.ProcessorCount;

    /// <summary>
    /// The most threads one matrix product may use (default: the processor count). Results are bitwise the same
    /// for every value: work is split over outputs, never over a summation.
    /// </summary>
    public static int MaxDegreeOfParallelism
    {
        get => _maxDegreeOfParallelism;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _maxDegreeOfParallelism = value;
        }
    }

    /// <summary>The vector width the kernels run with on this machine, in bits (512, 256 or 128).</summary>
    public static int VectorBits => Gemm.VectorBits;
}
