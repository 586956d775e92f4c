using System.Security.Cryptography;
using System.Text;
using Hiroi.Shared.Secrets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Hiroi.Endpoints.Telephony;

/// <summary>
/// Authenticates an Event Grid delivery before anything reads it: an Entra ID bearer token when that is configured, or the
/// shared secret from the query (<c>code</c>) or the <c>x-hiroi-webhook-secret</c> header, compared in constant time with
/// the current and the previous secret (both valid during rotation). With neither configured every delivery is refused.
/// </summary>
public sealed class WebhookAuthenticator(ISecretStore secrets, EventGridEntraValidator entra, ILogger<WebhookAuthenticator> logger)
{
    public const string SecretName = "EventGrid:WebhookSecret";
    public const string PreviousSecretName = "EventGrid:WebhookSecretPrevious";
    public const string HeaderName = "x-hiroi-webhook-secret";

    public async Task<bool> IsAuthenticAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (entra.IsConfigured && !string.IsNullOrEmpty(request.Headers.Authorization)
            && await entra.ValidateAsync(request.Headers.Authorization, cancellationToken).ConfigureAwait(false))
        {
            return true;
        }

        string? presented = request.Headers[HeaderName];
        if (string.IsNullOrEmpty(presented))
        {
            presented = request.Query["code"];
        }

        var current = await secrets.GetAsync(SecretName, cancellationToken).ConfigureAwait(false);
        var previous = await secrets.GetAsync(PreviousSecretName, cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrEmpty(current) && string.IsNullOrEmpty(previous))
        {
            if (!entra.IsConfigured)
            {
                logger.LogError("Neither an Event Grid webhook secret nor Entra ID is configured; refusing deliveries");
            }

            return false;
        }

        if (string.IsNullOrEmpty(presented))
        {
            return false;
        }

        // Both comparisons always run, on fixed-length digests, so timing says nothing about which or how much matched.
        var digest = Digest(presented);
        var matchesCurrent = CryptographicOperations.FixedTimeEquals(digest, Digest(current ?? string.Empty)) && !string.IsNullOrEmpty(current);
        var matchesPrevious = CryptographicOperations.FixedTimeEquals(digest, Digest(previous ?? string.Empty)) && !string.IsNullOrEmpty(previous);
        return matchesCurrent | matchesPrevious;
    }

    private static byte[] Digest(string value) => SHA256.HashData(Encoding.UTF8.GetBytes(value));
}
