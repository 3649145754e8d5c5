namespace DeepGen;

/// <summary>
/// xoshiro128** seeded through SplitMix64: small, fast, and the same sequence on every platform and .NET version,
/// which <see cref="Random"/> does not promise. Used for weight initialisation and shuffling.
/// </summary>
internal struct SeededRandom
{
    private uint _s0, _s1, _s2, _s3;

    public SeededRandom(long seed)
    {
        var x = (ulong)seed;
        _s0 = (uint)SplitMix64(ref x);
        _s1 = (uint)SplitMix64(ref x);
        _s2 = (uint)SplitMix64(ref x);
        _s3 = (uint)SplitMix64(ref x);
        if ((_s0 | _s1 | _s2 | _s3) == 0) _s0 = 1;
    }

    /// <summary>
    /// The whole generator state as one number (<c>s0</c> in the high 32 bits … <c>s3</c> in the low), so a checkpoint
    /// can save a stream's position and set it back. Zero is refused: xoshiro never reaches it.
    /// </summary>
    public UInt128 State
    {
        readonly get => new(((ulong)_s0 << 32) | _s1, ((ulong)_s2 << 32) | _s3);
        set
        {
            if (value == UInt128.Zero) throw new ArgumentException("A random stream state of zero is invalid; use a state read from DropoutRandomState.", nameof(value));
            var upper = (ulong)(value >> 64);
            var lower = (ulong)value;
            _s0 = (uint)(upper >> 32);
            _s1 = (uint)upper;
            _s2 = (uint)(lower >> 32);
            _s3 = (uint)lower;
        }
    }

    public uint NextUInt32()
    {
        var result = RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 9;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 11);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits, from two draws.</summary>
    public double NextDouble() => ((ulong)(NextUInt32() >> 5) * (1UL << 26) + (NextUInt32() >> 6)) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, 1) with 24 random bits.</summary>
    public float NextSingle() => (NextUInt32() >> 8) * (1f / (1 << 24));

    /// <summary>Uniform in [0, <paramref name="exclusiveMax"/>), without modulo bias (Lemire's method).</summary>
    public int NextInt32(int exclusiveMax)
    {
        var range = (uint)exclusiveMax;
        var product = (ulong)NextUInt32() * range;
        if ((uint)product < range)
        {
            var threshold = (0u - range) % range;
            while ((uint)product < threshold) product = (ulong)NextUInt32() * range;
        }

        return (int)(product >> 32);
    }

    /// <summary>Fisher–Yates shuffle of <paramref name="values"/> in place.</summary>
    public void Shuffle(Span<int> values)
    {
        for (var i = values.Length - 1; i > 0; i--)
        {
            var j = NextInt32(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }

    private static uint RotateLeft(uint value, int bits) => (value << bits) | (value >> (32 - bits));

    private static ulong SplitMix64(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
