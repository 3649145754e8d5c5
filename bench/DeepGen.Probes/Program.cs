// Timed runs of samples/Mnist's seed recipe that are whole training runs rather than BenchmarkDotNet micro-benchmarks
// (see docs/PERFORMANCE.md for the results):
//
//   dotnet run --project bench/DeepGen.Probes -c Release -- epochs --epochs 5 --threads 2   median / fastest epoch, bytes per step
//   dotnet run --project bench/DeepGen.Probes -c Release -- sweep --seconds 20              the batch-size table
using System.Globalization;
using DeepGen.Data;
using DeepGen.Probes;
using DeepGen.Samples;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
const string Commands = """
    Usage: dotnet run --project bench/DeepGen.Probes -c Release -- COMMAND [options]
      epochs   train the seed recipe, print the median and fastest epoch and the bytes allocated per training step
      sweep    train the seed recipe for the same time at each batch size 1 to 10,000, print a table
    COMMAND --help lists the command's options.
    """;

var parser = args.FirstOrDefault() switch
{
    "epochs" => ProbeOptions.EpochsParser,
    "sweep" => ProbeOptions.SweepParser,
    _ => null,
};
if (parser is null)
{
    var asked = args.FirstOrDefault() is null or "-h" or "--help";
    if (!asked) Console.Error.WriteLine($"Unknown command '{args[0]}': the commands are epochs and sweep.");
    (asked ? Console.Out : Console.Error).WriteLine(Commands);
    return asked ? 0 : 2;
}

if (!parser.TryParseOrExplain(args[1..], out var options, out var exitCode)) return exitCode;
if (options.Threads is { } threads) DeepGen.Cpu.CpuBackend.MaxDegreeOfParallelism = threads;

if (!MnistSample.TryLoad(options.DataDirectory, out var data)) return 1;

var yTrain = Labels.OneHot(data.TrainLabels, MnistData.ClassCount);
Console.WriteLine(MnistSample.CpuDataLine(data));
if (parser == ProbeOptions.EpochsParser)
{
    EpochTimes.Run(data, yTrain, options);
}
else
{
    var yTest = Labels.OneHot(data.TestLabels, MnistData.ClassCount);
    BatchSizeSweep.Run(data, yTrain, yTest, options, TimeSpan.FromSeconds(options.Seconds));
}

return 0;
