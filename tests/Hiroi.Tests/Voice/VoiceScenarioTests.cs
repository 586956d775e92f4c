using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hiroi.Shared.Tenancy;
using Hiroi.Shared.Voice;
using Hiroi.Tests.Agents;
using Hiroi.Tests.Http;
using Hiroi.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Tests.Voice;

/// <summary>Every callback comes three times, shuffled; no filler (what the caller hears must not depend on how fast the machine is).</summary>
public class ChaosVoiceApp : VoiceApp
{
    protected override IReadOnlyDictionary<string, string> Voice => new Dictionary<string, string>
    {
        ["Hiroi:AcsSimulator:CallbackCopies"] = "3",
        ["Hiroi:AcsSimulator:ShuffleMilliseconds"] = "150",
        ["Hiroi:Voice:FillerAfterMilliseconds"] = "30000",
    };
}

/// <summary>A filler after 50 ms: a turn the test holds in a tenant tool always gets it; any other turn may, on a busy machine.</summary>
public class FillerVoiceApp : VoiceApp
{
    protected override IReadOnlyDictionary<string, string> Voice => new Dictionary<string, string>
    {
        ["Hiroi:Voice:FillerAfterMilliseconds"] = "50",
        ["Hiroi:Ai:ToolTimeoutSeconds"] = "60",
    };
}

public class VoiceChaosTests(ChaosVoiceApp app) : IClassFixture<ChaosVoiceApp>
{
    [Fact]
    public async Task With_every_callback_delivered_three_times_and_shuffled_the_caller_hears_each_line_once_in_order()
    {
        var (_, _, number, _) = await app.AgentOnANumberAsync(new { greeting = "Hi.", reprompts = 1 });
        var caller = await SimulatedCaller.DialAsync(app.CreateClient(), Unique.PhoneNumber(), number);

        await caller.ListeningAfterAsync(1);
        await caller.SayAsync("one");
        await caller.ListeningAfterAsync(3);
        await caller.SayAsync("two");
        await caller.ListeningAfterAsync(5);
        await caller.SilenceAsync();
        await caller.ListeningAfterAsync(6);
        await caller.SilenceAsync();
        var heard = await caller.EndedAsync();

        Assert.Equal(
            ["Hi.", "Thanks for your message.", "You said: one", "Thanks for your message.", "You said: two", "Are you still there?",
             "I haven't heard anything, so I'll hang up now.", "Goodbye."], heard);
    }
}

public class VoiceFillerTests(FillerVoiceApp app) : IClassFixture<FillerVoiceApp>, IAsyncLifetime
{
    private readonly ToolEndpoint _tenant = new();

    public Task InitializeAsync() => _tenant.InitializeAsync();

    public Task DisposeAsync() => _tenant.DisposeAsync();

    private object HeldTool() => new
    {
        name = "wait", description = "Waits", parameters = new { type = "object", properties = new { } },
        request = new { method = "GET", url = new Uri(_tenant.BaseAddress, "/held").ToString() },
    };

    [Fact]
    public async Task A_slow_turn_plays_the_filler_once_and_the_reply_follows()
    {
        var (_, _, number, _) = await app.AgentOnANumberAsync(new { greeting = "Hi." }, [HeldTool()]);
        var caller = await SimulatedCaller.DialAsync(app.CreateClient(), Unique.PhoneNumber(), number);
        await caller.ListeningAfterAsync(1);

        await caller.SayAsync("#tool wait {}");
        await Waits.UntilAsync(async () => (await caller.HeardAsync()).Contains("One moment."), "the filler");
        _tenant.Held.TrySetResult();
        var heard = await caller.ListeningAfterAsync(3);

        Assert.Equal("Hi.", heard[0]);
        Assert.Equal("One moment.", heard[1]);
        Assert.StartsWith("wait answered:", heard[2], StringComparison.Ordinal);
        Assert.Single(heard, l => l == "One moment.");
    }
}

/// <summary>A second fixture for the stale reply: its own held tool, so releasing it is this test's alone.</summary>
public class VoiceStaleReplyTests(FillerVoiceApp app) : IClassFixture<FillerVoiceApp>, IAsyncLifetime
{
    private readonly ToolEndpoint _tenant = new();

    public Task InitializeAsync() => _tenant.InitializeAsync();

    public Task DisposeAsync() => _tenant.DisposeAsync();

    [Fact]
    public async Task Speaking_over_the_filler_starts_a_new_turn_and_the_stale_reply_is_never_said()
    {
        var tool = new
        {
            name = "wait", description = "Waits", parameters = new { type = "object", properties = new { } },
            request = new { method = "GET", url = new Uri(_tenant.BaseAddress, "/held").ToString() },
        };
        var (_, owner, number, _) = await app.AgentOnANumberAsync(new { greeting = "Hi." }, [tool]);
        var caller = await SimulatedCaller.DialAsync(app.CreateClient(), Unique.PhoneNumber(), number);
        await caller.ListeningAfterAsync(1);

        await caller.SayAsync("#tool wait {}");
        await Waits.UntilAsync(async () => (await caller.HeardAsync()).Contains("One moment."), "the filler");
        await caller.SayAsync("Never mind, when do you open?");
        var heard = await caller.ListeningAfterAsync(4);
        _tenant.Held.TrySetResult();
        var callId = (await owner.GetFromJsonAsync<JsonElement>("/api/calls"))[0].GetProperty("id").GetString();
        var unspoken = await Waits.UntilAsync(async () =>
            (await owner.GetFromJsonAsync<JsonElement>("/api/calls/" + callId)).GetProperty("transcript").EnumerateArray()
                .FirstOrDefault(l => l.GetProperty("role").GetString() == "agent" && !l.GetProperty("spoken").GetBoolean()) is { ValueKind: JsonValueKind.Object } line
                ? line.GetProperty("text").GetString() : null,
            "the stale reply to be recorded as never said");

        // The new turn may get a filler of its own on a busy machine; the held turn's reply is never said either way.
        Assert.Equal(["Hi.", "One moment.", "Thanks for your message.", "You said: Never mind, when do you open?"], heard.Where((l, i) => i < 2 || l != "One moment."));
        Assert.StartsWith("wait answered:", unspoken, StringComparison.Ordinal);
        Assert.DoesNotContain(await caller.HeardAsync(), l => l.StartsWith("wait answered", StringComparison.Ordinal));
    }
}

/// <summary>Two calls at once per org, two calls an hour per caller, a small budget per call, short turns.</summary>
public class LimitedVoiceApp : VoiceApp
{
    protected override IReadOnlyDictionary<string, string> Voice => new Dictionary<string, string>
    {
        ["Hiroi:Voice:MaxConcurrentCallsPerOrg"] = "2",
        ["Hiroi:Voice:CallsPerCallerPerHour"] = "2",
        ["Hiroi:Voice:PerCallTokenCap"] = "1500",
        ["Hiroi:Ai:MaxOutputTokens"] = "100",
    };
}

public class VoiceLimitTests(LimitedVoiceApp app) : IClassFixture<LimitedVoiceApp>
{
    [Fact]
    public async Task Of_six_calls_at_once_to_an_org_that_may_have_two_exactly_two_are_answered_by_the_agent_and_four_hear_the_busy_line()
    {
        var (_, owner, number, _) = await app.AgentOnANumberAsync(new { greeting = "Hi." });
        var client = app.CreateClient();

        var callers = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => SimulatedCaller.DialAsync(client, Unique.PhoneNumber(), number)));
        var outcomes = await Task.WhenAll(callers.Select(c => Waits.UntilAsync(async () =>
        {
            var view = await c.ViewAsync();
            var heard = await c.HeardAsync();
            return view.GetProperty("state").GetString() is "ended" ? "busy:" + string.Join(' ', heard)
                : view.GetProperty("listening").GetBoolean() && heard.SequenceEqual(["Hi."]) ? "agent" : null;
        }, "each call to be answered or refused")));

        Assert.Equal(2, outcomes.Count(o => o == "agent"));
        Assert.All(outcomes.Where(o => o != "agent"), o => Assert.Equal("busy:Sorry, we can't take your call right now. Please try again later. Goodbye.", o));
        var audit = await owner.GetFromJsonAsync<JsonElement>("/api/audit?action=call.refused&pageSize=50");
        Assert.Equal(4, audit.GetProperty("entries").GetArrayLength());
        var usage = await owner.GetFromJsonAsync<JsonElement>("/api/usage");
        Assert.Equal(4, usage.GetProperty("lines").EnumerateArray().Where(l => l.GetProperty("channel").GetString() == "voice").Sum(l => l.GetProperty("refusedCalls").GetInt64()));

        // A slot comes back when its call ends.
        var answered = callers.Where((_, i) => outcomes[i] == "agent").ToList();
        await answered[0].HangUpAsync();
        await Waits.UntilAsync(async () =>
        {
            var next = await SimulatedCaller.DialAsync(client, Unique.PhoneNumber(), number);
            var heard = await Waits.UntilAsync(async () => (await next.ViewAsync()).GetProperty("state").GetString() == "ended"
                    || (await next.ViewAsync()).GetProperty("listening").GetBoolean()
                ? await next.HeardAsync() : null, "the next call to be answered or refused");
            return heard.SequenceEqual(["Hi."]);
        }, "a call to be answered once a slot is free");
    }

    [Fact]
    public async Task A_caller_who_calls_a_third_time_within_the_hour_hears_the_busy_line()
    {
        var (_, _, number, _) = await app.AgentOnANumberAsync(new { greeting = "Hi." });
        var client = app.CreateClient();
        var from = Unique.PhoneNumber();

        for (var i = 0; i < 2; i++)
        {
            var call = await SimulatedCaller.DialAsync(client, from, number);
            Assert.Equal(["Hi."], await call.ListeningAfterAsync(1));
            await call.HangUpAsync();
        }

        var third = await SimulatedCaller.DialAsync(client, from, number);
        Assert.Equal("Sorry, we can't take your call right now.", (await third.EndedAsync())[0]);
    }

    [Fact]
    public async Task A_turn_past_the_calls_budget_is_refused_the_caller_is_told_and_the_call_ends()
    {
        var (_, owner, number, _) = await app.AgentOnANumberAsync(new { greeting = "Hi." });
        var caller = await SimulatedCaller.DialAsync(app.CreateClient(), Unique.PhoneNumber(), number);
        await caller.ListeningAfterAsync(1);
        // About 500 tokens a sentence: the first turn fits the call's 1500, the second (with the first in its history) does not.
        var long1 = string.Join(' ', Enumerable.Repeat("tell me about your opening hours", 60));

        await caller.SayAsync(long1);
        await caller.ListeningAfterAsync(3);
        await caller.SayAsync(long1);
        var heard = await caller.EndedAsync();

        Assert.Equal(["Sorry, I can't continue this call right now.", "Please try again later.", "Goodbye."], heard[^3..]);
        var audit = await owner.GetFromJsonAsync<JsonElement>("/api/audit?action=agent.turn_refused&pageSize=10");
        Assert.Contains("the call's", audit.GetProperty("entries")[0].GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}

/// <summary>Campaign calls with an agent, the call's maximum duration, in the default voice fixture.</summary>
public class VoiceCampaignTests(VoiceApp app) : IClassFixture<VoiceApp>
{
    [Fact]
    public async Task The_timer_at_the_calls_maximum_duration_says_goodbye_and_hangs_up()
    {
        var (org, owner, number, _) = await app.AgentOnANumberAsync(new { greeting = "Hi.", maxCallMinutes = 1 });
        var caller = await SimulatedCaller.DialAsync(app.CreateClient(), Unique.PhoneNumber(), number);
        await caller.ListeningAfterAsync(1);
        var callId = (await owner.GetFromJsonAsync<JsonElement>("/api/calls"))[0].GetProperty("id").GetString()!;

        // What the call's durable timer runs when its time is up.
        await app.Services.GetRequiredService<VoiceCalls>().DecideAsync(org, callId, new VoiceEvent.Deadline(HardStop: false), default);
        var heard = await caller.EndedAsync();

        Assert.Equal(["We've reached the time limit for this call.", "Thank you, goodbye."], heard[^2..]);
    }

    [Theory]
    [InlineData("leave")]
    [InlineData("hangup")]
    public async Task A_campaign_call_that_reaches_an_answering_machine_leaves_the_voicemail_or_hangs_up_and_is_settled_as_voicemail(string action)
    {
        var (_, owner, sender, agentId) = await app.AgentOnANumberAsync(new { greeting = "Hi." });
        var contact = Unique.DialableNumber();
        var listId = JsonDocument.Parse(await (await owner.PostAsJsonAsync("/api/lists", new { name = "Customers" })).EnsureSuccessStatusCode().Content.ReadAsStringAsync())
            .RootElement.GetProperty("id").GetString();
        var csv = $"phone,timezone,call_consent\n{contact},{ZonesNow.Open()},yes\n";
        (await owner.PostAsync($"/api/lists/{listId}/contacts", new StringContent(csv, Encoding.UTF8, "text/csv"))).EnsureSuccessStatusCode();
        var created = await owner.PostAsJsonAsync("/api/campaigns", new
        {
            name = "Reminders", channel = "call", agentId, listId, senderNumbers = new[] { sender },
            message = "Hello, this is Acme calling about your appointment.",
            voicemail = new { message = "Hello from Acme: please call us back about your appointment.", action },
        });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        var campaignId = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();
        (await owner.PostAsync($"/api/campaigns/{campaignId}/start", null)).EnsureSuccessStatusCode();

        var callee = await SimulatedCaller.AnsweringAsync(app.CreateClient(), contact);
        Assert.Equal(["Hello, this is Acme calling about your appointment."], await callee.ListeningAfterAsync(1));
        await callee.SayAsync("Hi, you've reached Sam. I can't take your call, please leave a message after the tone.");
        var heard = await callee.EndedAsync();

        Assert.Equal(action == "leave" ? ["Hello from Acme: please call us back about your appointment."] : [], heard.Skip(1));
        await Waits.UntilAsync(async () =>
            (await owner.GetFromJsonAsync<JsonElement>($"/api/campaigns/{campaignId}/contacts")).EnumerateArray()
                .Any(c => c.GetProperty("number").GetString() == contact && c.TryGetProperty("outcome", out var o) && o.GetString() == "voicemail"),
            "the contact to be settled as voicemail");
    }
}
