using System.Globalization;

namespace DeepGen.Generator.Tests;

/// <summary>
/// The exact generated file for a few shapes, so a change that hurts its readability shows up in review. Each
/// generated file must also compile cleanly: no errors and no warnings.
/// </summary>
public class SnapshotTests
{
    [Fact]
    public void MnistMlp() => VerifyModel(TestModels.MnistMlp, "Samples.Mnist.MnistMlp.g.cs");

    [Fact]
    public void LinearRegression() => VerifyModel(TestModels.LinearRegression, "LinearRegression.g.cs");

    [Fact]
    public void NamedLayers() => VerifyModel(TestModels.NamedLayers, "Samples.Named.Classifier.g.cs");

    [Fact]
    public void NestedInPartialTypes() => VerifyModel(TestModels.Nested, "Samples.Nested.Outer+Holder+Tiny.g.cs");

    [Fact]
    public void DenseOptions() => VerifyModel(TestModels.DenseOptions, "Samples.Options.Regularized.g.cs");

    [Fact]
    public void MnistConvnet() => VerifyModel(TestModels.MnistConvnet, "Samples.Mnist.MnistConvnet.g.cs");

    [Fact]
    public void Normalized() => VerifyModel(TestModels.Normalized, "Samples.Tabular.Regressor.g.cs");

    [Fact]
    public void GenerationIsDeterministic()
    {
        var first = GeneratorHarness.Run(TestModels.MnistMlp, TestModels.NamedLayers).Sources;
        var second = GeneratorHarness.Run(TestModels.MnistMlp, TestModels.NamedLayers).Sources;
        Assert.Equal(2, first.Count);
        Assert.Equal(first, second);
    }

    [Theory]
    [InlineData("de-DE")]
    [InlineData("fr-FR")]
    [InlineData("ar-SA")]
    public void GenerationIgnoresTheCurrentCulture(string cultureName) =>
        AssertSameUnderCulture(new CultureInfo(cultureName));

    /// <summary>A made-up culture, so the test does not depend on the machine's culture data.</summary>
    [Fact]
    public void GenerationIgnoresUnusualNumberFormats()
    {
        var culture = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        culture.NumberFormat.NumberGroupSeparator = "'";
        culture.NumberFormat.NumberDecimalSeparator = ";";
        culture.NumberFormat.NegativeSign = "~";
        culture.NumberFormat.NativeDigits = ["٠", "١", "٢", "٣", "٤", "٥", "٦", "٧", "٨", "٩"];
        AssertSameUnderCulture(culture);
    }

    private static void AssertSameUnderCulture(CultureInfo culture)
    {
        var sources = new[] { TestModels.MnistMlp, TestModels.LinearRegression, TestModels.NamedLayers, TestModels.Nested, TestModels.DenseOptions, TestModels.MnistConvnet, TestModels.Normalized };
        var invariant = GeneratorHarness.Run(sources).Sources;

        var (culture0, uiCulture0) = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        try
        {
            CultureInfo.CurrentCulture = culture;
            CultureInfo.CurrentUICulture = culture;
            var local = GeneratorHarness.Run(sources).Sources;
            Assert.Equal(invariant, local);
        }
        finally
        {
            CultureInfo.CurrentCulture = culture0;
            CultureInfo.CurrentUICulture = uiCulture0;
        }
    }

    private static void VerifyModel(string source, string hintName, [System.Runtime.CompilerServices.CallerMemberName] string name = "")
    {
        var run = GeneratorHarness.Run(source);
        Assert.Null(run.Result.Exception);
        Assert.True(run.OutputDiagnostics.IsEmpty, GeneratorRun.Describe(run.OutputDiagnostics));
        var (generatedHintName, text) = Assert.Single(run.Sources);
        Assert.Equal(hintName, generatedHintName);
        Snapshot.Verify(text, name);
    }
}
