using Hiroi.Shared.RateLimiting;
using Hiroi.Shared.SignIn;
using Microsoft.Extensions.Time.Testing;

namespace Hiroi.Tests.SignIn;

/// <summary>
/// Whose failures count against whom: a stranger guessing a person's emailed code from elsewhere cannot lock that person
/// out, guessing from many IPs still stops, and failing one factor never blocks the other.
/// </summary>
public sealed class SignInThrottleTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 3, 9, 0, 0, TimeSpan.Zero));
    private readonly InMemoryFailureCounter _counter;
    private readonly SignInThrottle _throttle;

    public SignInThrottleTests()
    {
        _counter = new InMemoryFailureCounter(_clock);
        _throttle = new SignInThrottle(_counter);
    }

    public void Dispose() => _counter.Dispose();

    private async Task FailAsync(SignInFactor factor, string account, string ip, int times)
    {
        for (var i = 0; i < times; i++)
        {
            await _throttle.FailedAsync(factor, account, ip, default);
        }
    }

    [Fact]
    public async Task A_stranger_guessing_an_emailed_code_from_elsewhere_does_not_lock_the_person_out()
    {
        await FailAsync(SignInFactor.EmailCode, "acc_victim", "203.0.113.9", 12);

        var stranger = await _throttle.CheckAsync(SignInFactor.EmailCode, "acc_victim", "203.0.113.9", default);
        Assert.False(stranger.Allowed);
        Assert.Equal(_clock.GetUtcNow().AddHours(1), stranger.RetryAt); // the hour's share is spent: locked out for its rest

        Assert.True((await _throttle.CheckAsync(SignInFactor.EmailCode, "acc_victim", "198.51.100.7", default)).Allowed);
        Assert.True((await _throttle.CheckAsync(SignInFactor.Totp, "acc_victim", "198.51.100.7", default)).Allowed);
    }

    [Fact]
    public async Task Guessing_one_persons_code_from_many_ips_stops_at_the_accounts_own_limit()
    {
        for (var ip = 0; ip < 10; ip++)
        {
            await FailAsync(SignInFactor.EmailCode, "acc_target", $"192.0.2.{ip}", 3); // under every per-IP tier
        }

        Assert.False((await _throttle.CheckAsync(SignInFactor.EmailCode, "acc_target", "192.0.2.200", default)).Allowed);
        Assert.True((await _throttle.CheckAsync(SignInFactor.EmailCode, "acc_other", "192.0.2.200", default)).Allowed);
        Assert.True((await _throttle.CheckAsync(SignInFactor.Totp, "acc_target", "192.0.2.200", default)).Allowed);

        _clock.Advance(TimeSpan.FromHours(1));
        Assert.True((await _throttle.CheckAsync(SignInFactor.EmailCode, "acc_target", "192.0.2.200", default)).Allowed);
    }

    [Fact]
    public async Task Totp_failures_count_per_account_with_rising_waits_and_leave_emailed_codes_alone()
    {
        await FailAsync(SignInFactor.Totp, "acc_p", "198.51.100.1", 5);
        var minute = await _throttle.CheckAsync(SignInFactor.Totp, "acc_p", "198.51.100.2", default); // from anywhere
        Assert.False(minute.Allowed);
        Assert.Equal(_clock.GetUtcNow().AddMinutes(1), minute.RetryAt);
        Assert.True((await _throttle.CheckAsync(SignInFactor.EmailCode, "acc_p", "198.51.100.1", default)).Allowed);

        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.True((await _throttle.CheckAsync(SignInFactor.Totp, "acc_p", "198.51.100.1", default)).Allowed);
        await FailAsync(SignInFactor.Totp, "acc_p", "198.51.100.1", 3);
        Assert.False((await _throttle.CheckAsync(SignInFactor.Totp, "acc_p", "198.51.100.1", default)).Allowed); // eight in five minutes
    }

    [Fact]
    public async Task Every_failure_counts_against_its_ip_whatever_the_account()
    {
        for (var i = 0; i < 20; i++)
        {
            await _throttle.FailedAsync(SignInFactor.EmailCode, $"acc_{i}", "203.0.113.50", default);
        }

        Assert.False((await _throttle.CheckAsync(SignInFactor.None, null, "203.0.113.50", default)).Allowed);
        Assert.False((await _throttle.CheckAsync(SignInFactor.EmailCode, "acc_new", "203.0.113.50", default)).Allowed);
        Assert.True((await _throttle.CheckAsync(SignInFactor.None, null, "203.0.113.51", default)).Allowed);
    }
}
