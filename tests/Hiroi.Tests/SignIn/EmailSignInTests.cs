using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hiroi.Endpoints.Auth;
using Hiroi.Shared.Storage;
using Hiroi.Tests.Http;
using Hiroi.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Tests.SignIn;

/// <summary>
/// Sign-in by magic link and by email code through the whole loop: the API queues the mail, ACS Email's REST API (the
/// simulator) records it, the test reads it as the person would, and the session cookie then serves the console API.
/// </summary>
public sealed class EmailSignInTests(SimulatedAcsApp app) : IClassFixture<SimulatedAcsApp>
{
    private async Task<(ConsolePerson Person, string OrgId)> MemberAsync(string role = "admin")
    {
        var org = await app.CreateOrgAsync("Org " + Guid.NewGuid().ToString("N")[..6], $"owner-{Guid.NewGuid():N}@example.com");
        var email = $"person-{Guid.NewGuid():N}@example.com";
        using var owner = app.ClientWithKey(org.OwnerApiKey);
        Assert.Equal(HttpStatusCode.Created, (await owner.PostAsJsonAsync("/api/members", new { email, role })).StatusCode);
        return (new ConsolePerson(app, email), org.OrgId.Value);
    }

    [Fact]
    public async Task A_new_member_is_invited_and_signs_in_by_link_with_a_host_only_http_only_lax_cookie()
    {
        var (person, orgId) = await MemberAsync();
        using var _ = person;
        var invitation = await person.NextMailAsync(0);
        Assert.Contains("added to an organization", invitation, StringComparison.Ordinal);

        var before = (await person.MailsAsync()).Count;
        var asked = await person.PostAsync("/auth/link", new { email = person.Email });
        Assert.Equal(HttpStatusCode.Accepted, asked.StatusCode);
        var mail = await person.NextMailAsync(before);
        var token = ConsolePerson.LinkToken(mail);
        Assert.Equal(43, token.Length); // 256 bits, base64url

        // Opening the link's page (as a mail scanner would) uses nothing.
        var page = await person.Http.GetAsync("/console/link");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("script-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);

        var completed = await person.PostAsync("/auth/link/complete", new { token });
        Assert.Equal(HttpStatusCode.OK, completed.StatusCode);
        var cookie = ConsolePerson.SessionCookie(completed)!;
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("domain=", cookie, StringComparison.OrdinalIgnoreCase);
        var session = await completed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("ready", session.GetProperty("next").GetString()); // one org: chosen at once
        Assert.Equal(orgId, session.GetProperty("orgId").GetString());

        var current = await person.Http.GetFromJsonAsync<JsonElement>("/api/orgs/current");
        Assert.Equal("admin", current.GetProperty("yourRole").GetString());

        // The link worked once.
        var again = await person.PostAsync("/auth/link/complete", new { token });
        Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
    }

    [Fact]
    public async Task Asking_for_a_link_answers_the_same_whether_or_not_the_address_has_an_account()
    {
        var (member, _) = await MemberAsync();
        using var _1 = member;
        using var stranger = new ConsolePerson(app, $"nobody-{Guid.NewGuid():N}@example.com");
        var known = await member.PostAsync("/auth/link", new { email = member.Email });
        var unknown = await stranger.PostAsync("/auth/link", new { email = stranger.Email });
        Assert.Equal(HttpStatusCode.Accepted, known.StatusCode);
        Assert.Equal(known.StatusCode, unknown.StatusCode);
        Assert.Equal(await known.Content.ReadAsStringAsync(), await unknown.Content.ReadAsStringAsync());

        await member.NextMailAsync(1); // the invitation, then the link
        // One reader sends the queued mails in order: once a link the member asks for later is out, the stranger's
        // request has been dealt with, and any mail for it would be there.
        Assert.Equal(HttpStatusCode.Accepted, (await member.PostAsync("/auth/link", new { email = member.Email })).StatusCode);
        await member.NextMailAsync(2);
        Assert.Empty(await stranger.MailsAsync());

        var invalid = await stranger.PostAsync("/auth/link", new { email = "not-an-address" });
        Assert.True((await ProblemAssert.IsProblemAsync(invalid, HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("email", out _));
    }

    [Fact]
    public async Task A_mailed_code_signs_in_once_and_wrong_codes_meet_rising_delays()
    {
        var (person, _) = await MemberAsync();
        using var _1 = person;
        await person.NextMailAsync(0);

        await person.PostAsync("/auth/code", new { email = person.Email });
        var code = ConsolePerson.Code(await person.NextMailAsync(1));
        Assert.Matches("^[0-9]{6}$", code);
        var signedIn = await person.PostAsync("/auth/code/complete", new { email = person.Email, code });
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await person.PostAsync("/auth/code/complete", new { email = person.Email, code })).StatusCode);

        // Five failures in a minute, then the account waits: even the right code is not looked at.
        await person.PostAsync("/auth/code", new { email = person.Email });
        var fresh = ConsolePerson.Code(await person.NextMailAsync(2));
        var wrong = fresh == "000000" ? "000001" : "000000";
        for (var i = 0; i < 4; i++)
        {
            await ProblemAssert.IsProblemAsync(await person.PostAsync("/auth/code/complete", new { email = person.Email, code = wrong }), HttpStatusCode.Unauthorized);
        }

        var throttled = await person.PostAsync("/auth/code/complete", new { email = person.Email, code = fresh });
        await ProblemAssert.IsProblemAsync(throttled, HttpStatusCode.TooManyRequests);
        Assert.InRange(int.Parse(throttled.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 60);
    }

    [Fact]
    public async Task A_code_from_another_person_does_not_sign_in()
    {
        var (alice, _) = await MemberAsync();
        var (bob, _) = await MemberAsync();
        using var _1 = alice;
        using var _2 = bob;
        await alice.NextMailAsync(0);
        await alice.PostAsync("/auth/code", new { email = alice.Email });
        var code = ConsolePerson.Code(await alice.NextMailAsync(1));
        Assert.Equal(HttpStatusCode.Unauthorized, (await bob.PostAsync("/auth/code/complete", new { email = bob.Email, code })).StatusCode);
        var ok = await alice.PostAsync("/auth/code/complete", new { email = alice.Email, code });
        Assert.True(ok.StatusCode == HttpStatusCode.OK, await ok.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_wrong_code_is_recorded_off_the_request_path_and_in_no_orgs_trail()
    {
        // No org is in play before a sign-in: an org that added the address must not watch the person's sign-ins.
        var org = await app.CreateOrgAsync("Org " + Guid.NewGuid().ToString("N")[..6], $"owner-{Guid.NewGuid():N}@example.com");
        using var owner = app.ClientWithKey(org.OwnerApiKey);
        var email = $"person-{Guid.NewGuid():N}@example.com";
        Assert.Equal(HttpStatusCode.Created, (await owner.PostAsJsonAsync("/api/members", new { email, role = "member" })).StatusCode);
        using var person = new ConsolePerson(app, email);
        await person.NextMailAsync(0);
        await person.PostAsync("/auth/code", new { email });
        var code = ConsolePerson.Code(await person.NextMailAsync(1));
        await ProblemAssert.IsProblemAsync(
            await person.PostAsync("/auth/code/complete", new { email, code = code == "000000" ? "000001" : "000000" }), HttpStatusCode.Unauthorized);

        await HandOffQueuesProbe.DrainedAsync(app.Services, Hiroi.Shared.SignIn.AccountAuditInbox.QueueName);
        var page = await owner.GetFromJsonAsync<JsonElement>("/api/audit?action=signin.failed");
        Assert.Empty(page.GetProperty("entries").EnumerateArray());
    }

    [Fact]
    public async Task An_address_without_an_account_gets_a_code_nobody_receives_so_a_wrong_code_costs_the_same_and_signs_in_nobody()
    {
        var email = $"nobody-{Guid.NewGuid():N}@example.com";
        var sender = app.Services.GetRequiredService<Hiroi.Shared.SignIn.SignInMailSender>();
        await sender.SendAsync(new Hiroi.Shared.SignIn.SignInMailRequest(email, Hiroi.Shared.SignIn.SignInMailKind.Code), default);
        await sender.SendAsync(new Hiroi.Shared.SignIn.SignInMailRequest(email, Hiroi.Shared.SignIn.SignInMailKind.Link), default);

        var tables = app.Services.GetRequiredService<Hiroi.Shared.Storage.HiroiTables>();
        var tokens = await tables.GetAsync(Hiroi.Shared.Storage.TableNames.SignInTokens);
        var accountId = Hiroi.Shared.SignIn.AccountIds.For(email);
        var rows = await tokens.QueryAsync<Hiroi.Shared.SignIn.SignInTokenEntity>(r => r.AccountId == accountId).ToListAsync();
        Assert.Equal(["code_" + accountId], rows.Select(r => r.PartitionKey)); // the code, never a link

        using var stranger = new ConsolePerson(app, email);
        Assert.Empty(await stranger.MailsAsync()); // nothing was mailed to the address
        await ProblemAssert.IsProblemAsync(await stranger.PostAsync("/auth/code/complete", new { email, code = "123456" }), HttpStatusCode.Unauthorized);
        Assert.Equal(1, (await tokens.GetEntityAsync<Hiroi.Shared.SignIn.SignInTokenEntity>("code_" + accountId, "t")).Value.Tries); // the try was counted, as for a person
    }
}
