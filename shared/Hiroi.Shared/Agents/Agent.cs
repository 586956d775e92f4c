using System.Text.Json;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.Agents;

/// <summary>
/// An AI agent of an org: PartitionKey = org id, RowKey = <c>agt_</c> + 16 hex. Its tools are stored as the JSON the
/// admin sent (validated by <see cref="ToolCompiler"/>), its numbers as a comma-separated list.
/// </summary>
public sealed class AgentEntity : TableRow
{
    public string Name { get; set; } = string.Empty;
    public string Instructions { get; set; } = string.Empty;

    /// <summary>A model deployment named in <c>Hiroi:Ai:Models</c>.</summary>
    public string Model { get; set; } = string.Empty;

    public string ToolsJson { get; set; } = "[]";

    /// <summary>The org's numbers whose inbound SMS and calls this agent answers, comma-separated E.164.</summary>
    public string Numbers { get; set; } = string.Empty;

    /// <summary>Daily caps of this agent (UTC day); 0 = only the org's caps apply.</summary>
    public long DailyTokenCap { get; set; }

    public long DailyCostCapMicroUsd { get; set; }

    /// <summary>The agent's voice settings (<see cref="AgentVoice"/>) as JSON; empty means the defaults.</summary>
    public string? VoiceJson { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    [System.Runtime.Serialization.IgnoreDataMember]
    public IReadOnlyList<string> NumberList => Numbers.Length == 0 ? [] : Numbers.Split(',');

    public AgentVoice Voice() => AgentVoice.FromJson(VoiceJson);

    public IReadOnlyList<ToolDefinition> Tools() => JsonSerializer.Deserialize<ToolDefinition[]>(ToolsJson, ToolDefinition.Json) ?? [];

    public const string Prefix = "agt_";

    public static string NewId() => Prefix + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
}

public sealed class AgentRepository(HiroiTables tables) : OrgScopedRepository<AgentEntity>(tables, TableNames.Agents, AgentEntity.Prefix)
{
    public const int MaxAgentsPerOrg = 50;

    /// <summary>The agent that answers <paramref name="number"/>, if one is bound to it (an org has a few dozen agents at most).</summary>
    public async Task<AgentEntity?> ForNumberAsync(OrgId org, string number, CancellationToken cancellationToken)
    {
        await foreach (var agent in ListAsync(org, cancellationToken).ConfigureAwait(false))
        {
            if (agent.NumberList.Contains(number, StringComparer.Ordinal))
            {
                return agent;
            }
        }

        return null;
    }
}
