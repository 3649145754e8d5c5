using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using DeepGen.Samples.Mnist;

// Helpers for bench/load/run.sh: a model file and request bodies for the HTTP load test, and the in-process
// inference throughput it is compared with (one shared model, single samples and batches, one thread and many).
//   save-model <path>                    a seeded MnistMlp (random weights: speed does not depend on them)
//   write-body <path> <samples> raw|json  a request body of random pixels
//   throughput <model> <seconds>         predictions per second in-process
var culture = CultureInfo.InvariantCulture;
switch (args.FirstOrDefault())
{
    case "save-model" when args.Length == 2:
        new MnistMlp(seed: 1).Save(args[1]);
        return 0;
    case "write-body" when args.Length == 4:
        var pixels = Pixels(int.Parse(args[2], culture), seed: 7);
        if (args[3] == "raw") File.WriteAllBytes(args[1], MemoryMarshal.AsBytes(pixels.AsSpan()).ToArray());
        else File.WriteAllText(args[1], "{\"inputs\":[" + string.Join(",", pixels.Chunk(MnistMlp.InputSize).Select(row => "[" + string.Join(",", row.Select(v => v.ToString(culture))) + "]")) + "]}");
        return 0;
    case "throughput" when args.Length == 3:
        var model = new MnistMlp();
        model.LoadForInference(args[1]);
        var seconds = double.Parse(args[2], culture);
        foreach (var batch in new[] { 1, 100, 10_000 })
        foreach (var threads in new[] { 1, Environment.ProcessorCount })
        {
            var rate = Measure(model, batch, threads, seconds);
            Console.WriteLine(string.Create(culture, $"in-process  batch {batch,6}  threads {threads,2}  {rate,14:N0} predictions/s"));
        }

        return 0;
    default:
        Console.Error.WriteLine("usage: save-model <path> | write-body <path> <samples> raw|json | throughput <model> <seconds>");
        return 2;
}

static double Measure(MnistMlp model, int batch, int threads, double seconds)
{
    var x = Pixels(batch, seed: 3);
    var predictions = new float[batch * MnistMlp.OutputSize];
    for (var i = 0; i < 3; i++) model.Predict(x, predictions, batchSize: batch); // warm up: JIT and the workspace pool

    long done = 0;
    var deadline = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
    var started = Stopwatch.GetTimestamp();
    var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
    {
        var output = new float[predictions.Length];
        long mine = 0;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            model.Predict(x, output, batchSize: batch);
            mine += batch;
        }

        Interlocked.Add(ref done, mine);
    })).ToList();
    workers.ForEach(w => w.Start());
    workers.ForEach(w => w.Join());
    return done / Stopwatch.GetElapsedTime(started).TotalSeconds;
}

static float[] Pixels(int samples, int seed)
{
    var random = new Random(seed);
    var values = new float[samples * MnistMlp.InputSize];
    for (var i = 0; i < values.Length; i++) values[i] = random.Next(256);
    return values;
}
