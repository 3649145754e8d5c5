namespace DeepGen.Cpu;
#pragma warning disable CS9113
public readonly struct EncoderShape(int hidden, int heads, int feedForward, Activation activation, float epsilon)
{
    public long KeptFloats(int batch, int sequence) => 0;
    public long InferenceScratchFloats(int batch, int sequence) => 0;
    public long BackwardScratchFloats(int batch, int sequence) => 0;
}
