using System.Globalization;

namespace DeepGen.Generator.Tests;

/// <summary>
/// The impossible models of the image layer kinds: a shape a layer cannot take (DG0019), a window or filter argument
/// out of range (DG0020), a bad InputShape (DG0002), and the older rules (softmax, dropout, names) on the new kinds.
/// Each message is checked in full or in the part that names the layer and the shapes, since it is what the user reads.
/// </summary>
public partial class DiagnosticTests
{
    // ---- DG0019: a layer cannot take its input's shape ----------------------------------------------------------

    [Fact]
    public void DG0019_KernelLargerThanItsInput()
    {
        // 10×10 → conv 3 → 8×8×64 → pool 4 → 2×2×64, too small for the second 3×3 kernel.
        var diagnostic = AssertReports("DG0019", """Conv2D(64, 3, Activation.Relu, Name = "c2")""", """
            using DeepGen;
            [Model(InputShape = new[] { 10, 10, 1 })]
            [Conv2D(64, 3, Activation.Relu, Name = "c1")]
            [MaxPooling2D(4, Name = "pool1")]
            [Conv2D(64, 3, Activation.Relu, Name = "c2")]
            [Flatten]
            [Dense(10, Activation.Softmax)]
            public partial class M;
            """);
        Assert.Equal("Layer 2 of 'M': Conv2D 'c2' needs at least 3×3 input, gets 2×2×64 from 'pool1'", diagnostic.GetMessage(CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("MaxPooling2D(4)", "MaxPooling2D 'MaxPooling2D0' needs at least 4×4 input, gets 3×3×2 from the model's input")]
    [InlineData("AveragePooling2D(4)", "AveragePooling2D 'AveragePooling2D0' needs at least 4×4 input, gets 3×3×2 from the model's input")]
    [InlineData("MaxPooling2D(4, Strides = 1)", "MaxPooling2D 'MaxPooling2D0' needs at least 4×4 input, gets 3×3×2 from the model's input")]
    [InlineData("Conv2D(8, 5)", "Conv2D 'Conv2D0' needs at least 5×5 input, gets 3×3×2 from the model's input")]
    public void DG0019_WindowLargerThanTheModelsInput(string layer, string message)
    {
        var diagnostic = AssertReports("DG0019", layer, $$"""
            using DeepGen;
            [Model(InputShape = new[] { 3, 3, 2 })]
            [{{layer}}]
            [Flatten]
            [Dense(2)]
            public partial class M;
            """);
        Assert.Equal("Layer 0 of 'M': " + message, diagnostic.GetMessage(CultureInfo.InvariantCulture));
    }

    /// <summary>Same padding keeps a window larger than its input valid (the output is ceil(in / stride)), as in Keras.</summary>
    [Fact]
    public void AWindowLargerThanItsInputIsValidWithSamePadding()
    {
        var run = GeneratorHarness.Run("""
            using DeepGen;
            [Model(InputShape = new[] { 3, 3, 2 })]
            [MaxPooling2D(4, Padding = Padding.Same)]
            [Conv2D(4, 5, Padding = Padding.Same)]
            [Flatten]
            [Dense(2)]
            public partial class M;
            """);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.True(run.OutputDiagnostics.IsEmpty, GeneratorRun.Describe(run.OutputDiagnostics));
        Assert.Single(run.Sources);
    }

    /// <summary>
    /// 12 → conv 3 → 10 → pool 2 → 5 → conv 3 (stride 2) → 2 → pool 2 → 1 → pool 2 → nothing. The one layer that
    /// reaches zero is reported, naming the layer it gets its 1×1 input from; the layers after it are not checked
    /// against a made-up shape, so nothing else is reported.
    /// </summary>
    [Fact]
    public void DG0019_SpatialSizeReachesZeroAfterAChainOfLayers()
    {
        var diagnostic = AssertReports("DG0019", "MaxPooling2D(2)", """
            using DeepGen;
            [Model(InputShape = new[] { 12, 12, 1 })]
            [Conv2D(8, 3, Activation.Relu)]
            [MaxPooling2D(2, Name = "Pool1")]
            [Conv2D(16, 3, Activation.Relu, Strides = 2)]
            [MaxPooling2D(2, Name = "Pool3")]
            [Dropout(0.25)]
            [MaxPooling2D(2)]
            [Conv2D(16, 3)]
            [Flatten]
            [Dense(10, Activation.Softmax)]
            public partial class M;
            """);
        Assert.Equal("Layer 4 of 'M': MaxPooling2D 'MaxPooling2D4' needs at least 2×2 input, gets 1×1×16 from 'Pool3'",
            diagnostic.GetMessage(CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("[Conv2D(8, 3, Activation.Relu)]", "Dense 'Dense1' needs a vector input, gets 26×26×8 from 'Conv2D0'; add [Flatten] before it")]
    [InlineData("[Conv2D(8, 3, Activation.Relu)] [MaxPooling2D(2)]", "Dense 'Dense2' needs a vector input, gets 13×13×8 from 'MaxPooling2D1'; add [Flatten] before it")]
    [InlineData("[Reshape(784)] [Reshape(28, 28)]", "Dense 'Dense2' needs a vector input, gets 28×28 from 'Reshape1'; add [Flatten] before it")]
    public void DG0019_DenseOnATensorWithoutFlatten(string layersBefore, string message)
    {
        var diagnostic = AssertReports("DG0019", "Dense(10, Activation.Softmax)", $$"""
            using DeepGen;
            [Model(InputShape = new[] { 28, 28, 1 })]
            {{layersBefore}}
            [Dense(10, Activation.Softmax)]
            public partial class M;
            """);
        Assert.EndsWith(message, diagnostic.GetMessage(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void DG0019_DenseOnTheModelsImageInput()
    {
        var diagnostic = AssertReports("DG0019", "Dense(10)", """
            using DeepGen;
            [Model(InputShape = new[] { 28, 28, 1 })]
            [Dense(10)]
            public partial class M;
            """);
        Assert.Equal("Layer 0 of 'M': Dense 'Dense0' needs a vector input, gets 28×28×1 from the model's input; add [Flatten] before it",
            diagnostic.GetMessage(CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("Model(Input = 784)", "Reshape(28, 27, 1)", "Reshape 'Reshape0' cannot turn 784 from the model's input (784 values) into 28×27×1 (756 values): a reshape keeps the number of values")]
    [InlineData("Model(InputShape = new[] { 4, 4, 3 })", "Reshape(4, 4)", "Reshape 'Reshape0' cannot turn 4×4×3 from the model's input (48 values) into 4×4 (16 values): a reshape keeps the number of values")]
    public void DG0019_ReshapeChangesTheElementCount(string model, string reshape, string message)
    {
        var diagnostic = AssertReports("DG0019", reshape, $$"""
            using DeepGen;
            [{{model}}]
            [{{reshape}}]
            [Flatten]
            [Dense(2)]
            public partial class M;
            """);
        Assert.Equal("Layer 0 of 'M': " + message, diagnostic.GetMessage(CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("MaxPooling2D(2)")]
    [InlineData("AveragePooling2D(2)")]
    [InlineData("GlobalAveragePooling2D")]
    [InlineData("GlobalMaxPooling2D")]
    [InlineData("Conv2D(8, 3, Activation.Relu)")]
    public void DG0019_ImageLayerOnAVector(string layer)
    {
        var diagnostic = AssertReports("DG0019", layer, $$"""
            using DeepGen;
            [Model(Input = 784)]
            [{{layer}}]
            [Dense(2)]
            public partial class M;
            """);
        var kind = layer.Split('(')[0];
        Assert.Equal($"Layer 0 of 'M': {kind} '{kind}0' needs a (height, width, channels) input, gets 784 from the model's input; use [Reshape] to give a vector a height and width",
            diagnostic.GetMessage(CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("Conv2D(8, 3)")]
    [InlineData("GlobalMaxPooling2D")]
    public void DG0019_ImageLayerAfterFlatten(string layer)
    {
        var diagnostic = AssertReports("DG0019", layer, $$"""
            using DeepGen;
            [Model(InputShape = new[] { 6, 6, 2 })]
            [Flatten(Name = "Flat")]
            [{{layer}}]
            [Dense(2)]
            public partial class M;
            """);
        Assert.EndsWith("needs a (height, width, channels) input, gets 72 from 'Flat'; use [Reshape] to give a vector a height and width",
            diagnostic.GetMessage(CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// The unrolled windows (im2col) count toward a sample's size: here the input and the outputs fit, but the 11×11
    /// columns of each of the 1024×1024 pixels (1024·1024·121·16 = 2,030,043,136 floats) do not.
    /// </summary>
    [Fact]
    public void DG0009_ConvolutionColumnsTooLarge()
    {
        var diagnostic = AssertReports("DG0009", "Model(InputShape = new[] { 1024, 1024, 16 })", """
            using DeepGen;
            [Model(InputShape = new[] { 1024, 1024, 16 })]
            [Conv2D(8, 11, Padding = Padding.Same)]
            [GlobalAveragePooling2D]
            [Dense(2)]
            public partial class M;
            """);
        Assert.Contains("values per sample", diagnostic.GetMessage(CultureInfo.InvariantCulture));
    }

    // ---- DG0020: an argument out of range -------------------------------------------------------------------------

    [Theory]
    [InlineData("Conv2D(0, 3)", "filters = 0; a convolution needs at least one filter")]
    [InlineData("Conv2D(-4, 3, Activation.Relu)", "filters = -4; a convolution needs at least one filter")]
    [InlineData("Conv2D(8, 0)", "kernel = 0; a window is at least 1×1")]
    [InlineData("Conv2D(8, -3)", "kernel = -3; a window is at least 1×1")]
    [InlineData("Conv2D(8, 3, Strides = 0)", "Strides = 0; a window moves at least one step")]
    [InlineData("Conv2D(8, 3, Strides = -2)", "Strides = -2; a window moves at least one step")]
    [InlineData("MaxPooling2D(0)", "pool size = 0; a window is at least 1×1")]
    [InlineData("AveragePooling2D(-2)", "pool size = -2; a window is at least 1×1")]
    [InlineData("MaxPooling2D(2, Strides = -1)", "Strides = -1; a window moves at least one step")]
    [InlineData("AveragePooling2D(2, Strides = -1)", "Strides = -1; a window moves at least one step")]
    [InlineData("Conv2D(8, 3, Padding = (Padding)2)", "Padding = 2; it is not a member of DeepGen.Padding")]
    [InlineData("MaxPooling2D(2, Padding = (Padding)(-1))", "Padding = -1; it is not a member of DeepGen.Padding")]
    [InlineData("Reshape()", "shape = (); a sample's shape has one to three dimensions, each at least 1")]
    [InlineData("Reshape(null!)", "shape = (); a sample's shape has one to three dimensions, each at least 1")]
    [InlineData("Reshape(1, 8, 8, 2)", "shape = (1, 8, 8, 2); a sample's shape has one to three dimensions, each at least 1")]
    [InlineData("Reshape(8, 0, 2)", "shape = (8, 0, 2); a sample's shape has one to three dimensions, each at least 1")]
    [InlineData("Reshape(-8, -8, 2)", "shape = (-8, -8, 2); a sample's shape has one to three dimensions, each at least 1")]
    public void DG0020_InvalidLayerArgument(string layer, string message)
    {
        var diagnostic = AssertReports("DG0020", layer, $$"""
            using DeepGen;
            [Model(InputShape = new[] { 8, 8, 2 })]
            [{{layer}}]
            [Flatten]
            [Dense(2)]
            public partial class M;
            """);
        Assert.Equal("Layer 0 of 'M' has " + message, diagnostic.GetMessage(CultureInfo.InvariantCulture));
    }

    /// <summary>A window with a bad kernel and a bad stride reports both, and nothing about its shape.</summary>
    [Fact]
    public void DG0020_EveryBadWindowArgumentIsReported()
    {
        var run = GeneratorHarness.Run("""
            using DeepGen;
            [Model(InputShape = new[] { 8, 8, 2 })]
            [Conv2D(0, 0, Strides = 0, Padding = (Padding)9)]
            [Flatten]
            [Dense(2)]
            public partial class M;
            """);
        Assert.Equal(["DG0020", "DG0020", "DG0020", "DG0020"], run.GeneratorDiagnostics.Select(d => d.Id));
        var messages = string.Join("\n", run.GeneratorDiagnostics.Select(d => d.GetMessage(CultureInfo.InvariantCulture)));
        foreach (var argument in new[] { "filters = 0", "kernel = 0", "Strides = 0", "Padding = 9" })
            Assert.Contains(argument, messages);
        Assert.Empty(run.Sources);
    }

    // ---- DG0002: the model's InputShape ---------------------------------------------------------------------------

    [Theory]
    [InlineData("Model(InputShape = new int[0])", "InputShape = [] (one to three dimensions, each at least 1)")]
    [InlineData("Model(InputShape = new[] { 1, 28, 28, 1 })", "InputShape = [1, 28, 28, 1] (one to three dimensions, each at least 1)")]
    [InlineData("Model(InputShape = new[] { 28, 0, 1 })", "InputShape = [28, 0, 1] (one to three dimensions, each at least 1)")]
    [InlineData("Model(InputShape = new[] { -28, 28 })", "InputShape = [-28, 28] (one to three dimensions, each at least 1)")]
    [InlineData("Model(Input = 784, InputShape = new[] { 28, 28, 1 })", "both Input = 784 and InputShape; give one")]
    [InlineData("Model(InputShape = null)", "no Input")]
    public void DG0002_InvalidInputShape(string model, string got)
    {
        var diagnostic = AssertReports("DG0002", model, $$"""
            using DeepGen;
            [{{model}}]
            [Flatten]
            [Dense(2)]
            public partial class M;
            """);
        Assert.EndsWith("got " + got, diagnostic.GetMessage(CultureInfo.InvariantCulture));
    }

    // ---- The older rules on the new kinds --------------------------------------------------------------------------

    [Theory]
    [InlineData("[Conv2D(8, 3, Activation.Softmax)] [Flatten] [Dense(2)]", "Conv2D(8, 3, Activation.Softmax)")]
    [InlineData("[Conv2D(8, 3, Activation.Softmax)]", "Conv2D(8, 3, Activation.Softmax)")]
    public void DG0005_SoftmaxOnAConvolution(string layers, string spanText)
    {
        var diagnostic = AssertReports("DG0005", spanText, $$"""
            using DeepGen;
            [Model(InputShape = new[] { 8, 8, 1 })]
            {{layers}}
            public partial class M;
            """);
        // The last layer of the second model is a convolution: a message that only said "on the last layer" would be wrong there.
        Assert.Equal("Layer 0 of 'M' uses Softmax, which DeepGen supports on the last layer only, and there only on a [Dense] layer; use another activation here",
            diagnostic.GetMessage(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void DG0013_DropoutBeforeTheFirstImageLayer()
    {
        var diagnostic = AssertReports("DG0013", "Dropout(0.2)", """
            using DeepGen;
            [Model(InputShape = new[] { 8, 8, 1 })]
            [Dropout(0.2)]
            [Conv2D(4, 3)]
            [Flatten]
            [Dense(2)]
            public partial class M;
            """);
        Assert.Contains("comes before any layer", diagnostic.GetMessage(CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("[Conv2D(4, 3)]")]
    [InlineData("[Conv2D(4, 3)] [Flatten]")]
    [InlineData("[Conv2D(4, 3)] [GlobalAveragePooling2D]")]
    [InlineData("[Conv2D(4, 3)] [MaxPooling2D(2)]")]
    [InlineData("[Reshape(64)]")]
    public void DG0014_DropoutAfterALastLayerOfAnotherKind(string layers) =>
        AssertReports("DG0014", "Dropout(0.5)", $$"""
            using DeepGen;
            [Model(InputShape = new[] { 8, 8, 1 })]
            {{layers}}
            [Dropout(0.5)]
            public partial class M;
            """);

    /// <summary>
    /// The members generated for the new kinds (<c>{name}Window</c>, <c>{name}ColumnsOffset</c>,
    /// <c>{name}WeightCount</c>, <c>{name}Filters</c>) are names a layer takes as much as its accessor: a layer named
    /// after one of another layer's is refused, in either order.
    /// </summary>
    [Theory]
    [InlineData("X", "XWindow", "its generated member 'XWindow' clashes with a member generated for another layer")]
    [InlineData("X", "XColumnsOffset", "its generated member 'XColumnsOffset' clashes with a member generated for another layer")]
    [InlineData("X", "XWeightCount", "its generated member 'XWeightCount' clashes with a member generated for another layer")]
    [InlineData("X", "XFilters", "its generated member 'XFilters' clashes with a member generated for another layer")]
    [InlineData("XWindow", "X", "its generated member 'XWindow' clashes with a member generated for another layer")]
    [InlineData("XFilters", "X", "its generated member 'XFilters' clashes with a member generated for another layer")]
    public void DG0007_LayerNameClashesWithAGeneratedImageMember(string first, string second, string problem)
    {
        var badLayer = $"""MaxPooling2D(2, Name = "{second}")""";
        var diagnostic = AssertReports("DG0007", badLayer, $$"""
            using DeepGen;
            [Model(InputShape = new[] { 8, 8, 1 })]
            [Conv2D(4, 3, Name = "{{first}}")]
            [{{badLayer}}]
            [Flatten]
            [Dense(2)]
            public partial class M;
            """);
        Assert.Equal($"Layer 1 of 'M' is named '{second}': {problem}", diagnostic.GetMessage(CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("public const int ConvWindow = 3;", "ConvWindow")]
    [InlineData("public int ConvFilters => 0;", "ConvFilters")]
    [InlineData("private static void ConvColumnsOffset() { }", "ConvColumnsOffset")]
    public void DG0007_TheClassAlreadyDeclaresAGeneratedImageMember(string member, string memberName)
    {
        var diagnostic = AssertReports("DG0007", """Conv2D(4, 3, Name = "Conv")""", $$"""
            using DeepGen;
            [Model(InputShape = new[] { 8, 8, 1 })]
            [Conv2D(4, 3, Name = "Conv")]
            [Flatten]
            [Dense(2)]
            public partial class M
            {
                {{member}}
            }
            """);
        Assert.Contains($"the class already declares a member named '{memberName}'", diagnostic.GetMessage(CultureInfo.InvariantCulture));
    }

    /// <summary>Every shape and argument mistake of a model is reported in one build, each on its own layer.</summary>
    [Fact]
    public void EveryShapeMistakeIsReported()
    {
        var run = GeneratorHarness.Run("""
            using DeepGen;
            [Model(InputShape = new[] { 8, 8, 1 })]
            [Conv2D(4, 3, Strides = 0)]
            [Reshape(8, 8, 8, 8)]
            [Dense(2)]
            public partial class M;
            """);
        // The bad stride leaves the convolution's output unknown, so Reshape and Dense are checked on their arguments
        // only: the reshape's four dimensions are still reported, the dense layer's input is not.
        Assert.Equal(["DG0020", "DG0020"], run.GeneratorDiagnostics.Select(d => d.Id));
        Assert.Empty(run.Sources);
    }
}

/// <summary>
/// Diagnostic messages, like the generated code, do not depend on the build machine's culture: numbers in them are
/// written with the invariant culture (a made-up culture here, so the test does not depend on the machine's data).
/// </summary>
public class DiagnosticCultureTests
{
    [Theory]
    [InlineData("[Model(Input = 1000)] [Reshape(40, 40, 1)] [Flatten] [Dense(2)]", "(1,600 values)")]
    [InlineData("[Model(Input = 64)] [Reshape(-8, 8)] [Flatten] [Dense(2)]", "shape = (-8, 8)")]
    [InlineData("[Model(InputShape = new[] { -28, 28 })] [Flatten] [Dense(2)]", "InputShape = [-28, 28]")]
    [InlineData("[Model(Input = -5)] [Dense(2)]", "Input = -5")]
    [InlineData("[Model(Input = -5, InputShape = new[] { 4 })] [Dense(2)]", "both Input = -5 and InputShape")]
    public void MessagesIgnoreTheCurrentCulture(string attributes, string expected)
    {
        var source = $$"""
            using DeepGen;
            {{attributes}}
            public partial class M;
            """;
        var culture = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        culture.NumberFormat.NumberGroupSeparator = "'";
        culture.NumberFormat.NegativeSign = "~";

        var (culture0, uiCulture0) = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        string message;
        try
        {
            CultureInfo.CurrentCulture = culture;
            CultureInfo.CurrentUICulture = culture;
            message = Assert.Single(GeneratorHarness.Run(source).GeneratorDiagnostics).GetMessage(CultureInfo.InvariantCulture);
        }
        finally
        {
            CultureInfo.CurrentCulture = culture0;
            CultureInfo.CurrentUICulture = uiCulture0;
        }

        Assert.Contains(expected, message);
    }
}

/// <summary>The diagnostics about where layers are written speak of every layer kind, not of [Dense] only.</summary>
public class LayerPlacementMessageTests
{
    [Fact]
    public void DG0010_ImageLayersWithoutModel()
    {
        var run = GeneratorHarness.Run("""
            using DeepGen;
            [Conv2D(4, 3)]
            [Flatten]
            public partial class NoModel;
            """);
        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("DG0010", diagnostic.Id);
        Assert.Equal("'NoModel' has layer attributes but no [Model] attribute, so no model is generated; add [Model(Input = …)] or [Model(InputShape = …)], or [Model(Vocabulary = …, MaxSequence = …)] for token ids",
            diagnostic.GetMessage(CultureInfo.InvariantCulture));
        Assert.Empty(run.Sources);
    }

    /// <summary>Every layer kind has its own pipeline: a declaration with several kinds is still reported once.</summary>
    [Theory]
    [InlineData("[Conv2D(4, 3)] [Dense(2)]")]
    [InlineData("[Dense(2)] [Conv2D(4, 3)] [Dense(2)]")]
    [InlineData("[Reshape(2, 2, 1)] [MaxPooling2D(2)] [GlobalAveragePooling2D] [GlobalMaxPooling2D] [AveragePooling2D(1)] [Flatten] [Dense(2)]")]
    public void DG0010_OnceForADeclarationWithSeveralKinds(string layers)
    {
        var run = GeneratorHarness.Run($$"""
            using DeepGen;
            {{layers}}
            public partial class NoModel;
            """);
        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("DG0010", diagnostic.Id);
        Assert.Equal("NoModel", run.Input.SyntaxTrees.Single().GetText().ToString(diagnostic.Location.SourceSpan));
    }

    [Fact]
    public void DG0011_ImageLayerOnAnotherDeclaration()
    {
        var run = GeneratorHarness.Run("""
            using DeepGen;
            [Model(InputShape = new[] { 4, 4, 1 })]
            [Flatten]
            [Dense(2)]
            public partial class M;

            [Conv2D(2, 3)]
            public partial class M;
            """);
        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("DG0011", diagnostic.Id);
        Assert.Equal("The layer attributes of 'M' must all be written on the declaration that carries [Model], so their order is clear",
            diagnostic.GetMessage(CultureInfo.InvariantCulture));
        Assert.Empty(run.Sources);
    }
}
