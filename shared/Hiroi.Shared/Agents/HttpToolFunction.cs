using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hiroi.Shared.Audit;
using Hiroi.Shared.Tenancy;
using Json.Schema;
using Microsoft.Extensions.AI;

namespace Hiroi.Shared.Agents;

/// <summary>Reads an org's secret for a tool call at the moment it is made; null when the org has no such secret.</summary>
public interface IToolSecrets
{
    Task<string?> RevealAsync(Caller caller, string name, string usedBy, CancellationToken cancellationToken);
}

/// <summary>Who a tool call is made for: the org (whose secrets it may read), and the agent, for the audit trail.</summary>
public sealed record ToolCallContext(Caller Caller, string AgentId);

/// <summary>
/// One agent tool as the model sees it (name, description, parameter schema) and as the server runs it: the model's
/// arguments are checked against the schema, the org's secrets are read and filled in, the call is made through
/// <see cref="ToolHttp"/>, and the answer goes back to the model with every secret value blanked out, in any form a
/// server may echo it (<see cref="SecretRedaction"/>). Failures are
/// answered to the model as a plain reason (and audited), so it can tell the customer; they never carry a secret.
/// </summary>
public sealed class HttpToolFunction(
    CompiledTool tool, ToolCallContext context, IToolSecrets secrets, HttpClient http, AiOptions options, AuditTrail audit) : AIFunction
{
    private static readonly EvaluationOptions ListErrors = new() { OutputFormat = OutputFormat.List };

    public override string Name => tool.Name;

    public override string Description => tool.Description;

    public override JsonElement JsonSchema => tool.Parameters;

    protected override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var args = JsonSerializer.SerializeToElement(arguments.ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal));
        EvaluationResults evaluation;
        try
        {
            evaluation = tool.Schema.Evaluate(args, ListErrors);
        }
        catch (System.Text.RegularExpressions.RegexMatchTimeoutException)
        {
            // Only a pattern stored before they had to run in linear time (see SchemaPatterns) can get here.
            return await FailAsync("the arguments took too long to check against the tool's schema", cancellationToken).ConfigureAwait(false);
        }

        if (!evaluation.IsValid)
        {
            var reasons = (evaluation.Details ?? []).Where(d => d.Errors is { Count: > 0 })
                .SelectMany(d => d.Errors!.Select(e => $"{(d.InstanceLocation.ToString() is { Length: > 0 } at ? at : "/")}: {e.Value}")).Take(3);
            return await FailAsync("the arguments do not match the tool's schema: " + string.Join("; ", reasons), cancellationToken).ConfigureAwait(false);
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in tool.SecretNames)
        {
            var value = await secrets.RevealAsync(context.Caller, name, $"agent:{context.AgentId} tool:{tool.Name}", cancellationToken).ConfigureAwait(false);
            if (value is null)
            {
                return await FailAsync($"the org has no secret named {name}", cancellationToken).ConfigureAwait(false);
            }

            values[name] = value;
        }

        HttpRequestMessage request;
        try
        {
            request = ToolRequestRenderer.Render(tool, args, values);
        }
        catch (ToolCallException e)
        {
            return await FailAsync(e.Message, cancellationToken).ConfigureAwait(false);
        }

        using (request)
        {
            return await SendAsync(request, values, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<string> SendAsync(HttpRequestMessage request, Dictionary<string, string> secretValues, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if ((int)response.StatusCode is >= 300 and < 400)
            {
                return await FailAsync($"the tool's server answered a redirect ({(int)response.StatusCode}), which tools do not follow", cancellationToken).ConfigureAwait(false);
            }

            var body = await ReadCappedAsync(response.Content, options.MaxToolResponseBytes, cancellationToken).ConfigureAwait(false);
            if (body is null)
            {
                return await FailAsync($"the tool's answer is over {options.MaxToolResponseBytes} bytes", cancellationToken).ConfigureAwait(false);
            }

            var answer = new JsonObject { ["status"] = (int)response.StatusCode, ["body"] = SecretRedaction.Redact(body, secretValues) };
            return answer.ToJsonString();
        }
        catch (Exception e) when (ToolAddressRefusedException.IsIn(e))
        {
            return await FailAsync("the tool's host resolves to an address tools may not call (private or reserved)", cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or TimeoutException or Polly.Timeout.TimeoutRejectedException
            or Polly.CircuitBreaker.BrokenCircuitException && !cancellationToken.IsCancellationRequested)
        {
            return await FailAsync("the tool's server could not be reached in time", cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<string?> ReadCappedAsync(HttpContent content, int maxBytes, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > maxBytes)
        {
            return null;
        }

        await using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new byte[maxBytes + 1];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken).ConfigureAwait(false)) > 0)
        {
            read += n;
        }

        return read > maxBytes ? null : Encoding.UTF8.GetString(buffer, 0, read);
    }

    private async Task<string> FailAsync(string reason, CancellationToken cancellationToken)
    {
        await audit.RecordAsync(context.Caller, AuditActions.AgentToolFailed, "agent:" + context.AgentId, $"tool={tool.Name} {reason}", cancellationToken).ConfigureAwait(false);
        return new JsonObject { ["error"] = "Tool call failed: " + reason }.ToJsonString();
    }
}

/// <summary>A tool call that cannot be made as asked; its message is safe to show the model.</summary>
public sealed class ToolCallException(string message) : Exception(message);

/// <summary>Fills a compiled tool's templates: arguments encoded for where they go, secrets in headers and body only.</summary>
public static class ToolRequestRenderer
{
    public static HttpRequestMessage Render(CompiledTool tool, JsonElement args, IReadOnlyDictionary<string, string> secrets)
    {
        ArgumentNullException.ThrowIfNull(tool);
        ArgumentNullException.ThrowIfNull(secrets);
        var queryAt = tool.Url.Text.IndexOf('?', StringComparison.Ordinal);
        var url = tool.Url.Render(p => UrlValue(p, ArgumentText(args, p.Name), inPath: queryAt < 0 || p.Start < queryAt));
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)
            || !string.Equals(uri.Scheme, tool.BaseUri.Scheme, StringComparison.Ordinal)
            || !string.Equals(uri.IdnHost, tool.BaseUri.IdnHost, StringComparison.OrdinalIgnoreCase) || uri.Port != tool.BaseUri.Port)
        {
            throw new ToolCallException("the arguments do not make a URL on the tool's own host");
        }

        // What the template fixes before its first placeholder stays: no argument reaches above it.
        if (!uri.AbsolutePath.StartsWith(tool.PathPrefix, StringComparison.Ordinal))
        {
            throw new ToolCallException("the arguments do not keep the URL under the tool's own path");
        }

        var request = new HttpRequestMessage(new HttpMethod(tool.Method), uri);
        foreach (var (name, template) in tool.Headers)
        {
            var value = template.Render(p => p.Source == PlaceholderSource.Secret ? secrets[p.Name] : ArgumentText(args, p.Name));
            if (value.Any(char.IsControl))
            {
                request.Dispose();
                throw new ToolCallException($"the value of header {name} would hold control characters");
            }

            request.Headers.TryAddWithoutValidation(name, value);
        }

        if (tool.Body is not null)
        {
            var body = Fill(tool.Body, args, secrets);
            request.Content = new StringContent(body?.ToJsonString() ?? "null", Encoding.UTF8, "application/json");
        }

        return request;
    }

    private static JsonNode? Fill(JsonNode? node, JsonElement args, IReadOnlyDictionary<string, string> secrets) => node switch
    {
        JsonObject o => new JsonObject(o.Select(p => KeyValuePair.Create(p.Key, Fill(p.Value, args, secrets)))),
        JsonArray a => new JsonArray(a.Select(v => Fill(v, args, secrets)).ToArray()),
        JsonValue v when v.TryGetValue<string>(out var text) && ToolTemplate.TryParse(text, out var template, out _) => FillString(template, args, secrets),
        _ => node?.DeepClone(),
    };

    private static JsonNode? FillString(ToolTemplate template, JsonElement args, IReadOnlyDictionary<string, string> secrets)
    {
        // "{{args.count}}" alone takes the argument's JSON value as it is; in longer text it is written as text.
        if (template.Whole is { Source: PlaceholderSource.Argument } whole)
        {
            return args.TryGetProperty(whole.Name, out var value) ? JsonNode.Parse(value.GetRawText()) : null;
        }

        return JsonValue.Create(template.Render(p => p.Source == PlaceholderSource.Secret ? secrets[p.Name] : ArgumentText(args, p.Name)));
    }

    private static string ArgumentText(JsonElement args, string name) =>
        !args.TryGetProperty(name, out var value) ? string.Empty : value.ValueKind switch
        {
            JsonValueKind.String => value.GetString()!,
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
            JsonValueKind.Null => string.Empty,
            _ => throw new ToolCallException($"argument {name} is an object or array, which cannot go in a URL or header"),
        };

    /// <summary>
    /// An argument as one path segment or query value: every reserved character encoded. In the path, an argument that
    /// is, or holds between slashes, a dot segment in any spelling (percent-encoded, twice, full-width) is refused: Uri
    /// decodes <c>%2E</c> and collapses the segment, and a server may decode further, so the call would climb the path.
    /// </summary>
    private static string UrlValue(Placeholder placeholder, string text, bool inPath)
    {
        if (inPath && DotSegments.Hides(text))
        {
            throw new ToolCallException($"argument {placeholder.Name} would be a '.' or '..' path segment");
        }

        return Uri.EscapeDataString(text);
    }
}
