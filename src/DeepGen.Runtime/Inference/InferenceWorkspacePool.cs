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
/// A call takes the first free buffer large enough; when there is none it allocates, and the new buffer replaces a
/// smaller one, so the pool settles on the largest batch seen. <see cref="Reserve"/> sizes it up front.</para>
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
        float[]? tooSmall = null;
        var tooSmallIndex = -1;
        for (var i = 0; i < slots.Length; i++)
        {
            var index = first + i;
            if (index >= slots.Length) index -= slots.Length;
            var candidate = Volatile.Read(ref slots[index]);
            if (candidate is null) continue;
            if (candidate.Length < length)
            {
                (tooSmall, tooSmallIndex) = (candidate, index);
                continue;
            }

            if (Interlocked.CompareExchange(ref slots[index], null, candidate) == candidate) return candidate;
        }

        // None large enough is free. Drop a small one, so the larger buffer made here takes its slot when returned.
        if (tooSmall is not null) Interlocked.CompareExchange(ref slots[tooSmallIndex], null, tooSmall);
        return new float[length];
    }

    /// <summary>
    /// Makes sure <paramref name="count"/> buffers of at least <paramref name="length"/> floats are kept, so that many
    /// concurrent calls of that size allocate nothing from the first one on.
    /// </summary>
    public void Reserve(int count, int length)
    {
        if (count > _slots.Length)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"The pool keeps at most {_slots.Length} buffers.");
        var rented = new float[count][];
        for (var i = 0; i < count; i++) rented[i] = Rent(length);
        foreach (var buffer in rented) Return(buffer);
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
