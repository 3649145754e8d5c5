namespace DeepGen.Generator.Model;

// The contract of the pipeline's model: immutable records with value equality, holding plain values only —
// no ISymbol, SyntaxNode, Location or Compilation — so an unchanged model compares equal and its output is cached.

/// <summary>A type that encloses the model class, written back as <c>partial {Keyword} {Name}</c>.</summary>
internal sealed record ContainingTypeSpec(string Keyword, string Name);

/// <summary>
/// One layer as the user wrote it, with its name resolved, its per-sample shapes worked out, and the rate of the
/// [Dropout] written right after it (null when none is). <see cref="Units"/> is a dense layer's units or a
/// convolution's filters; for the kinds without weights, the number of outputs per sample.
/// </summary>
internal sealed record LayerSpec(string Name, int Units, Activation Activation)
{
    public LayerKind Kind { get; init; } = LayerKind.Dense;

    /// <summary>Height and width of a convolution's kernel or a pooling window; 0 for other kinds.</summary>
    public int KernelSize { get; init; }

    /// <summary>Step of a convolution or pooling window; 0 for other kinds.</summary>
    public int Strides { get; init; }

    public Padding Padding { get; init; }

    /// <summary>Batch normalization's momentum and epsilon; 0 for other kinds.</summary>
    public double Momentum { get; init; }
    public double Epsilon { get; init; }

    /// <summary>Per-sample input shape, channels last.</summary>
    public EquatableArray<int> InputShape { get; init; }

    /// <summary>Per-sample output shape, channels last.</summary>
    public EquatableArray<int> OutputShape { get; init; }

    public bool UseBias { get; init; } = true;
    public Initializer KernelInitializer { get; init; } = Initializer.GlorotUniform;
    public Initializer BiasInitializer { get; init; } = Initializer.Zeros;
    public double L1 { get; init; }
    public double L2 { get; init; }
    public double? DropoutRate { get; init; }
}

/// <summary>A valid model, ready to be planned and emitted.</summary>
internal sealed record ModelSpec(
    string? Namespace,
    EquatableArray<ContainingTypeSpec> ContainingTypes,
    string ClassName,
    int InputSize,
    EquatableArray<LayerSpec> Layers)
{
    /// <summary>The per-sample input shape as declared: <c>[InputSize]</c> for <c>Input = n</c>.</summary>
    public EquatableArray<int> InputShape { get; init; }

    /// <summary>
    /// The name of the generated file, stable across builds: the full name, nested types joined with '+' as in
    /// metadata, so namespace A.B's class C (A.B.C) and class A.B's nested C (A.B+C) cannot share a file name.
    /// </summary>
    public string HintName => HintNameOf(Namespace, ContainingTypes, ClassName);

    /// <summary>The hint name of a model class, whatever its kind: see <see cref="HintName"/>.</summary>
    public static string HintNameOf(string? ns, EquatableArray<ContainingTypeSpec> containingTypes, string className)
    {
        var prefix = ns is null ? "" : ns + ".";
        foreach (var type in containingTypes) prefix += type.Name + "+";
        // A keyword used as a namespace name keeps its '@' (@event), which a hint name may not contain.
        return (prefix + className + ".g.cs").Replace("@", "");
    }
}
