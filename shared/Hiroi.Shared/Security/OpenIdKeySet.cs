using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Hiroi.Shared.Security;

/// <summary>
/// An issuer's OpenID configuration and signing keys, kept fresh. Unlike the library's <c>ConfigurationManager</c>, which
/// refreshes in the background once it holds a configuration, a refresh asked for because a token names an unknown key
/// completes before <see cref="GetConfigurationAsync"/> returns, so the first token signed after a key rotation is
/// accepted instead of refused. Asked-for refreshes happen at most once per <see cref="MinimumRefreshInterval"/>, so
/// tokens with made-up key ids cannot make us fetch more often than that; scheduled ones every
/// <see cref="AutomaticRefreshInterval"/>. A failed refresh keeps the keys already held.
/// </summary>
public sealed class OpenIdKeySet(
    string address, IConfigurationRetriever<OpenIdConnectConfiguration> retriever, IDocumentRetriever documents, TimeProvider time)
    : IConfigurationManager<OpenIdConnectConfiguration>, IDisposable
{
    private readonly SemaphoreSlim _fetch = new(1, 1);
    private volatile OpenIdConnectConfiguration? _current;
    // UTC ticks, read outside the lock: a long is read and written whole.
    private long _nextScheduled;
    private long _nextAskedFor;
    private volatile bool _refreshAsked;

    public TimeSpan AutomaticRefreshInterval { get; init; } = TimeSpan.FromHours(12);

    public TimeSpan MinimumRefreshInterval { get; init; } = TimeSpan.FromSeconds(30);

    public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(CancellationToken cancel)
    {
        if (_current is { } held && !IsDue())
        {
            return held;
        }

        await _fetch.WaitAsync(cancel).ConfigureAwait(false);
        try
        {
            if (_current is { } fetchedMeanwhile && !IsDue())
            {
                return fetchedMeanwhile;
            }

            var now = time.GetUtcNow();
            _refreshAsked = false;
            Interlocked.Exchange(ref _nextAskedFor, (now + MinimumRefreshInterval).UtcTicks);
            try
            {
                var fresh = await retriever.GetConfigurationAsync(address, documents, cancel).ConfigureAwait(false);
                Interlocked.Exchange(ref _nextScheduled, (now + AutomaticRefreshInterval).UtcTicks);
                _current = fresh;
                return fresh;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                if (_current is { } kept)
                {
                    Interlocked.Exchange(ref _nextScheduled, (now + MinimumRefreshInterval).UtcTicks);
                    return kept;
                }

                throw new InvalidOperationException("The issuer's signing keys could not be obtained.", e);
            }
        }
        finally
        {
            _fetch.Release();
        }
    }

    /// <summary>Asks for a refresh on the next <see cref="GetConfigurationAsync"/>, if the last one is old enough.</summary>
    public void RequestRefresh() => _refreshAsked = true;

    public void Dispose() => _fetch.Dispose();

    private bool IsDue()
    {
        var now = time.GetUtcNow().UtcTicks;
        return now >= Interlocked.Read(ref _nextScheduled) || (_refreshAsked && now >= Interlocked.Read(ref _nextAskedFor));
    }
}
