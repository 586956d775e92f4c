using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hiroi.Shared.SignIn;
using Hiroi.Tests.Http;
using Hiroi.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using OtpNet;

namespace Hiroi.Tests.SignIn;

/// <summary>
/// Who may change a person's factors and what a factor proves: a session that holds only the mailbox cannot add or
/// remove a factor of someone who has one, and account events are audited in the org the session acts in, no other.
/// </summary>
public sealed class SecondFactorRulesTests(SimulatedAcsApp app) : IClassFixture<SimulatedAcsApp>
{
    private sealed record Org(string Id, HttpClient Owner);

    private async Task<Org> OrgAsync()
    {
        var org = await app.CreateOrgAsync("Factors " + Guid.NewGuid().ToString("N")[..6], $"owner-{Guid.NewGuid():N}@example.com");
        return new Org(org.OrgId.Value, app.ClientWithKey(org.OwnerApiKey));
    }

    private static async Task AddToAsync(Org org, string email, string role)
    {
        Assert.Equal(HttpStatusCode.Created, (await org.Owner.PostAsJsonAsync("/api/members", new { email, role })).StatusCode);
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) => await response.Content.ReadFromJsonAsync<JsonElement>();

    private static async Task<HttpResponseMessage> RegisterAsync(ConsolePerson person, SoftwareAuthenticator key, string name)
    {
        var ceremony = await JsonAsync(await person.PostAsync("/auth/passkeys"));
        return await person.PostAsync("/auth/passkeys/complete",
            new { flowId = ceremony.GetProperty("flowId").GetString(), name, credential = key.Create(ceremony.GetProperty("options")) });
    }

    private static async Task<HttpResponseMessage> PasskeySignInAsync(ConsolePerson person, SoftwareAuthenticator key)
    {
        var ceremony = await JsonAsync(await person.PostAsync("/auth/passkeys/sign-in"));
        return await person.PostAsync("/auth/passkeys/sign-in/complete",
            new { flowId = ceremony.GetProperty("flowId").GetString(), credential = key.Get(ceremony.GetProperty("options")) });
    }

    [Fact]
    public async Task The_mailbox_alone_cannot_add_or_remove_a_factor_of_a_person_who_has_a_passkey_nor_enter_an_org_that_requires_two_factor()
    {
        var org = await OrgAsync();
        var email = $"keyholder-{Guid.NewGuid():N}@example.com";
        await AddToAsync(org, email, "admin");
        using var person = new ConsolePerson(app, email);
        await person.NextMailAsync(0);
        await person.SignInByLinkAsync();
        using var key = new SoftwareAuthenticator(ConsolePerson.Origin, "localhost");
        var registered = await RegisterAsync(person, key, "Key"); // the first factor: nothing to show yet
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        var passkeyId = (await JsonAsync(registered)).GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.OK, (await org.Owner.PutAsJsonAsync("/api/orgs/current/two-factor", new { required = true })).StatusCode);

        // Someone with the mailbox: a link session, no factor shown.
        using var intruder = new ConsolePerson(app, email);
        Assert.Equal("chooseOrg", (await intruder.SignInByLinkAsync()).GetProperty("next").GetString());
        await ProblemAssert.IsProblemAsync(await intruder.PostAsync("/auth/session/org", new { orgId = org.Id }), HttpStatusCode.Forbidden);
        await ProblemAssert.IsProblemAsync(await intruder.PostAsync("/auth/totp/enrolment"), HttpStatusCode.Forbidden);
        await ProblemAssert.IsProblemAsync(await intruder.PostAsync("/auth/passkeys"), HttpStatusCode.Forbidden);
        await ProblemAssert.IsProblemAsync(await intruder.SendAsync(HttpMethod.Delete, $"/auth/passkeys/{passkeyId}"), HttpStatusCode.Forbidden);
        await ProblemAssert.IsProblemAsync(await intruder.PostAsync("/auth/session/org", new { orgId = org.Id }), HttpStatusCode.Forbidden);
        var account = await app.Services.GetRequiredService<AccountRepository>().FindAsync(AccountIds.For(email), default);
        Assert.False(account!.TotpEnabled);
        Assert.Null(account.TotpPendingSecret);
        Assert.Single((await intruder.Http.GetFromJsonAsync<JsonElement>("/auth/passkeys")).EnumerateArray());

        // The person, with their passkey, enters the org and may enrol TOTP.
        Assert.Equal(HttpStatusCode.OK, (await PasskeySignInAsync(person, key)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await person.Http.GetAsync("/api/orgs/current")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await person.PostAsync("/auth/totp/enrolment")).StatusCode);
    }

    [Fact]
    public async Task Account_events_are_audited_in_the_org_the_session_acts_in_and_no_other()
    {
        // B's admin added the person's address: B must not see what the person does to their account while acting in A.
        var a = await OrgAsync();
        var b = await OrgAsync();
        var email = $"twoorgs-{Guid.NewGuid():N}@example.com";
        await AddToAsync(a, email, "admin");
        await AddToAsync(b, email, "member");
        using var person = new ConsolePerson(app, email);
        Assert.Equal("chooseOrg", (await person.SignInByLinkAsync()).GetProperty("next").GetString());
        Assert.Equal(HttpStatusCode.OK, (await person.PostAsync("/auth/session/org", new { orgId = a.Id })).StatusCode);

        var enrolment = await JsonAsync(await person.PostAsync("/auth/totp/enrolment"));
        var totp = new Totp(Base32Encoding.ToBytes(enrolment.GetProperty("secret").GetString()));
        Assert.Equal(HttpStatusCode.OK, (await person.PostAsync("/auth/totp/enrolment/confirm", new { code = totp.ComputeTotp() })).StatusCode);
        var wrong = totp.ComputeTotp(DateTime.UtcNow.AddSeconds(30)) == "000000" ? "111111" : "000000";
        await ProblemAssert.IsProblemAsync(await person.PostAsync("/auth/totp/verify", new { code = wrong }), HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await person.PostAsync("/auth/totp/verify", new { code = totp.ComputeTotp(DateTime.UtcNow.AddSeconds(30)) })).StatusCode);
        using var key = new SoftwareAuthenticator(ConsolePerson.Origin, "localhost");
        Assert.Equal(HttpStatusCode.Created, (await RegisterAsync(person, key, "Key")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await person.Http.GetAsync("/auth/account/export")).StatusCode);

        var target = "account:" + AccountIds.For(email);
        async Task<List<string?>> AccountEventsAsync(Org org) =>
            [.. (await org.Owner.GetFromJsonAsync<JsonElement>("/api/audit?pageSize=100")).GetProperty("entries").EnumerateArray()
                .Where(e => e.GetProperty("target").GetString() == target).Select(e => e.GetProperty("action").GetString())];

        var inA = await AccountEventsAsync(a);
        Assert.Contains(Hiroi.Shared.Audit.AuditActions.TwoFactorEnabled, inA);
        Assert.Contains(Hiroi.Shared.Audit.AuditActions.SignInFailed, inA);
        Assert.Contains(Hiroi.Shared.Audit.AuditActions.PasskeyAdded, inA);
        Assert.Contains(Hiroi.Shared.Audit.AuditActions.AccountExported, inA);
        Assert.Empty(await AccountEventsAsync(b));
    }
}
