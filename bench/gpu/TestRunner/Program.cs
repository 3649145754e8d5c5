// Runs the xUnit v2 tests of one assembly in this process, with xUnit's own discovery and execution engine
// (xunit.execution), from a published folder: what `dotnet test` does, without the SDK or vstest, for the GPU machine
// of bench/gpu/run-device-check.sh. Sequential, like tests/DeepGen.Gpu.Tests/xunit.runner.json asks.
//
//   dotnet DeepGen.TestRunner.dll TESTS.dll [--class NAME]... [--method NAME]... [--results FILE] [--list]
//
// --class keeps the test classes named (full or short name), --method the test methods named (of any class); both may
// repeat, and a test is kept when its class or its method is named (every test when neither is given).
// --results writes one tab-separated line per test as it ends (outcome, seconds, name, first line of the failure).
// Ends with "N passed, N failed, N skipped"; exit code 0 when every test that ran passed and at least one ran,
// 1 when one failed, 2 for a bad command line or when no test matched.
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using DeepGen.TestRunner;
using Xunit.Abstractions;
using Xunit.Sdk;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
if (!Arguments.TryParse(args, out var arguments, out var problem))
{
    Console.Error.WriteLine(problem);
    Console.Error.WriteLine("Usage: dotnet DeepGen.TestRunner.dll TESTS.dll [--class NAME]... [--method NAME]... [--results FILE] [--list]");
    return 2;
}

var assemblyPath = Path.GetFullPath(arguments.AssemblyPath);
if (!File.Exists(assemblyPath))
{
    Console.Error.WriteLine($"No test assembly at {assemblyPath}.");
    return 2;
}

// The test assembly's own dependencies (DeepGen, ILGPU, ...) are listed in its deps.json, not in this runner's: resolve
// them from there. xUnit's assemblies are the same version in both, and are this runner's.
var resolver = new AssemblyDependencyResolver(assemblyPath);
Assembly? testAssembly = null;
AssemblyLoadContext.Default.Resolving += (context, name) =>
{
    if (testAssembly is not null && AssemblyName.ReferenceMatchesDefinition(name, testAssembly.GetName())) return testAssembly;
    return resolver.ResolveAssemblyToPath(name) is { } path ? context.LoadFromAssemblyPath(path) : null;
};
AssemblyLoadContext.Default.ResolvingUnmanagedDll += (_, name) =>
    resolver.ResolveUnmanagedDllToPath(name) is { } path ? NativeLibrary.Load(path) : IntPtr.Zero;
testAssembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(assemblyPath);

var diagnostics = new Sink(message =>
{
    if (message is IDiagnosticMessage diagnostic) Console.Error.WriteLine($"[xunit] {diagnostic.Message}");
});
using var framework = new XunitTestFramework(diagnostics);

// Discovery: every test case, one per data row of a theory.
var discoveryOptions = new Options();
discoveryOptions.SetValue("xunit.discovery.PreEnumerateTheories", true);
var testCases = new List<ITestCase>();
using (var discovered = new ManualResetEventSlim())
{
    using var discoverer = framework.GetDiscoverer(Reflector.Wrap(testAssembly));
    discoverer.Find(includeSourceInformation: false, new Sink(message =>
    {
        if (message is ITestCaseDiscoveryMessage found) testCases.Add(found.TestCase);
        else if (message is IDiscoveryCompleteMessage) discovered.Set();
    }), discoveryOptions);
    discovered.Wait();
}

var selected = testCases.Where(arguments.Keeps).ToList();
Console.WriteLine($"{Path.GetFileName(assemblyPath)}: {selected.Count} of {testCases.Count} test cases selected" +
                  (arguments.Classes.Count + arguments.Methods.Count > 0
                      ? $" (classes: {string.Join(", ", arguments.Classes.DefaultIfEmpty("none"))}; methods: {string.Join(", ", arguments.Methods.DefaultIfEmpty("none"))})"
                      : ""));
if (arguments.ListOnly)
{
    foreach (var testCase in selected) Console.WriteLine($"  {testCase.DisplayName}");
    return selected.Count == 0 ? 2 : 0;
}

if (selected.Count == 0)
{
    Console.Error.WriteLine("No test matched: nothing was run.");
    return 2;
}

// Execution, one test at a time, each result printed as it comes.
var executionOptions = new Options();
executionOptions.SetValue("xunit.execution.DisableParallelization", true);
executionOptions.SetValue("xunit.execution.MaxParallelThreads", 1);
// Written line by line, so a run stopped by a timeout still leaves the results it had.
using var results = arguments.ResultsPath is { } resultsPath ? new StreamWriter(resultsPath) { AutoFlush = true } : StreamWriter.Null;
int passed = 0, failed = 0, skipped = 0;
var clock = Stopwatch.StartNew();
using (var finished = new ManualResetEventSlim())
{
    using var executor = framework.GetExecutor(testAssembly.GetName());
    executor.RunTests(selected, new Sink(message =>
    {
        switch (message)
        {
            case ITestPassed test:
                passed++;
                Report("PASS", test, test.ExecutionTime, "");
                break;
            case ITestFailed test:
                failed++;
                Report("FAIL", test, test.ExecutionTime, Failure.Describe(test));
                break;
            case ITestSkipped test:
                skipped++;
                Report("SKIP", test, 0m, test.Reason);
                break;
            case IErrorMessage error:
                // A failure outside any test (a fixture, the assembly): counted, or a run could pass while broken.
                failed++;
                Console.WriteLine($"FAIL  (outside a test) {Failure.Describe(error)}");
                results.WriteLine($"FAIL\t0\t(outside a test)\t{Failure.FirstLine(error)}");
                break;
            case IFailureInformation cleanup:
                failed++;
                Console.WriteLine($"FAIL  (cleanup: {message.GetType().Name}) {Failure.Describe(cleanup)}");
                results.WriteLine($"FAIL\t0\t(cleanup)\t{Failure.FirstLine(cleanup)}");
                break;
            case ITestAssemblyFinished:
                finished.Set();
                break;
        }
    }), executionOptions);
    finished.Wait();
}

Console.WriteLine($"Ran {passed + failed + skipped} tests in {clock.Elapsed.TotalSeconds:0.0} s");
Console.WriteLine($"{passed} passed, {failed} failed, {skipped} skipped");
return failed > 0 ? 1 : passed + skipped == 0 ? 2 : 0;

void Report(string outcome, ITestResultMessage test, decimal seconds, string detail)
{
    var name = test.Test.DisplayName;
    Console.WriteLine($"{outcome}  {seconds,8:0.000} s  {name}");
    if (detail.Length > 0) Console.WriteLine(Failure.Indent(detail));
    if (!string.IsNullOrEmpty(test.Output)) Console.WriteLine(Failure.Indent("output: " + test.Output.TrimEnd()));
    var firstLine = detail.Split('\n')[0].Trim();
    results.WriteLine($"{outcome}\t{seconds.ToString("0.000", CultureInfo.InvariantCulture)}\t{name}\t{firstLine}");
}

namespace DeepGen.TestRunner
{
    /// <summary>An xUnit message sink that hands every message to one callback and never asks to stop.</summary>
    internal sealed class Sink(Action<IMessageSinkMessage> onMessage) : IMessageSink
    {
        public bool OnMessage(IMessageSinkMessage message)
        {
            lock (this) onMessage(message);
            return true;
        }
    }

    /// <summary>Discovery and execution options: named values, absent ones read as their type's default (xUnit's own defaults).</summary>
    internal sealed class Options : ITestFrameworkDiscoveryOptions, ITestFrameworkExecutionOptions
    {
        private readonly Dictionary<string, object?> _values = [];

        public TValue GetValue<TValue>(string name) =>
            _values.TryGetValue(name, out var value) && value is TValue typed ? typed : default!;

        public void SetValue<TValue>(string name, TValue value) => _values[name] = value;
    }

    /// <summary>How a failure is printed: each exception's type and message (inner ones after), then the stack.</summary>
    internal static class Failure
    {
        public static string Describe(IFailureInformation failure)
        {
            var lines = new List<string>();
            for (var i = 0; i < failure.ExceptionTypes.Length; i++)
                lines.Add($"{(i == 0 ? "" : "---- ")}{failure.ExceptionTypes[i]}: {failure.Messages.ElementAtOrDefault(i)}");
            var stack = failure.StackTraces.FirstOrDefault();
            if (!string.IsNullOrWhiteSpace(stack)) lines.Add(stack.TrimEnd());
            return string.Join('\n', lines);
        }

        public static string FirstLine(IFailureInformation failure) =>
            failure.ExceptionTypes.Length == 0 ? "" : $"{failure.ExceptionTypes[0]}: {failure.Messages.ElementAtOrDefault(0)}".Split('\n')[0].Trim();

        public static string Indent(string text) => string.Join('\n', text.Split('\n').Select(line => "        " + line.TrimEnd()));
    }

    /// <summary>The command line.</summary>
    internal sealed record Arguments(string AssemblyPath, List<string> Classes, List<string> Methods, string? ResultsPath, bool ListOnly)
    {
        public static bool TryParse(string[] args, out Arguments parsed, out string problem)
        {
            parsed = new Arguments("", [], [], null, false);
            problem = "";
            string? assembly = null;
            for (var i = 0; i < args.Length; i++)
            {
                var arg = args[i];
                if (arg == "--list")
                {
                    parsed = parsed with { ListOnly = true };
                    continue;
                }

                if (arg is "--class" or "--method" or "--results")
                {
                    if (i + 1 >= args.Length)
                    {
                        problem = $"{arg} needs a value.";
                        return false;
                    }

                    var value = args[++i];
                    if (arg == "--class") parsed.Classes.Add(value);
                    else if (arg == "--method") parsed.Methods.Add(value);
                    else parsed = parsed with { ResultsPath = value };
                    continue;
                }

                if (arg.StartsWith('-') || assembly is not null)
                {
                    problem = $"Unknown argument '{arg}'.";
                    return false;
                }

                assembly = arg;
            }

            if (assembly is null)
            {
                problem = "Name the test assembly.";
                return false;
            }

            parsed = parsed with { AssemblyPath = assembly };
            return true;
        }

        /// <summary>Whether <paramref name="testCase"/>'s class or method is one asked for (every test when none is named).</summary>
        public bool Keeps(ITestCase testCase)
        {
            if (Classes.Count == 0 && Methods.Count == 0) return true;
            var className = testCase.TestMethod.TestClass.Class.Name;
            var shortName = className[(className.LastIndexOf('.') + 1)..];
            return Classes.Contains(className) || Classes.Contains(shortName) || Methods.Contains(testCase.TestMethod.Method.Name);
        }
    }
}
