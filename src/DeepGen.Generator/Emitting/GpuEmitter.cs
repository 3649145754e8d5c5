using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using DeepGen.Generator.Model;
using DeepGen.Generator.Planning;

namespace DeepGen.Generator.Emitting;

/// <summary>
/// Writes one model's GPU file, <c>&lt;Model&gt;.Gpu.g.cs</c>: ILGPU kernels for its exact shape (sizes as literal
/// constants, the inner loops unrolled because ILGPU 1.5.3 does not unroll), loaded once and launched through typed
/// delegates, plus <c>ToDevice</c>. Emitted only when the user's project references DeepGen.Gpu.
/// </summary>
/// <remarks>
/// Deterministic by construction: every sum runs in a fixed order inside one thread (a tile's products in k order,
/// a bias gradient over the batch in sample order), and nothing uses atomics, so two runs give the same bits.
/// </remarks>
internal static class GpuEmitter
{
    /// <summary>A type of DeepGen.Gpu: when the compilation can see it, the project references the GPU back end.</summary>
    public const string MarkerTypeName = "DeepGen.Gpu.GpuKernelSet";

    private const int Tile = 16;
    private const string KernelSet = "global::DeepGen.Gpu.GpuKernelSet";
    private const string GpuModel = "global::DeepGen.Gpu.GpuModel";
    private const string Device = "global::DeepGen.Gpu.ComputeDevice";
    private const string Batch = "global::DeepGen.Gpu.GpuBatch";
    private const string OutputLayer = "global::DeepGen.Gpu.GpuOutputLayer";
    private const string Accelerator = "global::ILGPU.Runtime.Accelerator";
    private const string Loaders = "global::ILGPU.Runtime.KernelLoaders";
    private const string Config = "global::ILGPU.KernelConfig";
    private const string Floats = "global::ILGPU.ArrayView<float>";
    private const string Ints = "global::ILGPU.ArrayView<int>";
    private const string Group = "global::ILGPU.Group";
    private const string Grid = "global::ILGPU.Grid";
    private const string SharedMemory = "global::ILGPU.SharedMemory";
    private const string XMath = "global::ILGPU.Algorithms.XMath";
    private const string KernelsClass = MemberNames.GpuKernels;

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Why the model cannot run on the GPU kernels, or null when it can.</summary>
    public static string? FindUnsupported(ModelPlan plan)
    {
        for (var i = 0; i < plan.Layers.Count; i++)
        {
            var layer = plan.Layers[i];
            var last = i == plan.Layers.Count - 1;
            if (layer.Kind != LayerKind.Dense)
                return $"layer {Text(i)} ('{layer.Name}') is a {layer.Kind} layer, which has no GPU kernel yet";
            // An explicit list: an activation added to the enum later is unsupported here until its kernel code exists.
            switch (layer.Activation)
            {
                case Activation.Linear:
                case Activation.Sigmoid:
                case Activation.Relu:
                case Activation.Tanh:
                    break;
                case Activation.Softmax when last:
                    break;
                default:
                    return $"layer {Text(i)} ('{layer.Name}') uses the {layer.Activation} activation{(last ? "" : " before the last layer")}, which has no GPU kernel yet";
            }

            // The kernels compute every layer as weights, bias and activation, with nothing in between.
            if (layer.HasDropout) return $"layer {Text(i)} ('{layer.Name}') is followed by a dropout, which has no GPU kernel yet";
            if (!layer.Spec.UseBias) return $"layer {Text(i)} ('{layer.Name}') has no bias, which the GPU kernels do not handle yet";
            if (layer.IsRegularized) return $"layer {Text(i)} ('{layer.Name}') has an L1/L2 penalty, which the GPU kernels do not add yet";
        }

        return null;
    }

    /// <summary>
    /// Why a sequence model gets no GPU code: none of its layer kinds has a GPU kernel yet, so the reason names its
    /// first layer (an embedding, in every valid sequence model).
    /// </summary>
    public static string FindUnsupported(SequenceModelPlan plan)
    {
        var first = plan.Layers[0];
        var kind = first.Kind.ToString();
        var article = "AEIOU".IndexOf(kind[0]) >= 0 ? "an" : "a";
        return $"layer {Text(first.Index)} ('{first.Name}') is {article} {kind} layer, which has no GPU kernel yet";
    }

    public static string Emit(ModelPlan plan)
    {
        var w = new SourceWriter();
        WriteHeader(w, plan);
        ModelScope.Open(w, plan.Spec);
        w.Line("/// <summary>");
        w.Line("/// This model on <paramref name=\"device\"/>: its parameters are copied there now and back into this model after each");
        w.Line("/// Fit, so it can be saved, loaded and run on the CPU as usual. Dispose the result to free the device memory.");
        w.Line("/// </summary>");
        w.Line($"public {GpuModel} {MemberNames.ToDevice}({Device} device) =>");
        w.Line($"    new(this, device, new {KernelsClass}((device ?? throw new global::System.ArgumentNullException(nameof(device))).Accelerator));");
        w.Line();
        WriteKernelSet(w, plan);
        ModelScope.Close(w, plan.Spec);
        return w.ToString();
    }

    private static void WriteHeader(SourceWriter w, ModelPlan plan)
    {
        w.Line("// <auto-generated/>");
        w.Line($"// DeepGen: {plan.Spec.ClassName} on a GPU, ILGPU kernels generated from its [Model] and [Dense] attributes. Do not edit.");
        w.Line("//");
        w.Line("// The buffers have the CPU model's layout (see the CPU file's header), so parameters move between devices as one copy.");
        w.Line($"// Matrix products run in {Tile} × {Tile} tiles, one group of {Tile * Tile} threads per tile of the result, each thread");
        w.Line("// summing its element in k order: fixed summation order, no atomics, so the same inputs give the same bits.");
        w.Line("// A training step launches, in order:");
        foreach (var layer in plan.Layers) w.Line($"//   {layer.Name}Forward         [batch, {layer.Inputs}] · [{layer.Inputs}, {layer.Units}] + bias, {layer.Activation}" + (layer.Index == 0 ? ", rows gathered through the order" : ""));
        w.Line($"//   Loss               per sample: {(Last(plan).Activation == Activation.Softmax ? "softmax, " : "")}loss, dLoss/d(pre-activation), correct or not");
        w.Line("//   ReduceStep         the batch's mean loss and correct count, kept on the device until the epoch ends");
        for (var i = plan.Layers.Count - 1; i >= 0; i--)
        {
            var layer = plan.Layers[i];
            if (i > 0) w.Line($"//   {layer.Name}InputGradient   delta[batch, {layer.Units}] · Wᵀ ⊙ {plan.Layers[i - 1].Activation}', before W changes");
            w.Line($"//   {layer.Name}WeightGradient  inputᵀ · delta → dW[{layer.Inputs}, {layer.Units}], W -= learningRate · dW");
            w.Line($"//   {layer.Name}BiasGradient    Σ over the batch of delta → db[{layer.Units}], b -= learningRate · db");
        }

        w.Line();
    }

    private static void WriteKernelSet(SourceWriter w, ModelPlan plan)
    {
        var kernels = Kernels(plan).ToList();
        w.Line($"/// <summary>{plan.Spec.ClassName}'s kernels, compiled for one accelerator when this is created and launched through typed delegates.</summary>");
        w.Open($"internal sealed class {KernelsClass} : {KernelSet}");
        foreach (var kernel in kernels)
            w.Line($"private readonly global::System.Action<{Config}, {string.Join(", ", kernel.Parameters.Select(p => p.Type))}> {Field(kernel.Name)};");
        w.Line();
        w.Line("/// <summary>Compiles every kernel for <paramref name=\"accelerator\"/>: slow once, then each launch is a delegate call.</summary>");
        var last = Last(plan);
        w.Open($"public {KernelsClass}({Accelerator} accelerator) : base(accelerator, new {OutputLayer}({Text(last.OutputOffsetPerSample)}, {Text(last.Units)}, global::DeepGen.Activation.{last.Activation}))");
        foreach (var kernel in kernels)
            w.Line($"{Field(kernel.Name)} = {Loaders}.LoadStreamKernel<{string.Join(", ", kernel.Parameters.Select(p => p.Type))}>(accelerator, {kernel.Name}{MemberNames.KernelMethodSuffix});");
        w.Close();
        w.Line();

        var forwardCalls = plan.Layers.Select(l => $"{Names(l).ForwardKernel}(batch);").ToList();
        w.Line("/// <inheritdoc />");
        w.Open($"public override void {MemberNames.Forward}(in {Batch} batch)");
        foreach (var call in forwardCalls) w.Line(call);
        if (Last(plan).Activation == Activation.Softmax) w.Line($"{MemberNames.SoftmaxKernel}(batch);");
        w.Close();
        w.Line();
        w.Line("/// <inheritdoc />");
        w.Open($"public override void {MemberNames.ForwardAndLoss}(in {Batch} batch)");
        foreach (var call in forwardCalls) w.Line(call);
        w.Line($"{MemberNames.LossKernel}(batch);");
        w.Line($"{MemberNames.ReduceStep}(batch);");
        w.Close();
        w.Line();
        w.Line("/// <inheritdoc />");
        w.Open($"public override void {MemberNames.TrainStep}(in {Batch} batch)");
        foreach (var call in forwardCalls) w.Line(call);
        w.Line($"{MemberNames.LossKernel}(batch);");
        w.Line($"{MemberNames.ReduceStep}(batch);");
        for (var i = plan.Layers.Count - 1; i >= 0; i--)
        {
            var n = Names(plan.Layers[i]);
            if (i > 0) w.Line($"{n.InputGradientKernel}(batch);");
            w.Line($"{n.WeightGradientKernel}(batch);");
            w.Line($"{n.BiasGradientKernel}(batch);");
        }

        w.Close();

        foreach (var kernel in kernels)
        {
            w.Line();
            w.Line($"/// <summary>Launches {kernel.Name}{MemberNames.KernelMethodSuffix} on <paramref name=\"batch\"/>, without waiting.</summary>");
            w.Line($"public void {kernel.Name}(in {Batch} batch) =>");
            w.Line($"    {Field(kernel.Name)}({kernel.Grid}, {string.Join(", ", kernel.Parameters.Select(p => p.Argument))});");
        }

        foreach (var kernel in kernels)
        {
            w.Line();
            foreach (var comment in kernel.Comment) w.Line("// " + comment);
            w.Open($"private static void {kernel.Name}{MemberNames.KernelMethodSuffix}({string.Join(", ", kernel.Parameters.Select(p => $"{p.Type} {p.Name}"))})");
            kernel.Body(w);
            w.Close();
        }

        w.Close();
    }

    private sealed record Parameter(string Type, string Name, string Argument);

    private sealed record Kernel(string Name, string Grid, IReadOnlyList<Parameter> Parameters, IReadOnlyList<string> Comment, Action<SourceWriter> Body);

    private static readonly Parameter ParametersArg = new(Floats, "parameters", "batch.Parameters");
    private static readonly Parameter GradientsArg = new(Floats, "gradients", "batch.Gradients");
    private static readonly Parameter ActivationsArg = new(Floats, "activations", "batch.Activations");
    private static readonly Parameter DeltasArg = new(Floats, "deltas", "batch.Deltas");
    private static readonly Parameter InputsArg = new(Floats, "inputs", "batch.Inputs");
    private static readonly Parameter TargetsArg = new(Floats, "targets", "batch.Targets");
    private static readonly Parameter OrderArg = new(Ints, "order", "batch.Order");
    private static readonly Parameter OrderOffsetArg = new("int", "orderOffset", "batch.OrderOffset");
    private static readonly Parameter BatchArg = new("int", "batch", "batch.Batch");
    private static readonly Parameter SampleResultsArg = new(Floats, "sampleResults", "batch.SampleResults");
    private static readonly Parameter LearningRateArg = new("float", "learningRate", "batch.LearningRate");
    private static readonly Parameter LossKindArg = new("int", "lossKind", "(int)batch.Loss");

    private static IEnumerable<Kernel> Kernels(ModelPlan plan)
    {
        // The loss and the prediction's softmax are the base class's (DeepGen.Gpu.LossKernels), for every model.
        foreach (var layer in plan.Layers) yield return Forward(layer);
        for (var i = plan.Layers.Count - 1; i >= 0; i--)
        {
            var layer = plan.Layers[i];
            var previous = i > 0 ? plan.Layers[i - 1] : null;
            if (previous is not null) yield return InputGradient(layer, previous);
            yield return WeightGradient(layer, previous);
            yield return BiasGradient(layer);
        }
    }

    // ---- The kernels -------------------------------------------------------------------------------------------

    private static Kernel Forward(LayerPlan layer)
    {
        var first = layer.Index == 0;
        var inputs = Text(layer.Inputs);
        var units = Text(layer.Units);
        var parameters = first
            ? new[] { ParametersArg, InputsArg, OrderArg, OrderOffsetArg, ActivationsArg, BatchArg }
            : new[] { ParametersArg, ActivationsArg, BatchArg };
        // The previous layer's outputs start at batch × its offset, which is this layer's offset minus its inputs.
        Func<string, string, string> loadA = first
            ? (row, k) => $"inputs[(long)order[orderOffset + {row}] * {inputs} + {k}]"
            : (row, k) => $"activations[batch * {Text(layer.OutputOffsetPerSample - layer.Inputs)} + {row} * {inputs} + {k}]";
        var f = layer.Activation == Activation.Softmax ? "linear (softmax follows per row)" : layer.Activation.ToString().ToLowerInvariant();
        return new Kernel(Names(layer).ForwardKernel, $"{MemberNames.TileGrid}(batch.Batch, {units})", parameters,
            new[]
            {
                $"{layer.Name}: output[batch, {units}] = {f}(input[batch, {inputs}] · W[{inputs}, {units}] + b[{units}]).",
                first ? "The input rows are read through the order, so the batch is gathered from the data set in the load." : "Reads the previous layer's outputs in the activation buffer.",
            },
            w => WriteTiledProduct(w, rows: "batch", columns: layer.Units, depth: layer.Inputs,
                loadA: loadA,
                loadB: (k, column) => $"parameters[{Text(layer.WeightsOffset)} + {k} * {units} + {column}]",
                epilogue: ww =>
                {
                    ww.Line($"var z = sum + parameters[{Text(layer.BiasOffset)} + column];");
                    ww.Line($"activations[batch * {Text(layer.OutputOffsetPerSample)} + row * {units} + column] = {ActivationOf(layer.Activation, "z")};");
                }));
    }

    private static Kernel InputGradient(LayerPlan layer, LayerPlan previous)
    {
        var inputs = Text(layer.Inputs);
        var units = Text(layer.Units);
        var previousOffset = Text(previous.OutputOffsetPerSample);
        return new Kernel(Names(layer).InputGradientKernel, $"{MemberNames.TileGrid}(batch.Batch, {inputs})",
            new[] { ParametersArg, ActivationsArg, DeltasArg, BatchArg },
            new[]
            {
                $"{layer.Name}: the delta of {previous.Name}, inputDelta[batch, {inputs}] = (delta[batch, {units}] · Wᵀ) ⊙ {previous.Activation.ToString().ToLowerInvariant()}'(input).",
                "Launched before this layer's weight gradient, which updates W.",
            },
            w => WriteTiledProduct(w, rows: "batch", columns: layer.Inputs, depth: layer.Units,
                loadA: (row, n) => $"deltas[batch * {Text(layer.OutputOffsetPerSample)} + {row} * {units} + {n}]",
                loadB: (n, column) => $"parameters[{Text(layer.WeightsOffset)} + {column} * {units} + {n}]",
                epilogue: ww =>
                {
                    ww.Line($"var index = batch * {previousOffset} + row * {inputs} + column;");
                    ww.Line($"deltas[index] = {DerivativeOf(previous.Activation, "sum", "activations[index]")};");
                }));
    }

    private static Kernel WeightGradient(LayerPlan layer, LayerPlan? previous)
    {
        var inputs = Text(layer.Inputs);
        var units = Text(layer.Units);
        var parameters = previous is null
            ? new[] { ParametersArg, GradientsArg, InputsArg, OrderArg, OrderOffsetArg, DeltasArg, BatchArg, LearningRateArg }
            : new[] { ParametersArg, GradientsArg, ActivationsArg, DeltasArg, BatchArg, LearningRateArg };
        Func<string, string, string> loadA = previous is null
            ? (row, sample) => $"inputs[(long)order[orderOffset + {sample}] * {inputs} + {row}]"
            : (row, sample) => $"activations[batch * {Text(previous.OutputOffsetPerSample)} + {sample} * {inputs} + {row}]";
        return new Kernel(Names(layer).WeightGradientKernel, $"{MemberNames.TileGrid}({inputs}, {units})", parameters,
            new[]
            {
                $"{layer.Name}: dW[{inputs}, {units}] = input[batch, {inputs}]ᵀ · delta[batch, {units}], summed over the batch in sample order;",
                "then W -= learningRate · dW on the same element, when learningRate is not 0 (plain SGD fused).",
            },
            w => WriteTiledProduct(w, rows: inputs, columns: layer.Units, depth: null,
                loadA: loadA,
                loadB: (sample, column) => $"deltas[batch * {Text(layer.OutputOffsetPerSample)} + {sample} * {units} + {column}]",
                epilogue: ww =>
                {
                    ww.Line($"var index = {Text(layer.WeightsOffset)} + row * {units} + column;");
                    ww.Line("gradients[index] = sum;");
                    ww.Line("if (learningRate != 0f) parameters[index] -= learningRate * sum;");
                }));
    }

    private static Kernel BiasGradient(LayerPlan layer)
    {
        var units = Text(layer.Units);
        return new Kernel(Names(layer).BiasGradientKernel, $"{MemberNames.RowGrid}({units})",
            new[] { ParametersArg, GradientsArg, DeltasArg, BatchArg, LearningRateArg },
            new[] { $"{layer.Name}: db[{units}] = Σ over the batch of delta, one thread per unit in sample order; b -= learningRate · db." },
            w =>
            {
                w.Line($"var column = {Grid}.GlobalIndex.X;");
                w.Line($"if (column >= {units}) return;");
                w.Line("var sum = 0f;");
                w.Line($"for (var sample = 0; sample < batch; sample++) sum += deltas[batch * {Text(layer.OutputOffsetPerSample)} + sample * {units} + column];");
                w.Line($"var index = {Text(layer.BiasOffset)} + column;");
                w.Line("gradients[index] = sum;");
                w.Line("if (learningRate != 0f) parameters[index] -= learningRate * sum;");
            });
    }

    private static Kernel Softmax(ModelPlan plan)
    {
        var last = Last(plan);
        return new Kernel(MemberNames.SoftmaxKernel, $"{MemberNames.RowGrid}(batch.Batch)", new[] { ActivationsArg, BatchArg },
            new[] { $"Softmax over each row of {last.Name}'s outputs, in place, stably (max subtracted). Prediction only: training fuses it into Loss." },
            w =>
            {
                w.Line($"var row = {Grid}.GlobalIndex.X;");
                w.Line("if (row >= batch) return;");
                w.Line($"var output = batch * {Text(last.OutputOffsetPerSample)} + row * {Text(last.Units)};");
                WriteSoftmaxRow(w, last.Units);
            });
    }

    private static Kernel Loss(ModelPlan plan)
    {
        var last = Last(plan);
        var units = last.Units;
        var n = Text(units);
        return new Kernel(MemberNames.LossKernel, $"{MemberNames.RowGrid}(batch.Batch)",
            new[] { ActivationsArg, DeltasArg, TargetsArg, OrderArg, OrderOffsetArg, BatchArg, SampleResultsArg, LossKindArg },
            new[]
            {
                $"One thread per sample: {(last.Activation == Activation.Softmax ? "the softmax of its row, " : "")}its loss, and dLoss/d(pre-activation) of {last.Name} for the batch-mean",
                $"loss with the {last.Activation} folded in, as DeepGen.Loss computes on the CPU. lossKind 0: mean squared error; 1: categorical",
                "cross-entropy. Writes the sample's loss and whether it was classified correctly for ReduceStep.",
            },
            w =>
            {
                w.Line($"var row = {Grid}.GlobalIndex.X;");
                w.Line("if (row >= batch) return;");
                w.Line($"var output = batch * {Text(last.OutputOffsetPerSample)} + row * {n};");
                w.Line($"var target = (long)order[orderOffset + row] * {n};");
                if (last.Activation == Activation.Softmax) WriteSoftmaxRow(w, units);
                w.Line("var scale = 1f / batch;");
                w.Line("var loss = 0f;");
                w.Open("if (lossKind == 0)");
                w.Line($"var factor = 2f * scale / {n};");
                w.Open($"for (var j = 0; j < {n}; j++)");
                w.Line("var difference = activations[output + j] - targets[target + j];");
                w.Line("loss += difference * difference;");
                w.Line("deltas[output + j] = factor * difference;");
                w.Close();
                w.Line($"loss /= {n};");
                WriteActivationJacobian(w, last.Activation, units);
                w.Close();
                w.Open("else");
                w.Line("var total = 0f;");
                w.Line("var targetSum = 0f;");
                w.Open($"for (var j = 0; j < {n}; j++)");
                w.Line("total += activations[output + j];");
                w.Line("targetSum += targets[target + j];");
                w.Close();
                w.Open($"for (var j = 0; j < {n}; j++)");
                w.Line("var y = targets[target + j];");
                w.Line("if (y == 0f) continue;");
                w.Line("var q = activations[output + j] / total;");
                w.Line("q = q < 1e-7f ? 1e-7f : q > 1f - 1e-7f ? 1f - 1e-7f : q;");
                w.Line($"loss -= y * {XMath}.Log(q);");
                w.Close();
                if (last.Activation == Activation.Softmax)
                {
                    w.Line("// Softmax and cross-entropy fused: dz = (p Σy - y) / batch.");
                    w.Line($"for (var j = 0; j < {n}; j++) deltas[output + j] = scale * (activations[output + j] * targetSum - targets[target + j]);");
                }
                else
                {
                    w.Line("// dL/dp through the renormalised, clipped probabilities q = p / Σp (a clipped q has zero gradient).");
                    w.Line("var dot = 0f;");
                    w.Open($"for (var j = 0; j < {n}; j++)");
                    w.Line("var q = activations[output + j] / total;");
                    w.Line("var dq = q > 1e-7f && q < 1f - 1e-7f ? -targets[target + j] / q : 0f;");
                    w.Line("deltas[output + j] = dq;");
                    w.Line("dot += dq * q;");
                    w.Close();
                    w.Line($"for (var j = 0; j < {n}; j++) deltas[output + j] = scale * (deltas[output + j] - dot) / total;");
                    WriteActivationJacobian(w, last.Activation, units);
                }

                w.Close();
                w.Line("sampleResults[row] = loss;");
                if (units == 1)
                {
                    w.Line("var correct = activations[output] > 0.5f == targets[target] > 0.5f;");
                }
                else
                {
                    w.Line("// Arg-max of the output against arg-max of the one-hot target, the first maximum winning, as on the CPU.");
                    w.Line("var predicted = 0;");
                    w.Line("var expected = 0;");
                    w.Open($"for (var j = 1; j < {n}; j++)");
                    w.Line("if (activations[output + j] > activations[output + predicted]) predicted = j;");
                    w.Line("if (targets[target + j] > targets[target + expected]) expected = j;");
                    w.Close();
                    w.Line("var correct = predicted == expected;");
                }

                w.Line("sampleResults[batch + row] = correct ? 1f : 0f;");
            });
    }

    // ---- Pieces ----------------------------------------------------------------------------------------------------

    /// <summary>
    /// A tiled product <c>result[rows, columns] = Σ_k A[row, k] · B[k, column]</c>: each group loads one Tile × Tile
    /// block of A and of B into shared memory per step of k, then each thread adds its Tile products, unrolled, in k
    /// order. <paramref name="depth"/> null means the batch (known only at run time).
    /// </summary>
    private static void WriteTiledProduct(
        SourceWriter w, string rows, int columns, int? depth,
        Func<string, string, string> loadA, Func<string, string, string> loadB, Action<SourceWriter> epilogue)
    {
        var t = Text(Tile);
        var depthText = depth is { } d ? Text(d) : "batch";
        var checkDepth = depth is not { } constant || constant % Tile != 0;
        var checkColumns = columns % Tile != 0;
        var columnsText = Text(columns);
        w.Line($"var tx = {Group}.IdxX;");
        w.Line($"var ty = {Group}.IdxY;");
        w.Line($"var row = {Grid}.IdxY * {t} + ty;");
        w.Line($"var column = {Grid}.IdxX * {t} + tx;");
        w.Line($"var a = {SharedMemory}.Allocate<float>({Text(Tile * Tile)});");
        w.Line($"var b = {SharedMemory}.Allocate<float>({Text(Tile * Tile)});");
        w.Line("var sum = 0f;");
        w.Open($"for (var k0 = 0; k0 < {depthText}; k0 += {t})");
        w.Line("var ka = k0 + tx;");
        w.Line("var kb = k0 + ty;");
        // Out-of-range elements load as zero, so the unrolled loop below needs no bounds checks.
        var aCondition = "row < " + rows + (checkDepth ? $" && ka < {depthText}" : "");
        var bCondition = string.Join(" && ", new[] { checkDepth ? $"kb < {depthText}" : null, checkColumns ? $"column < {columnsText}" : null }.Where(c => c is not null));
        w.Line($"if ({aCondition}) a[ty * {t} + tx] = {loadA("row", "ka")};");
        w.Line($"else a[ty * {t} + tx] = 0f;");
        if (bCondition.Length > 0)
        {
            w.Line($"if ({bCondition}) b[ty * {t} + tx] = {loadB("kb", "column")};");
            w.Line($"else b[ty * {t} + tx] = 0f;");
        }
        else
        {
            w.Line($"b[ty * {t} + tx] = {loadB("kb", "column")};");
        }

        w.Line($"{Group}.Barrier();");
        for (var k = 0; k < Tile; k++) w.Line($"sum += a[ty * {t} + {Text(k)}] * b[{Text(k * Tile)} + tx];");
        w.Line($"{Group}.Barrier();");
        w.Close();
        w.Open($"if (row < {rows} && column < {columnsText})");
        epilogue(w);
        w.Close();
    }

    private static void WriteSoftmaxRow(SourceWriter w, int units)
    {
        var n = Text(units);
        w.Line("var max = activations[output];");
        w.Line($"for (var j = 1; j < {n}; j++) if (activations[output + j] > max) max = activations[output + j];");
        w.Line("var expSum = 0f;");
        w.Open($"for (var j = 0; j < {n}; j++)");
        w.Line($"var e = {XMath}.Exp(activations[output + j] - max);");
        w.Line("activations[output + j] = e;");
        w.Line("expSum += e;");
        w.Close();
        w.Line($"for (var j = 0; j < {n}; j++) activations[output + j] /= expSum;");
    }

    /// <summary>Turns dL/dp in <c>deltas[output ..]</c> into dL/dz, for p = activation(z) in <c>activations[output ..]</c>.</summary>
    private static void WriteActivationJacobian(SourceWriter w, Activation activation, int units)
    {
        var n = Text(units);
        switch (activation)
        {
            case Activation.Linear:
                break;
            case Activation.Softmax:
                w.Line("// dz_i = p_i (g_i - Σ_j g_j p_j)");
                w.Line("var jacobianDot = 0f;");
                w.Line($"for (var j = 0; j < {n}; j++) jacobianDot += deltas[output + j] * activations[output + j];");
                w.Line($"for (var j = 0; j < {n}; j++) deltas[output + j] = activations[output + j] * (deltas[output + j] - jacobianDot);");
                break;
            default:
                w.Line($"for (var j = 0; j < {n}; j++) deltas[output + j] = {DerivativeOf(activation, "deltas[output + j]", "activations[output + j]")};");
                break;
        }
    }

    /// <summary>f(z) as an expression.</summary>
    private static string ActivationOf(Activation activation, string z) => activation switch
    {
        Activation.Linear or Activation.Softmax => z,
        Activation.Sigmoid => $"1f / (1f + {XMath}.Exp(-{z}))",
        Activation.Relu => $"{z} > 0f ? {z} : 0f",
        Activation.Tanh => $"{XMath}.Tanh({z})",
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "No GPU kernel for this activation; FindUnsupported should have said so."),
    };

    /// <summary><c>gradient · f'(z)</c> written with the output <c>y = f(z)</c>, the same expressions as the CPU kernels.</summary>
    private static string DerivativeOf(Activation activation, string gradient, string y) => activation switch
    {
        Activation.Linear => gradient,
        Activation.Sigmoid => $"{gradient} * {y} * (1f - {y})",
        Activation.Tanh => $"{gradient} * (1f - {y} * {y})",
        Activation.Relu => $"{y} > 0f ? {gradient} : 0f",
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "No GPU derivative for this activation; FindUnsupported should have said so."),
    };

    private static LayerPlan Last(ModelPlan plan) => plan.Layers[plan.Layers.Count - 1];

    private static string Field(string kernelName) => MemberNames.KernelField(kernelName);

    private static LayerMemberNames Names(LayerPlan layer) => new(layer.Name);

    private static string Identifier(string name) => ModelScope.Identifier(name);

    private static string Text(long value) => value.ToString(Invariant);
}
