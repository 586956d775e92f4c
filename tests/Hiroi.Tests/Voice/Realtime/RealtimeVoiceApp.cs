using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hiroi.Shared.Security;
using Hiroi.Shared.Voice.Realtime;
using Hiroi.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Hiroi.Tests.Voice.Realtime;

/// <summary>
/// The self-host with the ACS simulator and the local realtime model on a real Kestrel socket (loopback), so a
/// realtime call's media really streams over a WebSocket both ways, with TCP's own backpressure (the in-memory test
/// server buffers without bound). Everything else is <see cref="VoiceApp"/>'s.
/// </summary>
public class RealtimeVoiceApp : VoiceApp
{
    /// <summary>How long the local model's voice takes per character: a reply of n characters plays n × this.</summary>
    public const int MsPerCharacter = 20;

    public RealtimeVoiceApp()
    {
        UseKestrel(Port);
    }

    public int Port { get; } = TestStorage.FreePort();

    public string Url => $"http://127.0.0.1:{Port}";

    public LocalRealtimeVoice Model => Services.GetRequiredService<LocalRealtimeVoice>();

    public RealtimeCallRegistry Registry => Services.GetRequiredService<RealtimeCallRegistry>();

    protected virtual IReadOnlyDictionary<string, string> Realtime => new Dictionary<string, string>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        var configuration = $"{Url}/calling/.well-known/acsopenidconfiguration";
        builder.UseSetting("Hiroi:AcsSimulator:WebhookUrl", Url + "/api/eventgrid/acs");
        builder.UseSetting("Hiroi:Acs:Endpoint", Url);
        builder.UseSetting("Hiroi:Acs:CallbackAuth:OpenIdConfigurationUrl", configuration);
        builder.UseSetting("Hiroi:Calls:PublicBaseUrl", Url);
        builder.UseSetting("Hiroi:Voice:Realtime:LocalMillisecondsPerCharacter", MsPerCharacter.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // The model's voice streams in a little faster than it plays, as a real one does: a long reply is still coming when the caller cuts in.
        builder.UseSetting("Hiroi:Voice:Realtime:LocalGenerationSpeed", "1.5");
        // Audio priced apart from text, so a settled response shows it was read per kind of token.
        builder.UseSetting("Hiroi:Ai:Models:local:AudioInputUsdPerMillionTokens", "40");
        builder.UseSetting("Hiroi:Ai:Models:local:AudioOutputUsdPerMillionTokens", "80");
        foreach (var (key, value) in Realtime)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services =>
        {
            services.AddKeyedSingleton<IConfigurationManager<OpenIdConnectConfiguration>>(AcsCallbackJwtValidator.ConfigurationServiceKey,
                (_, _) => AcsCallbackJwtValidator.CreateConfigurationManager(configuration, new HttpClient()));
        });
    }

    /// <summary>Real sockets: every outgoing HTTP call (ACS client, simulator) goes over loopback to this Kestrel.</summary>
    protected override HttpMessageHandler OutgoingHandler() => new SocketsHttpHandler();

    /// <summary>An org with a number answered by a realtime agent (the local model) with these voice settings and tools.</summary>
    public Task<(Hiroi.Shared.Tenancy.OrgId Org, HttpClient Owner, string Number, string AgentId)> RealtimeAgentAsync(
        string greeting, object[]? tools = null, string? transferNumber = null) =>
        AgentOnANumberAsync(new { mode = "realtime", greeting, transferNumber }, tools);

    /// <summary>The org's one call, with its transcript.</summary>
    public static async Task<JsonElement> CallOfAsync(HttpClient owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        var id = await Waits.UntilAsync(async () =>
        {
            var calls = await owner.GetFromJsonAsync<JsonElement>("/api/calls");
            return calls.GetArrayLength() == 1 ? calls[0].GetProperty("id").GetString() : null;
        }, "the org's call");
        return await owner.GetFromJsonAsync<JsonElement>("/api/calls/" + id);
    }

    /// <summary>The agent's line of <paramref name="turn"/>, once written (a realtime reply is written when it has played out or was cut).</summary>
    public static async Task<JsonElement> AgentLineAsync(HttpClient owner, int turn) =>
        await Waits.UntilAsync(async () =>
        {
            var lines = (await CallOfAsync(owner)).GetProperty("transcript").EnumerateArray();
            return lines.Where(l => l.GetProperty("role").GetString() == "agent" && l.GetProperty("turn").GetInt32() == turn)
                    .Select(l => (JsonElement?)l).FirstOrDefault() is { } line
                ? (object)line
                : null;
        }, $"the agent's line of turn {turn}") is JsonElement found ? found : throw new InvalidOperationException();
}

/// <summary>The caller of a streamed call: what the simulator's end of the media socket sent, received and saw, in order.</summary>
public sealed class RealtimeCaller(HttpClient client, string call)
{
    public string Call { get; } = call;

    public static async Task<RealtimeCaller> DialAsync(HttpClient client, string from, string to, bool ignoresAgentAudio = false)
    {
        ArgumentNullException.ThrowIfNull(client);
        var response = await client.PostAsJsonAsync("/simulate/incoming-call", new { from, to, ignoresAgentAudio });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var call = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("call").GetString()!;
        return new RealtimeCaller(client, call);
    }

    public async Task<JsonElement> ViewAsync() => JsonDocument.Parse(await client.GetStringAsync("/simulate/calls/" + Call)).RootElement.Clone();

    /// <summary>The stream as the caller's end sees it (once the call is answered with streaming).</summary>
    public async Task<JsonElement> MediaAsync() =>
        await Waits.UntilAsync(async () => (await ViewAsync()).TryGetProperty("media", out var media) && media.ValueKind == JsonValueKind.Object ? (object)media : null,
            "the call's media stream") is JsonElement found ? found : throw new InvalidOperationException();

    public async Task<List<string>> EventsAsync() =>
        [.. (await MediaAsync()).GetProperty("events").EnumerateArray().Select(e => e.GetProperty("what").GetString()!)];

    /// <summary>Waits until the caller has heard at least <paramref name="ms"/> of the agent's audio.</summary>
    public Task HeardAsync(double ms) =>
        Waits.UntilAsync(async () => (await MediaAsync()).GetProperty("heardMs").GetDouble() >= ms, $"the caller to hear {ms} ms of the agent");

    public async Task SayAsync(string text, int ms)
    {
        await Waits.UntilAsync(async () => (await MediaAsync()).GetProperty("state").GetString() == "streaming", "the stream to be up");
        await PostAsync("say", new { text, ms });
    }

    public Task InterruptAsync(string text, int ms) => PostAsync("interrupt", new { text, ms });

    public Task PressAsync(string tones) => PostAsync("press", new { tones });

    public Task HangUpAsync() => PostAsync("hangup", new { });

    private async Task PostAsync(string action, object body)
    {
        var response = await client.PostAsJsonAsync($"/simulate/calls/{Call}/{action}", body);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{action}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
