using System.Net;
using System.Net.Http.Json;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.SignIn;

/// <summary>
/// Strangers cannot lock a person out of sign-in (OWASP's device cookies): a browser that completed a sign-in holds a
/// signed cookie that counts its tries and mails apart from the account-wide limits strangers share, so strangers from
/// many addresses spend only their own share. Played out over HTTP with the limits in Garnet.
/// </summary>
public sealed class StrangerLockoutTests(SharedLimitsApp app) : IClassFixture<SharedLimitsApp>
{
    [Fact]
    public async Task Strangers_from_many_addresses_cannot_keep_the_person_from_signing_in_on_their_own_device()
    {
        var org = await app.CreateOrgAsync("Lockout", $"owner-{Guid.NewGuid():N}@example.com");
        using var owner = app.ClientWithKey(org.OwnerApiKey);
        var email = $"person-{Guid.NewGuid():N}@example.com";
        var probeEmail = $"probe-{Guid.NewGuid():N}@example.com";
        (await owner.PostAsJsonAsync("/api/members", new { email, role = "admin" })).EnsureSuccessStatusCode();
        (await owner.PostAsJsonAsync("/api/members", new { email = probeEmail, role = "member" })).EnsureSuccessStatusCode();
        using var person = new ConsolePerson(app, email, SharedLimitsApp.NewIp());
        using var probe = new ConsolePerson(app, probeEmail, SharedLimitsApp.NewIp());
        await person.NextMailAsync(0);
        await probe.NextMailAsync(0);

        // Mails go out one at a time in the order asked for: once a mail asked for after them reaches the probe, every
        // earlier request has been handled (sent, or dropped by a quota).
        async Task FlushMailAsync()
        {
            var probes = (await probe.MailsAsync()).Count;
            Assert.Equal(HttpStatusCode.Accepted, (await probe.PostAsync("/auth/link", new { email = probeEmail })).StatusCode);
            await probe.NextMailAsync(probes);
        }

        // A sign-in on the person's own browser makes it a known device.
        await person.SignInByLinkAsync();
        await person.SendAsync(HttpMethod.Delete, "/auth/session");

        // Strangers from eight addresses: three links each (24 mails asked for, more than the address's share), a code
        // each, then five wrong codes each (40, more than strangers may try on the account in an hour).
        var strangers = Enumerable.Range(0, 8).Select(_ => new ConsolePerson(app, email, SharedLimitsApp.NewIp())).ToList();
        var held = app.Clock.Hold(); // the strangers' tries and the late one meet one hour's window, however long they take
        foreach (var stranger in strangers)
        {
            for (var i = 0; i < 3; i++)
            {
                Assert.Equal(HttpStatusCode.Accepted, (await stranger.PostAsync("/auth/link", new { email })).StatusCode);
            }

            Assert.Equal(HttpStatusCode.Accepted, (await stranger.PostAsync("/auth/code", new { email })).StatusCode);
        }

        await FlushMailAsync();
        foreach (var stranger in strangers)
        {
            for (var i = 0; i < 5; i++)
            {
                Assert.NotEqual(HttpStatusCode.OK, (await stranger.PostAsync("/auth/code/complete", new { email, code = "000000" })).StatusCode);
            }
        }

        // Strangers are held: the account's share for them is spent.
        using var late = new ConsolePerson(app, email, SharedLimitsApp.NewIp());
        Assert.Equal(HttpStatusCode.TooManyRequests, (await late.PostAsync("/auth/code/complete", new { email, code = "000000" })).StatusCode);
        held.Dispose();

        // The person, on their device: a link is mailed, and it signs in.
        var before = (await person.MailsAsync()).Count;
        Assert.Equal(HttpStatusCode.Accepted, (await person.PostAsync("/auth/link", new { email })).StatusCode);
        await FlushMailAsync();
        var mails = await person.MailsAsync();
        Assert.Equal(before + 1, mails.Count);
        Assert.Equal(HttpStatusCode.OK, (await person.PostAsync("/auth/link/complete", new { token = ConsolePerson.LinkToken(mails[^1]) })).StatusCode);
        await person.SendAsync(HttpMethod.Delete, "/auth/session");

        // A code asked for on the device survives a stranger asking for another and guessing at it, and signs in.
        Assert.Equal(HttpStatusCode.Accepted, (await person.PostAsync("/auth/code", new { email })).StatusCode);
        await FlushMailAsync();
        var code = ConsolePerson.Code((await person.MailsAsync())[^1]);
        using var another = new ConsolePerson(app, email, SharedLimitsApp.NewIp());
        Assert.Equal(HttpStatusCode.Accepted, (await another.PostAsync("/auth/code", new { email })).StatusCode);
        await FlushMailAsync();
        for (var i = 0; i < 5; i++)
        {
            Assert.NotEqual(HttpStatusCode.OK, (await another.PostAsync("/auth/code/complete", new { email, code = code == "000000" ? "000001" : "000000" })).StatusCode);
        }

        var signedIn = await person.PostAsync("/auth/code/complete", new { email, code });
        Assert.True(signedIn.StatusCode == HttpStatusCode.OK, await signedIn.Content.ReadAsStringAsync());
        strangers.ForEach(s => s.Dispose());
    }

    [Fact]
    public async Task Twenty_links_asked_at_once_from_one_address_mail_only_that_addresses_five()
    {
        var org = await app.CreateOrgAsync("Mail quota", Unique.Email("owner"));
        using var owner = app.ClientWithKey(org.OwnerApiKey);
        var email = Unique.Email("person");
        var probeEmail = Unique.Email("probe");
        (await owner.PostAsJsonAsync("/api/members", new { email, role = "member" })).EnsureSuccessStatusCode();
        (await owner.PostAsJsonAsync("/api/members", new { email = probeEmail, role = "member" })).EnsureSuccessStatusCode();
        using var stranger = new ConsolePerson(app, email, SharedLimitsApp.NewIp());
        using var probe = new ConsolePerson(app, probeEmail, SharedLimitsApp.NewIp());
        await stranger.NextMailAsync(0); // the invitations
        await probe.NextMailAsync(0);

        // Twenty at once from one address, within one 15-minute window: each answers alike (nothing tells who is asking).
        using (app.Clock.Hold())
        {
            var asked = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => stranger.PostAsync("/auth/link", new { email })));
            Assert.All(asked, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        }

        // Mails go out in the order asked for: once the probe's (asked after) arrives, every earlier one was sent or dropped.
        Assert.Equal(HttpStatusCode.Accepted, (await probe.PostAsync("/auth/link", new { email = probeEmail })).StatusCode);
        await probe.NextMailAsync(1);
        Assert.Equal(1 + 5, (await stranger.MailsAsync()).Count);
    }
}
