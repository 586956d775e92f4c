using Hiroi.Shared.ApiKeys;
using Hiroi.Shared.Tenancy;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.ApiKeys;

/// <summary>The verifier over real Azurite, with a fake clock.</summary>
public class ApiKeyVerifierTests : IDisposable
{
    private const string Client = "203.0.113.7";
    private readonly HiroiServices _services = new(new Dictionary<string, string?>
    {
        ["Hiroi:ApiKeys:MaxFailuresPerKeyAndClient"] = "3",
        ["Hiroi:ApiKeys:MaxFailuresPerClient"] = "5",
        ["Hiroi:ApiKeys:CacheSeconds"] = "60",
    });

    public void Dispose() => _services.Dispose();

    private ApiKeyVerifier Verifier => _services.Get<ApiKeyVerifier>();

    private async Task<(Caller Owner, CreatedApiKey Key)> NewKeyAsync(Role role = Role.Admin)
    {
        var owner = Caller.System(OrgId.New(), "test");
        var key = await _services.Get<ApiKeyService>().CreateAsync(owner, "ci", role, CancellationToken.None);
        return (owner, key);
    }

    private static string WrongSecret(string key) => key[..^4] + (key.EndsWith("0000", StringComparison.Ordinal) ? "1111" : "0000");

    [Fact]
    public async Task A_valid_key_is_accepted_with_its_org_and_role()
    {
        var (owner, key) = await NewKeyAsync(Role.Member);

        var result = await Verifier.VerifyAsync(key.PlainText, Client, CancellationToken.None);

        Assert.Equal(ApiKeyOutcome.Accepted, result.Outcome);
        Assert.Equal(owner.OrgId, result.Caller!.OrgId);
        Assert.Equal(Role.Member, result.Caller.Role);
        Assert.Equal("apikey:" + key.Record.RowKey, result.Caller.ActorId);
    }

    [Fact]
    public async Task A_wrong_secret_an_unknown_key_and_garbage_are_rejected()
    {
        var (_, key) = await NewKeyAsync();
        var unknown = ApiKeyFormat.Format(ApiKeyFormat.NewKey(OrgId.New(), ApiKeyFormat.NewKeyId()));

        Assert.Equal(ApiKeyOutcome.Rejected, (await Verifier.VerifyAsync(WrongSecret(key.PlainText), "198.51.100.1", default)).Outcome);
        Assert.Equal(ApiKeyOutcome.Rejected, (await Verifier.VerifyAsync(unknown, "198.51.100.2", default)).Outcome);
        Assert.Equal(ApiKeyOutcome.Rejected, (await Verifier.VerifyAsync("not-a-key", "198.51.100.3", default)).Outcome);
    }

    [Fact]
    public async Task A_cached_verification_does_not_read_storage_until_it_expires()
    {
        var (owner, key) = await NewKeyAsync();
        Assert.Equal(ApiKeyOutcome.Accepted, (await Verifier.VerifyAsync(key.PlainText, Client, default)).Outcome);

        // Remove the record behind the verifier's back: only the cache can still accept the key.
        Assert.True(await _services.Get<ApiKeyRepository>().DeleteAsync(owner.OrgId, key.Record.RowKey, default));
        Assert.Equal(ApiKeyOutcome.Accepted, (await Verifier.VerifyAsync(key.PlainText, Client, default)).Outcome);

        _services.Time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(ApiKeyOutcome.Rejected, (await Verifier.VerifyAsync(key.PlainText, Client, default)).Outcome);
    }

    [Fact]
    public async Task Revoking_drops_the_cached_verification_at_once()
    {
        var (owner, key) = await NewKeyAsync();
        Assert.Equal(ApiKeyOutcome.Accepted, (await Verifier.VerifyAsync(key.PlainText, Client, default)).Outcome);

        Assert.True(await _services.Get<ApiKeyService>().RevokeAsync(owner, key.Record.RowKey, default));

        Assert.Equal(ApiKeyOutcome.Rejected, (await Verifier.VerifyAsync(key.PlainText, Client, default)).Outcome);
    }

    [Fact]
    public async Task A_verification_that_began_before_a_revocation_is_not_cached_after_it()
    {
        // The race: a request read the row while the key was valid, then the key was revoked (cache dropped, broadcast),
        // then the request's derivation finished. Here the revocation reaches the verifier before the row changes.
        var (owner, key) = await NewKeyAsync();
        await Verifier.RevokedAsync(owner.OrgId, key.Record.RowKey, default);

        Assert.Equal(ApiKeyOutcome.Accepted, (await Verifier.VerifyAsync(key.PlainText, Client, default)).Outcome); // the row still says valid

        // Had that verification been cached, the key would keep working from the cache once the row is gone.
        Assert.True(await _services.Get<ApiKeyRepository>().DeleteAsync(owner.OrgId, key.Record.RowKey, default));
        Assert.Equal(ApiKeyOutcome.Rejected, (await Verifier.VerifyAsync(key.PlainText, Client, default)).Outcome);
    }

    [Fact]
    public async Task Repeated_failures_throttle_the_guesser_but_never_refuse_the_right_secret()
    {
        var (_, key) = await NewKeyAsync();
        Assert.Equal(ApiKeyOutcome.Accepted, (await Verifier.VerifyAsync(key.PlainText, Client, default)).Outcome);
        _services.Time.Advance(TimeSpan.FromSeconds(61)); // cache expired: guesses now reach the slow path
        const string guesser = "192.0.2.50";

        var outcomes = new List<ApiKeyOutcome>();
        for (var i = 0; i < 4; i++)
        {
            outcomes.Add((await Verifier.VerifyAsync(WrongSecret(key.PlainText), guesser, default)).Outcome);
        }

        Assert.Equal([ApiKeyOutcome.Rejected, ApiKeyOutcome.Rejected, ApiKeyOutcome.Rejected, ApiKeyOutcome.Throttled], outcomes);
        var throttled = await Verifier.VerifyAsync(WrongSecret(key.PlainText), guesser, default);
        Assert.Equal(ApiKeyOutcome.Throttled, throttled.Outcome);
        Assert.True(throttled.RetryAt > _services.Time.GetUtcNow());

        // The owner, elsewhere or behind the guesser's own address (a shared NAT), still gets in.
        Assert.Equal(ApiKeyOutcome.Accepted, (await Verifier.VerifyAsync(key.PlainText, Client, default)).Outcome);
        _services.Time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(ApiKeyOutcome.Accepted, (await Verifier.VerifyAsync(key.PlainText, guesser, default)).Outcome);
    }

    [Fact]
    public async Task Ten_wrong_keys_under_the_owners_id_do_not_lock_the_owner_out_later_from_elsewhere()
    {
        // The outside sweep's reproduction: ten wrong secrets under the owner's public key id from one address, then the
        // right key 65 s later from another once the cache had lapsed, which got 429 before.
        var (_, key) = await NewKeyAsync();
        Assert.Equal(ApiKeyOutcome.Accepted, (await Verifier.VerifyAsync(key.PlainText, Client, default)).Outcome);
        for (var i = 0; i < 10; i++)
        {
            Assert.NotEqual(ApiKeyOutcome.Accepted, (await Verifier.VerifyAsync(WrongSecret(key.PlainText), "198.51.100.66", default)).Outcome);
        }

        _services.Time.Advance(TimeSpan.FromSeconds(65));
        Assert.Equal(ApiKeyOutcome.Accepted, (await Verifier.VerifyAsync(key.PlainText, "203.0.113.200", default)).Outcome);
    }

    [Fact]
    public async Task A_cached_key_keeps_working_while_guesses_against_its_id_are_refused()
    {
        var (_, key) = await NewKeyAsync();
        Assert.Equal(ApiKeyOutcome.Accepted, (await Verifier.VerifyAsync(key.PlainText, Client, default)).Outcome);

        for (var i = 0; i < 5; i++)
        {
            Assert.NotEqual(ApiKeyOutcome.Accepted, (await Verifier.VerifyAsync(WrongSecret(key.PlainText), $"192.0.2.{i}", default)).Outcome);
        }

        Assert.Equal(ApiKeyOutcome.Accepted, (await Verifier.VerifyAsync(key.PlainText, Client, default)).Outcome);
    }

    [Fact]
    public async Task One_client_failing_with_many_key_ids_is_throttled()
    {
        var (_, key) = await NewKeyAsync();
        const string attacker = "198.51.100.99";
        for (var i = 0; i < 5; i++)
        {
            var guess = ApiKeyFormat.Format(ApiKeyFormat.NewKey(OrgId.New(), ApiKeyFormat.NewKeyId()));
            Assert.Equal(ApiKeyOutcome.Rejected, (await Verifier.VerifyAsync(guess, attacker, default)).Outcome);
        }

        var another = ApiKeyFormat.Format(ApiKeyFormat.NewKey(OrgId.New(), ApiKeyFormat.NewKeyId()));
        Assert.Equal(ApiKeyOutcome.Throttled, (await Verifier.VerifyAsync(another, attacker, default)).Outcome);
        Assert.Equal(ApiKeyOutcome.Accepted, (await Verifier.VerifyAsync(key.PlainText, Client, default)).Outcome);
        Assert.Equal(ApiKeyOutcome.Accepted, (await Verifier.VerifyAsync(key.PlainText, attacker, default)).Outcome);
    }

    [Fact]
    public async Task Use_is_recorded_at_most_once_per_resolution()
    {
        var (owner, key) = await NewKeyAsync();
        var repository = _services.Get<ApiKeyRepository>();

        await Verifier.VerifyAsync(key.PlainText, Client, default);
        var first = (await repository.FindAsync(owner.OrgId, key.Record.RowKey, default))!.LastUsedAt;
        _services.Time.Advance(TimeSpan.FromSeconds(30));
        await Verifier.VerifyAsync(key.PlainText, Client, default);
        var unchanged = (await repository.FindAsync(owner.OrgId, key.Record.RowKey, default))!.LastUsedAt;
        _services.Time.Advance(TimeSpan.FromSeconds(31));
        await Verifier.VerifyAsync(key.PlainText, Client, default);
        var later = (await repository.FindAsync(owner.OrgId, key.Record.RowKey, default))!.LastUsedAt;

        Assert.Equal(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero), first);
        Assert.Equal(first, unchanged);
        Assert.Equal(first!.Value.AddSeconds(61), later);
    }
}
