using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Hiroi.Tests.Infrastructure;
using Microsoft.Playwright;
using OtpNet;

namespace Hiroi.Tests.SignIn;

/// <summary>
/// The console's sign-in pages in Debian's headless Chromium (installed by ./test, driven by Playwright) against the
/// built self-host on http://localhost: magic-link sign-in through the simulator's mail, TOTP enrolment and the second
/// step, passkey registration and sign-in through Chromium's virtual authenticator (CDP), and a cross-site form post
/// refused. Leave out with <c>--filter "Lane!=slow"</c> (with the other slow tests).
/// </summary>
[Lane(Lanes.Slow)]
public sealed class SignInBrowserTests : IAsyncLifetime
{
    private readonly SelfHostProcess _host = new();
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private HttpClient _owner = null!;
    private readonly string _email = $"browser-{Guid.NewGuid():N}@example.com";

    private string Console => $"http://localhost:{_host.Port}";

    public async Task InitializeAsync()
    {
        var chromium = Environment.GetEnvironmentVariable("HIROI_CHROMIUM");
        Assert.False(string.IsNullOrEmpty(chromium), "HIROI_CHROMIUM is not set: run the tests through ./test, which installs Debian's chromium.");
        var created = JsonDocument.Parse(await _host.CliAsync("org", "create", "Console", "--owner", "console-owner@example.com", "--json")).RootElement;
        await _host.StartAsync();
        _owner = new HttpClient { BaseAddress = _host.BaseAddress };
        _owner.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.GetProperty("apiKey").GetString());
        (await _owner.PostAsJsonAsync("/api/members", new { email = _email, role = "admin" })).EnsureSuccessStatusCode();
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = chromium, Headless = true, Args = ["--no-sandbox"] });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        _owner.Dispose();
        _host.Dispose();
    }

    private async Task<List<string>> MailsAsync()
    {
        var all = await _owner.GetFromJsonAsync<JsonElement>("/simulate/sent-email");
        return [.. all.EnumerateArray().Where(m => m.GetProperty("to").GetString() == _email)
            .OrderBy(m => m.GetProperty("timestamp").GetDateTimeOffset()).Select(m => m.GetProperty("text").GetString()!)];
    }

    private async Task<string> NextLinkAsync(int after)
    {
        var mail = (await Waits.UntilAsync(MailsAsync, mails => mails.Count > after, "the sign-in mail"))[^1];
        var start = mail.IndexOf("http", StringComparison.Ordinal);
        return mail[start..].Split('\n')[0].Trim();
    }

    private async Task SignInByLinkAsync(IPage page)
    {
        await page.GotoAsync(Console + "/console/signin");
        var before = (await MailsAsync()).Count;
        await page.FillAsync("#email", _email);
        await page.ClickAsync("#send-link");
        await page.WaitForSelectorAsync("#status:has-text('link is on its way')");
        var link = await NextLinkAsync(before);
        Assert.StartsWith(Console + "/console/link#token=", link, StringComparison.Ordinal);
        await page.GotoAsync(link);
        await page.ClickAsync("#use-link");
        await page.WaitForURLAsync(Console + "/console/signin");
    }

    /// <summary>A browser context whose waits (Playwright's default is 30 s) allow for a machine whose cores are busy.</summary>
    private async Task<IBrowserContext> NewContextAsync()
    {
        var context = await _browser!.NewContextAsync();
        context.SetDefaultTimeout((float)Waits.Ceiling.TotalMilliseconds);
        return context;
    }

    [Fact]
    public async Task A_person_signs_in_by_link_enrols_totp_steps_up_with_it_and_signs_in_with_a_passkey()
    {
        var context = await NewContextAsync();
        var page = await context.NewPageAsync();
        var scriptErrors = new List<string>();
        page.PageError += (_, error) => scriptErrors.Add(error); // uncaught script errors (a 401 while signed out is not one)

        await SignInByLinkAsync(page);
        await page.WaitForSelectorAsync("#ready-step:not([hidden])");
        Assert.Equal("admin", await page.TextContentAsync("#role"));
        var cookie = (await context.CookiesAsync()).Single(c => c.Name == "__Host-hiroi-session");
        Assert.True(cookie.HttpOnly && cookie.Secure && cookie.SameSite == SameSiteAttribute.Lax && cookie.Path == "/");

        // TOTP: enrol from the QR page's secret, confirm, get recovery codes.
        await page.GotoAsync(Console + "/console/security");
        await page.ClickAsync("#totp-enrol");
        await page.WaitForSelectorAsync("#totp-enrolment:not([hidden])");
        var secret = (await page.TextContentAsync("#totp-secret"))!.Trim();
        Assert.StartsWith("data:image/svg+xml;base64,", await page.GetAttributeAsync("#totp-qr", "src"), StringComparison.Ordinal);
        var totp = new Totp(Base32Encoding.ToBytes(secret));
        await page.FillAsync("#totp-confirm-code", totp.ComputeTotp());
        await page.ClickAsync("#totp-confirm");
        await page.WaitForSelectorAsync("#recovery:not([hidden])");
        Assert.Equal(10, await page.Locator("#recovery-codes li").CountAsync());

        // Signing in again asks for the second step.
        await page.ClickAsync("#sign-out");
        await page.WaitForURLAsync(Console + "/console/signin");
        await SignInByLinkAsync(page);
        await page.WaitForSelectorAsync("#totp-step:not([hidden])");
        await page.FillAsync("#totp", totp.ComputeTotp(DateTime.UtcNow.AddSeconds(30)));
        await page.ClickAsync("#verify-totp");
        await page.WaitForSelectorAsync("#ready-step:not([hidden])");

        // A passkey through Chromium's virtual authenticator (CDP), then a usernameless sign-in with it.
        var cdp = await context.NewCDPSessionAsync(page);
        await cdp.SendAsync("WebAuthn.enable");
        await cdp.SendAsync("WebAuthn.addVirtualAuthenticator", new Dictionary<string, object>
        {
            ["options"] = new Dictionary<string, object>
            {
                ["protocol"] = "ctap2", ["transport"] = "internal", ["hasResidentKey"] = true, ["hasUserVerification"] = true,
                ["isUserVerified"] = true, ["automaticPresenceSimulation"] = true,
            },
        });
        await page.GotoAsync(Console + "/console/security");
        await page.FillAsync("#passkey-name", "Chromium");
        await page.ClickAsync("#passkey-add");
        await page.WaitForSelectorAsync("#passkeys li:has-text('Chromium')");
        await page.ClickAsync("#sign-out");
        await page.WaitForURLAsync(Console + "/console/signin");
        await page.ClickAsync("#passkey");
        await page.WaitForSelectorAsync("#ready-step:not([hidden])");
        Assert.Equal("admin", await page.TextContentAsync("#role"));
        Assert.Empty(scriptErrors);
    }

    [Fact]
    public async Task A_form_posted_from_another_origin_with_the_cookie_is_refused_by_csrf()
    {
        var context = await NewContextAsync();
        var page = await context.NewPageAsync();
        await SignInByLinkAsync(page);
        await page.WaitForSelectorAsync("#ready-step:not([hidden])");

        // The attacker is same-site (another port on localhost), so the Lax cookie rides along: only the CSRF check stands.
        var attacker = $"http://localhost:{TestStorage.FreePort()}";
        await page.RouteAsync(attacker + "/**", route => route.FulfillAsync(new()
        {
            ContentType = "text/html",
            Body = $"<form id=f method=post action='{Console}/api/members'><input name=email value='mallory@example.com'><input name=role value=owner></form>"
                + "<script>document.getElementById('f').submit()</script>",
        }));
        var posted = page.WaitForResponseAsync(r => r.Url == Console + "/api/members");
        await page.GotoAsync(attacker + "/");
        var response = await posted;
        Assert.Equal(403, response.Status);
        Assert.Contains("Cross-site request refused", await response.TextAsync(), StringComparison.Ordinal);

        var members = await _owner.GetFromJsonAsync<JsonElement>("/api/members");
        Assert.DoesNotContain(members.EnumerateArray(), m => m.GetProperty("email").GetString() == "mallory@example.com");
    }
}
