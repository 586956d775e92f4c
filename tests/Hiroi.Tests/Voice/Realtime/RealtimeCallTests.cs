using System.Net.Http.Json;
using System.Text.Json;
using Hiroi.Tests.Agents;
using Hiroi.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Tests.Voice.Realtime;

/// <summary>
/// Realtime agents on calls, end to end over a real socket: the simulator answers with media streaming and streams the
/// call as ACS does, the self-host bridges it to the local realtime model. Tests wait for what happened and check its
/// order and content, never how long it took.
/// </summary>
public class RealtimeCallTests(RealtimeVoiceApp app) : IClassFixture<RealtimeVoiceApp>, IAsyncLifetime
{
    private readonly ToolEndpoint _tenant = new();

    public Task InitializeAsync() => _tenant.InitializeAsync();

    public Task DisposeAsync() => _tenant.DisposeAsync();

    [Fact]
    public async Task A_realtime_call_greets_answers_through_a_tool_with_a_secret_and_keeps_every_turn_in_the_transcript()
    {
        const string greeting = "Hello, Acme orders.";
        var (_, owner, number, _) = await app.RealtimeAgentAsync(greeting, [_tenant.OrderLookupTool()]);
        (await owner.PutAsJsonAsync("/api/secrets/SHOP", new { value = "shop-secret-value-1234" })).EnsureSuccessStatusCode();
        var caller = await RealtimeCaller.DialAsync(app.CreateClient(), Unique.PhoneNumber(), number);

        await caller.HeardAsync(greeting.Length * RealtimeVoiceApp.MsPerCharacter);
        await caller.SayAsync("#tool lookup {\"orderId\":\"A-17\"}", 400);
        var answer = await RealtimeVoiceApp.AgentLineAsync(owner, 1);
        await caller.SayAsync("Thanks, that's all.", 300);
        var thanks = await RealtimeVoiceApp.AgentLineAsync(owner, 2);
        await caller.HangUpAsync();

        Assert.StartsWith("lookup answered:", answer.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Contains("shipped", answer.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal(["lookup"], answer.GetProperty("tools").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("Bearer shop-secret-value-1234", Assert.Single(_tenant.Calls).Authorization);
        Assert.Equal("Thanks for your message. You said: Thanks, that's all.", thanks.GetProperty("text").GetString());
        var call = await Waits.UntilAsync(async () => await RealtimeVoiceApp.CallOfAsync(owner) is { } c && c.GetProperty("state").GetString() == "disconnected" ? (object)c : null,
            "the call to be over") is JsonElement ended ? ended : default;
        var lines = call.GetProperty("transcript").EnumerateArray()
            .Select(l => (l.GetProperty("turn").GetInt32(), l.GetProperty("role").GetString(), l.GetProperty("text").GetString())).ToList();
        Assert.Equal(
            [(0, "agent", greeting), (1, "caller", "#tool lookup {\"orderId\":\"A-17\"}"), (1, "agent", answer.GetProperty("text").GetString()),
                (2, "caller", "Thanks, that's all."), (2, "agent", thanks.GetProperty("text").GetString())],
            lines);
        Assert.DoesNotContain(lines, l => l.Item3!.Contains("shop-secret-value-1234", StringComparison.Ordinal));
        Assert.All(call.GetProperty("transcript").EnumerateArray(), l => Assert.True(l.GetProperty("spoken").GetBoolean()));
    }

    [Fact]
    public async Task A_caller_who_talks_over_the_agent_stops_its_audio_cancels_its_response_and_the_transcript_keeps_what_was_heard()
    {
        var greeting = string.Join(' ', Enumerable.Repeat("Welcome to Acme, where every order matters and every caller is heard.", 7));
        var (_, owner, number, _) = await app.RealtimeAgentAsync(greeting);
        var caller = await RealtimeCaller.DialAsync(app.CreateClient(), Unique.PhoneNumber(), number);
        await caller.HeardAsync(600);

        await caller.InterruptAsync("Are you open on Sunday?", 400);
        // The call's lines are stored in order: once the answer is there, so is the greeting's cut.
        var reply = await RealtimeVoiceApp.AgentLineAsync(owner, 1);
        var cut = await RealtimeVoiceApp.AgentLineAsync(owner, 0);

        // The caller's end: ACS was told to stop after the caller cut in, and the agent spoke again only to answer.
        var events = await caller.EventsAsync();
        var interrupted = events.IndexOf("interrupt");
        var stopped = events.IndexOf("stop-audio");
        Assert.True(interrupted >= 0 && stopped > interrupted, string.Join(", ", events));
        Assert.Contains("agent-audio", events.Skip(stopped + 1));
        // The simulated ACS timed that one barge-in (the load run reports those times).
        Assert.Single((await caller.MediaAsync()).GetProperty("bargeInsMs").EnumerateArray());
        // The model: its greeting response cancelled and its item cut where the caller cut in, before it answered.
        var journal = app.Model.JournalOf(await CallIdAsync(owner)).ToList();
        var cancel = journal.IndexOf("cancel");
        var truncate = journal.FindIndex(e => e.StartsWith("truncate ", StringComparison.Ordinal));
        Assert.True(cancel > 0 && truncate > cancel && journal.LastIndexOf("respond") > truncate, string.Join(", ", journal));
        var heardMs = int.Parse(journal[truncate].Split(' ')[2], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(heardMs, 1, (greeting.Length * RealtimeVoiceApp.MsPerCharacter) - 1);
        // The transcript: the greeting holds what the caller heard of it, marked cut there; then their question and its answer.
        var said = cut.GetProperty("text").GetString()!;
        Assert.True(said.Length > 0 && said.Length < greeting.Length && greeting.StartsWith(said, StringComparison.Ordinal), said);
        Assert.Equal(heardMs, cut.GetProperty("cutAfterMs").GetInt32());
        Assert.Contains("Are you open on Sunday?", reply.GetProperty("text").GetString(), StringComparison.Ordinal);
        await caller.HangUpAsync();
    }

    [Fact]
    public async Task Keys_are_the_callers_turn_and_a_keyed_card_number_reaches_neither_the_model_nor_the_transcript()
    {
        const string greeting = "Hi.";
        var (_, owner, number, _) = await app.RealtimeAgentAsync(greeting);
        var caller = await RealtimeCaller.DialAsync(app.CreateClient(), Unique.PhoneNumber(), number);
        await caller.HeardAsync(greeting.Length * RealtimeVoiceApp.MsPerCharacter);

        await caller.PressAsync("4111111111111111#");
        var reply = await RealtimeVoiceApp.AgentLineAsync(owner, 1);
        await caller.HangUpAsync();

        var lines = (await RealtimeVoiceApp.CallOfAsync(owner)).GetProperty("transcript").EnumerateArray().ToList();
        var keyed = Assert.Single(lines, l => l.GetProperty("role").GetString() == "caller");
        Assert.Equal("dtmf", keyed.GetProperty("via").GetString());
        Assert.Equal("[card number removed]#", keyed.GetProperty("text").GetString());
        Assert.DoesNotContain("4111", reply.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Empty(await StorageScan.FindAsync(TestStorage.ConnectionString, app.Prefix, "4111111111111111"));
    }

    [Fact]
    public async Task A_caller_who_asks_not_to_be_called_is_listed_hears_the_platforms_line_and_is_hung_up_on()
    {
        const string greeting = "Hi.";
        var (org, owner, number, _) = await app.RealtimeAgentAsync(greeting);
        var from = Unique.PhoneNumber();
        var caller = await RealtimeCaller.DialAsync(app.CreateClient(), from, number);
        await caller.HeardAsync(greeting.Length * RealtimeVoiceApp.MsPerCharacter);

        await caller.SayAsync("Please stop calling me.", 300);
        var view = await Waits.UntilAsync(async () => await caller.ViewAsync() is var v && v.GetProperty("state").GetString() == "ended" ? (object)v : null,
            "the call to be hung up") is JsonElement found ? found : default;

        Assert.Contains(view.GetProperty("heard").EnumerateArray(), l => l.GetProperty("text").GetString() == "We won't call you again.");
        Assert.True(await app.Services.GetRequiredService<Hiroi.Shared.Contacts.DoNotContactList>().IsListedAsync(org, from, default));
        var call = await RealtimeVoiceApp.CallOfAsync(owner);
        Assert.Equal("opted-out", call.GetProperty("voiceOutcome").GetString());
        Assert.DoesNotContain(call.GetProperty("transcript").EnumerateArray(), l => l.GetProperty("role").GetString() == "agent" && l.GetProperty("turn").GetInt32() == 1);
    }

    [Fact]
    public async Task The_end_call_tool_hangs_up_after_the_agent_has_said_its_reply()
    {
        const string greeting = "Hi.";
        var (_, owner, number, _) = await app.RealtimeAgentAsync(greeting);
        var caller = await RealtimeCaller.DialAsync(app.CreateClient(), Unique.PhoneNumber(), number);
        await caller.HeardAsync(greeting.Length * RealtimeVoiceApp.MsPerCharacter);

        await caller.SayAsync("#tool end_call {}", 300);
        var reply = await RealtimeVoiceApp.AgentLineAsync(owner, 1);
        await Waits.UntilAsync(async () => (await caller.ViewAsync()).GetProperty("state").GetString() == "ended", "the platform to hang up");

        Assert.StartsWith("end_call answered:", reply.GetProperty("text").GetString(), StringComparison.Ordinal);
        // The reply was heard to its end before the line went (no StopAudio, no cut).
        Assert.DoesNotContain("stop-audio", await caller.EventsAsync());
        Assert.False(reply.TryGetProperty("cutAfterMs", out var cutAt) && cutAt.ValueKind == JsonValueKind.Number);
        await Waits.UntilAsync(async () => (await RealtimeVoiceApp.CallOfAsync(owner)).TryGetProperty("voiceOutcome", out var outcome) && outcome.GetString() == "completed",
            "the call to be recorded as completed");
    }

    [Fact]
    public async Task The_transfer_tool_transfers_through_call_automation_after_the_reply()
    {
        const string greeting = "Hi.";
        var (_, _, number, _) = await app.RealtimeAgentAsync(greeting, transferNumber: "+15550004321");
        var caller = await RealtimeCaller.DialAsync(app.CreateClient(), Unique.PhoneNumber(), number);
        await caller.HeardAsync(greeting.Length * RealtimeVoiceApp.MsPerCharacter);

        await caller.SayAsync("#tool transfer_to_human {}", 300);
        var view = await Waits.UntilAsync(async () => await caller.ViewAsync() is var v && v.GetProperty("state").GetString() == "transferred" ? (object)v : null,
            "the transfer") is JsonElement found ? found : default;

        Assert.Equal("+15550004321", view.GetProperty("transferredTo").GetString());
    }

    [Fact]
    public async Task A_failed_transfer_plays_the_apology_and_the_conversation_goes_on_over_the_stream()
    {
        const string greeting = "Hi.";
        var (_, owner, number, _) = await app.RealtimeAgentAsync(greeting, transferNumber: VoiceApp.Unreachable);
        var caller = await RealtimeCaller.DialAsync(app.CreateClient(), Unique.PhoneNumber(), number);
        await caller.HeardAsync(greeting.Length * RealtimeVoiceApp.MsPerCharacter);

        await caller.SayAsync("#tool transfer_to_human {}", 300);
        await Waits.UntilAsync(async () => (await caller.ViewAsync()).GetProperty("heard").EnumerateArray()
            .Any(l => l.GetProperty("text").GetString() == "Is there anything else I can help you with?"), "the apology");
        await caller.SayAsync("What are your hours?", 300);
        var reply = await RealtimeVoiceApp.AgentLineAsync(owner, 2);

        Assert.Equal("Thanks for your message. You said: What are your hours?", reply.GetProperty("text").GetString());
        Assert.Equal("connected", (await caller.ViewAsync()).GetProperty("state").GetString());
        await caller.HangUpAsync();
    }

    private static async Task<string> CallIdAsync(HttpClient owner) => (await RealtimeVoiceApp.CallOfAsync(owner)).GetProperty("id").GetString()!;
}
