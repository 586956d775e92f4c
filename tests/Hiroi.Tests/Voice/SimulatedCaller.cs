using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Voice;

/// <summary>A person on a simulated call: what they hear, and what they say, key, or leave unsaid (the simulator's caller API).</summary>
public sealed class SimulatedCaller(HttpClient client, string call)
{
    public string Call { get; } = call;

    /// <summary>Dials <paramref name="to"/> from <paramref name="from"/>; prompts take <paramref name="speakingMs"/> per character to hear.</summary>
    public static async Task<SimulatedCaller> DialAsync(HttpClient client, string from, string to, int speakingMs = 0)
    {
        ArgumentNullException.ThrowIfNull(client);
        var response = await client.PostAsJsonAsync("/simulate/incoming-call", new { from, to, speakingMillisecondsPerCharacter = speakingMs });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var call = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("call").GetString()!;
        return new SimulatedCaller(client, call);
    }

    /// <summary>The outbound call the platform placed to <paramref name="to"/>, once the simulator has it.</summary>
    public static async Task<SimulatedCaller> AnsweringAsync(HttpClient client, string to)
    {
        ArgumentNullException.ThrowIfNull(client);
        var call = await Waits.UntilAsync(async () =>
        {
            var calls = JsonDocument.Parse(await client.GetStringAsync("/simulate/calls?to=" + Uri.EscapeDataString(to))).RootElement;
            return calls.GetArrayLength() > 0 ? calls[0].GetProperty("call").GetString() : null;
        }, "the call to " + to);
        return new SimulatedCaller(client, call);
    }

    public async Task<JsonElement> ViewAsync() => JsonDocument.Parse(await client.GetStringAsync("/simulate/calls/" + Call)).RootElement.Clone();

    /// <summary>The lines heard so far, in order, as "text" (cut lines end with "~").</summary>
    public async Task<List<string>> HeardAsync() => Heard(await ViewAsync());

    private static List<string> Heard(JsonElement view) =>
        [.. view.GetProperty("heard").EnumerateArray().Select(l => l.GetProperty("text").GetString() + (l.GetProperty("cut").GetBoolean() ? "~" : string.Empty))];

    /// <summary>Waits until the agent listens, having said <paramref name="lines"/> lines in all; returns them.</summary>
    public async Task<List<string>> ListeningAfterAsync(int lines) =>
        await Waits.UntilAsync(async () =>
        {
            // The simulator answers once the agent listens (or after a while): a long poll, not a busy one.
            var view = JsonDocument.Parse(await client.GetStringAsync($"/simulate/calls/{Call}?listeningAfter={lines}")).RootElement;
            var heard = Heard(view);
            return view.GetProperty("listening").GetBoolean() && heard.Count >= lines ? heard : null;
        }, $"the agent to listen after {lines} lines");

    public async Task<List<string>> EndedAsync() =>
        await Waits.UntilAsync(async () => (await ViewAsync()).GetProperty("state").GetString() is "ended" or "hung-up" or "transferred" ? await HeardAsync() : null,
            "the call to end");

    public Task SayAsync(string text, double confidence = 0.9) => PostAsync("say", new { text, confidence });

    public Task PressAsync(string tones) => PostAsync("press", new { tones });

    public Task SilenceAsync() => PostAsync("silence", new { });

    public Task HangUpAsync() => PostAsync("hangup", new { });

    private async Task PostAsync(string action, object body)
    {
        var response = await client.PostAsJsonAsync($"/simulate/calls/{Call}/{action}", body);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{action}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
