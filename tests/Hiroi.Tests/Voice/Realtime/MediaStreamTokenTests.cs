using Hiroi.Shared.Security;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;
using Hiroi.Shared.Voice;
using Hiroi.Shared.Voice.Realtime;
using Hiroi.Tests.Security;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Hiroi.Tests.Voice.Realtime;

/// <summary>The media socket's token: a call token of its own purpose, so neither a callback URI nor a media URL opens the other.</summary>
public class MediaStreamTokenTests
{
    private const string Org = "org_0123456789abcdef0123";
    private const string Call = "call_0123456789abcdef";

    private readonly InMemorySecretStore _secrets = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));

    public MediaStreamTokenTests() => _secrets[CallbackTokenService.SecretName] = TestKeys.Entry("k1", TestKeys.New());

    private CallbackTokenService Tokens => new(_secrets, _time);

    [Fact]
    public async Task A_token_opens_only_what_it_was_issued_for()
    {
        var media = await Tokens.IssueAsync(Org, Call, TimeSpan.FromMinutes(5), CallTokenPurpose.MediaStream, CancellationToken.None);
        var callback = await Tokens.IssueAsync(Org, Call, TimeSpan.FromMinutes(5), CancellationToken.None);

        Assert.StartsWith("m1.", media, StringComparison.Ordinal);
        Assert.Equal(Call, (await Tokens.ValidateAsync(media, CallTokenPurpose.MediaStream, CancellationToken.None))?.CallId);
        Assert.Null(await Tokens.ValidateAsync(media, CancellationToken.None));
        Assert.Null(await Tokens.ValidateAsync(media, CallTokenPurpose.Callback, CancellationToken.None));
        Assert.Null(await Tokens.ValidateAsync(callback, CallTokenPurpose.MediaStream, CancellationToken.None));
        Assert.Equal(Call, (await Tokens.ValidateAsync(callback, CancellationToken.None))?.CallId);
    }

    [Fact]
    public async Task Relabelling_a_token_to_the_other_purpose_breaks_its_mac()
    {
        var callback = await Tokens.IssueAsync(Org, Call, TimeSpan.FromMinutes(5), CancellationToken.None);
        var media = await Tokens.IssueAsync(Org, Call, TimeSpan.FromMinutes(5), CallTokenPurpose.MediaStream, CancellationToken.None);

        Assert.Null(await Tokens.ValidateAsync("m1." + callback[3..], CallTokenPurpose.MediaStream, CancellationToken.None));
        Assert.Null(await Tokens.ValidateAsync("v1." + media[3..], CancellationToken.None));
    }

    [Fact]
    public async Task A_media_token_expires_with_its_lifetime()
    {
        var media = await Tokens.IssueAsync(Org, Call, TimeSpan.FromMinutes(10), CallTokenPurpose.MediaStream, CancellationToken.None);

        _time.Advance(TimeSpan.FromMinutes(10));

        Assert.Null(await Tokens.ValidateAsync(media, CallTokenPurpose.MediaStream, CancellationToken.None));
    }

    [Theory]
    [InlineData("https://realtime.hiroi.example", "https://func.hiroi.example", "wss://realtime.hiroi.example/api/calls/media?token=m1.")]
    [InlineData(null, "http://localhost:7071/", "ws://localhost:7071/api/calls/media?token=m1.")]
    [InlineData("https://rt.example:8443/", "https://func.example", "wss://rt.example:8443/api/calls/media?token=m1.")]
    public async Task The_transport_url_is_the_realtime_hosts_socket_with_a_media_token(string? realtimeBase, string publicBase, string expected)
    {
        var uris = new MediaStreamUris(Tokens, Options.Create(new VoiceOptions { RealtimeBaseUrl = realtimeBase }),
            Options.Create(new CallOptions { PublicBaseUrl = publicBase }), Options.Create(new RealtimeVoiceOptions()));
        Assert.True(OrgId.TryParse(Org, out var org));

        var uri = await uris.ForAsync(org, Call, CancellationToken.None);

        Assert.StartsWith(expected, uri.AbsoluteUri, StringComparison.Ordinal);
        var token = Uri.UnescapeDataString(uri.Query["?token=".Length..]);
        Assert.Equal(Call, (await Tokens.ValidateAsync(token, CallTokenPurpose.MediaStream, CancellationToken.None))?.CallId);
    }
}
