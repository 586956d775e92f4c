using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hiroi.Shared.Contacts;
using Hiroi.Shared.Tenancy;
using Hiroi.Shared.Voice;
using Hiroi.Tests.Agents;
using Hiroi.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Tests.Voice;

/// <summary>The in-memory self-host with the ACS simulator, set up for agents on calls.</summary>
public class VoiceApp : SimulatedAcsApp
{
    public const string Unreachable = "+15559990000";

    protected virtual IReadOnlyDictionary<string, string> Voice => new Dictionary<string, string>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Hiroi:Calls:CognitiveServicesEndpoint", "https://speech.hiroi.test/");
        builder.UseSetting("Hiroi:AcsSimulator:UnreachableNumbers:0", Unreachable);
        // No filler unless a test asks for one: what a caller hears must not depend on how fast the machine is.
        builder.UseSetting("Hiroi:Voice:FillerAfterMilliseconds", "30000");
        foreach (var (key, value) in Voice)
        {
            builder.UseSetting(key, value);
        }
    }

    /// <summary>An org with a number answered by an agent (the local model) with these voice settings and tools.</summary>
    public async Task<(OrgId Org, HttpClient Owner, string Number, string AgentId)> AgentOnANumberAsync(object? voice = null, object[]? tools = null)
    {
        var org = await CreateOrgAsync();
        var owner = ClientWithKey(org.OwnerApiKey);
        var number = Unique.PhoneNumber();
        (await owner.PostAsJsonAsync("/api/numbers", new { number })).EnsureSuccessStatusCode();
        var created = await owner.PostAsJsonAsync("/api/agents", new
        {
            name = "Front desk", instructions = "Be brief.", model = "local", numbers = new[] { number }, tools = tools ?? [], voice,
        });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        var agentId = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        return (org.OrgId, owner, number, agentId);
    }
}

/// <summary>Agents on phone calls, the whole loop in memory: the platform's Call Automation client signs requests to the ACS simulator, which calls back as ACS does.</summary>
public class VoiceCallTests(VoiceApp app) : IClassFixture<VoiceApp>, IAsyncLifetime
{
    private readonly ToolEndpoint _tenant = new();

    public Task InitializeAsync() => _tenant.InitializeAsync();

    public Task DisposeAsync() => _tenant.DisposeAsync();

    [Fact]
    public async Task The_agent_greets_answers_a_question_through_a_tool_with_a_secret_and_the_transcript_has_every_turn()
    {
        var tool = _tenant.OrderLookupTool();
        var (org, owner, number, _) = await app.AgentOnANumberAsync(new { greeting = "Hello, Acme orders. How can I help?" }, [tool]);
        (await owner.PutAsJsonAsync("/api/secrets/SHOP", new { value = "shop-secret-value-1234" })).EnsureSuccessStatusCode();
        var caller = await SimulatedCaller.DialAsync(app.CreateClient(), Unique.PhoneNumber(), number);

        // Each sentence is its own prompt, so the caller can cut in between them.
        Assert.Equal(["Hello, Acme orders.", "How can I help?"], await caller.ListeningAfterAsync(2));
        await caller.SayAsync("#tool lookup {\"orderId\":\"A-17\"}");
        var heard = await caller.ListeningAfterAsync(3);

        Assert.StartsWith("lookup answered:", heard[2], StringComparison.Ordinal);
        Assert.Contains("shipped", heard[2], StringComparison.Ordinal);
        var request = Assert.Single(_tenant.Calls);
        Assert.Equal("Bearer shop-secret-value-1234", request.Authorization);
        await caller.SayAsync("Thanks, that's all.");
        await caller.ListeningAfterAsync(4);
        await caller.HangUpAsync();

        var call = await CallOfAsync(owner);
        var lines = call.GetProperty("transcript").EnumerateArray().Select(l => (l.GetProperty("role").GetString(), l.GetProperty("text").GetString())).ToList();
        Assert.Equal(("agent", "Hello, Acme orders. How can I help?"), lines[0]);
        Assert.Equal(("caller", "#tool lookup {\"orderId\":\"A-17\"}"), lines[1]);
        Assert.Equal("agent", lines[2].Item1);
        Assert.Equal(("caller", "Thanks, that's all."), lines[3]);
        Assert.DoesNotContain(lines, l => l.Item2!.Contains("shop-secret-value-1234", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_caller_who_talks_over_the_agent_cuts_its_line_and_is_answered()
    {
        var (_, _, number, _) = await app.AgentOnANumberAsync(new
        {
            greeting = "Welcome to Acme, where every order matters. Our opening hours are nine to five on weekdays. How can I help you today?",
        });
        // The caller hears a character every 100 ms: the greeting lasts long enough to be talked over, however slow the machine.
        var caller = await SimulatedCaller.DialAsync(app.CreateClient(), Unique.PhoneNumber(), number, speakingMs: 100);
        await Waits.UntilAsync(async () => (await caller.HeardAsync()).Count >= 1, "the greeting to start");

        await caller.SayAsync("Are you open on Sunday?");
        var heard = await caller.ListeningAfterAsync(4);

        Assert.Contains(heard.Take(3), l => l.EndsWith('~')); // the greeting was cut short where the caller spoke
        Assert.Contains("Are you open on Sunday?", heard[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Silence_gets_the_agents_reprompts_then_a_goodbye_and_the_call_is_hung_up()
    {
        var (_, owner, number, _) = await app.AgentOnANumberAsync(new { greeting = "Hi.", reprompts = 2 });
        var caller = await SimulatedCaller.DialAsync(app.CreateClient(), Unique.PhoneNumber(), number);

        await caller.ListeningAfterAsync(1);
        await caller.SilenceAsync();
        await caller.ListeningAfterAsync(2);
        await caller.SilenceAsync();
        await caller.ListeningAfterAsync(3);
        await caller.SilenceAsync();
        var heard = await caller.EndedAsync();

        Assert.Equal(["Hi.", "Are you still there?", "Are you still there?", "I haven't heard anything, so I'll hang up now.", "Goodbye."], heard);
        await Waits.UntilAsync(async () => (await CallOfAsync(owner)).GetProperty("state").GetString() == "disconnected", "the call to be over");
    }

    [Fact]
    public async Task Keys_are_taken_as_the_callers_answer_and_a_card_number_spoken_or_keyed_is_kept_nowhere()
    {
        var (org, owner, number, _) = await app.AgentOnANumberAsync(new { greeting = "Hi." });
        var caller = await SimulatedCaller.DialAsync(app.CreateClient(), Unique.PhoneNumber(), number);
        await caller.ListeningAfterAsync(1);

        await caller.SayAsync("my card is 4111 1111 1111 1111 expiring soon");
        var heard = await caller.ListeningAfterAsync(2);
        await caller.PressAsync("5555555555554444");
        heard = await caller.ListeningAfterAsync(3);
        await caller.PressAsync("1234#");
        heard = await caller.ListeningAfterAsync(4);
        await caller.HangUpAsync();

        Assert.DoesNotContain(heard, l => l.Contains("1111", StringComparison.Ordinal) || l.Contains("4444", StringComparison.Ordinal));
        var transcript = (await CallOfAsync(owner)).GetProperty("transcript").EnumerateArray().Select(l => l.GetProperty("text").GetString()!).ToList();
        Assert.Contains("my card is [card number removed] expiring soon", transcript);
        Assert.Contains("[card number removed]", transcript);
        Assert.Contains("1234#", transcript);
        Assert.Empty(await StorageScan.FindAsync(TestStorage.ConnectionString, app.Prefix, "4111111111111111", "4111 1111 1111 1111", "5555555555554444"));
    }

    [Fact]
    public async Task A_caller_who_asks_not_to_be_called_is_put_on_the_do_not_contact_list_told_so_and_hung_up_on()
    {
        var (org, owner, number, _) = await app.AgentOnANumberAsync(new { greeting = "Hi." });
        var from = Unique.PhoneNumber();
        var caller = await SimulatedCaller.DialAsync(app.CreateClient(), from, number);
        await caller.ListeningAfterAsync(1);

        await caller.SayAsync("Please stop calling me.");
        var heard = await caller.EndedAsync();

        Assert.Equal("Goodbye.", heard[^1]);
        Assert.Contains("We won't call you again.", heard, StringComparer.Ordinal);
        Assert.True(await app.Services.GetRequiredService<DoNotContactList>().IsListedAsync(org, from, default));
    }

    [Fact]
    public async Task The_agent_transfers_to_a_person_and_apologises_when_nobody_answers()
    {
        var (_, _, number, _) = await app.AgentOnANumberAsync(new { greeting = "Hi.", transferNumber = "+15550004321" });
        var caller = await SimulatedCaller.DialAsync(app.CreateClient(), Unique.PhoneNumber(), number);
        await caller.ListeningAfterAsync(1);

        await caller.SayAsync("#tool transfer_to_human {}");
        await caller.EndedAsync();

        Assert.Equal("transferred", (await caller.ViewAsync()).GetProperty("state").GetString());
        Assert.Equal("+15550004321", (await caller.ViewAsync()).GetProperty("transferredTo").GetString());

        var (_, _, other, _) = await app.AgentOnANumberAsync(new { greeting = "Hi.", transferNumber = VoiceApp.Unreachable });
        var unlucky = await SimulatedCaller.DialAsync(app.CreateClient(), Unique.PhoneNumber(), other);
        await unlucky.ListeningAfterAsync(1);
        await unlucky.SayAsync("#tool transfer_to_human {}");
        var heard = await Waits.UntilAsync(async () => (await unlucky.HeardAsync()) is { } lines && lines.Contains("Is there anything else I can help you with?") ? lines : null,
            "the apology");

        Assert.Equal(["Sorry, I couldn't reach anyone right now.", "Is there anything else I can help you with?"], heard[^2..]);
        await unlucky.SayAsync("What are your hours?");
        Assert.Contains("What are your hours?", (await unlucky.ListeningAfterAsync(heard.Count + 1))[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_agent_ends_the_call_when_asked_to()
    {
        var (_, owner, number, _) = await app.AgentOnANumberAsync(new { greeting = "Hi." });
        var caller = await SimulatedCaller.DialAsync(app.CreateClient(), Unique.PhoneNumber(), number);
        await caller.ListeningAfterAsync(1);

        await caller.SayAsync("#tool end_call {}");
        var heard = await caller.EndedAsync();

        Assert.Contains("end_call answered:", string.Join(' ', heard), StringComparison.Ordinal);
        await Waits.UntilAsync(async () => (await CallOfAsync(owner)).TryGetProperty("voiceOutcome", out var outcome) && outcome.GetString() == "completed",
            "the call to be recorded as completed");
    }

    [Fact]
    public async Task A_bad_voice_setting_is_a_400_naming_its_field_and_stores_nothing()
    {
        var (_, owner, _, _) = await app.AgentOnANumberAsync();
        var before = (await owner.GetFromJsonAsync<JsonElement>("/api/agents")).GetArrayLength();

        var response = await owner.PostAsJsonAsync("/api/agents", new
        {
            name = "Bad", instructions = "x", model = "local",
            voice = new { voiceName = "robot", locale = "english", endSilenceMs = 10, maxCallMinutes = 0, mode = "telepathy", transferNumber = "call me" },
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
        foreach (var field in new[] { "voice.voiceName", "voice.locale", "voice.endSilenceMs", "voice.maxCallMinutes", "voice.mode", "voice.transferNumber" })
        {
            Assert.True(errors.TryGetProperty(field, out _), field);
        }

        Assert.Equal(before, (await owner.GetFromJsonAsync<JsonElement>("/api/agents")).GetArrayLength());
    }

    [Fact]
    public async Task A_callers_export_holds_their_calls_transcripts_and_erasure_deletes_them()
    {
        var (_, owner, number, _) = await app.AgentOnANumberAsync(new { greeting = "Hi." });
        var from = Unique.PhoneNumber();
        var caller = await SimulatedCaller.DialAsync(app.CreateClient(), from, number);
        await caller.ListeningAfterAsync(1);
        await caller.SayAsync("My name is Erin and I live on Elm Street.");
        await caller.ListeningAfterAsync(3);
        await caller.HangUpAsync();
        await Waits.UntilAsync(async () => (await CallOfAsync(owner)).GetProperty("state").GetString() == "disconnected", "the call to end");

        var export = JsonDocument.Parse(await (await owner.PostAsJsonAsync("/api/privacy/export", new { phone = from })).EnsureSuccessStatusCode().Content.ReadAsStringAsync())
            .RootElement;
        Assert.Contains(export.GetProperty("callTranscripts").EnumerateArray(), l => l.GetProperty("text").GetString() == "My name is Erin and I live on Elm Street.");

        var erased = JsonDocument.Parse(await (await owner.PostAsJsonAsync("/api/privacy/erasure", new { phone = from })).EnsureSuccessStatusCode().Content.ReadAsStringAsync())
            .RootElement.GetProperty("erased");
        Assert.Equal(3, erased.GetProperty("callTranscripts").GetInt32()); // the greeting, the caller, the reply
        // Only the simulated ACS (not ours: what its caller heard) still has it.
        Assert.DoesNotContain(await StorageScan.FindAsync(TestStorage.ConnectionString, app.Prefix, "Elm Street"), r => !r.Contains("SimAcs", StringComparison.Ordinal));
    }

    /// <summary>The org's one call, with its transcript.</summary>
    private static async Task<JsonElement> CallOfAsync(HttpClient owner)
    {
        var id = await Waits.UntilAsync(async () =>
        {
            var calls = await owner.GetFromJsonAsync<JsonElement>("/api/calls");
            return calls.GetArrayLength() == 1 ? calls[0].GetProperty("id").GetString() : null;
        }, "the org's call");
        return await owner.GetFromJsonAsync<JsonElement>("/api/calls/" + id);
    }
}
