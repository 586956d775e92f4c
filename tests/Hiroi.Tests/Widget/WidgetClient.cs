using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Hiroi.Shared.Widget;

namespace Hiroi.Tests.Widget;

/// <summary>What the embed script does, from C#: fetch and solve the challenge, open a session, heartbeat, send messages.</summary>
public sealed class WidgetClient(HttpClient http, string keyId, string? origin)
{
    public string? Session { get; set; }

    public Task<HttpResponseMessage> PostAsync(string action, object? body = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/widget/v1/keys/{keyId}/{action}") { Content = JsonContent.Create(body ?? new { }) };
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        if (Session is not null)
        {
            request.Headers.Add("x-widget-session", Session);
        }

        return http.SendAsync(request);
    }

    /// <summary>Solves a fresh challenge and opens a session; returns the raw answer (the token is kept when it is 201).</summary>
    public async Task<HttpResponseMessage> OpenAsync(string? visitorId = "visitor-0001", string? token = null, bool webdriver = false, bool solve = true)
    {
        var challenge = JsonDocument.Parse(await (await PostAsync("challenge")).Content.ReadAsStringAsync()).RootElement;
        var text = challenge.TryGetProperty("challenge", out var c) ? c.GetString() : null;
        var bits = challenge.TryGetProperty("bits", out var b) ? b.GetInt32() : 0;
        var solution = text is null ? null : Solve(text, bits, wanted: solve);
        var response = await PostAsync("sessions", new { visitorId, token, challenge = text, solution, webdriver });
        if (response.IsSuccessStatusCode)
        {
            Session = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("sessionToken").GetString();
        }

        return response;
    }

    /// <summary>The first nonce that solves the challenge, or (<paramref name="wanted"/> false) the first that does not.</summary>
    public static string Solve(string challenge, int bits, bool wanted = true)
    {
        for (var n = 0; ; n++)
        {
            var solution = n.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (ProofOfWorkBotCheck.LeadingZeroBits(SHA256.HashData(Encoding.UTF8.GetBytes(challenge + ":" + solution))) >= bits == wanted)
            {
                return solution;
            }
        }
    }
}
