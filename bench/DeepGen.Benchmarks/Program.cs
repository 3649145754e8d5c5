// DeepGen's benchmarks (BenchmarkDotNet). See docs/PERFORMANCE.md for the results and how to read them.
//
//   dotnet run -c Release --project bench/DeepGen.Benchmarks -- --quick              every class, short, in-process (< 2 min)
//   dotnet run -c Release --project bench/DeepGen.Benchmarks -- --filter '*'         the full run, BenchmarkDotNet's defaults
//   dotnet run -c Release --project bench/DeepGen.Benchmarks -- --filter '*Inference*'
//
// Everything after "--" except --quick goes to BenchmarkDotNet's switcher (--filter, --list flat, --job, --exporters, …).
using System.Reflection;
using BenchmarkDotNet.Running;
using DeepGen.Benchmarks;

var quick = args.Contains(QuickConfig.Flag);
var rest = args.Where(a => a != QuickConfig.Flag).ToArray();
var switcher = BenchmarkSwitcher.FromAssembly(Assembly.GetExecutingAssembly());
if (quick)
{
    // Without a filter the switcher would ask on the console which benchmarks to run; the quick mode runs them all.
    if (!rest.Contains("--filter") && !rest.Contains("-f")) rest = [.. rest, "--filter", "*"];
    switcher.Run(rest, QuickConfig.Create());
}
else
{
    switcher.Run(rest);
}
