namespace DeepGen.Benchmarks;

/// <summary>
/// The three products of training as a textbook triple loop: plain scalar float arithmetic, the same row-major
/// layouts as <see cref="DeepGen.Cpu.DenseKernels"/> (inputs <c>[batch, inputs]</c>, weights <c>[inputs, units]</c>),
/// no blocking, no SIMD, no threads. The baseline the kernels are measured against.
/// </summary>
public static class NaiveKernels
{
    /// <summary><c>output[b, u] = bias[u] + Σ_i input[b, i] · weights[i, u]</c>.</summary>
    public static void Forward(float[] output, float[] input, float[] weights, float[] bias, int batch, int inputs, int units)
    {
        for (var b = 0; b < batch; b++)
        for (var u = 0; u < units; u++)
        {
            var sum = 0f;
            for (var i = 0; i < inputs; i++) sum += input[b * inputs + i] * weights[i * units + u];
            output[b * units + u] = sum + bias[u];
        }
    }

    /// <summary><c>weightGradients[i, u] = Σ_b input[b, i] · outputGradient[b, u]</c>; <c>biasGradients[u] = Σ_b outputGradient[b, u]</c>.</summary>
    public static void WeightGradients(
        float[] weightGradients, float[] biasGradients, float[] input, float[] outputGradient, int batch, int inputs, int units)
    {
        for (var i = 0; i < inputs; i++)
        for (var u = 0; u < units; u++)
        {
            var sum = 0f;
            for (var b = 0; b < batch; b++) sum += input[b * inputs + i] * outputGradient[b * units + u];
            weightGradients[i * units + u] = sum;
        }

        for (var u = 0; u < units; u++)
        {
            var sum = 0f;
            for (var b = 0; b < batch; b++) sum += outputGradient[b * units + u];
            biasGradients[u] = sum;
        }
    }

    /// <summary><c>inputGradient[b, i] = Σ_u outputGradient[b, u] · weights[i, u]</c> (a linear previous layer: no derivative factor).</summary>
    public static void InputGradients(float[] inputGradient, float[] outputGradient, float[] weights, int batch, int inputs, int units)
    {
        for (var b = 0; b < batch; b++)
        for (var i = 0; i < inputs; i++)
        {
            var sum = 0f;
            for (var u = 0; u < units; u++) sum += outputGradient[b * units + u] * weights[i * units + u];
            inputGradient[b * inputs + i] = sum;
        }
    }
}
