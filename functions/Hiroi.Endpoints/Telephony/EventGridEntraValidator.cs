using Hiroi.Shared.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Hiroi.Endpoints.Telephony;

/// <summary>Section <c>Hiroi:EventGrid:Entra</c>: Event Grid delivering with Microsoft Entra ID authentication.</summary>
public sealed class EventGridEntraOptions
{
    public const string Section = "Hiroi:EventGrid:Entra";

    /// <summary>The Entra tenant that issues Event Grid's tokens; empty turns Entra authentication off.</summary>
    public string? TenantId { get; set; }

    /// <summary>The application id (or id URI) the event subscription names as the token's audience.</summary>
    public string? Audience { get; set; }

    /// <summary>
    /// Apps whose tokens are accepted (<c>azp</c>/<c>appid</c>): by default Event Grid's own first-party app. Any app in the
    /// tenant can get a token for our audience, so the audience alone is not enough.
    /// </summary>
    public string[] ClientIds { get; set; } = [EventGridAppId];

    /// <summary>An app role that also admits a token (the one the README has you assign to Event Grid's service principal).</summary>
    public string? Role { get; set; } = "AzureEventGridSecureWebhookSubscriber";

    /// <summary>Microsoft.EventGrid's first-party application id, the same in every tenant.</summary>
    public const string EventGridAppId = "4962773b-9cdb-44cf-a8bf-237846a00ab7";

    [System.ComponentModel.DataAnnotations.Range(0, 600)]
    public int ClockSkewSeconds { get; set; } = 120;

    public bool IsConfigured => !string.IsNullOrWhiteSpace(TenantId) && !string.IsNullOrWhiteSpace(Audience);
}

/// <summary>
/// Checks an Event Grid delivery's Entra ID bearer token (issuer = the tenant, v1 or v2 form; audience = our app; from
/// Event Grid's app or with the configured role; keys from the tenant's OpenID metadata), when
/// <see cref="EventGridEntraOptions"/> is configured.
/// </summary>
public sealed class EventGridEntraValidator(
    IOptions<EventGridEntraOptions> options,
    [FromKeyedServices(EventGridEntraValidator.ConfigurationServiceKey)] IConfigurationManager<OpenIdConnectConfiguration> configuration,
    TimeProvider time, ILogger<EventGridEntraValidator> logger)
{
    public const string ConfigurationServiceKey = EventGridEntraOptions.Section;
    private readonly OpenIdBearerValidator _bearer = new(configuration, time, logger, "Event Grid delivery");

    public bool IsConfigured => options.Value.IsConfigured;

    public Task<bool> ValidateAsync(string? authorizationHeader, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var issuers = new[] { $"https://login.microsoftonline.com/{o.TenantId}/v2.0", $"https://sts.windows.net/{o.TenantId}/" };
        var requirements = new BearerRequirements(issuers, o.Audience!, TimeSpan.FromSeconds(o.ClockSkewSeconds))
        {
            ClientIds = o.ClientIds.Where(id => !string.IsNullOrWhiteSpace(id)).ToArray(),
            Roles = string.IsNullOrWhiteSpace(o.Role) ? [] : [o.Role],
        };
        return _bearer.ValidateAsync(authorizationHeader, requirements, cancellationToken);
    }

    /// <summary>The tenant's OpenID metadata, fetched lazily (only when a bearer token arrives) and cached.</summary>
    public static IConfigurationManager<OpenIdConnectConfiguration> MetadataFor(IOptions<EventGridEntraOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        var tenant = Uri.EscapeDataString(options.Value.TenantId ?? "common");
        return new OpenIdKeySet(
            $"https://login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration", new OpenIdConnectConfigurationRetriever(), new HttpDocumentRetriever(), time);
    }
}
