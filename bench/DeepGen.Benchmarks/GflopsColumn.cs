using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace DeepGen.Benchmarks;

/// <summary>
/// Floating-point throughput of a case: <c>FLOPs per operation / mean time</c>, in GFLOP/s. The FLOP count comes from
/// a public static <c>double Flops(BenchmarkCase)</c> on the benchmark class; classes without one show "-".
/// </summary>
public sealed class GflopsColumn : IColumn
{
    public string Id => nameof(GflopsColumn);
    public string ColumnName => "GFLOP/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Throughput: FLOPs of one operation (2 per multiply-add) divided by the mean time";

    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var flops = FlopsOf(benchmarkCase);
        var mean = summary[benchmarkCase]?.ResultStatistics?.Mean; // nanoseconds
        if (flops is not > 0 || mean is not > 0) return "-";
        return (flops.Value / mean.Value).ToString("0.0", CultureInfo.InvariantCulture); // FLOP/ns = GFLOP/s
    }

    public static double? FlopsOf(BenchmarkCase benchmarkCase)
    {
        var method = benchmarkCase.Descriptor.Type.GetMethod(
            "Flops", BindingFlags.Public | BindingFlags.Static | BindingFlags.FlattenHierarchy, [typeof(BenchmarkCase)]);
        return method is { IsStatic: true } && method.ReturnType == typeof(double)
            ? (double?)method.Invoke(null, [benchmarkCase])
            : null;
    }

    public override string ToString() => ColumnName;
}

/// <summary>Adds the <see cref="GflopsColumn"/> to a benchmark class.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class GflopsAttribute() : ColumnConfigBaseAttribute(new GflopsColumn());
