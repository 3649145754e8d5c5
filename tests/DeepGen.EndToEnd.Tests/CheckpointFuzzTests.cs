using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using DeepGen.EndToEnd.Tests.Models;
using DeepGen.Serialization;

namespace DeepGen.EndToEnd.Tests;

/// <summary>
/// Resumes a run from thousands of damaged copies of one real checkpoint: flipped bits, truncations, header and
/// metadata edits, tensors dropped, renamed or of the wrong length, text that is not UTF-8. Each resume either
/// succeeds (the damage left a valid checkpoint) or fails with a documented exception, quickly, and a failed one
/// leaves the model's weights, its dropout stream and the optimizer's state bit for bit as they were.
/// </summary>
public sealed class CheckpointFuzzTests : IDisposable
{
    private const int Resumes = 4000;
    private const int Epochs = 2;

    private static readonly string[] HostileValues =
    [
        "", " ", "-1", "0", "1", "3", "+2", " 2", "2 ", "1.5", "1,5", "0x10", "abc", "NaN", "Infinity", "-Infinity", "1e999", "-1e999",
        "1e-50", "-0", "2147483647", "2147483648", "9223372036854775807", "9223372036854775808", "99999999999999999999999999",
        "00000000000000000000000000000000", "ffffffffffffffffffffffffffffffff", "0000000000000000000000000000000g",
        "0123456789abcdef0123456789abcde", "DeepGen.Sgd", "DeepGen.Adam", "2", "\u0000", "é",
    ];

    private static readonly string[] ExtraKeys =
    [
        "callback.9.type", "callback.1.value.wait", "callback.01.type", "callback.-1.type", "callback..type", "callback.1",
        "callback.2.junk", "callback.1.value.", "callback.2147483648.type", "model.random_state", "optimizer.schedule_scale",
        "deepgen.checkpoint", "training.epoch",
    ];

    private readonly string _folder = Directory.CreateTempSubdirectory("deepgen-checkpoint-fuzz-").FullName;
    private readonly (float[] X, float[] Y) _data = TestData.Blobs(samples: 120, features: 12, classes: 3, seed: 41);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Damaged_checkpoints_fail_with_documented_exceptions_and_leave_the_model_untouched()
    {
        // A real checkpoint: a dropout model, Adam with a rescaled schedule, and callbacks that save numbers and weights.
        var original = Path.Combine(_folder, "original.ckpt");
        Train(new DropoutClassifier(seed: 3), CreateOptimizer(), new BackupAndRestore(original, deleteOnTrainEnd: false));
        var bytes = File.ReadAllBytes(original);
        var (metadata, tensors) = CheckpointContents.Read(original);
        Assert.Contains(tensors, t => t.Name.EndsWith("best_weights", StringComparison.Ordinal));
        Assert.Contains(metadata.Keys, k => k.StartsWith("callback.", StringComparison.Ordinal));

        // The model and optimizer every damaged checkpoint is resumed into; a successful resume may change them.
        var model = new DropoutClassifier(seed: 4);
        var optimizer = CreateOptimizer();
        optimizer.Initialize(model.Architecture.ParameterCount);
        var path = Path.Combine(_folder, "damaged.ckpt");
        var random = new Random(20261201);
        var failures = new Dictionary<string, int>(StringComparer.Ordinal);
        var successes = 0;
        var slowest = TimeSpan.Zero;
        for (var i = 0; i < Resumes; i++)
        {
            var (kind, damaged) = Damage(random, bytes, metadata, tensors);
            // Most resumes read the bytes from memory, through the same reader and restore; every 20th goes through a
            // file and BackupAndRestore, as a restarted program would.
            var throughFile = i % 20 == 0;
            if (throughFile) File.WriteAllBytes(path, damaged);
            Callback resume = throughFile ? new BackupAndRestore(path, deleteOnTrainEnd: false) : new ResumeFromBytes(damaged, path);
            var parameters = model.Parameters.ToArray();
            var randomState = model.TrainingRandomState;
            var state = optimizer.State.Select(s => s.Values.ToArray()).ToList();
            var (iterations, learningRate) = (optimizer.Iterations, optimizer.LearningRate);

            var started = Stopwatch.GetTimestamp();
            Exception? error = null;
            try
            {
                Train(model, optimizer, resume);
            }
            catch (Exception e)
            {
                error = e;
            }

            var elapsed = Stopwatch.GetElapsedTime(started);
            slowest = elapsed > slowest ? elapsed : slowest;
            Assert.True(elapsed < TimeSpan.FromSeconds(2), $"Resume {i} ({kind}) took {elapsed.TotalMilliseconds:F0} ms.");
            if (error is null)
            {
                successes++;
                continue;
            }

            var documented = error switch
            {
                InvalidModelFileException => error.Message.Contains(path, StringComparison.Ordinal),
                ArgumentOutOfRangeException { ParamName: "epochs" } => error.Message.Contains(path, StringComparison.Ordinal),
                _ => false,
            };
            Assert.True(documented, $"Resume {i} ({kind}) failed with an undocumented {error.GetType().Name} or a message without the file: {error}");
            failures[kind] = failures.GetValueOrDefault(kind) + 1;

            Bitwise.AssertEqual(parameters, model.Parameters, $"After resume {i} ({kind}) failed, parameter");
            Assert.Equal(randomState, model.TrainingRandomState);
            Assert.Equal(iterations, optimizer.Iterations);
            Assert.Equal(learningRate, optimizer.LearningRate);
            for (var s = 0; s < state.Count; s++) Bitwise.AssertEqual(state[s], optimizer.State[s].Values, $"After resume {i} ({kind}) failed, optimizer state");
        }

        // Every kind of damage was tried and refused at least sometimes, so the loop above checked what it claims to.
        var total = failures.Values.Sum();
        Assert.True(total > Resumes / 2, $"Only {total} of {Resumes} damaged checkpoints were refused: {Describe(failures)}; {successes} resumed.");
        foreach (var kind in Kinds) Assert.True(failures.GetValueOrDefault(kind) > 0, $"No '{kind}' damage was refused: {Describe(failures)}.");
        Assert.True(successes > 0, "No damaged checkpoint was still valid, so the successful path was never taken.");
        Assert.True(slowest < TimeSpan.FromSeconds(2));
    }

    private static readonly string[] Kinds =
    [
        "bit flip", "header bit flip", "truncation", "appended bytes", "header length", "metadata value", "metadata removed",
        "metadata added", "tensor removed", "tensor length", "tensor renamed", "tensor added", "header json", "invalid utf-8",
    ];

    private static string Describe(Dictionary<string, int> counts) => string.Join(", ", counts.Select(p => $"{p.Key} {p.Value}"));

    private static Optimizer CreateOptimizer() => new Adam(0.01f) { Schedule = new ExponentialDecay(0.01f, decaySteps: 4, decayRate: 0.8f) };

    /// <summary>Trains to epoch 2; a resume from a checkpoint of epoch 2 restores it and trains no further.</summary>
    private void Train(SequentialModel model, Optimizer optimizer, Callback backup) =>
        model.Fit(_data.X, _data.Y, epochs: Epochs, batchSize: 16, Loss.CategoricalCrossEntropy, optimizer, seed: 6,
            verbosity: Verbosity.Silent, validationSplit: 0.25f,
            callbacks:
            [
                backup,
                new ReduceLROnPlateau("val_loss", factor: 0.5f, patience: 0, minDelta: 10),
                new EarlyStopping("val_loss", patience: 5, restoreBestWeights: true),
            ]);

    /// <summary>One random damage to the checkpoint, and its kind.</summary>
    private static (string Kind, byte[] Bytes) Damage(Random random, byte[] bytes, Dictionary<string, string> metadata,
        List<(string Name, int[] Shape, float[] Values)> tensors)
    {
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var kind = Kinds[random.Next(Kinds.Length)];
        var copy = (byte[])bytes.Clone();
        var newMetadata = new Dictionary<string, string>(metadata, StringComparer.Ordinal);
        var newTensors = tensors.Select(t => (t.Name, t.Shape, t.Values)).ToList();
        string RandomKey() => newMetadata.Keys.ElementAt(random.Next(newMetadata.Count));
        switch (kind)
        {
            case "bit flip":
                for (var n = 1 + random.Next(4); n > 0; n--) copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8));
                return (kind, copy);
            case "header bit flip":
                for (var n = 1 + random.Next(3); n > 0; n--) copy[8 + random.Next(headerLength)] ^= (byte)(1 << random.Next(8));
                return (kind, copy);
            case "truncation":
                return (kind, copy[..random.Next(copy.Length)]);
            case "appended bytes":
                return (kind, [.. copy, .. RandomBytes(random, 1 + random.Next(16))]);
            case "header length":
                var lengths = new ulong[] { 0, 1, 7, (ulong)headerLength - 1, (ulong)headerLength + 1, (ulong)copy.Length, ulong.MaxValue, 1UL << 63, (ulong)random.Next() };
                BinaryPrimitives.WriteUInt64LittleEndian(copy, lengths[random.Next(lengths.Length)]);
                return (kind, copy);
            case "metadata value":
                var key = RandomKey();
                newMetadata[key] = random.Next(4) switch
                {
                    0 => newMetadata[key] + "0",
                    1 => newMetadata[key][..Math.Max(0, newMetadata[key].Length - 1)],
                    2 => newMetadata[RandomKey()],
                    _ => HostileValues[random.Next(HostileValues.Length)],
                };
                break;
            case "metadata removed":
                newMetadata.Remove(RandomKey());
                break;
            case "metadata added":
                newMetadata[ExtraKeys[random.Next(ExtraKeys.Length)]] = HostileValues[random.Next(HostileValues.Length)];
                break;
            case "tensor removed":
                newTensors.RemoveAt(random.Next(newTensors.Count));
                break;
            case "tensor length":
            {
                var t = random.Next(newTensors.Count);
                var (name, _, values) = newTensors[t];
                var length = random.Next(3) switch { 0 => values.Length - 1, 1 => values.Length + 1, _ => random.Next(values.Length * 2) };
                newTensors[t] = (name, [length], values.Concat(Enumerable.Repeat(0.5f, Math.Max(0, length - values.Length))).Take(length).ToArray());
                break;
            }

            case "tensor renamed":
            {
                var t = random.Next(newTensors.Count);
                var names = new[] { "optimizer.momentum_x", "callback.2.best_weightz", "callback.7.best_weights", "Hidden.kernelx", "optimizer.velocity_hat", "x" };
                var name = names[random.Next(names.Length)];
                if (newTensors.Any(u => u.Name == name)) name += "2";
                newTensors[t] = (name, newTensors[t].Shape, newTensors[t].Values);
                break;
            }

            case "tensor added":
                newTensors.Add((random.Next(2) == 0 ? "optimizer.extra" : "callback.1.extra", [3], [1f, 2f, 3f]));
                break;
            case "header json":
                return (kind, EditHeaderJson(random, bytes, headerLength));
            case "invalid utf-8":
            {
                // Overwrite one byte inside a quoted name or value of the header (no name holds a quote, so quotes pair up):
                // the header keeps its length and its JSON shape, but not its encoding.
                var quotes = Enumerable.Range(8, headerLength).Where(p => copy[p] == (byte)'"').ToList();
                var strings = Enumerable.Range(0, quotes.Count / 2).Where(j => quotes[2 * j + 1] > quotes[2 * j] + 1).ToList();
                var chosen = strings[random.Next(strings.Count)];
                var at = quotes[2 * chosen] + 1 + random.Next(quotes[2 * chosen + 1] - quotes[2 * chosen] - 1);
                var bad = new byte[] { 0xFF, 0xC0, 0xC3, 0x80, 0xED, 0xF8 };
                copy[at] = bad[random.Next(bad.Length)];
                return (kind, copy);
            }
        }

        using var stream = new MemoryStream();
        SafeTensorsWriter.Write(stream, newTensors.Select(t => new TensorToWrite(t.Name, t.Shape, t.Values)).ToList(), newMetadata);
        return (kind, stream.ToArray());
    }

    /// <summary>Edits one tensor's description in the JSON header (its dtype, shape or byte range), keeping the data.</summary>
    private static byte[] EditHeaderJson(Random random, byte[] bytes, int headerLength)
    {
        var header = (JsonObject)JsonNode.Parse(bytes.AsSpan(8, headerLength).TrimEnd((byte)' '))!;
        var names = header.Select(p => p.Key).Where(k => k != "__metadata__").ToList();
        var tensor = (JsonObject)header[names[random.Next(names.Count)]]!;
        var shape = (JsonArray)tensor["shape"]!;
        var offsets = (JsonArray)tensor["data_offsets"]!;
        switch (random.Next(7))
        {
            case 0:
                tensor["dtype"] = new[] { "F16", "F64", "I32", "BF16", "X9", "" }[random.Next(6)];
                break;
            case 1:
                shape.Add(random.Next(3));
                break;
            case 2:
                tensor["shape"] = new JsonArray(-1);
                break;
            case 3:
                offsets[1] = (long)offsets[1]! + new[] { -4, 4, 1, 1L << 40 }[random.Next(4)];
                break;
            case 4:
                offsets[0] = (long)offsets[0]! + new[] { -4, 4, 1 }[random.Next(3)];
                break;
            case 5:
                tensor["shape"] = new JsonArray(1L << 40, 1L << 40);
                break;
            default:
                header.Remove(names[random.Next(names.Count)]);
                break;
        }

        var text = Encoding.UTF8.GetBytes(header.ToJsonString());
        var padded = (text.Length + 7) / 8 * 8;
        var result = new byte[8 + padded + bytes.Length - 8 - headerLength];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)padded);
        text.CopyTo(result, 8);
        result.AsSpan(8 + text.Length, padded - text.Length).Fill((byte)' ');
        bytes.AsSpan(8 + headerLength).CopyTo(result.AsSpan(8 + padded));
        return result;
    }

    /// <summary>Resumes from a checkpoint held in memory, named as the file it stands for.</summary>
    private sealed class ResumeFromBytes(byte[] bytes, string name) : Callback
    {
        public override void OnTrainBegin(TrainingContext context) => context.ResumeFrom(TrainingCheckpoint.Read(new MemoryStream(bytes), name));
    }

    private static byte[] RandomBytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }
}
