using DeepGen.Cpu;

namespace DeepGen.Runtime.Tests.Cpu;

/// <summary>
/// The activations added for Keras parity, against their definitions in double precision: forward values (vector
/// lanes and scalar tails alike), derivatives against central finite differences of the definition, the output
/// Jacobian a loss applies, and the error function behind GELU.
/// </summary>
public class ActivationTests
{
    /// <summary>Points across every branch, 37 of them so the vector loops leave a scalar tail.</summary>
    private static readonly float[] Points = [.. Enumerable.Range(0, 37).Select(i => -6f + i / 3f + 0.01f)];

    private static double Definition(Activation activation, double x) => activation switch
    {
        Activation.LeakyRelu => x > 0 ? x : 0.2 * x,
        Activation.Elu => x > 0 ? x : Math.Exp(x) - 1,
        Activation.Selu => 1.05070098 * (x > 0 ? x : 1.67326324 * (Math.Exp(x) - 1)),
        Activation.Gelu => x * 0.5 * (1 + ErfBySeries(x / Math.Sqrt(2))),
        Activation.Softplus => Math.Log(1 + Math.Exp(x)),
        Activation.Swish => x / (1 + Math.Exp(-x)),
        Activation.HardSigmoid => Math.Clamp(x / 6 + 0.5, 0, 1),
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };

    public static TheoryData<Activation> NewActivations() =>
    [
        Activation.LeakyRelu, Activation.Elu, Activation.Selu, Activation.Gelu, Activation.Softplus, Activation.Swish, Activation.HardSigmoid,
    ];

    [Theory]
    [MemberData(nameof(NewActivations))]
    public void Forward_matches_the_definition(Activation activation)
    {
        var values = Points.ToArray();
        Activations.Forward(activation, values);
        for (var i = 0; i < values.Length; i++)
        {
            var expected = Definition(activation, Points[i]);
            Assert.True(Math.Abs(values[i] - expected) <= 2e-7 * Math.Max(1, Math.Abs(expected)),
                $"{activation}({Points[i]}): {values[i]:G9}, expected {expected:G9}.");
        }
    }

    [Theory]
    [MemberData(nameof(NewActivations))]
    public void Backward_matches_finite_differences(Activation activation)
    {
        var outputs = Points.ToArray();
        Activations.Forward(activation, outputs);
        var gradient = Enumerable.Repeat(1.5f, Points.Length).ToArray();
        Activations.Backward(activation, gradient, Activations.NeedsPreActivation(activation) ? Points : outputs);
        for (var i = 0; i < Points.Length; i++)
        {
            const double h = 1e-6;
            var slope = (Definition(activation, Points[i] + h) - Definition(activation, Points[i] - h)) / (2 * h);
            Assert.True(Math.Abs(gradient[i] - 1.5 * slope) <= 1e-5 + 1e-5 * Math.Abs(slope),
                $"{activation}'({Points[i]}): {gradient[i] / 1.5:G9}, expected {slope:G9}.");
        }
    }

    public static TheoryData<Activation> AllElementWise() =>
    [
        Activation.Linear, Activation.Sigmoid, Activation.Relu, Activation.Tanh, Activation.LeakyRelu, Activation.Elu,
        Activation.Selu, Activation.Gelu, Activation.Softplus, Activation.Swish, Activation.HardSigmoid,
    ];

    /// <summary>
    /// Saturated units must not hand subnormal floats to the products after them (each costs a microcode assist on many
    /// Intel processors): for inputs of ordinary size, no activation or derivative gives one.
    /// </summary>
    [Theory]
    [MemberData(nameof(AllElementWise))]
    public void Saturated_units_give_zero_never_a_subnormal(Activation activation)
    {
        var inputs = Enumerable.Range(0, 30_001).Select(i => -150f + i * 0.01f).Where(x => x == 0f || MathF.Abs(x) >= 1e-3f).ToArray();
        var outputs = inputs.ToArray();
        Activations.Forward(activation, outputs);
        for (var i = 0; i < inputs.Length; i++)
            Assert.False(float.IsSubnormal(outputs[i]), $"{activation}({inputs[i]:G9}) = {outputs[i]:G9} is subnormal.");

        foreach (var upstream in new[] { 1f, 1e-3f, 1e-6f })
        {
            var gradient = Enumerable.Repeat(upstream, inputs.Length).ToArray();
            Activations.Backward(activation, gradient, Activations.NeedsPreActivation(activation) ? inputs : outputs);
            for (var i = 0; i < inputs.Length; i++)
                Assert.False(float.IsSubnormal(gradient[i]), $"{activation}'({inputs[i]:G9}) · {upstream} = {gradient[i]:G9} is subnormal.");
        }
    }

    [Theory]
    [InlineData(-20.0)]
    [InlineData(-40.0)]
    [InlineData(-60.0)]
    [InlineData(-11.6)]
    [InlineData(-11.4)]
    public void Softplus_keeps_its_digits_far_below_zero(double x)
    {
        // softplus(x) = log(1 + e^x) = e^x - e^2x / 2 + … here; computed as log(1 + e^x) it rounds to 0 below x = -37.
        var input = (float)x;
        var e = Math.Exp(input);
        var expected = e - e * e / 2;
        float[] values = [input];
        SoftplusActivation.Forward(values);
        Assert.True(Math.Abs(values[0] - expected) <= 1e-6 * expected, $"softplus({x}) = {values[0]:G9}, expected {expected:G9}.");

        // Its derivative, sigmoid(x) = e^x / (1 + e^x), from the output as the backward pass computes it.
        float[] gradient = [1f];
        SoftplusActivation.Backward(gradient, values);
        var slope = e / (1 + e);
        Assert.True(Math.Abs(gradient[0] - slope) <= 1e-6 * slope, $"softplus'({x}) = {gradient[0]:G9}, expected {slope:G9}.");
    }

    [Fact]
    public void Softmax_gives_zero_never_a_subnormal_probability()
    {
        float[] logits = [0f, -50f, -80f, -95f, -100f, -120f, 3f];
        RowSoftmax.ForwardRows(logits, 1, logits.Length);
        Assert.All(logits, p => Assert.False(float.IsSubnormal(p), $"{p:G9} is subnormal."));
        Assert.Equal(0f, logits[5]);
        Assert.True(logits[1] > 0f);
    }

    [Fact]
    public void Gelu_is_exact_as_keras_documents_it()
    {
        // keras.activations.gelu(x) for x = -3, -1, 0, 1, 3 (approximate=False), from Keras's documentation.
        float[] values = [-3f, -1f, 0f, 1f, 3f];
        GeluActivation.Forward(values);
        Assert.Equal([-0.00404951f, -0.15865529f, 0f, 0.8413447f, 2.9959507f], values, (a, b) => Math.Abs(a - b) < 1e-6);
    }

    [Theory]
    [InlineData(0.0, 1.0)]
    [InlineData(0.25, 0.72367360983176495)]
    [InlineData(0.5, 0.47950012218695346)]
    [InlineData(1.0, 0.15729920705028513)]
    [InlineData(2.0, 0.0046777349810472658)]
    [InlineData(5.0, 1.5374597944280349e-12)]
    [InlineData(-1.0, 1.8427007929497148)]
    public void Erfc_matches_reference_values(double x, double expected) =>
        Assert.Equal(expected, NormalDistribution.Erfc(x), expected * 1e-13 + 1e-16);

    [Theory]
    [InlineData(Activation.LeakyRelu)]
    [InlineData(Activation.Elu)]
    [InlineData(Activation.Selu)]
    [InlineData(Activation.Softplus)]
    [InlineData(Activation.HardSigmoid)]
    public void A_loss_applies_the_output_jacobian(Activation activation)
    {
        var outputs = Points.ToArray();
        Activations.Forward(activation, outputs);
        var targets = outputs.Select((p, i) => p + (i % 3 - 1) * 0.5f).ToArray();
        var gradient = new float[outputs.Length];
        Loss.MeanSquaredError.Gradient(gradient, outputs, targets, 1, outputs.Length, activation);
        for (var i = 0; i < outputs.Length; i++)
        {
            const double h = 1e-6;
            var slope = (Definition(activation, Points[i] + h) - Definition(activation, Points[i] - h)) / (2 * h);
            var expected = 2.0 / outputs.Length * (outputs[i] - targets[i]) * slope;
            Assert.True(Math.Abs(gradient[i] - expected) <= 1e-6 + 1e-4 * Math.Abs(expected), $"{activation} at {Points[i]}: {gradient[i]:G9}, expected {expected:G9}.");
        }
    }

    [Theory]
    [InlineData(Activation.Gelu)]
    [InlineData(Activation.Swish)]
    public void A_loss_refuses_activations_whose_derivative_needs_pre_activations(Activation activation)
    {
        var error = Assert.Throws<ArgumentException>(() =>
            Loss.MeanSquaredError.Gradient(new float[3], new float[3], new float[3], 1, 3, activation));
        Assert.Contains("pre-activations", error.Message);
    }

    /// <summary>
    /// erf in double from its definitions: the Maclaurin series for |x| ≤ 3 (about 12 digits survive the cancellation)
    /// and the continued fraction of erfc beyond, where the series would lose them.
    /// </summary>
    private static double ErfBySeries(double x)
    {
        var ax = Math.Abs(x);
        if (ax > 3)
        {
            var fraction = ax;
            for (var k = 60; k >= 1; k--) fraction = ax + k / 2.0 / fraction;
            return Math.Sign(x) * (1 - Math.Exp(-ax * ax) / Math.Sqrt(Math.PI) / fraction);
        }

        double sum = 0, term = x;
        for (var n = 0; n < 300 && Math.Abs(term) > 1e-18; n++)
        {
            sum += term / (2 * n + 1);
            term *= -x * x / (n + 1);
        }

        return 2 / Math.Sqrt(Math.PI) * sum;
    }
}
