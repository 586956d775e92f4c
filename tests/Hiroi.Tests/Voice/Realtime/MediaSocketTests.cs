using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using Hiroi.Shared.Security;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;
using Hiroi.Shared.Voice.Realtime;
using Hiroi.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Tests.Voice.Realtime;

/// <summary>Who may open a call's media socket: only ACS, with the media token it was handed for that realtime call, once.</summary>
public class MediaSocketRefusalTests(RealtimeVoiceApp app) : IClassFixture<RealtimeVoiceApp>
{
    private CallbackTokenService Tokens => app.Services.GetRequiredService<CallbackTokenService>();

    /// <summary>Tries to open the media socket with <paramref name="token"/>; the HTTP status the upgrade got (101 when it opened).</summary>
    private async Task<HttpStatusCode> ConnectAsync(string? token)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        var url = $"ws://127.0.0.1:{app.Port}/api/calls/media" + (token is null ? string.Empty : "?token=" + Uri.EscapeDataString(token));
        try
        {
            await socket.ConnectAsync(new Uri(url), CancellationToken.None);
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "test", CancellationToken.None);
        }
        catch (WebSocketException)
        {
            // Refused at the upgrade: the status says why.
        }

        return socket.HttpStatusCode;
    }

    private async Task<(OrgId Org, string CallId, RealtimeCaller Caller)> StreamingCallAsync()
    {
        const string greeting = "Hi.";
        var (org, owner, number, _) = await app.RealtimeAgentAsync(greeting);
        var caller = await RealtimeCaller.DialAsync(app.CreateClient(), Unique.PhoneNumber(), number);
        await caller.HeardAsync(greeting.Length * RealtimeVoiceApp.MsPerCharacter);
        return (org, (await RealtimeVoiceApp.CallOfAsync(owner)).GetProperty("id").GetString()!, caller);
    }

    [Fact]
    public async Task A_socket_without_a_token_with_a_forged_one_or_with_the_calls_callback_token_is_refused_before_the_upgrade()
    {
        var (org, callId, caller) = await StreamingCallAsync();
        var stats = app.Registry.Find(callId)!;
        var media = await Tokens.IssueAsync(org.Value, callId, TimeSpan.FromMinutes(5), CallTokenPurpose.MediaStream, CancellationToken.None);
        var forged = media[..^2] + (media[^2] == 'A' ? "BA" : "AA");
        var callback = await Tokens.IssueAsync(org.Value, callId, TimeSpan.FromMinutes(5), CancellationToken.None);
        var otherOrgs = await Tokens.IssueAsync(OrgId.New().Value, callId, TimeSpan.FromMinutes(5), CallTokenPurpose.MediaStream, CancellationToken.None);

        Assert.Equal(HttpStatusCode.Unauthorized, await ConnectAsync(null));
        Assert.Equal(HttpStatusCode.Unauthorized, await ConnectAsync("garbage"));
        Assert.Equal(HttpStatusCode.Unauthorized, await ConnectAsync(forged));
        Assert.Equal(HttpStatusCode.Unauthorized, await ConnectAsync(callback));
        // A valid token of another org names no call of that org.
        Assert.Equal(HttpStatusCode.NotFound, await ConnectAsync(otherOrgs));
        // The call's own token, while its socket is open: one socket per call.
        Assert.Equal(HttpStatusCode.Conflict, await ConnectAsync(media));

        // None of them reached the bridge: the open socket is the simulator's alone, and it read nothing it refused.
        Assert.Same(stats, app.Registry.Find(callId));
        Assert.Equal(0, stats.InvalidMessages);
        await caller.HangUpAsync();
    }

    [Fact]
    public async Task A_refusal_is_problem_details_and_a_plain_get_with_a_valid_token_is_told_to_upgrade()
    {
        var (org, callId, caller) = await StreamingCallAsync();
        var media = await Tokens.IssueAsync(org.Value, callId, TimeSpan.FromMinutes(5), CallTokenPurpose.MediaStream, CancellationToken.None);
        var client = app.CreateClient();

        var unauthorized = await client.GetAsync("/api/calls/media?token=" + Uri.EscapeDataString(media[..^1] + "x"));
        var plain = await client.GetAsync("/api/calls/media?token=" + Uri.EscapeDataString(media));

        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
        Assert.Equal("application/problem+json", unauthorized.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.BadRequest, plain.StatusCode);
        Assert.Equal("application/problem+json", plain.Content.Headers.ContentType?.MediaType);
        await caller.HangUpAsync();
    }

    [Fact]
    public async Task A_media_token_for_a_turn_based_call_opens_nothing()
    {
        var (org, owner, number, _) = await app.AgentOnANumberAsync(new { greeting = "Hi." });
        var caller = await SimulatedCaller.DialAsync(app.CreateClient(), Unique.PhoneNumber(), number);
        await caller.ListeningAfterAsync(1);
        var callId = (await RealtimeVoiceApp.CallOfAsync(owner)).GetProperty("id").GetString()!;

        var media = await Tokens.IssueAsync(org.Value, callId, TimeSpan.FromMinutes(5), CallTokenPurpose.MediaStream, CancellationToken.None);

        Assert.Equal(HttpStatusCode.NotFound, await ConnectAsync(media));
        Assert.False((await caller.ViewAsync()).TryGetProperty("media", out _));
        await caller.HangUpAsync();
    }
}

/// <summary>Small queues and a model that speaks its whole reply at once: what a broken socket or a stalled model can make the bridge hold.</summary>
public class RealtimeBoundsApp : RealtimeVoiceApp
{
    public const int OutboundFrames = 50;
    public const int InboundFrames = 10;

    /// <summary>Sessions opened while this is set get a model whose audio input never returns (a stalled model).</summary>
    public bool StallModel { get; set; }

    protected override IReadOnlyDictionary<string, string> Realtime => new Dictionary<string, string>
    {
        ["Hiroi:Voice:Realtime:OutboundQueueFrames"] = OutboundFrames.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Hiroi:Voice:Realtime:InboundQueueFrames"] = InboundFrames.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Hiroi:Voice:Realtime:LocalGenerationSpeed"] = "0",
        ["Hiroi:Voice:Realtime:LocalMillisecondsPerCharacter"] = "1000",
        ["Hiroi:Voice:Realtime:MaxOutputTokens"] = "8192",
    };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services =>
            services.AddSingleton<IRealtimeVoice>(sp => new StallingVoice(sp.GetRequiredService<LocalRealtimeVoice>(), this)));
    }

    /// <summary>The local model, except that for the listed calls it never finishes taking a frame (Azure OpenAI cannot be made slow here).</summary>
    private sealed class StallingVoice(LocalRealtimeVoice inner, RealtimeBoundsApp app) : IRealtimeVoice
    {
        public async Task<IRealtimeVoiceSession> OpenAsync(RealtimeSetup setup, CancellationToken cancellationToken)
        {
            var session = await inner.OpenAsync(setup, cancellationToken);
            return app.StallModel ? new Stalling(session) : session;
        }

        private sealed class Stalling(IRealtimeVoiceSession inner) : IRealtimeVoiceSession
        {
            // A model that never takes audio: the send completes only when cancelled.
            public async ValueTask SendAudioAsync(ReadOnlyMemory<byte> pcm, CancellationToken cancellationToken) =>
                await new TaskCompletionSource().Task.WaitAsync(cancellationToken);

            public Task SayAsync(string text, CancellationToken cancellationToken) => inner.SayAsync(text, cancellationToken);

            public Task RespondAsync(CancellationToken cancellationToken) => inner.RespondAsync(cancellationToken);

            public Task CancelResponseAsync(CancellationToken cancellationToken) => inner.CancelResponseAsync(cancellationToken);

            public Task TruncateAsync(string itemId, TimeSpan heard, CancellationToken cancellationToken) => inner.TruncateAsync(itemId, heard, cancellationToken);

            public Task AddToolResultAsync(string toolCallId, string output, CancellationToken cancellationToken) =>
                inner.AddToolResultAsync(toolCallId, output, cancellationToken);

            public Task AddCallerTextAsync(string text, CancellationToken cancellationToken) => inner.AddCallerTextAsync(text, cancellationToken);

            public IAsyncEnumerable<RealtimeEvent> EventsAsync(CancellationToken cancellationToken) => inner.EventsAsync(cancellationToken);

            public ValueTask DisposeAsync() => inner.DisposeAsync();
        }
    }
}

/// <summary>A socket nobody reads and a model that takes no audio cannot make a call hold more than its queues.</summary>
public class RealtimeBoundsTests(RealtimeBoundsApp app) : IClassFixture<RealtimeBoundsApp>
{
    [Fact]
    public async Task A_caller_end_that_never_reads_leaves_at_most_the_outbound_queue_waiting_and_the_rest_is_dropped_and_counted()
    {
        // 500 characters at 1000 ms each: the model's whole reply (its output cap, about 410 s, 20 480 frames, 27 MB as
        // messages) at once, far past what the socket's kernel buffers take before sends block.
        var greeting = new string('a', 500);
        var (org, owner, number, _) = await app.RealtimeAgentAsync(greeting);
        var caller = await RealtimeCaller.DialAsync(app.CreateClient(), Unique.PhoneNumber(), number, ignoresAgentAudio: true);
        var callId = await Waits.UntilAsync(async () => (await owner.GetFromJsonAsync<JsonElement>("/api/calls")) is { } calls && calls.GetArrayLength() == 1
            ? calls[0].GetProperty("id").GetString() : null, "the call");
        var stats = await Waits.UntilAsync(() => Task.FromResult(app.Registry.Find(callId)), "the call's media socket");
        const long produced = 8192 * 50 / 20; // MaxOutputTokens × 50 ms of audio, in 20 ms frames

        await Waits.UntilAsync(() => Task.FromResult(stats.AgentFrames >= produced), "the model's whole reply");

        Assert.Equal(produced, stats.AgentFrames);
        Assert.InRange(stats.MaxQueued, 1, RealtimeBoundsApp.OutboundFrames);
        Assert.True(stats.OutboundDropped > produced / 2, $"{stats.OutboundDropped} of {produced} dropped");
        // Every frame is accounted for: written, dropped, or waiting (one may be in the send that blocks).
        Assert.InRange(stats.FramesOut + stats.OutboundDropped + stats.Queued, produced - 1, produced);
        // The call is still the bridge's to end: the caller hangs up and the socket closes.
        await caller.HangUpAsync();
        await Waits.UntilAsync(() => Task.FromResult(app.Registry.Find(callId) is null), "the bridge to end the call");
        var row = await app.Services.GetRequiredService<CallRepository>().FindAsync(org, callId, CancellationToken.None);
        Assert.True(row!.MediaFramesDropped > 0);
    }

    [Fact]
    public async Task A_model_that_takes_no_audio_leaves_at_most_the_inbound_queue_waiting_and_the_oldest_frames_are_dropped()
    {
        const string greeting = "Hi.";
        var (org, owner, number, _) = await app.RealtimeAgentAsync(greeting);
        app.StallModel = true;
        try
        {
            var caller = await RealtimeCaller.DialAsync(app.CreateClient(), Unique.PhoneNumber(), number);
            var callId = await Waits.UntilAsync(async () => (await owner.GetFromJsonAsync<JsonElement>("/api/calls")) is { } calls && calls.GetArrayLength() == 1
                ? calls[0].GetProperty("id").GetString() : null, "the call");
            var stats = await Waits.UntilAsync(() => Task.FromResult(app.Registry.Find(callId)), "the call's media socket");
            await Waits.UntilAsync(() => Task.FromResult(stats.FramesIn >= 10 * RealtimeBoundsApp.InboundFrames), "frames to keep coming");
            await caller.HangUpAsync();
            await Waits.UntilAsync(() => Task.FromResult(app.Registry.Find(callId) is null), "the bridge to end the call");

            // The model took one frame and never returned; the queue held its ten; every other frame was dropped.
            Assert.InRange(stats.FramesIn - stats.InboundDropped, 1, RealtimeBoundsApp.InboundFrames + 1);
            Assert.True(stats.InboundDropped >= 8 * RealtimeBoundsApp.InboundFrames, $"{stats.InboundDropped} of {stats.FramesIn} dropped");
            var row = await app.Services.GetRequiredService<CallRepository>().FindAsync(org, callId, CancellationToken.None);
            Assert.Equal(stats.FramesIn, row!.MediaFramesIn);
        }
        finally
        {
            app.StallModel = false;
        }
    }
}
