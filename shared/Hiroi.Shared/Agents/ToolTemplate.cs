using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.RegularExpressions;

namespace Hiroi.Shared.Agents;

/// <summary>What a placeholder reads: a tenant secret (resolved on the server at call time) or an argument the model gave.</summary>
public enum PlaceholderSource
{
    Secret,
    Argument,
}

/// <summary>One <c>{{secrets.NAME}}</c> or <c>{{args.NAME}}</c> in a template.</summary>
public sealed record Placeholder(PlaceholderSource Source, string Name, int Start, int Length);

/// <summary>
/// A tool's template text (a URL, a header value, a string in the JSON body) with its placeholders found once. The only
/// placeholders are <c>{{secrets.NAME}}</c> and <c>{{args.NAME}}</c>, names being identifiers: anything else between
/// braces (another org's path, an expression, a filter) is refused when the agent is saved, so a template can never
/// reach more than its own org's secrets by name.
/// </summary>
public sealed partial class ToolTemplate
{
    public const int MaxNameLength = 64;

    private ToolTemplate(string text, IReadOnlyList<Placeholder> placeholders) => (Text, Placeholders) = (text, placeholders);

    public string Text { get; }

    public IReadOnlyList<Placeholder> Placeholders { get; }

    public bool UsesSecrets => Placeholders.Any(p => p.Source == PlaceholderSource.Secret);

    /// <summary>A name a placeholder may use: an ASCII identifier of at most <see cref="MaxNameLength"/> characters.</summary>
    public static bool IsName(string? name) => name is { Length: > 0 and <= MaxNameLength } && NamePattern().IsMatch(name);

    /// <summary>Finds the placeholders of <paramref name="text"/>; false with a reason when a brace pair holds anything else.</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out ToolTemplate? template, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        var placeholders = new List<Placeholder>();
        var at = 0;
        while ((at = text.IndexOf("{{", at, StringComparison.Ordinal)) >= 0)
        {
            var end = text.IndexOf("}}", at + 2, StringComparison.Ordinal);
            if (end < 0)
            {
                (template, error) = (null, "has a '{{' without its '}}'");
                return false;
            }

            var inside = text[(at + 2)..end].Trim();
            var dot = inside.IndexOf('.', StringComparison.Ordinal);
            var source = dot < 0 ? null : inside[..dot] switch
            {
                "secrets" => (PlaceholderSource?)PlaceholderSource.Secret,
                "args" => PlaceholderSource.Argument,
                _ => null,
            };
            var name = dot < 0 ? string.Empty : inside[(dot + 1)..];
            if (source is null || !IsName(name))
            {
                (template, error) = (null, "may only use {{secrets.NAME}} and {{args.NAME}}, NAME being letters, digits and _ (at most 64)");
                return false;
            }

            placeholders.Add(new Placeholder(source.Value, name, at, end + 2 - at));
            at = end + 2;
        }

        (template, error) = (new ToolTemplate(text, placeholders), null);
        return true;
    }

    /// <summary>The text with every placeholder replaced by <paramref name="valueOf"/>'s answer (already encoded for where it goes).</summary>
    public string Render(Func<Placeholder, string> valueOf)
    {
        ArgumentNullException.ThrowIfNull(valueOf);
        if (Placeholders.Count == 0)
        {
            return Text;
        }

        var output = new StringBuilder(Text.Length + 64);
        var from = 0;
        foreach (var placeholder in Placeholders)
        {
            output.Append(Text, from, placeholder.Start - from).Append(valueOf(placeholder));
            from = placeholder.Start + placeholder.Length;
        }

        return output.Append(Text, from, Text.Length - from).ToString();
    }

    /// <summary>When the whole text is one placeholder: the body may then take the argument's JSON value as it is (a number stays a number).</summary>
    public Placeholder? Whole => Placeholders is [var only] && only.Start == 0 && only.Length == Text.Length ? only : null;

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
