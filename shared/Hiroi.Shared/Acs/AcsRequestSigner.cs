using System.Net.Http.Headers;
using Azure.Core;
using Hiroi.Shared.Configuration;
using Hiroi.Shared.Secrets;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.Acs;

/// <summary>
/// Authenticates every request the ACS client sends, each attempt anew (a retry is signed again with a fresh date):
/// HMAC-SHA256 with the access key from the secret store, or an Entra ID bearer token when <see cref="AcsOptions.UseEntraId"/>.
/// Credentials only go to the ACS resource itself and to the hosts ACS serves recordings from (never to an arbitrary URI a
/// caller or an event supplied); a request for a recording's location is signed with the resource's host, as ACS expects.
/// </summary>
public sealed class AcsRequestSigner(
    ISecretStore secrets, IOptions<AcsOptions> options, TimeProvider time, AcsBearerTokenSource tokens) : DelegatingHandler
{
    /// <summary>Hosts ACS serves recording content from (and deletes it at), besides the resource itself.</summary>
    private static readonly string[] RecordingHostSuffixes = [".asm.skype.com", ".asyncgw.teams.microsoft.com", ".ams.gov.teams.microsoft.us"];

    /// <summary>True when credentials may be sent to <paramref name="target"/>: the ACS resource, or an https ACS recording host.</summary>
    public static bool IsTrustedTarget(Uri target, Uri endpoint)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(endpoint);
        if (!target.IsAbsoluteUri)
        {
            return false;
        }

        if (IsEndpoint(target, endpoint))
        {
            return true;
        }

        return target.Scheme == Uri.UriSchemeHttps
            && RecordingHostSuffixes.Any(suffix => target.Host.EndsWith(suffix, StringComparison.OrdinalIgnoreCase));
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var settings = options.Value;
        var endpoint = settings.EndpointUri ?? throw new SettingException(AcsOptions.Section + ":Endpoint", "is not set");
        var target = request.RequestUri;
        if (target is null || !IsTrustedTarget(target, endpoint))
        {
            throw new InvalidOperationException(
                $"Refusing to send ACS credentials to {target?.GetLeftPart(UriPartial.Authority) ?? "a relative URI"}: only the ACS resource and its recording hosts are trusted.");
        }

        var foreignHost = !IsEndpoint(target, endpoint);
        if (foreignHost)
        {
            // ACS checks the signature against its own resource host, named in x-ms-host.
            request.Headers.Remove(AcsHmac.HostHeader);
            request.Headers.TryAddWithoutValidation(AcsHmac.HostHeader, endpoint.Authority);
        }

        if (settings.UseEntraId)
        {
            if (target.Scheme != Uri.UriSchemeHttps)
            {
                throw new InvalidOperationException("Bearer tokens are only sent over https.");
            }

            var token = await tokens.GetTokenAsync(cancellationToken).ConfigureAwait(false);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        else
        {
            var key = await secrets.GetRequiredAsync(AcsOptions.AccessKeySecretName, cancellationToken).ConfigureAwait(false);
            var body = await BufferBodyAsync(request, cancellationToken).ConfigureAwait(false);
            if (foreignHost)
            {
                // As the SDKs do: the location's path, on the resource's host.
                AcsHmac.Sign(request, body, key, time.GetUtcNow(), endpoint.Authority, target.AbsolutePath);
            }
            else
            {
                AcsHmac.Sign(request, body, key, time.GetUtcNow());
            }
        }

        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private static bool IsEndpoint(Uri target, Uri endpoint) =>
        string.Equals(target.Scheme, endpoint.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(target.Authority, endpoint.Authority, StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads the body once (to hash it) and puts it back as bytes, so what is sent is exactly what was signed.</summary>
    private static async Task<byte[]> BufferBodyAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Content is null)
        {
            return [];
        }

        var original = request.Content;
        var body = await original.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var buffered = new ByteArrayContent(body);
        foreach (var header in original.Headers)
        {
            buffered.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        request.Content = buffered;
        original.Dispose();
        return body;
    }
}

/// <summary>
/// Entra ID access tokens for the ACS data plane (scope <see cref="AcsOptions.EntraScope"/>), cached until five minutes
/// before they expire. The credential (by default <c>DefaultAzureCredential</c>) is only created when first needed.
/// </summary>
public sealed class AcsBearerTokenSource : IDisposable
{
    private static readonly TimeSpan RefreshMargin = TimeSpan.FromMinutes(5);

    private readonly Lazy<TokenCredential> _credential;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private CachedToken? _current;

    public AcsBearerTokenSource(TokenCredential credential, TimeProvider time)
        : this(new Lazy<TokenCredential>(() => credential), time)
    {
        ArgumentNullException.ThrowIfNull(credential);
    }

    public AcsBearerTokenSource(Lazy<TokenCredential> credential, TimeProvider time)
    {
        _credential = credential ?? throw new ArgumentNullException(nameof(credential));
        _time = time ?? throw new ArgumentNullException(nameof(time));
    }

    public async Task<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        if (Fresh(Volatile.Read(ref _current)) is { } cached)
        {
            return cached;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Fresh(_current) is { } again)
            {
                return again;
            }

            var token = await _credential.Value
                .GetTokenAsync(new TokenRequestContext([AcsOptions.EntraScope]), cancellationToken)
                .ConfigureAwait(false);
            Volatile.Write(ref _current, new CachedToken(token.Token, token.ExpiresOn));
            return token.Token;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    private string? Fresh(CachedToken? token) =>
        token is not null && _time.GetUtcNow() < token.ExpiresOn - RefreshMargin ? token.Token : null;

    // A class, not a record: a record's ToString would print the token.
    private sealed class CachedToken(string token, DateTimeOffset expiresOn)
    {
        public string Token { get; } = token;

        public DateTimeOffset ExpiresOn { get; } = expiresOn;
    }
}
