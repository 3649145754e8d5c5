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

    /// <summary>The generator's whole state, to save in a checkpoint and restore, so the sequence continues exactly.</summary>
    public RandomState State
    {
        readonly get => new(_s0, _s1, _s2, _s3);
        set
        {
            if ((value.S0 | value.S1 | value.S2 | value.S3) == 0)
                throw new ArgumentException("An all-zero state is not a valid xoshiro128** state.", nameof(value));
            (_s0, _s1, _s2, _s3) = (value.S0, value.S1, value.S2, value.S3);
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

/// <summary>
/// The state of one of DeepGen's seeded random streams (xoshiro128**: four 32-bit words), as checkpoints save it.
/// </summary>
public readonly record struct RandomState(uint S0, uint S1, uint S2, uint S3)
{
    /// <summary>The state as 32 hexadecimal digits, the form checkpoints store.</summary>
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{S0:x8}{S1:x8}{S2:x8}{S3:x8}");

    /// <summary>Reads the form <see cref="ToString"/> writes.</summary>
    /// <exception cref="FormatException">The text is not 32 hexadecimal digits.</exception>
    public static RandomState Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length != 32 || !text.All(Uri.IsHexDigit))
            throw new FormatException($"'{text}' is not a random state: 32 hexadecimal digits are expected.");
        uint Word(int index) => uint.Parse(text.AsSpan(index * 8, 8), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture);
        return new RandomState(Word(0), Word(1), Word(2), Word(3));
    }
}
