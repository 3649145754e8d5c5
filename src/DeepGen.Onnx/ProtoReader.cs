using Google.Protobuf;

namespace DeepGen.Onnx;

/// <summary>
/// Reads one protobuf message field by field from a slice of a byte array, the counterpart of
/// <see cref="ProtoWriter"/>. A nested message or a bytes field comes back as a slice of the same array, so a 90 MB
/// model is held once: Google.Protobuf's <c>CodedInputStream</c> copies every length-delimited field it returns.
/// </summary>
/// <remarks>
/// Malformed input (a truncated varint, a length past the end of the message, a wire type protobuf does not have)
/// throws <see cref="InvalidDataException"/>, never an index exception.
/// </remarks>
internal struct ProtoReader(byte[] buffer, int offset, int length)
{
    private int _position = offset;
    private readonly int _end = offset + length;

    /// <summary>A reader over the whole of <paramref name="message"/>.</summary>
    public ProtoReader(ArraySegment<byte> message) : this(message.Array!, message.Offset, message.Count)
    {
    }

    public int Field { get; private set; }

    public WireFormat.WireType WireType { get; private set; }

    /// <summary>Moves to the next field; false at the end of the message.</summary>
    public bool Next()
    {
        if (_position >= _end) return false;
        var tag = ReadVarint();
        Field = (int)(tag >> 3);
        WireType = (WireFormat.WireType)(tag & 7);
        if (Field == 0) throw new InvalidDataException("A field has number 0, which protobuf does not allow.");
        return true;
    }

    /// <summary>The current field, a varint (<c>int32</c>, <c>int64</c>, an enum).</summary>
    public long Varint()
    {
        Expect(WireFormat.WireType.Varint);
        return (long)ReadVarint();
    }

    /// <summary>The current field, a length-delimited value: a string, bytes, a nested message or a packed array.</summary>
    public ArraySegment<byte> Bytes()
    {
        Expect(WireFormat.WireType.LengthDelimited);
        var length = ReadVarint();
        if (length > (ulong)(_end - _position))
            throw new InvalidDataException($"A field claims {length:N0} bytes but only {_end - _position:N0} are left in its message.");
        var slice = new ArraySegment<byte>(buffer, _position, (int)length);
        _position += (int)length;
        return slice;
    }

    /// <summary>The current field, a UTF-8 string.</summary>
    public string String()
    {
        var bytes = Bytes();
        return System.Text.Encoding.UTF8.GetString(bytes.AsSpan());
    }

    /// <summary>The current field, a 32-bit little-endian value (an unpacked <c>float</c>).</summary>
    public float Fixed32Float()
    {
        Expect(WireFormat.WireType.Fixed32);
        RequireLeft(4);
        var value = BitConverter.ToSingle(buffer, _position);
        _position += 4;
        return value;
    }

    /// <summary>The current field, a <c>repeated int64</c> element or a packed run of them, appended to <paramref name="values"/>.</summary>
    public void Int64s(List<long> values)
    {
        if (WireType != WireFormat.WireType.LengthDelimited)
        {
            values.Add(Varint());
            return;
        }

        var packed = new ProtoReader(Bytes());
        while (packed._position < packed._end) values.Add((long)packed.ReadVarint());
    }

    /// <summary>Skips the current field, whatever its type.</summary>
    public void Skip()
    {
        switch (WireType)
        {
            case WireFormat.WireType.Varint: ReadVarint(); break;
            case WireFormat.WireType.Fixed64: RequireLeft(8); _position += 8; break;
            case WireFormat.WireType.Fixed32: RequireLeft(4); _position += 4; break;
            case WireFormat.WireType.LengthDelimited: Bytes(); break;
            default: throw new InvalidDataException($"Field {Field} has wire type {(int)WireType}, which this reader does not take (groups are not used by ONNX).");
        }
    }

    private void Expect(WireFormat.WireType type)
    {
        if (WireType != type)
            throw new InvalidDataException($"Field {Field} has wire type {WireType}; {type} was expected.");
    }

    private void RequireLeft(int bytes)
    {
        if (_end - _position < bytes) throw new InvalidDataException("The message ends inside a field.");
    }

    private ulong ReadVarint()
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _end) throw new InvalidDataException("The message ends inside a varint.");
            var b = buffer[_position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }

        throw new InvalidDataException("A varint is longer than 10 bytes.");
    }
}
