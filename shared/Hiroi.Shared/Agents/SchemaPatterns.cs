using System.Text.RegularExpressions;
using Json.Schema;

namespace Hiroi.Shared.Agents;

/// <summary>
/// The regular expressions of a tool's parameter schema (<c>pattern</c>, <c>patternProperties</c>) run on the arguments
/// the model writes, so on text a customer can steer. JsonSchema.Net compiles them for the backtracking engine with no
/// timeout, where <c>^(a+)+$</c> takes exponential time; here each is swapped, in the built schema, for .NET's
/// non-backtracking engine, whose time is linear in the input. A pattern that engine cannot run (backreferences,
/// lookarounds, atomic groups) is refused when the agent is saved; one stored before that rule keeps the backtracking
/// engine under a match timeout.
/// </summary>
public static class SchemaPatterns
{
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(250);

    /// <summary>Swaps every regular expression of <paramref name="schema"/>; returns those only a backtracking engine can run.</summary>
    public static IReadOnlyList<string> MakeLinear(JsonSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var backtrackingOnly = new List<string>();
        var seen = new HashSet<JsonSchemaNode>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<JsonSchemaNode>([schema.Root]);
        while (pending.TryPop(out var node))
        {
            if (!seen.Add(node))
            {
                continue;
            }

            foreach (var keyword in node.Keywords)
            {
                keyword.Value = keyword.Value switch
                {
                    Regex when keyword.Handler.Name == "pattern" => Linear(keyword.RawValue.GetString()!, backtrackingOnly),
                    Dictionary<string, Regex> byPattern when keyword.Handler.Name == "patternProperties" =>
                        byPattern.Keys.ToDictionary(pattern => pattern, pattern => Linear(pattern, backtrackingOnly), StringComparer.Ordinal),
                    var other => other,
                };
                foreach (var subschema in keyword.Subschemas)
                {
                    pending.Push(subschema);
                }
            }
        }

        return backtrackingOnly;
    }

    private static Regex Linear(string pattern, List<string> backtrackingOnly)
    {
        try
        {
            return new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant, MatchTimeout);
        }
        catch (Exception e) when (e is NotSupportedException or ArgumentException)
        {
            backtrackingOnly.Add(pattern);
            return new Regex(pattern, RegexOptions.ECMAScript, MatchTimeout);
        }
    }
}
