using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hiroi.Shared.Storage;
using Hiroi.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Tests.SignIn;

/// <summary>
/// Entra ID sign-in against a local OpenID issuer: the authorization code flow with PKCE, state and nonce through
/// ASP.NET Core's handler, the tenant allow-list, and the person matched by verified email (then by object id).
/// </summary>
public sealed class EntraSignInTests : IAsyncLifetime
{
    private const string Allowed = "7a3c0b7e-3b7e-4c6e-9d47-1b2c3d4e5f60";
    private const string Foreign = "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b";

    private readonly LocalOpenIdIssuer _issuer = new();
    private EntraApp _app = null!;

    private sealed class EntraApp(LocalOpenIdIssuer issuer) : HiroiApp
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Hiroi:SignIn:Entra:Authority", issuer.Authority);
            builder.UseSetting("Hiroi:SignIn:Entra:ClientId", LocalOpenIdIssuer.ClientId);
            builder.UseSetting("Hiroi:SignIn:Entra:AllowedTenants", Allowed);
            builder.UseSetting("Hiroi:SignIn:Entra:RequireHttpsMetadata", "false");
            builder.UseSetting("Hiroi:SignIn:EntraClientSecret", LocalOpenIdIssuer.ClientSecret);
        }
    }

    public async Task InitializeAsync()
    {
        await _issuer.StartAsync();
        _app = new EntraApp(_issuer);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _issuer.DisposeAsync();
    }

    /// <summary>Follows the flow as a browser: start, the issuer's authorize redirect, the callback; returns where it ended and the cookies.</summary>
    private async Task<(Uri Landing, Dictionary<string, string> Cookies)> SignInAsync()
    {
        var cookies = new Dictionary<string, string>(StringComparer.Ordinal);
        using var hiroi = _app.CreateDefaultClient(new Uri("https://localhost"));
        using var outside = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });

        async Task<HttpResponseMessage> GetAsync(Uri uri)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            if (cookies.Count > 0)
            {
                request.Headers.Add("Cookie", string.Join("; ", cookies.Select(c => c.Key + "=" + c.Value)));
            }

            var response = await hiroi.SendAsync(request);
            foreach (var set in response.Headers.TryGetValues("Set-Cookie", out var values) ? values : [])
            {
                var pair = set.Split(';')[0].Split('=', 2);
                cookies[pair[0]] = pair[1];
            }

            return response;
        }

        var start = await GetAsync(new Uri("https://localhost/auth/entra/start"));
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        var authorize = start.Headers.Location!;
        Assert.StartsWith(_issuer.BaseUrl + "/authorize", authorize.AbsoluteUri, StringComparison.Ordinal);
        Assert.Contains("code_challenge_method=S256", authorize.Query, StringComparison.Ordinal);

        var back = await outside.GetAsync(authorize);
        Assert.Equal(HttpStatusCode.Redirect, back.StatusCode);
        var callback = await GetAsync(back.Headers.Location!);
        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        return (callback.Headers.Location!, cookies);
    }

    private async Task<string> MemberAsync()
    {
        var org = await _app.CreateOrgAsync("Entra " + Guid.NewGuid().ToString("N")[..6], $"owner-{Guid.NewGuid():N}@example.com");
        using var owner = _app.ClientWithKey(org.OwnerApiKey);
        var email = $"entra-{Guid.NewGuid():N}@example.com";
        (await owner.PostAsJsonAsync("/api/members", new { email, role = "member" })).EnsureSuccessStatusCode();
        return email;
    }

    private async Task<JsonElement?> SessionAsync(Dictionary<string, string> cookies)
    {
        using var client = _app.CreateDefaultClient(new Uri("https://localhost"));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/auth/session");
        if (cookies.TryGetValue("__Host-hiroi-session", out var session))
        {
            request.Headers.Add("Cookie", "__Host-hiroi-session=" + session);
        }

        var response = await client.SendAsync(request);
        return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<JsonElement>() : null;
    }

    [Fact]
    public async Task A_member_signs_in_with_entra_by_verified_email_and_later_by_object_id()
    {
        var email = await MemberAsync();
        var oid = Guid.NewGuid().ToString();
        _issuer.Next = new Dictionary<string, object> { ["tid"] = Allowed, ["oid"] = oid, ["email"] = email, ["email_verified"] = true, ["amr"] = new[] { "pwd", "mfa" } };
        var (landing, cookies) = await SignInAsync();
        Assert.Equal("/console/signin", landing.OriginalString);
        var session = await SessionAsync(cookies);
        Assert.Equal("entra", session!.Value.GetProperty("method").GetString());
        Assert.Equal("ready", session.Value.GetProperty("next").GetString());
        Assert.True(session.Value.GetProperty("twoFactorShown").GetBoolean()); // Entra did MFA

        // The object id is linked now: a later sign-in needs no email claim.
        _issuer.Next = new Dictionary<string, object> { ["tid"] = Allowed, ["oid"] = oid };
        var (_, again) = await SignInAsync();
        Assert.NotNull(await SessionAsync(again));
        Assert.Equal(0, _issuer.RefusedTokenRequests);
    }

    [Fact]
    public async Task Every_entra_identity_linked_to_a_person_goes_when_their_account_closes()
    {
        var org = await _app.CreateOrgAsync("Entra " + Guid.NewGuid().ToString("N")[..6], $"owner-{Guid.NewGuid():N}@example.com");
        using var owner = _app.ClientWithKey(org.OwnerApiKey);
        var email = $"entra-{Guid.NewGuid():N}@example.com";
        var added = await owner.PostAsJsonAsync("/api/members", new { email, role = "member" });
        var memberId = (await added.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();

        // Two identities (a work account and a guest one, say) with the same verified address: both link.
        var oids = new[] { Guid.NewGuid().ToString(), Guid.NewGuid().ToString() };
        foreach (var oid in oids)
        {
            _issuer.Next = new Dictionary<string, object> { ["tid"] = Allowed, ["oid"] = oid, ["email"] = email, ["email_verified"] = true };
            Assert.NotNull(await SessionAsync((await SignInAsync()).Cookies));
        }

        var tables = _app.Services.GetRequiredService<Hiroi.Shared.Storage.HiroiTables>();
        var accounts = await tables.GetAsync(Hiroi.Shared.Storage.TableNames.Accounts);
        var links = oids.Select(oid => Hiroi.Shared.SignIn.EntraLinkEntity.Key(Allowed, oid)).ToList();
        foreach (var link in links)
        {
            Assert.True((await accounts.GetEntityIfExistsAsync<Azure.Data.Tables.TableEntity>(link, Hiroi.Shared.SignIn.EntraLinkEntity.RowKeyValue)).HasValue);
        }

        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync($"/api/members/{memberId}")).StatusCode);
        foreach (var link in links)
        {
            Assert.False((await accounts.GetEntityIfExistsAsync<Azure.Data.Tables.TableEntity>(link, Hiroi.Shared.SignIn.EntraLinkEntity.RowKeyValue)).HasValue);
        }

        // Invited again later, the first identity's old link does not carry over: it links anew by verified email only.
        (await owner.PostAsJsonAsync("/api/members", new { email, role = "member" })).EnsureSuccessStatusCode();
        _issuer.Next = new Dictionary<string, object> { ["tid"] = Allowed, ["oid"] = oids[0] };
        Assert.Null(await SessionAsync((await SignInAsync()).Cookies));
    }

    [Fact]
    public async Task A_tenant_off_the_allow_list_an_unverified_email_or_a_stranger_gets_no_session()
    {
        var email = await MemberAsync();
        foreach (var who in new[]
        {
            new Dictionary<string, object> { ["tid"] = Foreign, ["oid"] = Guid.NewGuid().ToString(), ["email"] = email, ["email_verified"] = true },
            new Dictionary<string, object> { ["tid"] = Allowed, ["oid"] = Guid.NewGuid().ToString(), ["email"] = email, ["email_verified"] = false },
            new Dictionary<string, object>
            {
                ["tid"] = Allowed, ["oid"] = Guid.NewGuid().ToString(), ["email"] = $"stranger-{Guid.NewGuid():N}@example.com", ["email_verified"] = true,
            },
        })
        {
            _issuer.Next = who;
            var (landing, cookies) = await SignInAsync();
            Assert.StartsWith("/console/signin#error=entra", landing.OriginalString, StringComparison.Ordinal);
            Assert.Null(await SessionAsync(cookies));
        }
    }

    [Fact]
    public async Task A_callback_replayed_or_without_its_correlation_cookie_signs_nobody_in()
    {
        var email = await MemberAsync();
        _issuer.Next = new Dictionary<string, object> { ["tid"] = Allowed, ["oid"] = Guid.NewGuid().ToString(), ["email"] = email, ["email_verified"] = true };
        using var hiroi = _app.CreateDefaultClient(new Uri("https://localhost"));
        using var outside = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var start = await hiroi.GetAsync("/auth/entra/start");
        var back = await outside.GetAsync(start.Headers.Location!);

        // No correlation or nonce cookie: the state cannot be tied to this browser (login CSRF).
        var forged = await hiroi.GetAsync(back.Headers.Location!);
        Assert.Equal(HttpStatusCode.Redirect, forged.StatusCode);
        Assert.StartsWith("/console/signin#error=entra", forged.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.False(forged.Headers.TryGetValues("Set-Cookie", out var set) && set.Any(c => c.StartsWith("__Host-hiroi-session=", StringComparison.Ordinal)));
    }
}
