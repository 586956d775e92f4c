using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hiroi.Endpoints.Auth;

namespace Hiroi.Tests.Infrastructure;

/// <summary>
/// A person in a browser on the console, over the in-memory server: an https origin so the <c>__Host-</c> cookie is kept
/// and sent, the console's own <c>Origin</c> on every request, and the session's CSRF token on state-changing ones.
/// </summary>
public sealed class ConsolePerson : IDisposable
{
    public const string Origin = "https://localhost";

    private readonly SimulatedAcsApp _app;

    private readonly CookieJar _jar = new();

    /// <param name="clientIp">The address the person's requests come from, on an app that honours <see cref="SharedLimitsApp.ClientIpHeader"/>.</param>
    public ConsolePerson(SimulatedAcsApp app, string email, string? clientIp = null)
    {
        _app = app;
        Email = email;
        Http = app.CreateDefaultClient(new Uri(Origin), _jar);
        Http.DefaultRequestHeaders.Add("Origin", Origin);
        if (clientIp is not null)
        {
            Http.DefaultRequestHeaders.Add(SharedLimitsApp.ClientIpHeader, clientIp);
        }
    }

    /// <summary>The trusted-device cookie the browser holds (set after a complete sign-in), or null.</summary>
    public string? DeviceCookie => _jar.Device;

    /// <summary>The session cookie as a browser would send it (<c>name=value</c>), or empty when there is none.</summary>
    public string CookieHeader() => _jar.Session is null ? string.Empty : "__Host-hiroi-session=" + _jar.Session;

    /// <summary>
    /// Keeps the session and device cookies as a browser does (set by Set-Cookie, dropped when the server expires them),
    /// over an https origin so their Secure flag is satisfied.
    /// </summary>
    private sealed class CookieJar : DelegatingHandler
    {
        private const string DeviceName = "__Host-hiroi-device=";

        public string? Session { get; private set; }

        public string? Device { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (!request.Headers.Contains("Cookie"))
            {
                var cookies = new[] { Session is null ? null : "__Host-hiroi-session=" + Session, Device is null ? null : DeviceName + Device }.OfType<string>().ToList();
                if (cookies.Count > 0)
                {
                    request.Headers.Add("Cookie", string.Join("; ", cookies));
                }
            }

            var response = await base.SendAsync(request, cancellationToken);
            if (SessionCookie(response) is { } set)
            {
                Session = Kept(set, "__Host-hiroi-session=");
            }

            if (response.Headers.TryGetValues("Set-Cookie", out var values) && values.FirstOrDefault(v => v.StartsWith(DeviceName, StringComparison.Ordinal)) is { } device)
            {
                Device = Kept(device, DeviceName);
            }

            return response;
        }

        private static string? Kept(string setCookie, string name)
        {
            var value = setCookie[name.Length..].Split(';')[0];
            return value.Length == 0 || setCookie.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase) ? null : value;
        }
    }

    public string Email { get; }

    public HttpClient Http { get; }

    /// <summary>The CSRF token of the current session, taken from every session the API answers with.</summary>
    public string? Csrf { get; set; }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body = null, bool withCsrf = true)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        if (withCsrf && Csrf is not null && method != HttpMethod.Get)
        {
            request.Headers.Add("X-CSRF-Token", Csrf);
        }

        var response = await Http.SendAsync(request);
        await RememberCsrfAsync(response);
        return response;
    }

    public Task<HttpResponseMessage> PostAsync(string path, object? body = null) => SendAsync(HttpMethod.Post, path, body ?? new { });

    private async Task RememberCsrfAsync(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode || response.Content.Headers.ContentType?.MediaType != "application/json")
        {
            return;
        }

        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = json.RootElement;
        if (root.ValueKind == JsonValueKind.Object && (root.TryGetProperty("csrfToken", out var token)
            || (root.TryGetProperty("session", out var session) && session.TryGetProperty("csrfToken", out token))))
        {
            Csrf = token.GetString();
        }
    }

    /// <summary>The newest sign-in mail the simulator recorded for this person since <paramref name="after"/> mails, waiting for it.</summary>
    public async Task<string> NextMailAsync(int after) =>
        (await Waits.UntilAsync(MailsAsync, mails => mails.Count > after, $"mail number {after + 1} to {Email}"))[^1];

    /// <summary>The bodies of every mail the simulator recorded for this person, oldest first.</summary>
    public async Task<List<string>> MailsAsync()
    {
        using var anonymous = _app.CreateClient();
        var all = await anonymous.GetFromJsonAsync<JsonElement>("/simulate/sent-email");
        return [.. all.EnumerateArray().Where(m => m.GetProperty("to").GetString() == Email)
            .OrderBy(m => m.GetProperty("timestamp").GetDateTimeOffset()).Select(m => m.GetProperty("text").GetString()!)];
    }

    public static string LinkToken(string mail) => mail[(mail.IndexOf("#token=", StringComparison.Ordinal) + "#token=".Length)..].Split('\n')[0].Trim();

    public static string Code(string mail) => System.Text.RegularExpressions.Regex.Match(mail, @"code is (\d{6})").Groups[1].Value;

    /// <summary>Asks for a link, follows it from the mail, and returns the session answer.</summary>
    public async Task<JsonElement> SignInByLinkAsync()
    {
        var before = (await MailsAsync()).Count;
        Assert.Equal(HttpStatusCode.Accepted, (await PostAsync("/auth/link", new { email = Email })).StatusCode);
        var token = LinkToken(await NextMailAsync(before));
        var response = await PostAsync("/auth/link/complete", new { token });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>The value of the session cookie the client holds now.</summary>
    public static string? SessionCookie(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var values) ? values.FirstOrDefault(v => v.StartsWith("__Host-hiroi-session=", StringComparison.Ordinal)) : null;

    public void Dispose() => Http.Dispose();
}
