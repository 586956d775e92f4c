using System.Buffers.Text;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Hiroi.Shared.Widget;
using Hiroi.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Hiroi.Tests.Widget;

/// <summary>
/// The embed in Debian's headless Chromium (installed by ./test, driven by Playwright) against the built self-host:
/// the demo page on an allowed origin chats, the same page on another origin is refused, signed mode works and an
/// expired token does not, and a session that stops heartbeating ends in the page. Leave out with
/// <c>--filter "Lane!=slow"</c> (with the other slow tests).
/// </summary>
[Lane(Lanes.Slow)]
public sealed class WidgetBrowserTests : IAsyncLifetime
{
    private const int IdleSeconds = 10;

    private readonly SelfHostProcess _host = new(new Dictionary<string, string>
    {
        ["Hiroi__Widget__Demo"] = "true",
        ["Hiroi__Widget__ProofOfWorkBits"] = "8",
        ["Hiroi__Widget__HeartbeatSeconds"] = "5",
        ["Hiroi__Widget__IdleSeconds"] = IdleSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
    });

    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        var chromium = Environment.GetEnvironmentVariable("HIROI_CHROMIUM");
        Assert.False(string.IsNullOrEmpty(chromium), "HIROI_CHROMIUM is not set: run the tests through ./test, which installs Debian's chromium.");
        var created = JsonDocument.Parse(await _host.CliAsync("org", "create", "Browser", "--owner", "browser@example.com", "--json")).RootElement;
        await _host.StartAsync();
        _admin = new HttpClient { BaseAddress = _host.BaseAddress };
        _admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.GetProperty("apiKey").GetString());
        _playwright = await Playwright.CreateAsync();
        // Automation announces itself (navigator.webdriver), which the bot check refuses; a real visitor's browser does not.
        _browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = chromium, Headless = true, Args = ["--disable-blink-features=AutomationControlled", "--no-sandbox"],
        });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        _admin.Dispose();
        _host.Dispose();
    }

    private string Site => $"http://127.0.0.1:{_host.Port}";

    private async Task<JsonElement> KeyAsync(string mode)
    {
        var agent = await (await _admin.PostAsJsonAsync("/api/agents", Agents.AgentBodies.Agent())).EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>();
        return await (await _admin.PostAsJsonAsync("/api/widget-keys", new
        {
            name = "Demo", environment = "dev", mode, origins = new[] { Site }, agentId = agent.GetProperty("id").GetString(),
        })).EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task<IPage> DemoAsync(string origin, string key, string? token = null)
    {
        var page = await _browser!.NewPageAsync();
        page.SetDefaultTimeout((float)Waits.Ceiling.TotalMilliseconds); // Playwright's 30 s, stretched for a machine whose cores are busy
        await page.GotoAsync($"{origin}/widget/v1/demo?key={key}" + (token is null ? "" : "&token=" + Uri.EscapeDataString(token)));
        await page.WaitForSelectorAsync("#hiroi-widget:is([data-state=open],[data-state=refused])", new() { State = WaitForSelectorState.Attached });
        return page;
    }

    private static async Task<string> ChatAsync(IPage page, string text)
    {
        await page.FillAsync("#hiroi-widget input[name=text]", text);
        await page.ClickAsync("#hiroi-widget button");
        var reply = page.Locator("#hiroi-widget p.agent").Last;
        await reply.WaitForAsync();
        return await reply.TextContentAsync() ?? string.Empty;
    }

    [Fact]
    public async Task The_widget_chats_on_its_sites_is_refused_elsewhere_works_signed_and_shows_an_idle_end()
    {
        var originKey = (await KeyAsync("origin")).GetProperty("id").GetString()!;

        var page = await DemoAsync(Site, originKey);
        Assert.Equal("open", await page.GetAttributeAsync("#hiroi-widget", "data-state"));
        Assert.Equal("Agent: Thanks for your message. You said: Is the shop open?", await ChatAsync(page, "Is the shop open?"));

        // The same page from another origin (localhost is not 127.0.0.1 to a browser).
        var elsewhere = await DemoAsync($"http://localhost:{_host.Port}", originKey);
        Assert.Equal("refused", await elsewhere.GetAttributeAsync("#hiroi-widget", "data-state"));
        Assert.Contains("Could not connect", await elsewhere.Locator("#hiroi-widget .status").TextContentAsync(), StringComparison.Ordinal);

        // Signed mode: a token the org's server minted opens a session; an expired one does not.
        var signed = await KeyAsync("signed");
        var (kid, secret) = (signed.GetProperty("signingSecret").GetProperty("kid").GetString()!,
            Base64Url.DecodeFromChars(signed.GetProperty("signingSecret").GetProperty("secret").GetString()));
        var signedKey = signed.GetProperty("id").GetString()!;
        var now = DateTimeOffset.UtcNow;
        var signedPage = await DemoAsync(Site, signedKey, WidgetTokens.Mint(secret, kid, signedKey, "customer-1", now, now.AddMinutes(5), Guid.NewGuid().ToString()));
        Assert.Equal("Agent: Thanks for your message. You said: Signed hello", await ChatAsync(signedPage, "Signed hello"));
        var expired = await DemoAsync(Site, signedKey,
            WidgetTokens.Mint(secret, kid, signedKey, "customer-1", now.AddMinutes(-20), now.AddMinutes(-15), Guid.NewGuid().ToString()));
        Assert.Equal("refused", await expired.GetAttributeAsync("#hiroi-widget", "data-state"));
        Assert.Contains("expired", await expired.Locator("#hiroi-widget .status").TextContentAsync(), StringComparison.Ordinal);

        // Heartbeats stop (a throttled tab, a lost network) for longer than the idle limit: the page shows the end. The
        // host is a process on the real clock, so idleness is real time: the heartbeats are let through again once one
        // was dropped after the idle limit had passed since the first drop (a slow machine only drops more).
        DateTimeOffset? firstDropped = null;
        var idlePassed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await page.RouteAsync("**/heartbeat", async route =>
        {
            var now = DateTimeOffset.UtcNow;
            firstDropped ??= now;
            if (now - firstDropped > TimeSpan.FromSeconds(IdleSeconds))
            {
                idlePassed.TrySetResult();
            }

            await route.AbortAsync();
        });
        await idlePassed.Task.WaitAsync(Waits.Ceiling);
        await page.UnrouteAsync("**/heartbeat");
        await page.WaitForSelectorAsync("#hiroi-widget[data-state=ended]", new() { State = WaitForSelectorState.Attached });
        Assert.Equal("Session ended: the session was idle too long", await page.Locator("#hiroi-widget .status").TextContentAsync());
    }
}
