using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hiroi.Shared.SignIn;
using Hiroi.Shared.Storage;
using Hiroi.Tests.Http;
using Hiroi.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using OtpNet;

namespace Hiroi.Tests.SignIn;

/// <summary>
/// What a session may do and when it stops: CSRF on cookie requests, org isolation, revocation by sign-out, by the
/// person and by any change to the membership, and TOTP as the second step with codes that work once.
/// </summary>
public sealed class SessionSecurityTests(SimulatedAcsApp app) : IClassFixture<SimulatedAcsApp>
{
    private sealed record Org(string Id, HttpClient Owner);

    private async Task<Org> OrgAsync()
    {
        var org = await app.CreateOrgAsync("Org " + Guid.NewGuid().ToString("N")[..6], $"owner-{Guid.NewGuid():N}@example.com");
        return new Org(org.OrgId.Value, app.ClientWithKey(org.OwnerApiKey));
    }

    private async Task<(ConsolePerson Person, string MemberId)> SignedInAsync(Org org, string role = "admin")
    {
        var email = $"person-{Guid.NewGuid():N}@example.com";
        var added = await org.Owner.PostAsJsonAsync("/api/members", new { email, role });
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var person = new ConsolePerson(app, email);
        await person.NextMailAsync(0); // the invitation
        var session = await person.SignInByLinkAsync();
        Assert.Equal("ready", session.GetProperty("next").GetString());
        return (person, (await added.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
    }

    [Fact]
    public async Task A_cookie_request_that_changes_state_needs_the_csrf_token_and_our_origin()
    {
        var org = await OrgAsync();
        var (person, _) = await SignedInAsync(org);
        using var _1 = person;

        async Task<HttpResponseMessage> Post(string? csrf, string? origin, string? fetchSite)
        {
            var client = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions
            {
                BaseAddress = new Uri(ConsolePerson.Origin), HandleCookies = false,
            });
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/members")
            {
                Content = JsonContent.Create(new { email = $"x-{Guid.NewGuid():N}@example.com", role = "member" }),
            };
            request.Headers.Add("Cookie", person.CookieHeader());
            if (csrf is not null)
            {
                request.Headers.Add("X-CSRF-Token", csrf);
            }

            if (origin is not null)
            {
                request.Headers.Add("Origin", origin);
            }

            if (fetchSite is not null)
            {
                request.Headers.Add("Sec-Fetch-Site", fetchSite);
            }

            return await client.SendAsync(request);
        }

        await ProblemAssert.IsProblemAsync(await Post(null, ConsolePerson.Origin, null), HttpStatusCode.Forbidden);
        await ProblemAssert.IsProblemAsync(await Post("forged", ConsolePerson.Origin, null), HttpStatusCode.Forbidden);
        await ProblemAssert.IsProblemAsync(await Post(person.Csrf, "https://evil.example", null), HttpStatusCode.Forbidden);
        await ProblemAssert.IsProblemAsync(await Post(person.Csrf, null, "same-site"), HttpStatusCode.Forbidden);
        await ProblemAssert.IsProblemAsync(await Post(person.Csrf, null, null), HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.Created, (await Post(person.Csrf, ConsolePerson.Origin, null)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await Post(person.Csrf, null, "same-origin")).StatusCode);

        // Reads need no token; API keys carry no ambient credential and are unchanged.
        Assert.Equal(HttpStatusCode.OK, (await person.Http.GetAsync("/api/members")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await org.Owner.PostAsJsonAsync("/api/members", new { email = $"k-{Guid.NewGuid():N}@example.com", role = "member" })).StatusCode);

        // Nothing was added by the refused requests: the owner, the person, and the three accepted adds.
        var members = await org.Owner.GetFromJsonAsync<JsonElement>("/api/members");
        Assert.Equal(5, members.GetArrayLength());
    }

    [Fact]
    public async Task Anonymous_routes_need_no_token_from_a_browser_that_holds_a_session()
    {
        var org = await OrgAsync();
        var (person, _) = await SignedInAsync(org);
        using var _1 = person;
        var before = (await person.MailsAsync()).Count;
        await person.PostAsync("/auth/link", new { email = person.Email });
        var token = ConsolePerson.LinkToken(await person.NextMailAsync(before));
        var followed = await person.SendAsync(HttpMethod.Post, "/auth/link/complete", new { token }, withCsrf: false);
        Assert.Equal(HttpStatusCode.OK, followed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await person.SendAsync(HttpMethod.Post, "/auth/passkeys/sign-in", new { }, withCsrf: false)).StatusCode);
    }

    [Fact]
    public async Task A_sign_in_request_from_another_site_is_refused()
    {
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/link/complete") { Content = JsonContent.Create(new { token = SessionTokens.New() }) };
        request.Headers.Add("Sec-Fetch-Site", "cross-site");
        await ProblemAssert.IsProblemAsync(await client.SendAsync(request), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_session_of_one_org_gets_404_on_another_orgs_member()
    {
        var a = await OrgAsync();
        var b = await OrgAsync();
        var (person, _) = await SignedInAsync(a);
        using var _1 = person;
        var bMembers = await b.Owner.GetFromJsonAsync<JsonElement>("/api/members");
        var bOwner = bMembers[0].GetProperty("id").GetString();

        await ProblemAssert.IsProblemAsync(await person.SendAsync(HttpMethod.Patch, $"/api/members/{bOwner}", new { role = "member" }), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await person.SendAsync(HttpMethod.Delete, $"/api/members/{bOwner}"), HttpStatusCode.NotFound);
        Assert.Equal("owner", (await b.Owner.GetFromJsonAsync<JsonElement>("/api/members"))[0].GetProperty("role").GetString());
    }

    [Fact]
    public async Task Signing_out_removing_or_re_roling_the_member_or_deleting_the_org_ends_sessions_at_once()
    {
        var org = await OrgAsync();
        var (leaving, leavingId) = await SignedInAsync(org);
        var (rerolled, rerolledId) = await SignedInAsync(org);
        var (signingOut, _) = await SignedInAsync(org);
        using var _1 = leaving;
        using var _2 = rerolled;
        using var _3 = signingOut;

        var oldCookie = signingOut.CookieHeader();
        Assert.Equal(HttpStatusCode.NoContent, (await signingOut.SendAsync(HttpMethod.Delete, "/auth/session")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await WithCookieAsync(oldCookie, "/api/orgs/current")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await org.Owner.DeleteAsync($"/api/members/{leavingId}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await leaving.Http.GetAsync("/api/orgs/current")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await org.Owner.PatchAsJsonAsync($"/api/members/{rerolledId}", new { role = "member" })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await rerolled.Http.GetAsync("/api/orgs/current")).StatusCode);
        var again = await rerolled.SignInByLinkAsync();
        Assert.Equal("member", again.GetProperty("role").GetString());

        var orgName = (await org.Owner.GetFromJsonAsync<JsonElement>("/api/orgs/current")).GetProperty("name").GetString();
        Assert.Equal(HttpStatusCode.Accepted, (await org.Owner.PostAsJsonAsync("/api/orgs/current/deletion", new { confirmName = orgName })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await rerolled.Http.GetAsync("/api/orgs/current")).StatusCode);
    }

    [Fact]
    public async Task A_person_lists_their_sessions_and_revokes_one_but_not_someone_elses()
    {
        var org = await OrgAsync();
        var (laptop, _) = await SignedInAsync(org);
        using var _1 = laptop;
        using var phone = new ConsolePerson(app, laptop.Email);
        await phone.SignInByLinkAsync();
        var (stranger, _) = await SignedInAsync(org);
        using var _2 = stranger;

        var sessions = await laptop.Http.GetFromJsonAsync<JsonElement>("/auth/sessions");
        Assert.Equal(2, sessions.GetArrayLength());
        var other = sessions.EnumerateArray().Single(s => !s.GetProperty("current").GetBoolean()).GetProperty("id").GetString();
        var strangers = (await stranger.Http.GetFromJsonAsync<JsonElement>("/auth/sessions"))[0].GetProperty("id").GetString();

        await ProblemAssert.IsProblemAsync(await laptop.SendAsync(HttpMethod.Delete, $"/auth/sessions/{strangers}"), HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.OK, (await stranger.Http.GetAsync("/api/orgs/current")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await laptop.SendAsync(HttpMethod.Delete, $"/auth/sessions/{other}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await phone.Http.GetAsync("/api/orgs/current")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await laptop.Http.GetAsync("/api/orgs/current")).StatusCode);
    }

    [Fact]
    public async Task Totp_is_enrolled_sealed_and_then_asked_at_sign_in_with_each_code_working_once()
    {
        var org = await OrgAsync();
        var (person, _) = await SignedInAsync(org);
        using var _1 = person;

        var enrolment = await (await person.PostAsync("/auth/totp/enrolment")).Content.ReadFromJsonAsync<JsonElement>();
        var uri = enrolment.GetProperty("uri").GetString()!;
        Assert.StartsWith("otpauth://totp/", uri, StringComparison.Ordinal);
        Assert.StartsWith("<svg",
            enrolment.GetProperty("qrCodeSvg").GetString()!.TrimStart()[..50].Replace("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "", StringComparison.Ordinal).TrimStart(),
            StringComparison.Ordinal);
        var secretText = enrolment.GetProperty("secret").GetString()!;
        var totp = new Totp(Base32Encoding.ToBytes(secretText));

        var beforeConfirm = person.CookieHeader();
        var now = DateTime.UtcNow;
        var confirmCode = totp.ComputeTotp(now);
        var confirmed = await person.PostAsync("/auth/totp/enrolment/confirm", new { code = confirmCode });
        Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
        var recovery = (await confirmed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("recoveryCodes").EnumerateArray().Select(c => c.GetString()!).ToList();
        Assert.Equal(10, recovery.Distinct().Count());
        Assert.Equal(HttpStatusCode.Unauthorized, (await WithCookieAsync(beforeConfirm, "/api/orgs/current")).StatusCode); // rotated

        // At rest the secret is a Fernet token (version byte 0x80), not the secret.
        var account = await app.Services.GetRequiredService<AccountRepository>().FindAsync(AccountIds.For(person.Email), default);
        Assert.StartsWith("gAAAAA", account!.TotpSecret, StringComparison.Ordinal);
        Assert.DoesNotContain(secretText, account.TotpSecret, StringComparison.Ordinal);

        // Signing in again asks for the second step, and nothing else works until it is done.
        await person.SendAsync(HttpMethod.Delete, "/auth/session");
        var pending = await person.SignInByLinkAsync();
        Assert.Equal("secondFactor", pending.GetProperty("next").GetString());
        await ProblemAssert.IsProblemAsync(await person.Http.GetAsync("/api/orgs/current"), HttpStatusCode.Forbidden);

        await ProblemAssert.IsProblemAsync(await person.PostAsync("/auth/totp/verify", new { code = confirmCode }), HttpStatusCode.Unauthorized); // used already
        var nextCode = totp.ComputeTotp(now.AddSeconds(30));
        var verified = await person.PostAsync("/auth/totp/verify", new { code = nextCode });
        Assert.Equal(HttpStatusCode.OK, verified.StatusCode);
        Assert.Equal("ready", (await verified.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("next").GetString());
        Assert.Equal(HttpStatusCode.OK, (await person.Http.GetAsync("/api/orgs/current")).StatusCode);

        // A recovery code works once; turning TOTP off takes a fresh factor.
        Assert.Equal(HttpStatusCode.OK, (await person.PostAsync("/auth/totp/verify", new { code = recovery[0] })).StatusCode);
        await ProblemAssert.IsProblemAsync(await person.PostAsync("/auth/totp/verify", new { code = recovery[0] }), HttpStatusCode.Unauthorized);
        await ProblemAssert.IsProblemAsync(await person.PostAsync("/auth/totp/disable", new { code = "000000" == nextCode ? "111111" : "000000" }), HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await person.PostAsync("/auth/totp/disable", new { code = recovery[1] })).StatusCode);
        var after = await person.Http.GetFromJsonAsync<JsonElement>("/auth/session");
        Assert.False(after.GetProperty("totpEnabled").GetBoolean());
    }

    [Fact]
    public async Task An_org_that_requires_two_factor_ends_sessions_without_one_and_admits_members_once_a_sign_in_shows_one()
    {
        var org = await OrgAsync();
        var (person, _) = await SignedInAsync(org, role: "member");
        using var _1 = person;

        var set = await org.Owner.PutAsJsonAsync("/api/orgs/current/two-factor", new { required = true });
        Assert.True((await set.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("requireTwoFactor").GetBoolean());
        Assert.Equal(HttpStatusCode.Unauthorized, (await person.Http.GetAsync("/api/orgs/current")).StatusCode);

        var session = await person.SignInByLinkAsync();
        Assert.Equal("chooseOrg", session.GetProperty("next").GetString());
        var refused = await ProblemAssert.IsProblemAsync(await person.PostAsync("/auth/session/org", new { orgId = org.Id }), HttpStatusCode.Forbidden);
        Assert.Contains("two-factor", refused.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var enrolment = await (await person.PostAsync("/auth/totp/enrolment")).Content.ReadFromJsonAsync<JsonElement>();
        var totp = new Totp(Base32Encoding.ToBytes(enrolment.GetProperty("secret").GetString()));
        Assert.Equal(HttpStatusCode.OK, (await person.PostAsync("/auth/totp/enrolment/confirm", new { code = totp.ComputeTotp() })).StatusCode);

        // A factor enrolled in a session is not one the session showed: whoever holds only the mailbox could enrol one.
        await ProblemAssert.IsProblemAsync(await person.PostAsync("/auth/session/org", new { orgId = org.Id }), HttpStatusCode.Forbidden);
        Assert.False((await person.Http.GetFromJsonAsync<JsonElement>("/auth/session")).GetProperty("twoFactorShown").GetBoolean());

        // A sign-in that shows it is admitted.
        await person.SendAsync(HttpMethod.Delete, "/auth/session");
        Assert.Equal("secondFactor", (await person.SignInByLinkAsync()).GetProperty("next").GetString());
        Assert.Equal(HttpStatusCode.OK, (await person.PostAsync("/auth/totp/verify", new { code = totp.ComputeTotp(DateTime.UtcNow.AddSeconds(30)) })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await person.Http.GetAsync("/api/orgs/current")).StatusCode);

        // An API key (no session) is not a person.
        await ProblemAssert.IsProblemAsync(await org.Owner.PostAsJsonAsync("/auth/session/org", new { orgId = org.Id }), HttpStatusCode.Forbidden);
    }

    /// <summary>Adds the person to another org; returns their member id there.</summary>
    private static async Task<string> AddToAsync(Org org, string email, string role = "admin")
    {
        var added = await org.Owner.PostAsJsonAsync("/api/members", new { email, role });
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        return (await added.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task Turning_totp_on_ends_the_persons_other_sessions_which_showed_no_second_factor()
    {
        var org = await OrgAsync();
        var (laptop, _) = await SignedInAsync(org);
        using var _1 = laptop;
        using var phone = new ConsolePerson(app, laptop.Email);
        await phone.SignInByLinkAsync();
        Assert.Equal(HttpStatusCode.OK, (await phone.Http.GetAsync("/api/orgs/current")).StatusCode);

        var enrolment = await (await laptop.PostAsync("/auth/totp/enrolment")).Content.ReadFromJsonAsync<JsonElement>();
        var code = new Totp(Base32Encoding.ToBytes(enrolment.GetProperty("secret").GetString())).ComputeTotp();
        Assert.Equal(HttpStatusCode.OK, (await laptop.PostAsync("/auth/totp/enrolment/confirm", new { code })).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await phone.Http.GetAsync("/api/orgs/current")).StatusCode);
        await ProblemAssert.IsProblemAsync(await phone.PostAsync("/auth/passkeys"), HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await laptop.Http.GetAsync("/api/orgs/current")).StatusCode);
        Assert.Single((await laptop.Http.GetFromJsonAsync<JsonElement>("/auth/sessions")).EnumerateArray());
    }

    [Fact]
    public async Task A_step_up_whose_membership_went_meanwhile_ends_the_session_instead_of_carrying_the_org_over()
    {
        var org = await OrgAsync();
        var (person, _) = await SignedInAsync(org);
        using var _1 = person;
        await AddToAsync(await OrgAsync(), person.Email); // the account outlives the membership below
        var enrolment = await (await person.PostAsync("/auth/totp/enrolment")).Content.ReadFromJsonAsync<JsonElement>();
        var totp = new Totp(Base32Encoding.ToBytes(enrolment.GetProperty("secret").GetString()));
        Assert.Equal(HttpStatusCode.OK, (await person.PostAsync("/auth/totp/enrolment/confirm", new { code = totp.ComputeTotp() })).StatusCode);
        Assert.Equal(org.Id, (await person.Http.GetFromJsonAsync<JsonElement>("/auth/session")).GetProperty("orgId").GetString());

        // A removal that has changed the membership but not yet reached the sessions: the step-up lands in between.
        var accounts = app.Services.GetRequiredService<AccountRepository>();
        var orgId = Hiroi.Shared.Tenancy.OrgId.TryParse(org.Id, out var parsed) ? parsed : throw new InvalidOperationException();
        var tables = app.Services.GetRequiredService<Hiroi.Shared.Storage.HiroiTables>();
        var table = await tables.GetAsync(Hiroi.Shared.Storage.TableNames.Accounts);
        await table.DeleteEntityAsync(AccountIds.For(person.Email), AccountMembershipEntity.Key(orgId));
        Assert.Null(await accounts.MembershipAsync(AccountIds.For(person.Email), orgId, default));

        var stepUp = await person.PostAsync("/auth/totp/verify", new { code = totp.ComputeTotp(DateTime.UtcNow.AddSeconds(30)) });
        await ProblemAssert.IsProblemAsync(stepUp, HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.Unauthorized, (await person.Http.GetAsync("/api/orgs/current")).StatusCode);
        Assert.Empty(await app.Services.GetRequiredService<SignInSessionStore>().ListAsync(AccountIds.For(person.Email), default));
    }

    [Fact]
    public async Task A_person_downloads_their_own_account_data_without_its_secrets()
    {
        var org = await OrgAsync();
        var (person, memberId) = await SignedInAsync(org);
        using var _1 = person;
        var (other, _) = await SignedInAsync(org);
        using var _2 = other;
        var enrolment = await (await person.PostAsync("/auth/totp/enrolment")).Content.ReadFromJsonAsync<JsonElement>();
        var secret = enrolment.GetProperty("secret").GetString()!;
        var confirmed = await person.PostAsync("/auth/totp/enrolment/confirm", new { code = new Totp(Base32Encoding.ToBytes(secret)).ComputeTotp() });
        var recovery = (await confirmed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("recoveryCodes")[0].GetString()!;
        var stepUp = new Totp(Base32Encoding.ToBytes(secret)).ComputeTotp(DateTime.UtcNow.AddSeconds(30)); // adding a passkey takes the code
        Assert.Equal(HttpStatusCode.OK, (await person.PostAsync("/auth/totp/verify", new { code = stepUp })).StatusCode);
        using var key = new SoftwareAuthenticator(ConsolePerson.Origin, "localhost");
        var ceremony = await (await person.PostAsync("/auth/passkeys")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.Created, (await person.PostAsync("/auth/passkeys/complete",
            new { flowId = ceremony.GetProperty("flowId").GetString(), name = "Laptop", credential = key.Create(ceremony.GetProperty("options")) })).StatusCode);

        var response = await person.Http.GetAsync("/auth/account/export");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType ?? response.Headers.GetValues("Content-Disposition").Single().Split(';')[0]);
        var text = await response.Content.ReadAsStringAsync();
        var data = JsonDocument.Parse(text).RootElement;
        Assert.Equal(person.Email, data.GetProperty("email").GetString());
        Assert.True(data.GetProperty("totp").GetProperty("enabled").GetBoolean());
        Assert.Equal(10, data.GetProperty("totp").GetProperty("recoveryCodesLeft").GetInt32());
        Assert.Equal([(org.Id, memberId, "admin")], data.GetProperty("memberships").EnumerateArray()
            .Select(m => (m.GetProperty("orgId").GetString(), m.GetProperty("memberId").GetString(), m.GetProperty("role").GetString())));
        Assert.Equal("Laptop", data.GetProperty("passkeys")[0].GetProperty("name").GetString());
        Assert.Single(data.GetProperty("sessions").EnumerateArray());

        // Nothing secret, and nothing of anyone else's.
        var account = await app.Services.GetRequiredService<AccountRepository>().FindAsync(AccountIds.For(person.Email), default);
        Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(account!.TotpSecret!, text, StringComparison.Ordinal);
        Assert.DoesNotContain(recovery, text, StringComparison.Ordinal);
        Assert.DoesNotContain(account.RecoveryCodeHashes!.Split(' ')[0], text, StringComparison.Ordinal);
        Assert.DoesNotContain(person.CookieHeader().Split('=')[1], text, StringComparison.Ordinal);
        Assert.DoesNotContain(other.Email, text, StringComparison.Ordinal);

        // The export is audited in the person's org, under ids only; an API key has no account to export.
        var audit = await org.Owner.GetFromJsonAsync<JsonElement>("/api/audit?action=account.exported");
        Assert.DoesNotContain(person.Email, audit.GetRawText(), StringComparison.Ordinal);
        Assert.Single(audit.GetProperty("entries").EnumerateArray());
        await ProblemAssert.IsProblemAsync(await org.Owner.GetAsync("/auth/account/export"), HttpStatusCode.Forbidden);
    }

    /// <summary>Holds back the write of one session row until released, so a test can land a change in between.</summary>
    private sealed class SessionWriteGate(string sessionHash) : Azure.Core.Pipeline.HttpPipelinePolicy
    {
        public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async ValueTask ProcessAsync(Azure.Core.HttpMessage message, ReadOnlyMemory<Azure.Core.Pipeline.HttpPipelinePolicy> pipeline)
        {
            if (message.Request.Method == Azure.Core.RequestMethod.Put && message.Request.Uri.ToString().Contains(sessionHash, StringComparison.Ordinal))
            {
                Reached.TrySetResult();
                await Release.Task;
            }

            await ProcessNextAsync(message, pipeline);
        }

        public override void Process(Azure.Core.HttpMessage message, ReadOnlyMemory<Azure.Core.Pipeline.HttpPipelinePolicy> pipeline) =>
            throw new NotSupportedException();
    }

    [Fact]
    public async Task An_org_choice_whose_write_lands_after_the_members_removal_ends_the_session()
    {
        var stays = await OrgAsync();
        var leaves = await OrgAsync();
        var email = $"racer-{Guid.NewGuid():N}@example.com";
        await AddToAsync(stays, email);
        var memberId = await AddToAsync(leaves, email);
        Assert.True(Hiroi.Shared.Tenancy.OrgId.TryParse(leaves.Id, out var leavesId));
        var sessions = app.Services.GetRequiredService<SignInSessionStore>();
        var session = await sessions.CreateAsync(AccountIds.For(email), "link", needsSecondFactor: false, secondFactorAt: null, "test", default);

        // The same services over a storage client whose write of this session's row waits for the test.
        var gate = new SessionWriteGate(session.Hash);
        var clientOptions = new Azure.Data.Tables.TableClientOptions();
        clientOptions.AddPolicy(gate, Azure.Core.HttpPipelinePosition.PerCall);
        var tables = new Hiroi.Shared.Storage.HiroiTables(
            new Azure.Data.Tables.TableServiceClient(TestStorage.ConnectionString, clientOptions),
            app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Hiroi.Shared.Storage.StorageOptions>>());
        var gatedSessions = new SignInSessionStore(tables, app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<SignInOptions>>(), TimeProvider.System);
        var gatedAccounts = new AccountRepository(tables, gatedSessions);
        var signIn = new ConsoleSignIn(
            app.Services.GetRequiredService<SignInMailbox>(), app.Services.GetRequiredService<SignInTokenStore>(), app.Services.GetRequiredService<SignInThrottle>(),
            gatedSessions, gatedAccounts, new SessionOrgGuard(gatedAccounts, new Hiroi.Shared.Tenancy.OrganizationRepository(tables), gatedSessions),
            app.Services.GetRequiredService<AccountAudit>(), app.Services.GetRequiredService<Hiroi.Shared.Audit.AuditTrail>(), TimeProvider.System);

        // The choice has found the membership and is writing the session when the removal runs to its end.
        var choice = signIn.ChooseOrgAsync(session, leavesId, default);
        await gate.Reached.Task.WaitAsync(Waits.Ceiling);
        Assert.Equal(HttpStatusCode.NoContent, (await leaves.Owner.DeleteAsync($"/api/members/{memberId}")).StatusCode);
        gate.Release.SetResult();

        Assert.Equal(OrgChoice.NotMember, await choice);
        Assert.Null(await sessions.FindAsync(session.Token, default));
    }

    [Fact]
    public async Task Closing_an_account_ends_all_its_sessions_and_leaves_no_row_of_it()
    {
        var first = await OrgAsync();
        var second = await OrgAsync();
        var email = $"closing-{Guid.NewGuid():N}@example.com";
        var inFirst = await AddToAsync(first, email);
        var inSecond = await AddToAsync(second, email);
        using var person = new ConsolePerson(app, email);
        var session = await person.SignInByLinkAsync();
        Assert.Equal("chooseOrg", session.GetProperty("next").GetString());
        Assert.Equal(HttpStatusCode.OK, (await person.PostAsync("/auth/session/org", new { orgId = first.Id })).StatusCode);
        using var key = new SoftwareAuthenticator(ConsolePerson.Origin, "localhost");
        var ceremony = await (await person.PostAsync("/auth/passkeys")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.Created, (await person.PostAsync("/auth/passkeys/complete",
            new { flowId = ceremony.GetProperty("flowId").GetString(), name = "Key", credential = key.Create(ceremony.GetProperty("options")) })).StatusCode);
        using var orgless = new ConsolePerson(app, email);
        Assert.Equal("chooseOrg", (await orgless.SignInByLinkAsync()).GetProperty("next").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await first.Owner.DeleteAsync($"/api/members/{inFirst}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await person.Http.GetAsync("/auth/session")).StatusCode); // its session was in that org
        Assert.Equal(HttpStatusCode.OK, (await orgless.Http.GetAsync("/auth/session")).StatusCode); // still a member elsewhere
        Assert.Equal(HttpStatusCode.NoContent, (await second.Owner.DeleteAsync($"/api/members/{inSecond}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await orgless.Http.GetAsync("/auth/session")).StatusCode);
        Assert.Null(await app.Services.GetRequiredService<AccountRepository>().FindAsync(AccountIds.For(email), default));

        // Nothing of the account is left in the accounts table: no profile, no passkey, no credential claim.
        var accounts = await app.Services.GetRequiredService<Hiroi.Shared.Storage.HiroiTables>().GetAsync(Hiroi.Shared.Storage.TableNames.Accounts);
        var claim = PasskeyClaimEntity.Prefix + PasskeyEntity.Key(key.CredentialId)[PasskeyEntity.Prefix.Length..];
        Assert.False((await accounts.GetEntityIfExistsAsync<Azure.Data.Tables.TableEntity>(claim, PasskeyClaimEntity.RowKeyValue)).HasValue);
        Assert.Empty(await accounts.QueryAsync<Azure.Data.Tables.TableEntity>(r => r.PartitionKey == AccountIds.For(email)).ToListAsync());
    }

    private async Task<HttpResponseMessage> WithCookieAsync(string cookie, string path)
    {
        using var client = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions
        {
            BaseAddress = new Uri(ConsolePerson.Origin), HandleCookies = false,
        });
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Cookie", cookie);
        return await client.SendAsync(request);
    }
}
