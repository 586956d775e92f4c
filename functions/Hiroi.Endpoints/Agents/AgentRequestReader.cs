using System.Text.Json;
using Hiroi.Endpoints.Problems;
using Hiroi.Shared;
using Hiroi.Shared.Agents;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;
using Hiroi.Shared.Text;
using Microsoft.Extensions.Options;

namespace Hiroi.Endpoints.Agents;

/// <summary>Checks an agent definition against the platform's rules and the org's numbers and agents; every problem names its field.</summary>
public sealed class AgentRequestReader(IOptions<AiOptions> options, NumberRegistry numbers, AgentRepository agents)
{
    public const int MaxInstructions = 8000;
    public const int MaxNumbers = 50;

    public async Task<AgentEntity> ReadAsync(OrgId org, string? agentId, AgentRequest request, Validation validation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(validation);
        var ai = options.Value;
        validation.Require(DisplayText.TryClean(request.Name, 200, out var name), "name", "is required, at most 200 printable characters");
        validation.Require(request.Instructions is { Length: > 0 and <= MaxInstructions } && DisplayText.IsClean(LayoutAsSpaces(request.Instructions)),
            "instructions", $"is required, at most {MaxInstructions} characters of text");
        validation.Require(request.Model is not null && ai.Models.ContainsKey(request.Model), "model",
            "must be one of the platform's model deployments: " + string.Join(", ", ai.Models.Keys.Order(StringComparer.Ordinal)));
        validation.Require(request.DailyTokenCap is null or (>= 0 and <= 1_000_000_000), "dailyTokenCap", "must be 0 (only the org's cap) to 1000000000");
        var costCap = 0L;
        validation.Require(request.DailyCostCapUsd is null or (>= 0 and <= 1_000_000) && MicroUsd.TryFromUsd(request.DailyCostCapUsd ?? 0, out costCap),
            "dailyCostCapUsd", "must be 0 (only the org's cap) to 1000000");
        var tools = new ToolCompiler(ai.AllowLoopbackTools).Compile(request.Tools ?? [], (field, message) => validation.Add(field, message));
        var bound = await NumbersAsync(org, agentId, request.Numbers ?? [], validation, cancellationToken);
        var voice = request.Voice ?? AgentVoice.Default;
        foreach (var (field, message) in voice.Problems())
        {
            validation.Add(field, message);
        }

        validation.Require(voice.Greeting is null || DisplayText.IsClean(voice.Greeting), "voice.greeting", "must be printable text");
        string? transferTo = null;
        validation.Require(voice.TransferNumber is null || E164.TryNormalize(voice.TransferNumber, out transferTo), "voice.transferNumber", "must be a phone number in E.164 form");
        return new AgentEntity
        {
            Name = name,
            Instructions = request.Instructions ?? string.Empty,
            Model = request.Model ?? string.Empty,
            ToolsJson = JsonSerializer.Serialize(tools.Select(t => t.Definition).ToArray(), ToolDefinition.Json),
            Numbers = string.Join(',', bound),
            DailyTokenCap = request.DailyTokenCap ?? 0,
            DailyCostCapMicroUsd = costCap,
            VoiceJson = (voice with { TransferNumber = transferTo }).ToJson(),
        };
    }

    /// <summary>Instructions may span lines and use tabs; everything else in them must be printable text.</summary>
    private static string LayoutAsSpaces(string text) =>
        text.Replace("\n", " ", StringComparison.Ordinal).Replace("\r", " ", StringComparison.Ordinal).Replace("\t", " ", StringComparison.Ordinal);

    /// <summary>Each number must be the org's, and answered by one agent only.</summary>
    private async Task<List<string>> NumbersAsync(OrgId org, string? agentId, string[] requested, Validation validation, CancellationToken cancellationToken)
    {
        if (requested.Length > MaxNumbers)
        {
            validation.Add("numbers", $"at most {MaxNumbers} numbers");
            return [];
        }

        var bound = new List<string>();
        foreach (var raw in requested)
        {
            if (!E164.TryNormalize(raw, out var number))
            {
                validation.Add("numbers", "must be phone numbers in E.164 form");
            }
            else if (await numbers.OwnerAsync(number, cancellationToken) != org)
            {
                validation.Add("numbers", $"{number} is not a number registered to this org");
            }
            else if (await agents.ForNumberAsync(org, number, cancellationToken) is { } other && other.RowKey != agentId)
            {
                validation.Add("numbers", $"{number} is already answered by agent {other.RowKey}");
            }
            else if (!bound.Contains(number))
            {
                bound.Add(number);
            }
        }

        return bound;
    }
}
