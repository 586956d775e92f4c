namespace Hiroi.Tests.Agents;

/// <summary>Agent and tool definitions as the console API takes them.</summary>
public static class AgentBodies
{
    public static object Agent(string name = "Concierge", object[]? tools = null, string[]? numbers = null, string model = "local", long? dailyTokenCap = null) =>
        new { name, instructions = "You are the front desk. Be brief.", model, tools = tools ?? [], numbers = numbers ?? [], dailyTokenCap };

    public static object Tool(
        string url, Dictionary<string, string>? headers = null, object? body = null, string method = "GET", string name = "lookup", object? parameters = null) =>
        new
        {
            name,
            description = "Looks up an order by its id",
            parameters = parameters
                ?? new { type = "object", properties = new { orderId = new { type = "string", pattern = "^[A-Za-z0-9./-]{1,40}$" } }, required = new[] { "orderId" } },
            request = new { method, url, headers, body },
        };
}
