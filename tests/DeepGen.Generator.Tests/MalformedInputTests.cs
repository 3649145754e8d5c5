using Microsoft.CodeAnalysis;

namespace DeepGen.Generator.Tests;

/// <summary>
/// Broken, odd and borderline sources: the generator must never throw, and whatever it emits must compile — the
/// errors after generation are exactly the errors the input already had.
/// </summary>
public class MalformedInputTests
{
    public static TheoryData<string, string> Sources => new()
    {
        // Attribute arguments of the wrong type or missing.
        { "input-is-a-string", Model("""[Model(Input = "x")] [Dense(10)]""") },
        { "input-missing-value", Model("[Model(Input = )] [Dense(10)]") },
        { "input-twice", Model("[Model(Input = 4, Input = 5)] [Dense(10)]") },
        { "input-unresolved", Model("[Model(Input = Size)] [Dense(10)]") },
        { "units-is-a-string", Model("""[Model(Input = 4)] [Dense("a", Activation.Sigmoid)]""") },
        { "units-missing", Model("[Model(Input = 4)] [Dense()]") },
        { "activation-is-a-double", Model("[Model(Input = 4)] [Dense(10, 3.5)]") },
        { "activation-unresolved", Model("[Model(Input = 4)] [Dense(10, Nope)]") },
        { "activation-out-of-range-negative", Model("[Model(Input = 4)] [Dense(10, (Activation)(-1))]") },
        { "name-is-an-int", Model("[Model(Input = 4)] [Dense(10, Name = 5)]") },
        { "name-is-null", Model("[Model(Input = 4)] [Dense(10, Name = null)]") },
        { "name-is-empty", Model("""[Model(Input = 4)] [Dense(10, Name = "")]""") },
        { "name-is-verbatim", Model("""[Model(Input = 4)] [Dense(10, Name = "@Hidden")]""") },
        { "name-is-unicode", Model("""[Model(Input = 4)] [Dense(10, Name = "Скрытый")]""") },
        { "unclosed-attribute", Model("[Model(Input = 4)] [Dense(10, Activation.Relu") },
        { "too-many-arguments", Model("[Model(Input = 4)] [Dense(10, Activation.Relu, 3)]") },

        // Dropout and the Dense options, malformed.
        { "dropout-is-a-string", Model("""[Model(Input = 4)] [Dense(3)] [Dropout("half")] [Dense(2)]""") },
        { "dropout-missing-rate", Model("[Model(Input = 4)] [Dense(3)] [Dropout] [Dense(2)]") },
        { "dropout-rate-is-an-int", Model("[Model(Input = 4)] [Dense(3)] [Dropout(0)] [Dense(2)]") },
        { "dropout-only", Model("[Model(Input = 4)] [Dropout(0.5)]") },
        { "dropout-everywhere", Model("[Model(Input = 4)] [Dropout(0.5)] [Dense(3)] [Dropout(2)] [Dropout(0.1)] [Dense(2)] [Dropout(0.5)]") },
        { "dropout-without-model", "using DeepGen; [Dropout(0.5)] public partial class C;" },
        { "l2-is-a-string", Model("""[Model(Input = 4)] [Dense(3, L2 = "a")]""") },
        { "l1-is-an-int", Model("[Model(Input = 4)] [Dense(3, L1 = 1)]") },
        { "initializer-is-an-int", Model("[Model(Input = 4)] [Dense(3, KernelInitializer = 3)]") },
        { "initializer-out-of-range", Model("[Model(Input = 4)] [Dense(3, BiasInitializer = (Initializer)99)]") },
        { "use-bias-is-an-int", Model("[Model(Input = 4)] [Dense(3, UseBias = 0)]") },
        { "no-bias-softmax", Model("[Model(Input = 4)] [Dense(3, Activation.Softmax, UseBias = false)]") },
        { "gelu-first-and-last", Model("[Model(Input = 4)] [Dense(3, Activation.Gelu)] [Dropout(0.3)] [Dense(2, Activation.Swish, UseBias = false)]") },

        // The image layers and InputShape, malformed.
        { "input-shape-is-null", Model("[Model(InputShape = null)] [Flatten] [Dense(2)]") },
        { "input-shape-is-an-int", Model("[Model(InputShape = 784)] [Dense(2)]") },
        { "input-shape-of-strings", Model("""[Model(InputShape = new[] { "28" })] [Dense(2)]""") },
        { "input-shape-empty", Model("[Model(InputShape = new int[0])] [Flatten] [Dense(2)]") },
        { "input-shape-int-max", Model("[Model(InputShape = new[] { int.MaxValue, int.MaxValue, int.MaxValue })] [Conv2D(int.MaxValue, 1)] [GlobalMaxPooling2D] [Dense(2)]") },
        { "input-and-input-shape", Model("[Model(Input = 4, InputShape = new[] { 2, 2, 1 })] [Flatten] [Dense(2)]") },
        { "reshape-null", Model("[Model(Input = 4)] [Reshape(null)] [Flatten] [Dense(2)]") },
        { "reshape-null-array", Model("[Model(Input = 4)] [Reshape((int[])null)] [Flatten] [Dense(2)]") },
        { "reshape-empty", Model("[Model(Input = 4)] [Reshape] [Dense(2)]") },
        { "reshape-of-strings", Model("""[Model(Input = 4)] [Reshape("2", "2")] [Dense(2)]""") },
        { "reshape-overflows", Model("[Model(Input = 4)] [Reshape(65536, 65536, 2)] [Flatten] [Dense(2)]") },
        { "conv-missing-kernel", Model("[Model(InputShape = new[] { 8, 8, 1 })] [Conv2D(4)] [Flatten] [Dense(2)]") },
        { "conv-kernel-is-a-string", Model("""[Model(InputShape = new[] { 8, 8, 1 })] [Conv2D(4, "3")] [Flatten] [Dense(2)]""") },
        { "conv-padding-is-an-int", Model("[Model(InputShape = new[] { 8, 8, 1 })] [Conv2D(4, 3, Padding = 1)] [Flatten] [Dense(2)]") },
        { "conv-int-extremes", Model("[Model(InputShape = new[] { 8, 8, 1 })] [Conv2D(int.MaxValue, int.MaxValue, Strides = int.MinValue)] [Flatten] [Dense(2)]") },
        { "conv-huge-columns", Model("[Model(InputShape = new[] { 4096, 4096, 64 })] [Conv2D(8, 11, Padding = Padding.Same)] [GlobalAveragePooling2D] [Dense(2)]") },
        { "pool-strides-int-max", Model("[Model(InputShape = new[] { 8, 8, 1 })] [MaxPooling2D(2, Strides = int.MaxValue)] [Flatten] [Dense(2)]") },
        { "pool-size-int-max-same", Model("[Model(InputShape = new[] { 8, 8, 1 })] [AveragePooling2D(int.MaxValue, Padding = Padding.Same)] [Flatten] [Dense(2)]") },
        { "global-pool-with-argument", Model("[Model(InputShape = new[] { 8, 8, 1 })] [GlobalMaxPooling2D(2)] [Dense(2)]") },
        { "flatten-on-a-vector", Model("[Model(Input = 4)] [Flatten] [Dense(2)]") },
        { "flatten-last", Model("[Model(InputShape = new[] { 4, 4, 2 })] [Flatten]") },
        { "conv-last", Model("[Model(InputShape = new[] { 4, 4, 2 })] [Conv2D(3, 3, Activation.Sigmoid)]") },
        { "pool-only", Model("[Model(InputShape = new[] { 4, 4, 2 })] [MaxPooling2D(2)]") },
        { "reshape-only", Model("[Model(Input = 12)] [Reshape(2, 3, 2)]") },
        { "image-layers-without-model", "using DeepGen; [Conv2D(4, 3)] [Flatten] public partial class C;" },
        { "image-layers-on-another-declaration", "using DeepGen; [Model(InputShape = new[] { 4, 4, 1 })] [Flatten] public partial class C; [Conv2D(2, 3)] public partial class C;" },
        // Valid image models with every option, so the emitter's rarer paths compile too.
        { "convnet-every-option", Model("""
            [Model(InputShape = new[] { 9, 7, 3 })]
            [Conv2D(5, 3, Activation.Gelu, Strides = 2, Padding = Padding.Same, UseBias = false, KernelInitializer = Initializer.HeNormal, L1 = 0.001, L2 = 0.01, Name = "Stem")]
            [Dropout(0.2)]
            [AveragePooling2D(2, Strides = 1, Padding = Padding.Same)]
            [Conv2D(4, 1, Activation.Swish, BiasInitializer = Initializer.Ones)]
            [Dropout(0.1)]
            [MaxPooling2D(3, Strides = 2, Padding = Padding.Same)]
            [Reshape(12, 2)]
            [Reshape(2, 3, 4)]
            [GlobalAveragePooling2D]
            [Dense(3, Activation.Tanh)]
            [Reshape(1, 1, 3)]
            [GlobalMaxPooling2D]
            [Dense(2, Activation.Softmax)]
            """) },
        { "conv-names-like-locals", Model("""[Model(InputShape = new[] { 6, 6, 1 })] [Conv2D(2, 3, Name = "a")] [Conv2D(2, 1, Name = "aColumn")] [Conv2D(2, 1, Name = "aColumnDelta")] [Flatten(Name = "columns")] [Dense(2, Name = "columnDeltas")]""") },
        { "reshape-vector-to-image", Model("[Model(Input = 784)] [Reshape(28, 28, 1)] [Conv2D(2, 5, Activation.Relu)] [GlobalMaxPooling2D] [Dense(10, Activation.Softmax)]") },
        { "convnet-dense-inside", Model("[Model(InputShape = new[] { 8, 8, 1 })] [Flatten] [Dense(16, Activation.Relu)] [Dropout(0.5)] [Reshape(4, 4, 1)] [Conv2D(2, 3)] [Flatten] [Dense(2, Activation.Sigmoid)]") },

        // Sequence models (token ids in), malformed.
        { "vocabulary-is-a-string", Model("""[Model(Vocabulary = "big", MaxSequence = 16)] [Embedding(8)] [MeanPooling]""") },
        { "max-sequence-missing-value", Model("[Model(Vocabulary = 50, MaxSequence = )] [Embedding(8)] [MeanPooling]") },
        { "vocabulary-twice", Model("[Model(Vocabulary = 50, Vocabulary = 60, MaxSequence = 16)] [Embedding(8)] [MeanPooling]") },
        { "vocabulary-and-input-and-shape", Model("[Model(Input = 4, InputShape = new[] { 2, 2 }, Vocabulary = 50)] [Embedding(8)] [Dense(2)]") },
        { "sequence-sizes-int-extremes", Model("[Model(Vocabulary = int.MaxValue, MaxSequence = int.MaxValue)] [Embedding(int.MaxValue, Positions = int.MaxValue, TokenTypes = int.MaxValue)] [TransformerEncoder(Layers = int.MaxValue, Heads = int.MaxValue, FeedForward = int.MaxValue)] [MeanPooling] [Dense(int.MaxValue)]") },
        { "sequence-sizes-int-min", Model("[Model(Vocabulary = int.MinValue, MaxSequence = int.MinValue)] [Embedding(int.MinValue, Positions = int.MinValue, TokenTypes = int.MinValue)] [TransformerEncoder(Layers = int.MinValue, Heads = int.MinValue, FeedForward = int.MinValue)]") },
        { "encoder-width-prime", Model("[Model(Vocabulary = 5, MaxSequence = 3)] [Embedding(2147483647)] [TransformerEncoder(Heads = 2, FeedForward = 1)]") },
        { "encoder-huge-but-divisible", Model("[Model(Vocabulary = 5, MaxSequence = 3)] [Embedding(1 << 30)] [TransformerEncoder(Heads = 1 << 29, FeedForward = 1 << 30, Layers = 1 << 20)] [MeanPooling]") },
        { "embedding-units-is-a-string", Model("""[Model(Vocabulary = 50, MaxSequence = 16)] [Embedding("8")] [MeanPooling]""") },
        { "embedding-units-missing", Model("[Model(Vocabulary = 50, MaxSequence = 16)] [Embedding] [MeanPooling]") },
        { "embedding-positions-is-a-double", Model("[Model(Vocabulary = 50, MaxSequence = 16)] [Embedding(8, Positions = 16.0)] [MeanPooling]") },
        { "epsilon-is-a-double", Model("[Model(Vocabulary = 50, MaxSequence = 16)] [Embedding(8)] [LayerNormalization(Epsilon = 1e-12)] [MeanPooling]") },
        { "epsilon-nan-and-infinity", Model("[Model(Vocabulary = 50, MaxSequence = 16)] [Embedding(8)] [LayerNormalization(Epsilon = float.NaN)] [TransformerEncoder(Heads = 2, FeedForward = 8, Epsilon = float.NegativeInfinity)]") },
        { "encoder-heads-is-a-string", Model("""[Model(Vocabulary = 50, MaxSequence = 16)] [Embedding(8)] [TransformerEncoder(Heads = "two", FeedForward = 8)]""") },
        { "encoder-activation-out-of-range", Model("[Model(Vocabulary = 50, MaxSequence = 16)] [Embedding(8)] [TransformerEncoder(Heads = 2, FeedForward = 8, Activation = (Activation)(-1))]") },
        { "encoder-activation-softmax", Model("[Model(Vocabulary = 50, MaxSequence = 16)] [Embedding(8)] [TransformerEncoder(Heads = 2, FeedForward = 8, Activation = Activation.Softmax)] [MeanPooling]") },
        { "pooling-with-argument", Model("[Model(Vocabulary = 50, MaxSequence = 16)] [Embedding(8)] [MeanPooling(2)]") },
        { "every-order-wrong", Model("[Model(Vocabulary = 50, MaxSequence = 16)] [Dense(2)] [L2Normalize] [MeanPooling] [MeanPooling] [TransformerEncoder(Heads = 3, FeedForward = 8)] [Embedding(8)] [LayerNormalization] [Dropout(0.5)] [Conv2D(2, 3)] [Flatten] [Dense(3, Activation.Gelu)] [Dense(2, Activation.Softmax)] [L2Normalize]") },
        { "sequence-layers-in-an-image-model", Model("[Model(InputShape = new[] { 4, 4, 1 })] [Embedding(8)] [Flatten] [TransformerEncoder(Heads = 2, FeedForward = 8)] [MeanPooling] [Dense(2)]") },
        { "sequence-layers-without-model", "using DeepGen; [Embedding(8)] [TransformerEncoder(Heads = 2, FeedForward = 8)] [MeanPooling] [L2Normalize] public partial class C;" },
        { "sequence-layers-on-another-declaration", "using DeepGen; [Model(Vocabulary = 50, MaxSequence = 16)] [Embedding(8)] public partial class C; [MeanPooling] public partial class C;" },
        { "sequence-model-on-a-struct", "using DeepGen; [Model(Vocabulary = 50, MaxSequence = 16)] [Embedding(8)] public partial struct S;" },
        { "sequence-model-deriving-from-sequential-model", "using DeepGen; [Model(Vocabulary = 50, MaxSequence = 16)] [Embedding(8)] public partial class C : SequentialModel;" },
        { "sequence-model-explicit-base", "using DeepGen; [Model(Vocabulary = 50, MaxSequence = 16)] [Embedding(8)] [MeanPooling] public sealed partial class C : SequenceModel;" },
        { "sequence-model-not-partial", "using DeepGen; [Model(Vocabulary = 50, MaxSequence = 16)] [Embedding(8)] public class C { }" },
        // Valid sequence models with unusual names and places, so the emitter's rarer paths compile too.
        { "sequence-model-only-an-embedding", Model("[Model(Vocabulary = 50, MaxSequence = 16)] [Embedding(8)]") },
        { "sequence-model-per-token-output", Model("[Model(Vocabulary = 50, MaxSequence = 16)] [Embedding(6, Positions = 40, TokenTypes = 1)] [LayerNormalization] [TransformerEncoder(Layers = 3, Heads = 6, FeedForward = 5, Activation = Activation.Relu)]") },
        { "sequence-model-every-head", Model("[Model(Vocabulary = 50, MaxSequence = 16)] [Embedding(8)] [MeanPooling] [Dense(5, Activation.LeakyRelu)] [Dense(4, Activation.Elu)] [Dense(4, Activation.Selu)] [Dense(3, Activation.Softplus)] [Dense(3, Activation.HardSigmoid)] [Dense(3, Activation.Sigmoid, UseBias = false)] [Dense(2, Activation.Tanh)] [Dense(2)] [L2Normalize] [L2Normalize]") },
        { "sequence-model-keyword-names", "using DeepGen; namespace @event; public partial class @struct { [Model(Vocabulary = 50, MaxSequence = 16)] [Embedding(8, Name = \"@var\")] [MeanPooling(Name = \"value\")] public partial class @class; }" },
        { "sequence-layer-names-like-locals", Model("""[Model(Vocabulary = 50, MaxSequence = 16)] [Embedding(8, Name = "pass")] [TransformerEncoder(Heads = 2, FeedForward = 8, Name = "layer")] [TransformerEncoder(Heads = 2, FeedForward = 8, Name = "stage")] [LayerNormalization(Name = "parameters")] [MeanPooling(Name = "seed")] [Dense(2, Name = "Scratch")]""") },
        { "sequence-layer-names-unicode", Model("""[Model(Vocabulary = 50, MaxSequence = 16)] [Embedding(8, Name = "Вложение")] [MeanPooling(Name = "Пул")]""", "Кодировщик") },
        { "sequence-model-nested-in-generic", "using DeepGen; public partial class G<T> { [Model(Vocabulary = 50, MaxSequence = 16)] [Embedding(8)] public partial class M; }" },
        { "sequence-class-named-like-a-constant", Model("[Model(Vocabulary = 50, MaxSequence = 16)] [Embedding(8)] [MeanPooling]", "MaxSequence") },
        { "sequence-class-named-like-a-layer-constant", Model("[Model(Vocabulary = 50, MaxSequence = 16)] [Embedding(8)] [MeanPooling]", "Embedding0Stage") },
        { "sequence-class-named-SequenceModel", Model("[Model(Vocabulary = 50, MaxSequence = 16)] [Embedding(8)] [MeanPooling]", "SequenceModel") },
        { "sequence-class-declares-a-layer-method", "using DeepGen; [Model(Vocabulary = 50, MaxSequence = 16)] [Embedding(8)] public partial class M { private void Embedding0Forward() { } }" },
        { "sequence-class-overrides-forward", "using DeepGen; [Model(Vocabulary = 50, MaxSequence = 16)] [Embedding(8)] public partial class M { protected void Forward() { } }" },
        { "sequence-and-dense-named-alike", "using DeepGen; [Model(Input = 4)] [Dense(2)] public partial class Net; [Model(Vocabulary = 50, MaxSequence = 16)] [Embedding(8)] public partial class net;" },

        // Extreme sizes.
        { "sizes-int-max", Model("[Model(Input = int.MaxValue)] [Dense(int.MaxValue)]") },
        { "input-int-min", Model("[Model(Input = int.MinValue)] [Dense(2)]") },
        { "units-int-max", Model("[Model(Input = 1)] [Dense(int.MaxValue)]") },
        { "units-int-min", Model("[Model(Input = 1)] [Dense(int.MinValue)]") },
        { "input-overflows", Model("[Model(Input = int.MaxValue + 1)] [Dense(2)]") },
        { "input-is-a-const-expression", Model("[Model(Input = 28 * 28)] [Dense(10, Activation.Softmax)]") },
        { "input-is-a-named-const", "using DeepGen; static class Sizes { public const int Pixels = 28 * 28; } [Model(Input = Sizes.Pixels)] [Dense(10)] public partial class M;" },
        { "many-layers", Model("[Model(Input = 2)] " + string.Concat(Enumerable.Repeat("[Dense(2, Activation.Relu)] ", 200))) },

        // The attributes on the wrong kind of declaration.
        { "on-a-struct", "using DeepGen; [Model(Input = 4)] [Dense(2)] public partial struct S;" },
        { "on-an-interface", "using DeepGen; [Model(Input = 4)] [Dense(2)] public partial interface I;" },
        { "on-an-enum", "using DeepGen; [Model(Input = 4)] [Dense(2)] public enum E { A }" },
        { "on-a-delegate", "using DeepGen; [Model(Input = 4)] [Dense(2)] public delegate void D();" },
        { "on-a-method", "using DeepGen; public partial class C { [Model(Input = 4)] [Dense(2)] public void M() { } }" },
        { "on-a-record-struct", "using DeepGen; [Model(Input = 4)] [Dense(2)] public partial record struct R;" },
        { "dense-on-a-struct", "using DeepGen; [Dense(2)] public partial struct S;" },

        // [Model] twice, on one declaration or two.
        { "model-twice", Model("[Model(Input = 4)] [Model(Input = 4)] [Dense(2)]") },
        { "model-on-two-declarations", "using DeepGen; [Model(Input = 4)] [Dense(2)] public partial class M; [Model(Input = 4)] public partial class M;" },
        { "two-classes-same-name", "using DeepGen; [Model(Input = 4)] [Dense(2)] public partial class M; [Model(Input = 3)] [Dense(2)] public class M { }" },

        // Incomplete syntax.
        { "class-without-name", "using DeepGen; [Model(Input = 4)] [Dense(2)] public partial class" },
        { "class-without-body", "using DeepGen; [Model(Input = 4)] [Dense(2)] public partial class M" },
        { "class-unclosed", "using DeepGen; [Model(Input = 4)] [Dense(2)] public partial class M {" },
        { "attribute-only", "using DeepGen; [Model(Input = 4)] [Dense(2)]" },
        { "no-using", "[Model(Input = 4)] [Dense(2)] public partial class M;" },

        // Names and places that are unusual but valid.
        { "unicode-class-name", Model("[Model(Input = 4)] [Dense(2)]", "Модель") },
        { "cjk-class-name", Model("[Model(Input = 4)] [Dense(2)]", "模型") },
        { "escaped-class-name", Model("[Model(Input = 4)] [Dense(2)]", @"M\u0041del") },
        { "keyword-class-name", Model("[Model(Input = 4)] [Dense(2)]", "@class") },
        { "keyword-namespace", "using DeepGen; namespace @event.@struct; [Model(Input = 4)] [Dense(2)] public partial class M;" },
        { "keyword-containing-type", "using DeepGen; public partial class @class { [Model(Input = 4)] [Dense(2)] public partial class M; }" },
        { "alias-attributes", "using M = DeepGen.ModelAttribute; using D = DeepGen.DenseAttribute; [M(Input = 4)] [D(2)] public partial class C;" },
        { "one-attribute-list", "using DeepGen; [Model(Input = 4), Dense(2), Dense(3)] public partial class M;" },
        { "explicit-base", "using DeepGen; [Model(Input = 4)] [Dense(2)] public sealed partial class M : SequentialModel;" },
        { "file-local-class", "using DeepGen; [Model(Input = 4)] [Dense(2)] file partial class M;" },
        { "nested-in-interface", "using DeepGen; public partial interface I { [Model(Input = 4)] [Dense(2)] public partial class M; }" },
        { "nested-in-record", "using DeepGen; public partial record R { [Model(Input = 4)] [Dense(2)] public partial class M; }" },
        { "nested-in-record-struct", "using DeepGen; public readonly partial record struct R { [Model(Input = 4)] [Dense(2)] public partial class M; }" },
        { "nested-in-ref-struct", "using DeepGen; public ref partial struct R { [Model(Input = 4)] [Dense(2)] public partial class M; }" },
        { "nested-in-generic", "using DeepGen; public partial class G<T> { [Model(Input = 4)] [Dense(2)] public partial class M; }" },
        { "class-named-like-namespace", "using DeepGen; namespace DeepGen.System; [Model(Input = 4)] [Dense(2)] public partial class DeepGen;" },
        { "class-named-SequentialModel", Model("[Model(Input = 4)] [Dense(2)]", "SequentialModel") },

        // Names the generated members could clash with.
        { "layer-names-differ-in-case", Model("""[Model(Input = 4)] [Dense(3, Name = "Hidden")] [Dense(2, Name = "hidden")]""") },
        { "layer-name-plus-suffix", Model("""[Model(Input = 4)] [Dense(3, Name = "X")] [Dense(2, Name = "XUnits")]""") },
        { "layer-name-plus-method-suffix", Model("""[Model(Input = 4)] [Dense(3, Name = "X")] [Dense(2, Name = "XForward")]""") },
        { "layer-name-is-private-member", Model("""[Model(Input = 4)] [Dense(2, Name = "ArchitectureDefinition")]""") },
        { "layer-name-is-inherited-method", Model("""[Model(Input = 4)] [Dense(2, Name = "Embed")]""") },
        { "layer-name-is-inherited-property", Model("""[Model(Input = 4)] [Dense(2, Name = "IsInferenceOnly")]""") },
        { "layer-name-is-inherited-constant", Model("""[Model(Input = 4)] [Dense(2, Name = "DefaultInferenceBatchSize")]""") },
        { "layer-name-is-object-static", Model("""[Model(Input = 4)] [Dense(2, Name = "ReferenceEquals")]""") },
        { "layer-name-is-gpu-method", Model("""[Model(Input = 4)] [Dense(2, Name = "ToDevice")]""") },
        { "layer-name-is-gpu-nested-class", Model("""[Model(Input = 4)] [Dense(2, Name = "GpuKernels")]""") },
        { "layer-names-like-gpu-kernels", Model("""[Model(Input = 4)] [Dense(3, Name = "Loss")] [Dense(3, Name = "Softmax")] [Dense(2, Name = "Accelerator")] [Dense(2, Activation.Softmax, Name = "Tile")]""") },
        { "class-named-like-the-gpu-method", Model("[Model(Input = 4)] [Dense(2)]", "ToDevice") },
        { "class-named-like-the-gpu-nested-class", Model("[Model(Input = 4)] [Dense(2)]", "GpuKernels") },
        { "class-declares-a-layer-constant", "using DeepGen; [Model(Input = 4)] [Dense(2, Name = \"Hidden\")] public partial class M { public const int HiddenUnits = 2; }" },
        { "class-declares-the-layer-accessor", "using DeepGen; [Model(Input = 4)] [Dense(2, Name = \"Hidden\")] public partial class M { public void Hidden() { } }" },
        { "class-declares-a-default-layer-name", "using DeepGen; [Model(Input = 4)] [Dense(2)] public partial class M { public int Dense0 { get; set; } }" },
        { "class-declares-a-generated-constant", "using DeepGen; [Model(Input = 4)] [Dense(2)] public partial class M { public const int InputSize = 4; }" },
        { "class-declares-the-gpu-method-elsewhere", "using DeepGen; [Model(Input = 4)] [Dense(2)] public partial class M; public partial class M { public object ToDevice(object device) => device; }" },
        { "nested-in-a-class-named-like-the-gpu-nested-class", "using DeepGen; public partial class GpuKernels { [Model(Input = 4)] [Dense(2, Activation.Softmax)] public partial class M; }" },
        { "namespace-named-like-gpu-types", "using DeepGen; namespace ILGPU.Runtime.DeepGen; [Model(Input = 4)] [Dense(3, Name = \"Accelerator\")] [Dense(2, Name = \"Group\")] public partial class Grid;" },
        { "layer-name-is-contextual-keyword", Model("""[Model(Input = 4)] [Dense(3, Name = "var")] [Dense(2, Name = "value")]""") },
        { "class-named-like-a-generated-member", Model("[Model(Input = 4)] [Dense(2)]", "Forward") },
        { "class-named-like-a-constant", Model("[Model(Input = 4)] [Dense(2)]", "InputSize") },
        { "class-named-like-a-layer-constant", Model("[Model(Input = 4)] [Dense(2)]", "Dense0Units") },
        { "class-named-like-the-architecture", Model("[Model(Input = 4)] [Dense(2)]", "ArchitectureDefinition") },
        { "class-named-like-a-base-method", Model("[Model(Input = 4)] [Dense(2)]", "Layer") },
        { "class-named-like-a-base-property", Model("[Model(Input = 4)] [Dense(2)]", "Parameters") },
        { "class-named-Predict", Model("[Model(Input = 4)] [Dense(2)]", "Predict") },
        { "layer-named-like-another-layers-local", Model("""[Model(Input = 4)] [Dense(3, Name = "a")] [Dense(2, Name = "aOutput")] [Dense(2, Name = "aDelta")]""") },
        { "layer-named-like-a-parameter", Model("""[Model(Input = 4)] [Dense(3, Name = "input")] [Dense(2, Name = "batch")] [Dense(2, Name = "scratch")]""") },
        { "layer-named-like-a-containing-type", "using DeepGen; public partial class Outer { [Model(Input = 4)] [Dense(2, Name = \"Outer\")] public partial class M; }" },
        { "nested-in-file-local", "using DeepGen; file partial class F { [Model(Input = 4)] [Dense(2)] public partial class M; }" },
        { "class-names-differ-in-case", "using DeepGen; [Model(Input = 4)] [Dense(2)] public partial class Net; [Model(Input = 4)] [Dense(2)] public partial class net;" },
        { "same-hint-name-twice", "using DeepGen; namespace A.B { [Model(Input = 4)] [Dense(2)] public partial class C; } namespace A { public partial class B { [Model(Input = 4)] [Dense(2)] public partial class C; } }" },
    };

    /// <summary><see cref="Sources"/> twice: in a CPU-only project, and in one referencing DeepGen.Gpu, which adds each model's GPU file.</summary>
    public static TheoryData<string, string, bool> SourcesWithAndWithoutGpu()
    {
        var data = new TheoryData<string, string, bool>();
        foreach (var row in Sources)
            foreach (var gpu in new[] { false, true })
                data.Add((string)row[0], (string)row[1], gpu);
        return data;
    }

    /// <summary>
    /// Warnings count as errors here: projects build with warnings as errors (this repository does), so a generated
    /// member that hides an inherited one (CS0108) breaks a build as surely as CS0102 does.
    /// </summary>
    [Theory]
    [MemberData(nameof(SourcesWithAndWithoutGpu))]
    public void NeverThrowsAndNeverAddsErrorsOrWarnings(string name, string source, bool gpu)
    {
        _ = name;
        var run = GeneratorHarness.Run(gpu, source);

        Assert.Null(run.Result.Exception);
        var before = Problems(run.Input.GetDiagnostics());
        var after = Problems(run.Output.GetDiagnostics());
        var added = after.Except(before).ToList();
        Assert.True(added.Count == 0,
            "Generated code added errors or warnings:" + Environment.NewLine + string.Join(Environment.NewLine, added) +
            Environment.NewLine + string.Join(Environment.NewLine + Environment.NewLine, run.Sources.Select(s => s.Text)));
    }

    [Theory]
    [InlineData("28 * 28", 784)]
    [InlineData("Sizes.Pixels", 784)]
    [InlineData("(int)Activation.Softmax + 1", 5)]
    [InlineData("0x10", 16)]
    public void InputMayBeAConstantExpression(string input, int expected)
    {
        var run = GeneratorHarness.Run($$"""
            using DeepGen;
            static class Sizes { public const int Pixels = 28 * 28; }
            [Model(Input = {{input}})]
            [Dense(10, Activation.Softmax)]
            public partial class M;
            """);

        Assert.True(run.OutputDiagnostics.IsEmpty, GeneratorRun.Describe(run.OutputDiagnostics));
        Assert.Contains($"public const int InputSize = {expected};", run.SingleSource);
    }

    private static HashSet<string> Problems(IEnumerable<Diagnostic> diagnostics) =>
        [.. diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.ToString())];

    private static string Model(string attributes, string className = "M") =>
        $"using DeepGen;\n{attributes}\npublic partial class {className};\n";
}
