using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hiroi.Tests.Infrastructure;
using OtpNet;

namespace Hiroi.Tests.SignIn;

/// <summary>
/// Tries at a code are spent before the code is looked at, in one atomic step (Garnet here, as deployed with Redis): a
/// burst of wrong codes fired at once gets exactly the limit's share looked at, and the rest are 429 without a look.
/// </summary>
public sealed class ConcurrentTriesTests(SharedLimitsApp app) : IClassFixture<SharedLimitsApp>
{
    private async Task<ConsolePerson> MemberAsync()
    {
        var org = await app.CreateOrgAsync("Tries", $"owner-{Guid.NewGuid():N}@example.com");
        using var owner = app.ClientWithKey(org.OwnerApiKey);
        var email = $"person-{Guid.NewGuid():N}@example.com";
        (await owner.PostAsJsonAsync("/api/members", new { email, role = "admin" })).EnsureSuccessStatusCode();
        var person = new ConsolePerson(app, email, SharedLimitsApp.NewIp());
        await person.NextMailAsync(0); // the invitation
        return person;
    }

    private static string[] WrongCodes(int count, HashSet<string> right) =>
        [.. Enumerable.Range(0, 1_000_000).Select(i => i.ToString("D6", CultureInfo.InvariantCulture)).Where(c => !right.Contains(c)).Take(count)];

    [Fact]
    public async Task Three_hundred_concurrent_wrong_totp_codes_get_only_the_minutes_five_looked_at()
    {
        using var person = await MemberAsync();
        await person.SignInByLinkAsync();
        var enrolment = await (await person.PostAsync("/auth/totp/enrolment")).Content.ReadFromJsonAsync<JsonElement>();
        var totp = new Totp(Base32Encoding.ToBytes(enrolment.GetProperty("secret").GetString()));
        Assert.Equal(HttpStatusCode.OK, (await person.PostAsync("/auth/totp/enrolment/confirm", new { code = totp.ComputeTotp() })).StatusCode);
        await person.SendAsync(HttpMethod.Delete, "/auth/session");
        await person.SignInByLinkAsync(); // now owes the second step
        var right = new[] { -30, 0, 30, 60 }.Select(s => totp.ComputeTotp(DateTime.UtcNow.AddSeconds(s))).ToHashSet();
        var wrong = WrongCodes(300, right);

        HttpResponseMessage[] answers;
        using (app.Clock.Hold()) // one minute's window for the whole burst, however long it takes
        {
            answers = await Concurrently.RunAsync(300, i => person.PostAsync("/auth/totp/verify", new { code = wrong[i] }));
        }

        Assert.Equal(5, answers.Count(a => a.StatusCode == HttpStatusCode.Unauthorized)); // looked at, and refused
        Assert.Equal(295, answers.Count(a => a.StatusCode == HttpStatusCode.TooManyRequests)); // never looked at
    }

    [Fact]
    public async Task Thirty_concurrent_wrong_emailed_codes_from_one_address_get_only_five_looked_at()
    {
        using var person = await MemberAsync();
        Assert.Equal(HttpStatusCode.Accepted, (await person.PostAsync("/auth/code", new { email = person.Email })).StatusCode);
        var code = ConsolePerson.Code(await person.NextMailAsync(1));
        var wrong = WrongCodes(30, new HashSet<string> { code });

        HttpResponseMessage[] answers;
        using (app.Clock.Hold()) // one minute's window for the whole burst, however long it takes
        {
            answers = await Concurrently.RunAsync(30, i => person.PostAsync("/auth/code/complete", new { email = person.Email, code = wrong[i] }));
        }

        Assert.Equal(5, answers.Count(a => a.StatusCode == HttpStatusCode.Unauthorized));
        Assert.Equal(25, answers.Count(a => a.StatusCode == HttpStatusCode.TooManyRequests));
    }
}
