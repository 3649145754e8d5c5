using System.Text.RegularExpressions;
using DeepGen.Generator.Diagnostics;
using Microsoft.CodeAnalysis;

namespace DeepGen.Generator.Tests;

/// <summary>
/// Every diagnostic has a help link to its page in docs/diagnostics, the page exists and agrees with the descriptor,
/// the release table and the README list name the same ids, and each page's example of a generator diagnostic
/// really produces that diagnostic.
/// </summary>
public partial class DiagnosticDocumentationTests
{
    private static readonly string Root = FindRepositoryRoot();

    private static readonly string PagesFolder = Path.Combine(Root, "docs", "diagnostics");

    public static IReadOnlyList<DiagnosticDescriptor> Descriptors { get; } =
    [
        .. typeof(DiagnosticDescriptors).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Select(f => f.GetValue(null)).OfType<DiagnosticDescriptor>().OrderBy(d => d.Id, StringComparer.Ordinal),
    ];

    public static TheoryData<string> Ids => [.. Descriptors.Select(d => d.Id)];

    [Fact]
    public void IdsAreUniqueAndThereAreSome()
    {
        Assert.True(Descriptors.Count >= 29, $"{Descriptors.Count} descriptors found by reflection");
        Assert.Equal(Descriptors.Count, Descriptors.Select(d => d.Id).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void EveryDescriptorLinksToItsPageAndThePageAgrees(string id)
    {
        var descriptor = Descriptors.Single(d => d.Id == id);
        Assert.Equal($"https://github.com/deepgen/DeepGen/blob/main/docs/diagnostics/{id}.md", descriptor.HelpLinkUri);
        var page = Path.Combine(PagesFolder, id + ".md");
        Assert.True(File.Exists(page), $"{page} is missing");
        var lines = File.ReadAllLines(page);
        Assert.Equal($"# {id}: {descriptor.Title}", lines[0]);
        Assert.Contains($"Severity: **{descriptor.DefaultSeverity}**", lines);
        foreach (var section in new[] { "## When it is reported", "## Example", "## How to fix it" })
            Assert.Contains(section, lines);
    }

    [Fact]
    public void EveryPageBelongsToADescriptorAndTheIndexListsThemAll()
    {
        var pages = Directory.GetFiles(PagesFolder, "DG*.md").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal);
        Assert.Equal(Descriptors.Select(d => d.Id), pages);
        var index = File.ReadAllText(Path.Combine(PagesFolder, "README.md"));
        foreach (var d in Descriptors)
            Assert.Contains($"| [{d.Id}]({d.Id}.md) | {d.DefaultSeverity} | {d.Title} |", index, StringComparison.Ordinal);
    }

    /// <summary>The release-tracking table (read by the RS2000-series analyzers) lists each id with its severity and title.</summary>
    [Fact]
    public void TheReleaseTableAgrees()
    {
        var rows = File.ReadAllLines(Path.Combine(Root, "src", "DeepGen.Generator", "AnalyzerReleases.Unshipped.md"))
            .Where(l => l.StartsWith("DG", StringComparison.Ordinal)).ToList();
        Assert.Equal(Descriptors.Select(d => $"{d.Id} | DeepGen | {d.DefaultSeverity} | {d.Title}"), rows);
    }

    /// <summary>
    /// README's list of diagnostics names every id (a range such as DG0012–DG0016 counts for the ids in it), and no
    /// document names an id that does not exist.
    /// </summary>
    [Fact]
    public void ReadmeAndDocsNameExactlyTheRealIds()
    {
        var known = Descriptors.Select(d => d.Id).ToHashSet();
        var readme = File.ReadAllText(Path.Combine(Root, "README.md"));
        var mentioned = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match range in IdRange().Matches(readme))
            for (int i = int.Parse(range.Groups[1].Value), last = int.Parse(range.Groups[2].Value); i <= last; i++)
                mentioned.Add($"DG{i:0000}");
        foreach (Match single in IdPattern().Matches(readme)) mentioned.Add(single.Value);
        Assert.Empty(known.Except(mentioned).Order(StringComparer.Ordinal));

        var documents = new[] { Path.Combine(Root, "README.md") }
            .Concat(Directory.GetFiles(Path.Combine(Root, "docs"), "*.md", SearchOption.AllDirectories));
        foreach (var document in documents)
        {
            var unknown = IdPattern().Matches(File.ReadAllText(document)).Select(m => m.Value).Where(id => !known.Contains(id)).Distinct().ToList();
            Assert.True(unknown.Count == 0, $"{Path.GetRelativePath(Root, document)} names {string.Join(", ", unknown)}, which no descriptor has");
        }
    }

    /// <summary>A diagnostic the generator reports carries its help link.</summary>
    [Fact]
    public void AReportedDiagnosticCarriesItsHelpLink()
    {
        var run = GeneratorHarness.Run("using DeepGen;\n[Model(Input = 4)]\n[Dense(1)]\npublic class Regression;\n");
        var diagnostic = Assert.Single(run.GeneratorDiagnostics, d => d.Id == "DG0001");
        Assert.Equal(DiagnosticDescriptors.HelpLink("DG0001"), diagnostic.Descriptor.HelpLinkUri);
    }

    /// <summary>The ids a page's example shows but the generator does not report (the call-site analyzer's, and DG0100, which needs DeepGen.Gpu).</summary>
    private static readonly HashSet<string> NotGeneratorExamples = ["DG0017", "DG0018", "DG0028", "DG0100"];

    public static TheoryData<string> GeneratorIds => [.. Descriptors.Select(d => d.Id).Where(id => !NotGeneratorExamples.Contains(id))];

    /// <summary>Each page's example, compiled with <c>using DeepGen;</c>, makes the generator report that page's id.</summary>
    [Theory]
    [MemberData(nameof(GeneratorIds))]
    public void EachPagesExampleReportsItsId(string id)
    {
        var text = File.ReadAllText(Path.Combine(PagesFolder, id + ".md")).ReplaceLineEndings("\n");
        var example = CodeBlock().Match(text);
        Assert.True(example.Success, $"{id}.md has no ```csharp example");
        var run = GeneratorHarness.Run("using DeepGen;\n" + example.Groups[1].Value);
        Assert.Null(run.Result.Exception);
        Assert.True(run.GeneratorDiagnostics.Any(d => d.Id == id), $"{id}.md's example reports {string.Join(", ", run.GeneratorDiagnostics.Select(d => d.Id))}");
    }

    [GeneratedRegex(@"DG(\d{4})`?\s*[–-]\s*`?DG(\d{4})")]
    private static partial Regex IdRange();

    [GeneratedRegex(@"DG\d{4}")]
    private static partial Regex IdPattern();

    [GeneratedRegex(@"```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DeepGen.sln"))) return dir.FullName;
        throw new InvalidOperationException($"Cannot find DeepGen.sln above '{AppContext.BaseDirectory}'.");
    }
}
