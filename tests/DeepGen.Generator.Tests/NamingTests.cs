namespace DeepGen.Generator.Tests;

/// <summary>Unusual but valid names: the generated file must still compile, and every model gets its own file.</summary>
public class NamingTests
{
    [Fact]
    public void KeywordsUsedAsNamesKeepTheirAt()
    {
        var run = GeneratorHarness.Run("""
            using DeepGen;
            namespace @event.Models;
            public partial class @struct
            {
                [Model(Input = 4)]
                [Dense(2)]
                public partial class @class;
            }
            """);

        Assert.True(run.OutputDiagnostics.IsEmpty, GeneratorRun.Describe(run.OutputDiagnostics));
        var (hintName, text) = Assert.Single(run.Sources);
        Assert.Equal("event.Models.struct+class.g.cs", hintName);
        Assert.Contains("partial class @struct", text);
        Assert.Contains("partial class @class : global::DeepGen.SequentialModel", text);
        Assert.Contains("public @class(int seed = 0)", text);
    }

    [Fact]
    public void ModelsWhoseNamesDifferOnlyInCaseGetTheirOwnFiles()
    {
        var run = GeneratorHarness.Run(
            "using DeepGen; [Model(Input = 4)] [Dense(2)] public partial class net;",
            "using DeepGen; [Model(Input = 4)] [Dense(3)] public partial class Net;",
            "using DeepGen; [Model(Input = 4)] [Dense(5)] public partial class NET;");

        Assert.Null(run.Result.Exception);
        Assert.True(run.OutputDiagnostics.IsEmpty, GeneratorRun.Describe(run.OutputDiagnostics));
        Assert.Equal(["NET.g.cs", "Net.2.g.cs", "net.3.g.cs"], run.Sources.Select(s => s.HintName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ANestedModelAndANamespaceOfTheSameNameDoNotShareAFile()
    {
        var run = GeneratorHarness.Run("""
            using DeepGen;
            namespace A.B { [Model(Input = 4)] [Dense(2)] public partial class C; }
            namespace A { public partial class B { [Model(Input = 4)] [Dense(2)] public partial class C; } }
            """);

        Assert.Null(run.Result.Exception);
        Assert.Equal(["A.B+C.g.cs", "A.B.C.g.cs"], run.Sources.Select(s => s.HintName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void UnicodeNamesCompile()
    {
        var run = GeneratorHarness.Run("""
            using DeepGen;
            namespace Модели;
            [Model(Input = 4)]
            [Dense(3, Activation.Relu, Name = "Скрытый")]
            [Dense(2, Activation.Softmax, Name = "Выход")]
            public partial class Модель;
            """);

        Assert.True(run.OutputDiagnostics.IsEmpty, GeneratorRun.Describe(run.OutputDiagnostics));
        Assert.Equal("Модели.Модель.g.cs", Assert.Single(run.Sources).HintName);
    }
}
