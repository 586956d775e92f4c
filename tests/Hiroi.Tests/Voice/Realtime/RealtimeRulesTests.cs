using System.Net.Http.Json;
using System.Text.Json;
using Hiroi.Durable.Voice;
using Hiroi.Shared.Agents;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;
using Hiroi.Shared.Voice;
using Hiroi.Tests.Agents;
using Hiroi.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Tests.Voice.Realtime;

/// <summary>
/// Turn-based and realtime calls keep one set of rules: the same script leaves the same transcript (turns, roles, keys,
/// texts, tools), the same usage lines and the same audit; a cap refuses a turn before the model runs, in both, with the
/// same outcome; and the durable deadline ends a realtime call as it ends a turn-based one.
/// </summary>
public class RealtimeRulesTests(RealtimeVoiceApp app) : IClassFixture<RealtimeVoiceApp>, IAsyncLifetime
{
    private const string Greeting = "Hi, Acme orders.";
    private const string Lookup = "#tool lookup {\"orderId\":\"A-17\"}";
    private const string Thanks = "Thanks, that's all.";

    private readonly ToolEndpoint _tenant = new();

    public Task InitializeAsync() => _tenant.InitializeAsync();

    public Task DisposeAsync() => _tenant.DisposeAsync();

    private async Task<(OrgId Org, HttpClient Owner, string Number, string AgentId)> AgentAsync(string mode, long dailyTokenCap = 0)
    {
        var (org, owner, number, agentId) = await app.AgentOnANumberAsync(new { mode, greeting = Greeting }, [_tenant.OrderLookupTool()]);
        (await owner.PutAsJsonAsync("/api/secrets/SHOP", new { value = "shop-secret-value-1234" })).EnsureSuccessStatusCode();
        if (dailyTokenCap > 0)
        {
            var agent = await owner.GetFromJsonAsync<JsonElement>("/api/agents/" + agentId);
            (await owner.PutAsJsonAsync("/api/agents/" + agentId, new
            {
                name = agent.GetProperty("name").GetString(), instructions = agent.GetProperty("instructions").GetString(), model = "local",
                numbers = new[] { number }, tools = new[] { _tenant.OrderLookupTool() }, voice = new { mode, greeting = Greeting }, dailyTokenCap,
            })).EnsureSuccessStatusCode();
        }

        return (org, owner, number, agentId);
    }

    /// <summary>The transcript as its rules see it: who said what in which turn, with which tools, heard or not.</summary>
    private static async Task<List<string>> TranscriptAsync(HttpClient owner) =>
        [.. (await RealtimeVoiceApp.CallOfAsync(owner)).GetProperty("transcript").EnumerateArray().Select(l =>
            $"{l.GetProperty("turn").GetInt32()} {l.GetProperty("role").GetString()} "
            + $"[{(l.TryGetProperty("tools", out var t) ? string.Join(',', t.EnumerateArray().Select(x => x.GetString())) : "")}]"
            + $" {(l.GetProperty("spoken").GetBoolean() ? "heard" : "unheard")} {l.GetProperty("text").GetString()}")];

    private static async Task<List<string>> UsageAsync(HttpClient owner, string agentId) =>
        [.. (await owner.GetFromJsonAsync<JsonElement>("/api/usage")).GetProperty("lines").EnumerateArray()
            .Where(l => l.GetProperty("agentId").GetString() == agentId)
            .Select(l => $"{l.GetProperty("channel").GetString()} turns {l.GetProperty("turns").GetInt64()} refused {l.GetProperty("refusedTurns").GetInt64()}"
                + $" tokens {(l.GetProperty("inputTokens").GetInt64() + l.GetProperty("outputTokens").GetInt64() > 0 ? "some" : "none")}"
                + $" cost {(l.GetProperty("costUsd").GetDecimal() > 0 ? "some" : "none")}")];

    private static async Task<List<string>> AuditAsync(HttpClient owner, string agentId) =>
        [.. (await owner.GetFromJsonAsync<JsonElement>("/api/audit")).GetProperty("entries").EnumerateArray()
            .Where(e => e.GetProperty("action").GetString() is "secret.used" or "agent.turn_refused" or "call.refused")
            .Select(e => $"{e.GetProperty("action").GetString()} {e.GetProperty("target").GetString()!.Replace(agentId, "AGENT", StringComparison.Ordinal)}")
            .Order(StringComparer.Ordinal)];

    [Fact]
    public async Task The_same_script_leaves_the_same_transcript_usage_and_audit_in_both_modes()
    {
        var turns = await AgentAsync(AgentVoice.Turns);
        var caller = await SimulatedCaller.DialAsync(app.CreateClient(), Unique.PhoneNumber(), turns.Number);
        await caller.ListeningAfterAsync(1);
        await caller.SayAsync(Lookup);
        await caller.ListeningAfterAsync(2);
        await caller.SayAsync(Thanks);
        await caller.ListeningAfterAsync(3);
        await caller.HangUpAsync();

        var realtime = await AgentAsync(AgentVoice.Realtime);
        var streamed = await RealtimeCaller.DialAsync(app.CreateClient(), Unique.PhoneNumber(), realtime.Number);
        await streamed.HeardAsync(Greeting.Length * RealtimeVoiceApp.MsPerCharacter);
        await streamed.SayAsync(Lookup, 400);
        await RealtimeVoiceApp.AgentLineAsync(realtime.Owner, 1);
        await streamed.SayAsync(Thanks, 300);
        await RealtimeVoiceApp.AgentLineAsync(realtime.Owner, 2);
        await streamed.HangUpAsync();

        var transcript = await TranscriptAsync(turns.Owner);
        Assert.Equal(5, transcript.Count);
        Assert.Equal(transcript, await TranscriptAsync(realtime.Owner));
        Assert.Equal(["voice turns 2 refused 0 tokens some cost some"], await UsageAsync(turns.Owner, turns.AgentId));
        Assert.Equal(await UsageAsync(turns.Owner, turns.AgentId), await UsageAsync(realtime.Owner, realtime.AgentId));
        var audit = await AuditAsync(turns.Owner, turns.AgentId);
        Assert.Contains(audit, a => a.StartsWith("secret.used", StringComparison.Ordinal));
        Assert.Equal(audit, await AuditAsync(realtime.Owner, realtime.AgentId));
    }

    [Fact]
    public async Task A_cap_refuses_the_callers_turn_before_the_model_runs_and_the_call_ends_alike_in_both_modes()
    {
        // Each cap admits what its mode spends before the caller's first turn and refuses that turn: turn-based calls
        // greet through Speech (no model), a realtime greeting is the model's response (1800 tokens reserved: the
        // utterance allowance and the most output), and the first turn reserves as much again on top of what it used.
        var turns = await AgentAsync(AgentVoice.Turns, dailyTokenCap: 10);
        var caller = await SimulatedCaller.DialAsync(app.CreateClient(), Unique.PhoneNumber(), turns.Number);
        await caller.ListeningAfterAsync(1);
        await caller.SayAsync("What are your hours?");
        var heard = await caller.EndedAsync();

        var realtime = await AgentAsync(AgentVoice.Realtime, dailyTokenCap: 1801);
        var streamed = await RealtimeCaller.DialAsync(app.CreateClient(), Unique.PhoneNumber(), realtime.Number);
        await streamed.HeardAsync(Greeting.Length * RealtimeVoiceApp.MsPerCharacter);
        await streamed.SayAsync("What are your hours?", 300);
        var view = await Waits.UntilAsync(async () => await streamed.ViewAsync() is var v && v.GetProperty("state").GetString() == "ended" ? (object)v : null,
            "the realtime call to end") is JsonElement ended ? ended : default;

        // The same platform line ends both calls, and the transcripts read alike: no reply to the refused turn.
        Assert.Equal(heard[^2..], view.GetProperty("heard").EnumerateArray().Select(l => l.GetProperty("text").GetString()!).ToList()[^2..]);
        Assert.Equal(await TranscriptAsync(turns.Owner), await TranscriptAsync(realtime.Owner));
        Assert.DoesNotContain("respond", app.Model.JournalOf((await RealtimeVoiceApp.CallOfAsync(realtime.Owner)).GetProperty("id").GetString()!));
        foreach (var owner in new[] { turns.Owner, realtime.Owner })
        {
            await Waits.UntilAsync(async () => (await RealtimeVoiceApp.CallOfAsync(owner)).TryGetProperty("voiceOutcome", out var o) && o.GetString() == "cap", "the outcome");
        }

        Assert.Contains("agent.turn_refused agent:AGENT", await AuditAsync(turns.Owner, turns.AgentId));
        Assert.Equal(await AuditAsync(turns.Owner, turns.AgentId), await AuditAsync(realtime.Owner, realtime.AgentId));
        Assert.Contains(await UsageAsync(realtime.Owner, realtime.AgentId), l => l.Contains("refused 1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_durable_deadline_ends_a_realtime_call_with_the_platforms_goodbye_and_the_agent_cut_where_it_was()
    {
        var long_ = string.Join(' ', Enumerable.Repeat("Our catalogue has many fine things to tell you about today.", 8));
        var (org, owner, number, _) = await app.AgentOnANumberAsync(new { mode = AgentVoice.Realtime, greeting = long_ });
        var caller = await RealtimeCaller.DialAsync(app.CreateClient(), Unique.PhoneNumber(), number);
        await caller.HeardAsync(200);
        var callId = (await RealtimeVoiceApp.CallOfAsync(owner)).GetProperty("id").GetString()!;

        // The call's time is up (it connected its maximum minutes ago), and its deadline orchestration runs its step.
        await app.Services.GetRequiredService<CallRepository>().ChangeAsync(org, callId, c => c.ConnectedAt = c.ConnectedAt!.Value.AddMinutes(-10), CancellationToken.None);
        await new CallDeadlineActivity(app.Services.GetRequiredService<VoiceCalls>()).RunAsync(null!, new CallDeadlineReached(org.Value, callId, HardStop: false));
        var view = await Waits.UntilAsync(async () => await caller.ViewAsync() is var v && v.GetProperty("state").GetString() == "ended" ? (object)v : null,
            "the call to be hung up") is JsonElement ended ? ended : default;

        Assert.Equal(["We've reached the time limit for this call.", "Thank you, goodbye."],
            view.GetProperty("heard").EnumerateArray().Select(l => l.GetProperty("text").GetString()).ToList()[^2..]);
        var call = await RealtimeVoiceApp.CallOfAsync(owner);
        var greeting = call.GetProperty("transcript").EnumerateArray().First();
        Assert.True(greeting.GetProperty("cutAfterMs").GetInt32() > 0);
        Assert.Contains(call.GetProperty("transcript").EnumerateArray(), l => l.GetProperty("role").GetString() == "system"
            && l.GetProperty("text").GetString() == "We've reached the time limit for this call. Thank you, goodbye.");
    }

    [Fact]
    public async Task The_deadlines_hard_stop_hangs_up_a_realtime_call_whatever_it_is_doing()
    {
        const string greeting = "Hi.";
        var (org, owner, number, _) = await app.AgentOnANumberAsync(new { mode = AgentVoice.Realtime, greeting });
        var caller = await RealtimeCaller.DialAsync(app.CreateClient(), Unique.PhoneNumber(), number);
        await caller.HeardAsync(greeting.Length * RealtimeVoiceApp.MsPerCharacter);
        var callId = (await RealtimeVoiceApp.CallOfAsync(owner)).GetProperty("id").GetString()!;

        await new CallDeadlineActivity(app.Services.GetRequiredService<VoiceCalls>()).RunAsync(null!, new CallDeadlineReached(org.Value, callId, HardStop: true));

        await Waits.UntilAsync(async () => (await caller.ViewAsync()).GetProperty("state").GetString() == "ended", "the call to be hung up");
        await Waits.UntilAsync(() => Task.FromResult(app.Registry.Find(callId) is null), "its media socket to close");
    }
}
