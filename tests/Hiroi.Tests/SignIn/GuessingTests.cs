using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hiroi.Tests.Infrastructure;
using OtpNet;

namespace Hiroi.Tests.SignIn;

/// <summary>Guessing a second factor: the graduated limits stop it long before it could work, and the owner is told to wait too.</summary>
[Lane(Lanes.Slow)]
public sealed class GuessingTests(SimulatedAcsApp app) : IClassFixture<SimulatedAcsApp>
{
    [Fact]
    public async Task Ten_thousand_guessed_totp_codes_are_stopped_by_the_limits()
    {
        var org = await app.CreateOrgAsync("Guessed", $"owner-{Guid.NewGuid():N}@example.com");
        using var owner = app.ClientWithKey(org.OwnerApiKey);
        var email = $"target-{Guid.NewGuid():N}@example.com";
        await owner.PostAsJsonAsync("/api/members", new { email, role = "admin" });
        using var person = new ConsolePerson(app, email);
        await person.NextMailAsync(0);
        await person.SignInByLinkAsync();
        var enrolment = await (await person.PostAsync("/auth/totp/enrolment")).Content.ReadFromJsonAsync<JsonElement>();
        var totp = new Totp(Base32Encoding.ToBytes(enrolment.GetProperty("secret").GetString()));
        Assert.Equal(HttpStatusCode.OK, (await person.PostAsync("/auth/totp/enrolment/confirm", new { code = totp.ComputeTotp() })).StatusCode);
        await person.SendAsync(HttpMethod.Delete, "/auth/session");
        await person.SignInByLinkAsync(); // now owes the second step

        var valid = new[] { -30, 0, 30, 60 }.Select(s => totp.ComputeTotp(DateTime.UtcNow.AddSeconds(s))).ToHashSet();
        var answers = new Dictionary<HttpStatusCode, int>();
        foreach (var guess in Enumerable.Range(0, 10_000).Select(i => i.ToString("D6", System.Globalization.CultureInfo.InvariantCulture)).Where(g => !valid.Contains(g)))
        {
            var status = (await person.PostAsync("/auth/totp/verify", new { code = guess })).StatusCode;
            answers[status] = answers.GetValueOrDefault(status) + 1;
        }

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests], answers.Keys.Order());
        Assert.InRange(answers[HttpStatusCode.Unauthorized], 5, 12); // looked at: a minute's, then five minutes', then the hour's share
        Assert.True(answers[HttpStatusCode.TooManyRequests] >= 9_980);

        // Locked out: even the right code waits, and the session still owes its second step.
        var right = await person.PostAsync("/auth/totp/verify", new { code = totp.ComputeTotp(DateTime.UtcNow.AddSeconds(30)) });
        Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode);
        Assert.True(right.Headers.RetryAfter is not null);
        Assert.Equal(HttpStatusCode.Forbidden, (await person.Http.GetAsync("/api/orgs/current")).StatusCode);
    }
}
