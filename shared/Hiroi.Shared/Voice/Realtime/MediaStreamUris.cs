using Hiroi.Shared.Security;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.Voice.Realtime;

/// <summary>
/// Where ACS streams a realtime call's audio: <c>/api/calls/media</c> on the realtime host (<see cref="VoiceOptions.RealtimeBaseUrl"/>,
/// else this app's public URL), with a token bound to org, call, expiry and its purpose (a callback token does not open
/// the socket, nor the reverse). Both hosts answer a realtime agent's call this way; only the self-host serves the socket.
/// </summary>
public sealed class MediaStreamUris(CallbackTokenService tokens, IOptions<VoiceOptions> voice, IOptions<CallOptions> calls, IOptions<RealtimeVoiceOptions> options)
{
    public const string Route = "/api/calls/media";

    public async Task<Uri> ForAsync(OrgId org, string callId, CancellationToken cancellationToken)
    {
        var token = await tokens.IssueAsync(org.Value, callId, TimeSpan.FromMinutes(options.Value.MediaTokenMinutes), CallTokenPurpose.MediaStream, cancellationToken)
            .ConfigureAwait(false);
        var host = new UriBuilder((voice.Value.RealtimeBaseUrl is { Length: > 0 } realtime ? realtime : calls.Value.PublicBaseUrl).TrimEnd('/') + Route)
        {
            Query = "token=" + Uri.EscapeDataString(token),
        };
        host.Scheme = host.Scheme == Uri.UriSchemeHttps ? Uri.UriSchemeWss : Uri.UriSchemeWs;
        host.Port = host.Uri.IsDefaultPort ? -1 : host.Port;
        return host.Uri;
    }
}
