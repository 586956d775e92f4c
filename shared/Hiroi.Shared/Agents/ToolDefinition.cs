using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hiroi.Shared.Agents;

/// <summary>
/// A tool as an admin defines it: the model sees its name, description and parameter schema; the server makes the HTTP
/// call its request templates describe, with the model's arguments (<c>{{args.NAME}}</c>) and the org's secrets
/// (<c>{{secrets.NAME}}</c>, headers and body only) filled in.
/// </summary>
public sealed record ToolDefinition(string? Name, string? Description, JsonElement? Parameters, ToolRequest? Request)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}

/// <summary>The HTTP call of a tool: method, URL template, header value templates and a JSON body whose strings are templates.</summary>
public sealed record ToolRequest(string? Method, string? Url, Dictionary<string, string>? Headers, JsonElement? Body);
