namespace DeepGen.Inference;

/// <summary>
/// Activation buffers for forward passes that run at the same time on one model: each call rents a buffer of its
/// own, so callers never share scratch, and gives it back when done, so a steady stream of calls allocates nothing.
/// </summary>
/// <remarks>
/// <para>Why a small pool per model rather than a buffer per thread: a service runs predictions on thread-pool
/// threads, which are many and come and go; per-thread buffers would be kept by every thread that ever predicted,
/// for every model, and freed only with the thread. A pool holds at most <see cref="Capacity"/> buffers, lives and
/// dies with its model, and does not care which thread returns a buffer (an async caller may resume elsewhere).</para>
/// <para>Renting and returning are one interlocked exchange on a slot each, no lock. When more calls run at once than
/// there are slots, the extra calls allocate a buffer and drop it afterwards: correct, just not allocation-free.
/// A buffer too small for a call is dropped and replaced by a larger one, so the pool settles on the largest batch
/// seen.</para>
/// </remarks>
internal sealed class InferenceWorkspacePool
{
    private readonly float[]?[] _slots;

    /// <param name="capacity">Buffers kept for reuse: the number of concurrent calls that allocate nothing.</param>
    public InferenceWorkspacePool(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _slots = new float[capacity][];
    }

    /// <summary>Buffers kept for reuse.</summary>
    public int Capacity => _slots.Length;

    /// <summary>The default capacity: two buffers per processor, at least eight.</summary>
    public static int DefaultCapacity => Math.Max(8, 2 * Environment.ProcessorCount);

    /// <summary>A buffer of at least <paramref name="length"/> floats that no other caller holds until it is returned.</summary>
    public float[] Rent(int length)
    {
        var slots = _slots;
        // Start at a slot picked by the thread's id, so concurrent callers do not all contend for slot 0.
        var first = (Environment.CurrentManagedThreadId & int.MaxValue) % slots.Length;
        for (var i = 0; i < slots.Length; i++)
        {
            var index = first + i;
            if (index >= slots.Length) index -= slots.Length;
            if (Volatile.Read(ref slots[index]) is null) continue;
            var buffer = Interlocked.Exchange(ref slots[index], null);
            if (buffer is null) continue;
            if (buffer.Length >= length) return buffer;
            break; // too small: dropped; the larger buffer below takes its slot when returned
        }

        return new float[length];
    }

    /// <summary>Gives a rented buffer back; the caller must not touch it afterwards.</summary>
    public void Return(float[] buffer)
    {
        var slots = _slots;
        var first = (Environment.CurrentManagedThreadId & int.MaxValue) % slots.Length;
        for (var i = 0; i < slots.Length; i++)
        {
            var index = first + i;
            if (index >= slots.Length) index -= slots.Length;
            if (Interlocked.CompareExchange(ref slots[index], buffer, null) is null) return;
        }

        // Every slot is full: more calls ran at once than the pool keeps buffers for. This one goes to the GC.
    }

    /// <summary>Drops every kept buffer (their memory goes back to the GC).</summary>
    public void Clear()
    {
        for (var i = 0; i < _slots.Length; i++) Volatile.Write(ref _slots[i], null);
    }
}
