using ScottPlot;
using SkiaSharp;

namespace DeepGen.Plots;

/// <summary>
/// The typeface every DeepGen plot writes its text in: DejaVu Sans, embedded in this assembly, so text renders the same
/// on every machine, including a bare Linux container with no font installed (where SkiaSharp's default typeface has
/// no glyphs and ScottPlot would draw no text at all).
/// </summary>
/// <remarks>
/// ScottPlot finds typefaces by name through <see cref="Fonts.FontResolvers"/>; <see cref="Register"/> puts a resolver
/// first in that list that answers <see cref="FamilyName"/> with the embedded file and passes on every other name.
/// </remarks>
internal sealed class EmbeddedFont : IFontResolver
{
    /// <summary>The family name plots ask for, and the embedded font's own name.</summary>
    public const string FamilyName = "DejaVu Sans";

    private const string ResourceName = "DeepGen.Plots.Fonts.DejaVuSans.ttf";

    private static readonly Lazy<SKData> Data = new(Load);

    private static readonly Lock RegistrationLock = new();

    private EmbeddedFont()
    {
    }

    /// <summary>Adds the resolver to ScottPlot's list once, ahead of the system fonts.</summary>
    public static void Register()
    {
        lock (RegistrationLock)
        {
            if (Fonts.FontResolvers.OfType<EmbeddedFont>().Any()) return;
            Fonts.FontResolvers.Insert(0, new EmbeddedFont());
        }
    }

    /// <summary>A new typeface of the embedded font; ScottPlot caches what a resolver returns and draws with it from then on.</summary>
    public static SKTypeface CreateTypeface() =>
        SKTypeface.FromData(Data.Value)
        ?? throw new InvalidOperationException($"SkiaSharp could not read the embedded font '{ResourceName}'.");

    /// <inheritdoc />
    public SKTypeface? CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing spacing) =>
        Matches(fontName) ? CreateTypeface() : null;

    /// <inheritdoc />
    public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) =>
        Matches(fontName) ? CreateTypeface() : null;

    private static bool Matches(string fontName) => string.Equals(fontName, FamilyName, StringComparison.OrdinalIgnoreCase);

    private static SKData Load()
    {
        using var stream = typeof(EmbeddedFont).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The font resource '{ResourceName}' is missing from {typeof(EmbeddedFont).Assembly.GetName().Name}.");
        return SKData.Create(stream);
    }
}
