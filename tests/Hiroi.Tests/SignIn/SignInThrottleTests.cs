using Hiroi.Shared.RateLimiting;
using Hiroi.Shared.Secrets;
using Hiroi.Shared.SignIn;
using Hiroi.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Hiroi.Tests.SignIn;

/// <summary>
/// Whose failures count against whom: a stranger guessing a person's emailed code from elsewhere cannot lock that person
/// out, guessing from many IPs still stops, failing one factor never blocks the other, and the person's own device
/// keeps a share strangers cannot spend.
/// </summary>
[Lane(Lanes.Unit)]
public sealed class SignInThrottleTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 3, 9, 0, 0, TimeSpan.Zero));
    private readonly InMemoryLimitCounter _counter;
    private readonly TrustedDevices _devices;
    private readonly SignInThrottle _throttle;

    public SignInThrottleTests()
    {
        _counter = new InMemoryLimitCounter(_clock);
        _devices = new TrustedDevices(new FixedSecrets(), _clock);
        _throttle = new SignInThrottle(_counter, _devices);
    }

    public void Dispose() => _counter.Dispose();

    private static SignInClient From(string ip, string? device = null) => new(ip, "test", device);

    private async Task FailAsync(SignInFactor factor, string account, string ip, int times, string? device = null)
    {
        for (var i = 0; i < times; i++)
        {
            Assert.True((await _throttle.TryAsync(factor, account, From(ip, device), default)).Allowed); // each try spent, and kept: a failure
        }
    }

    /// <summary>Fails <paramref name="times"/> times, waiting out each refusal as a patient guesser would.</summary>
    private async Task FailPatientlyAsync(SignInFactor factor, string account, string ip, int times)
    {
        for (var failed = 0; failed < times;)
        {
            var attempt = await _throttle.TryAsync(factor, account, From(ip), default);
            if (attempt.Allowed)
            {
                failed++;
            }
            else
            {
                _clock.SetUtcNow(attempt.RetryAt);
            }
        }
    }

    private async Task<ThrottleDecision> LookAsync(SignInFactor factor, string? account, string ip, string? device = null)
    {
        var attempt = await _throttle.TryAsync(factor, account, From(ip, device), default);
        if (attempt.Allowed)
        {
            await attempt.NotFailedAsync();
        }

        return new ThrottleDecision(attempt.Allowed, attempt.RetryAt);
    }

    [Fact]
    public async Task A_stranger_guessing_an_emailed_code_from_elsewhere_does_not_lock_the_person_out()
    {
        var hourEnds = _clock.GetUtcNow().AddHours(1);
        await FailPatientlyAsync(SignInFactor.EmailCode, "acc_victim", "203.0.113.9", 12);

        var stranger = await LookAsync(SignInFactor.EmailCode, "acc_victim", "203.0.113.9");
        Assert.False(stranger.Allowed);
        Assert.Equal(hourEnds, stranger.RetryAt); // the hour's share is spent: locked out for its rest

        Assert.True((await LookAsync(SignInFactor.EmailCode, "acc_victim", "198.51.100.7")).Allowed);
        Assert.True((await LookAsync(SignInFactor.Totp, "acc_victim", "198.51.100.7")).Allowed);
    }

    [Fact]
    public async Task Guessing_one_persons_code_from_many_ips_stops_at_the_accounts_own_limit_but_not_for_their_device()
    {
        for (var ip = 0; ip < 10; ip++)
        {
            await FailAsync(SignInFactor.EmailCode, "acc_target", $"192.0.2.{ip}", 3); // under every per-IP tier
        }

        Assert.False((await LookAsync(SignInFactor.EmailCode, "acc_target", "192.0.2.200")).Allowed);
        Assert.True((await LookAsync(SignInFactor.EmailCode, "acc_other", "192.0.2.200")).Allowed);
        Assert.True((await LookAsync(SignInFactor.Totp, "acc_target", "192.0.2.200")).Allowed);
        var device = await _devices.IssueAsync("acc_target", default);
        Assert.True((await LookAsync(SignInFactor.EmailCode, "acc_target", "192.0.2.200", device)).Allowed); // the person, from their device

        _clock.Advance(TimeSpan.FromHours(1));
        Assert.True((await LookAsync(SignInFactor.EmailCode, "acc_target", "192.0.2.200")).Allowed);
    }

    [Fact]
    public async Task Totp_failures_count_per_account_with_rising_waits_and_leave_emailed_codes_alone()
    {
        await FailAsync(SignInFactor.Totp, "acc_p", "198.51.100.1", 5);
        var minute = await LookAsync(SignInFactor.Totp, "acc_p", "198.51.100.2"); // from anywhere
        Assert.False(minute.Allowed);
        Assert.Equal(_clock.GetUtcNow().AddMinutes(1), minute.RetryAt);
        Assert.True((await LookAsync(SignInFactor.EmailCode, "acc_p", "198.51.100.1")).Allowed);

        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.True((await LookAsync(SignInFactor.Totp, "acc_p", "198.51.100.1")).Allowed);
        await FailAsync(SignInFactor.Totp, "acc_p", "198.51.100.1", 3);
        Assert.False((await LookAsync(SignInFactor.Totp, "acc_p", "198.51.100.1")).Allowed); // eight in five minutes
    }

    [Fact]
    public async Task Every_failure_counts_against_its_ip_whatever_the_account()
    {
        for (var i = 0; i < 20; i++)
        {
            Assert.True((await _throttle.TryAsync(SignInFactor.EmailCode, $"acc_{i}", From("203.0.113.50"), default)).Allowed);
        }

        Assert.False((await LookAsync(SignInFactor.None, null, "203.0.113.50")).Allowed);
        Assert.False((await LookAsync(SignInFactor.EmailCode, "acc_new", "203.0.113.50")).Allowed);
        Assert.True((await LookAsync(SignInFactor.None, null, "203.0.113.51")).Allowed);
    }

    [Fact]
    public async Task A_try_that_was_no_failure_gives_its_slot_back()
    {
        for (var i = 0; i < 20; i++)
        {
            var right = await _throttle.TryAsync(SignInFactor.Totp, "acc_right", From("198.51.100.30"), default);
            Assert.True(right.Allowed);
            await right.NotFailedAsync(); // the right code: the failure it stood for never came
        }

        await FailAsync(SignInFactor.Totp, "acc_right", "198.51.100.30", 5); // the minute's whole share is still there
        Assert.False((await LookAsync(SignInFactor.Totp, "acc_right", "198.51.100.30")).Allowed);
    }

    [Fact]
    public async Task A_device_cookie_is_trusted_only_for_its_account_as_issued_and_while_it_lives()
    {
        var cookie = await _devices.IssueAsync("acc_owner", default);

        Assert.NotNull(await _devices.DeviceOfAsync(cookie, "acc_owner", default));
        Assert.Null(await _devices.DeviceOfAsync(cookie, "acc_someone_else", default));
        foreach (var forged in new[] { cookie + "x", cookie![..^2] + "AA", cookie.Replace("d1.", "d2.", StringComparison.Ordinal), "d1.k1.zz.1.x", "", "....",
            new string('.', 500) })
        {
            Assert.Null(await _devices.DeviceOfAsync(forged, "acc_owner", default));
        }

        _clock.Advance(TrustedDevices.Lifetime);
        Assert.Null(await _devices.DeviceOfAsync(cookie, "acc_owner", default));
    }

    private sealed class FixedSecrets : ISecretStore
    {
        private readonly string _keys = "k1:" + Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

        public Task<string?> GetAsync(string name, CancellationToken cancellationToken) =>
            Task.FromResult<string?>(name == TotpSecretCipher.SecretName ? _keys : null);
    }
}
