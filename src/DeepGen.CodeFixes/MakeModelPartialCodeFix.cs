using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DeepGen.CodeFixes;

/// <summary>
/// The fix for DG0001 ("Model class must be partial"): adds <c>partial</c> to the model's declaration, as its last
/// modifier (right before <c>class</c>, where C# requires it), keeping the declaration's comments, attributes and
/// layout. DG0001 is reported on the model class's own name only; a containing type that is not partial is DG0008,
/// which this fix does not touch.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MakeModelPartialCodeFix)), Shared]
public sealed class MakeModelPartialCodeFix : CodeFixProvider
{
    /// <summary>The id of the diagnostic this fixes, DeepGen's DiagnosticDescriptors.ClassNotPartial (a test checks they agree).</summary>
    internal const string ClassNotPartialId = "DG0001";

    /// <summary>The title of the code action, as an editor's light bulb shows it.</summary>
    internal const string Title = "Make the model class partial";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(ClassNotPartialId);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            var declaration = root.FindToken(diagnostic.Location.SourceSpan.Start).Parent?.AncestorsAndSelf().OfType<TypeDeclarationSyntax>().FirstOrDefault();
            if (declaration is null || declaration.Modifiers.Any(SyntaxKind.PartialKeyword)) continue;
            context.RegisterCodeFix(
                CodeAction.Create(Title, cancellationToken => AddPartialAsync(context.Document, declaration, cancellationToken), equivalenceKey: Title),
                diagnostic);
        }
    }

    private static async Task<Document> AddPartialAsync(Document document, TypeDeclarationSyntax declaration, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        return root is null ? document : document.WithSyntaxRoot(root.ReplaceNode(declaration, AddPartial(declaration)));
    }

    /// <summary>
    /// <paramref name="declaration"/> with <c>partial</c> right before its keyword. The keyword's leading trivia (the
    /// indentation, or a comment, after the attributes when there are no modifiers) moves to <c>partial</c>, so the
    /// line keeps its layout.
    /// </summary>
    internal static TypeDeclarationSyntax AddPartial(TypeDeclarationSyntax declaration)
    {
        var keyword = declaration.Keyword;
        var partial = SyntaxFactory.Token(keyword.LeadingTrivia, SyntaxKind.PartialKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space));
        return declaration
            .ReplaceToken(keyword, keyword.WithLeadingTrivia(SyntaxFactory.TriviaList()))
            .WithModifiers(declaration.Modifiers.Add(partial));
    }
}
