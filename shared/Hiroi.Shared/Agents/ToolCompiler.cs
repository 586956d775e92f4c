using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Hiroi.Shared.Text;
using Json.Schema;

namespace Hiroi.Shared.Agents;

/// <summary>A tool checked and ready to call: its templates parsed, its parameter schema built.</summary>
public sealed class CompiledTool
{
    internal CompiledTool(
        ToolDefinition definition, JsonSchema schema, Uri baseUri, string pathPrefix, ToolTemplate url, IReadOnlyDictionary<string, ToolTemplate> headers, JsonNode? body)
    {
        Definition = definition;
        Schema = schema;
        BaseUri = baseUri;
        PathPrefix = pathPrefix;
        Url = url;
        Headers = headers;
        Body = body;
    }

    public ToolDefinition Definition { get; }
    public string Name => Definition.Name!;
    public string Description => Definition.Description!;
    public JsonElement Parameters => Definition.Parameters!.Value;
    public string Method => Definition.Request!.Method!.ToUpperInvariant();

    /// <summary>The arguments' schema; every call's arguments are evaluated against it before anything is sent.</summary>
    public JsonSchema Schema { get; }

    /// <summary>The scheme, host and port the URL template fixes: a rendered URL must still point there.</summary>
    public Uri BaseUri { get; }

    /// <summary>The path the URL template fixes before its first placeholder, as Uri normalizes it: a rendered URL's path starts with it.</summary>
    public string PathPrefix { get; }

    public ToolTemplate Url { get; }
    public IReadOnlyDictionary<string, ToolTemplate> Headers { get; }

    /// <summary>The body template, whose string values are templates (<see cref="ToolTemplate"/>).</summary>
    public JsonNode? Body { get; }

    /// <summary>The secret names the call needs, each read once per call.</summary>
    public IReadOnlySet<string> SecretNames =>
        Headers.Values.SelectMany(h => h.Placeholders).Concat(BodyTemplates(Body).SelectMany(t => t.Placeholders))
            .Where(p => p.Source == PlaceholderSource.Secret).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);

    internal static IEnumerable<ToolTemplate> BodyTemplates(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => BodyTemplates(p.Value)),
        JsonArray a => a.SelectMany(BodyTemplates),
        JsonValue v when v.TryGetValue<string>(out var s) && ToolTemplate.TryParse(s, out var t, out _) => [t],
        _ => [],
    };
}

/// <summary>
/// Checks tool definitions when an agent is saved, so a bad one is a 400 naming the field rather than a failure at
/// call time. The rules that keep a tool to its own host: the URL's scheme, host and port are literal (placeholders
/// only after the first '/' of the path), https unless loopback is allowed for local work; secrets go in headers and
/// the body, never the URL (URLs end up in traces and proxy logs). The parameter schema's patterns must run in linear
/// time (<see cref="SchemaPatterns"/>).
/// </summary>
public sealed partial class ToolCompiler(bool allowLoopback)
{
    public const int MaxTools = 16;
    public const int MaxHeaders = 20;
    public const int MaxTemplateLength = 2048;
    public const int MaxSchemaBytes = 8192;
    public const int MaxBodyBytes = 16384;

    private static readonly string[] Methods = ["GET", "POST", "PUT", "PATCH", "DELETE"];

    private static readonly HashSet<string> ForbiddenHeaders = new(
        ["host", "content-length", "transfer-encoding", "connection", "upgrade", "te", "trailer", "expect", "proxy-authorization", "keep-alive"],
        StringComparer.OrdinalIgnoreCase);

    /// <summary>Compiles <paramref name="tools"/>; every problem goes to <paramref name="error"/> as (field, message).</summary>
    public IReadOnlyList<CompiledTool> Compile(IReadOnlyList<ToolDefinition?> tools, Action<string, string> error)
    {
        ArgumentNullException.ThrowIfNull(tools);
        ArgumentNullException.ThrowIfNull(error);
        if (tools.Count > MaxTools)
        {
            error("tools", $"at most {MaxTools} tools");
            return [];
        }

        var compiled = new List<CompiledTool>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < tools.Count; i++)
        {
            var field = $"tools[{i}]";
            if (tools[i] is not { } tool)
            {
                error(field, "is required");
                continue;
            }

            if (tool.Name is not null && !names.Add(tool.Name))
            {
                error(field + ".name", "is used by another tool of this agent");
            }
            else if (tool.Name is not null && ChannelToolNames.All.Contains(tool.Name))
            {
                error(field + ".name", "is a tool the platform gives agents itself");
            }

            if (TryCompile(tool, field, error, requireLinearPatterns: true) is { } ok)
            {
                compiled.Add(ok);
            }
        }

        return compiled;
    }

    /// <summary>
    /// Compiles a stored tool, which was checked when saved. A pattern saved before patterns had to run in linear time
    /// runs under a match timeout instead of failing the agent.
    /// </summary>
    public CompiledTool CompileStored(ToolDefinition tool)
    {
        string? first = null;
        return TryCompile(tool, "tool", (f, m) => first ??= $"{f} {m}", requireLinearPatterns: false)
            ?? throw new InvalidOperationException($"A stored tool no longer compiles: {first}");
    }

    private CompiledTool? TryCompile(ToolDefinition tool, string field, Action<string, string> error, bool requireLinearPatterns)
    {
        var ok = true;
        void Fail(string f, string message)
        {
            ok = false;
            error(field + "." + f, message);
        }

        if (tool.Name is null || !ToolName().IsMatch(tool.Name))
        {
            Fail("name", "must be 1 to 64 characters of A-Z a-z 0-9 _ -, starting with a letter");
        }

        if (!DisplayText.TryClean(tool.Description, 1000, out _))
        {
            Fail("description", "must be 1 to 1000 characters of text (it tells the model when to use the tool)");
        }

        var schema = ParameterSchema(tool.Parameters, Fail, requireLinearPatterns);
        var request = tool.Request;
        if (request is null)
        {
            Fail("request", "is required: {method, url, headers, body}");
            return null;
        }

        var method = request.Method?.ToUpperInvariant();
        if (method is null || !Methods.Contains(method, StringComparer.Ordinal))
        {
            Fail("request.method", "must be one of " + string.Join(", ", Methods));
        }

        var (baseUri, pathPrefix, url) = UrlTemplate(request.Url, Fail);
        var headers = HeaderTemplates(request.Headers, Fail);
        var body = BodyTemplate(request.Body, method, Fail);
        var arguments = ArgumentNames(tool.Parameters);
        foreach (var placeholder in new[] { url }.Concat(headers.Values).Concat(CompiledTool.BodyTemplates(body)).OfType<ToolTemplate>().SelectMany(t => t.Placeholders))
        {
            if (placeholder.Source == PlaceholderSource.Argument && !arguments.Contains(placeholder.Name))
            {
                Fail("request", $"uses {{{{args.{placeholder.Name}}}}}, which is not a property of the parameters schema");
            }
        }

        return ok ? new CompiledTool(tool, schema!, baseUri!, pathPrefix!, url!, headers, body) : null;
    }

    private static JsonSchema? ParameterSchema(JsonElement? parameters, Action<string, string> fail, bool requireLinearPatterns)
    {
        if (parameters is not { ValueKind: JsonValueKind.Object } schema || !schema.TryGetProperty("type", out var type)
            || type.ValueKind != JsonValueKind.String || type.GetString() != "object")
        {
            fail("parameters", "must be a JSON schema object with \"type\": \"object\"");
            return null;
        }

        if (schema.GetRawText().Length > MaxSchemaBytes)
        {
            fail("parameters", $"must be at most {MaxSchemaBytes} bytes");
            return null;
        }

        if (ReferencesOutside(schema))
        {
            fail("parameters", "may not use $id, or $ref outside the schema itself ('#...')");
            return null;
        }

        JsonSchema built;
        try
        {
            // A registry of its own: a schema's $anchors never meet another org's.
            built = JsonSchema.Build(schema, new BuildOptions { SchemaRegistry = new SchemaRegistry() });
        }
        catch (Exception e) when (e is JsonSchemaException or JsonException or ArgumentException or InvalidOperationException or RefResolutionException)
        {
            fail("parameters", "is not a valid JSON schema");
            return null;
        }

        if (SchemaPatterns.MakeLinear(built) is [var backtracking, ..] && requireLinearPatterns)
        {
            fail("parameters", $"has the pattern '{Truncate(backtracking)}', which needs backtracking (a backreference, lookaround or atomic group) "
                + "and could take exponential time on what the model sends: rewrite it without");
            return null;
        }

        return built;
    }

    private static bool ReferencesOutside(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().Any(p =>
            p.Name is "$id" or "$dynamicRef" or "$recursiveRef"
            || (p.Name == "$ref" && (p.Value.ValueKind != JsonValueKind.String || !p.Value.GetString()!.StartsWith('#')))
            || ReferencesOutside(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().Any(ReferencesOutside),
        _ => false,
    };

    private static HashSet<string> ArgumentNames(JsonElement? parameters) =>
        parameters is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty("properties", out var props) && props.ValueKind == JsonValueKind.Object
            ? props.EnumerateObject().Select(x => x.Name).ToHashSet(StringComparer.Ordinal)
            : [];

    private (Uri? BaseUri, string? PathPrefix, ToolTemplate? Template) UrlTemplate(string? url, Action<string, string> fail)
    {
        if (string.IsNullOrEmpty(url) || url.Length > MaxTemplateLength)
        {
            fail("request.url", $"is required, at most {MaxTemplateLength} characters");
            return (null, null, null);
        }

        if (!ToolTemplate.TryParse(url, out var template, out var problem))
        {
            fail("request.url", problem);
            return (null, null, null);
        }

        if (template.UsesSecrets)
        {
            fail("request.url", "may not use {{secrets.*}}: URLs are logged by proxies and traces; put the secret in a header or the body");
        }

        var literal = template.Placeholders.Count == 0 ? url : url[..template.Placeholders[0].Start];
        var schemeEnd = literal.IndexOf("://", StringComparison.Ordinal);
        var pathStart = schemeEnd < 0 ? -1 : literal.IndexOf('/', schemeEnd + 3);
        if (pathStart < 0 && template.Placeholders.Count > 0)
        {
            fail("request.url", "may use placeholders only in the path and query: the scheme, host and port are fixed");
            return (null, null, null);
        }

        var authority = pathStart < 0 ? literal : literal[..pathStart];
        if (!Uri.TryCreate(authority, UriKind.Absolute, out var baseUri) || baseUri.UserInfo.Length > 0 || url.Contains('#', StringComparison.Ordinal)
            || !Uri.TryCreate(literal, UriKind.Absolute, out var fixedPart))
        {
            fail("request.url", "must be an absolute URL without user info or fragment");
            return (null, null, null);
        }

        if (!IsAllowedScheme(baseUri))
        {
            fail("request.url", allowLoopback ? "must be https (http only to localhost)" : "must be https");
            return (null, null, null);
        }

        return (baseUri, fixedPart.AbsolutePath, template);
    }

    internal bool IsAllowedScheme(Uri uri) =>
        uri.Scheme == Uri.UriSchemeHttps || (allowLoopback && uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback);

    private static Dictionary<string, ToolTemplate> HeaderTemplates(Dictionary<string, string>? headers, Action<string, string> fail)
    {
        var templates = new Dictionary<string, ToolTemplate>(StringComparer.OrdinalIgnoreCase);
        if (headers is null)
        {
            return templates;
        }

        if (headers.Count > MaxHeaders)
        {
            fail("request.headers", $"at most {MaxHeaders} headers");
            return templates;
        }

        foreach (var (name, value) in headers)
        {
            var field = $"request.headers.{name}";
            if (!HeaderName().IsMatch(name) || ForbiddenHeaders.Contains(name))
            {
                fail("request.headers", $"'{Truncate(name)}' is not a header name a tool may set");
            }
            else if (value is null || value.Length > MaxTemplateLength || value.Any(char.IsControl))
            {
                fail(field, $"must be at most {MaxTemplateLength} characters without control characters");
            }
            else if (!ToolTemplate.TryParse(value, out var template, out var problem))
            {
                fail(field, problem);
            }
            else
            {
                templates[name] = template;
            }
        }

        return templates;
    }

    private static JsonNode? BodyTemplate(JsonElement? body, string? method, Action<string, string> fail)
    {
        if (body is null || body.Value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (method is "GET" or "DELETE" || body.Value.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array))
        {
            fail("request.body", "is a JSON object or array, for POST, PUT and PATCH only");
            return null;
        }

        if (body.Value.GetRawText().Length > MaxBodyBytes)
        {
            fail("request.body", $"must be at most {MaxBodyBytes} bytes");
            return null;
        }

        var node = JsonNode.Parse(body.Value.GetRawText());
        foreach (var text in Strings(node))
        {
            if (!ToolTemplate.TryParse(text, out _, out var problem))
            {
                fail("request.body", problem);
                return null;
            }
        }

        return node;
    }

    private static IEnumerable<string> Strings(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => Strings(p.Value)),
        JsonArray a => a.SelectMany(Strings),
        JsonValue v when v.TryGetValue<string>(out var s) => [s],
        _ => [],
    };

    private static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "…";

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex ToolName();

    // RFC 9110 token characters.
    [GeneratedRegex("^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex HeaderName();
}

/// <summary>Names of the tools a channel gives its agents itself (a call's hang-up and transfer): no tenant tool may take them.</summary>
public static class ChannelToolNames
{
    public const string EndCall = "end_call";
    public const string TransferToHuman = "transfer_to_human";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { EndCall, TransferToHuman };
}
