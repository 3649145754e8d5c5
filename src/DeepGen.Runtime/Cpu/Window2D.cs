namespace DeepGen.Cpu;

/// <summary>
/// The geometry of a 2-D sliding window (a convolution's kernel or a pooling window) over channels-last samples
/// <c>[height, width, channels]</c>: the input, the window, its strides, the padding before the first row and column,
/// and the output it produces. <see cref="Create"/> computes the padding and output with Keras / TensorFlow rules.
/// </summary>
/// <remarks>
/// A window at output <c>(oy, ox)</c> covers input rows <c>oy · StrideHeight - PadTop + ky</c> for
/// <c>ky &lt; KernelHeight</c> and columns likewise; cells outside the input are padding.
/// </remarks>
public readonly record struct Window2D(
    int InputHeight, int InputWidth, int Channels, int KernelHeight, int KernelWidth, int StrideHeight, int StrideWidth,
    int PadTop, int PadLeft, int OutputHeight, int OutputWidth)
{
    /// <summary>Floats of one input sample: <c>InputHeight · InputWidth · Channels</c>.</summary>
    public int InputSize => InputHeight * InputWidth * Channels;

    /// <summary>Positions of the window: <c>OutputHeight · OutputWidth</c>.</summary>
    public int OutputPixels => OutputHeight * OutputWidth;

    /// <summary>Floats one window reads: <c>KernelHeight · KernelWidth · Channels</c>, one row of the im2col matrix.</summary>
    public int PatchSize => KernelHeight * KernelWidth * Channels;

    /// <summary>Floats of one sample's im2col matrix: <c>OutputPixels · PatchSize</c>.</summary>
    public int ColumnsPerSample => OutputPixels * PatchSize;

    /// <summary>
    /// The window as Keras builds it. <c>valid</c>: no padding, <c>out = (in - kernel) / stride + 1</c> rounded down.
    /// <c>same</c>: <c>out = ⌈in / stride⌉</c>, padded by <c>max((out - 1) · stride + kernel - in, 0)</c> in all, half
    /// of it (rounded down) before the first row or column and the rest after the last, as TensorFlow does.
    /// </summary>
    /// <exception cref="ArgumentException">A size or stride is not positive, or a valid window is larger than the input.</exception>
    public static Window2D Create(
        int inputHeight, int inputWidth, int channels, int kernelHeight, int kernelWidth, int strideHeight, int strideWidth,
        bool samePadding)
    {
        Positive(inputHeight, nameof(inputHeight));
        Positive(inputWidth, nameof(inputWidth));
        Positive(channels, nameof(channels));
        Positive(kernelHeight, nameof(kernelHeight));
        Positive(kernelWidth, nameof(kernelWidth));
        Positive(strideHeight, nameof(strideHeight));
        Positive(strideWidth, nameof(strideWidth));
        if (!samePadding)
        {
            if (kernelHeight > inputHeight)
                throw new ArgumentException($"The window's height {kernelHeight} exceeds the input's height {inputHeight} with valid padding.", nameof(kernelHeight));
            if (kernelWidth > inputWidth)
                throw new ArgumentException($"The window's width {kernelWidth} exceeds the input's width {inputWidth} with valid padding.", nameof(kernelWidth));
            return new Window2D(inputHeight, inputWidth, channels, kernelHeight, kernelWidth, strideHeight, strideWidth, 0, 0,
                (inputHeight - kernelHeight) / strideHeight + 1, (inputWidth - kernelWidth) / strideWidth + 1);
        }

        var outputHeight = (inputHeight + strideHeight - 1) / strideHeight;
        var outputWidth = (inputWidth + strideWidth - 1) / strideWidth;
        var padHeight = Math.Max((outputHeight - 1) * strideHeight + kernelHeight - inputHeight, 0);
        var padWidth = Math.Max((outputWidth - 1) * strideWidth + kernelWidth - inputWidth, 0);
        return new Window2D(inputHeight, inputWidth, channels, kernelHeight, kernelWidth, strideHeight, strideWidth,
            padHeight / 2, padWidth / 2, outputHeight, outputWidth);
    }

    /// <summary>
    /// Refuses a window the kernels cannot walk safely: every size and stride positive, padding not negative. (The
    /// kernels test each cell against the input's bounds, so any such window stays inside the buffers.)
    /// </summary>
    internal void Validate()
    {
        if (InputHeight <= 0 || InputWidth <= 0 || Channels <= 0 || KernelHeight <= 0 || KernelWidth <= 0 ||
            StrideHeight <= 0 || StrideWidth <= 0 || OutputHeight <= 0 || OutputWidth <= 0 || PadTop < 0 || PadLeft < 0)
            throw new ArgumentException($"The window {this} has a size or stride that is not positive, or negative padding.", "g");
    }

    private static void Positive(int value, string name)
    {
        if (value <= 0) throw new ArgumentException($"'{name}' is {value}; it must be positive.", name);
    }
}
