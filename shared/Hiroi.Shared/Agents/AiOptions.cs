using System.ComponentModel.DataAnnotations;

namespace Hiroi.Shared.Agents;

/// <summary>Where agents' models run.</summary>
public enum AiProvider
{
    /// <summary>The deterministic local model (<see cref="LocalChatClient"/>), for <c>./run</c> and tests.</summary>
    Local,

    /// <summary>Azure OpenAI (its v1 API) with the app's Entra identity.</summary>
    AzureOpenAI,
}

/// <summary>A model deployment agents may use, with its price per million tokens (USD), which is what metering charges.</summary>
public sealed class ModelPrice
{
    [Range(0, 10_000)]
    public decimal InputUsdPerMillionTokens { get; set; }

    [Range(0, 10_000)]
    public decimal OutputUsdPerMillionTokens { get; set; }

    /// <summary>A realtime model's audio in (the caller's voice); 0 charges it as text input.</summary>
    [Range(0, 10_000)]
    public decimal AudioInputUsdPerMillionTokens { get; set; }

    /// <summary>A realtime model's audio out (the agent's voice); 0 charges it as text output.</summary>
    [Range(0, 10_000)]
    public decimal AudioOutputUsdPerMillionTokens { get; set; }

    /// <summary>Input the model had cached from earlier in the conversation; 0 charges it as text input.</summary>
    [Range(0, 10_000)]
    public decimal CachedInputUsdPerMillionTokens { get; set; }
}

/// <summary>Section <c>Hiroi:Ai</c>.</summary>
public sealed class AiOptions
{
    public const string Section = "Hiroi:Ai";

    public AiProvider Provider { get; set; } = AiProvider.Local;

    /// <summary>The Azure OpenAI resource, e.g. <c>https://contoso.openai.azure.com/</c> (Provider AzureOpenAI).</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>The deployments agents may name, with their prices. An agent naming another is refused.</summary>
    public Dictionary<string, ModelPrice> Models { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The conversation's last messages a turn sends to the model.</summary>
    [Range(1, 200)]
    public int HistoryMessages { get; set; } = 20;

    /// <summary>Most output tokens a model call may produce (also what a turn reserves against the caps).</summary>
    [Range(16, 32_000)]
    public int MaxOutputTokens { get; set; } = 512;

    /// <summary>Model round trips a turn may spend on tool calls before it must answer.</summary>
    [Range(1, 10)]
    public int MaxToolRounds { get; set; } = 4;

    [Range(1, 60)]
    public int ToolTimeoutSeconds { get; set; } = 10;

    /// <summary>A tool answer longer than this is refused (the model is told so), never passed on cut.</summary>
    [Range(256, 1_048_576)]
    public int MaxToolResponseBytes { get; set; } = 16_384;

    /// <summary>Lets tools call http://localhost (and only loopback addresses): for <c>./run</c> and tests, never in a deployment.</summary>
    public bool AllowLoopbackTools { get; set; }

    /// <summary>Default daily caps of an org (UTC day); an admin may set the org's own within <see cref="MaxOrgDailyTokenCap"/>.</summary>
    [Range(0, long.MaxValue)]
    public long DefaultOrgDailyTokenCap { get; set; } = 1_000_000;

    [Range(0, 1_000_000)]
    public decimal DefaultOrgDailyCostCapUsd { get; set; } = 20;

    [Range(0, long.MaxValue)]
    public long MaxOrgDailyTokenCap { get; set; } = 100_000_000;

    [Range(0, 1_000_000)]
    public decimal MaxOrgDailyCostCapUsd { get; set; } = 5_000;

    /// <summary>What the customer gets when a turn is refused by a cap; empty sends nothing.</summary>
    [MaxLength(320)]
    public string CapFallbackText { get; set; } = string.Empty;
}
