using System.Text;

namespace DeepGen.Generator.Emitting;

/// <summary>A string builder that indents: generated code is written as text, never through SyntaxFactory.</summary>
internal sealed class SourceWriter
{
    private const string IndentUnit = "    ";
    private readonly StringBuilder _text = new();
    private int _indent;

    public SourceWriter Line(string line = "")
    {
        if (line.Length > 0)
            for (var i = 0; i < _indent; i++) _text.Append(IndentUnit);
        _text.Append(line).Append('\n');
        return this;
    }

    /// <summary>
    /// A one-line <c>/// &lt;summary&gt;</c> doc comment, <paramref name="text"/> escaped as XML: every public or
    /// protected member the generator writes gets one, so a project that builds its documentation file builds clean.
    /// </summary>
    public SourceWriter Summary(string text) =>
        Line("/// <summary>" + text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;") + "</summary>");

    /// <summary>A documented constant: its summary line, then <c>public const int name = value;</c>.</summary>
    public SourceWriter Constant(string name, string value, string summary) =>
        Summary(summary).Line($"public const int {name} = {value};");

    public SourceWriter Open(string line)
    {
        Line(line);
        Line("{");
        _indent++;
        return this;
    }

    public SourceWriter Close(string suffix = "")
    {
        _indent--;
        return Line("}" + suffix);
    }

    public SourceWriter Indent()
    {
        _indent++;
        return this;
    }

    public SourceWriter Outdent()
    {
        _indent--;
        return this;
    }

    public override string ToString() => _text.ToString();
}
