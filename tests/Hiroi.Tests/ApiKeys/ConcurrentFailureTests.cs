using Hiroi.Shared.ApiKeys;
using Hiroi.Shared.Tenancy;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.ApiKeys;

/// <summary>
/// Wrong keys fired at once from one client: each takes a failure slot (in Garnet, as deployed with Redis) before its
/// derivation, so exactly the limit's share is judged in the shared lane and the rest are 429 from the suspects' lane.
/// </summary>
public sealed class ConcurrentFailureTests : IDisposable
{
    private readonly HiroiServices _services = new(new Dictionary<string, string?>
    {
        ["Hiroi:ApiKeys:MaxFailuresPerKeyAndClient"] = "3",
        ["Hiroi:ApiKeys:MaxFailuresPerClient"] = "20",
        ["Hiroi:Redis:Connection"] = TestRedis.Connection,
    });

    public void Dispose() => _services.Dispose();

    [Fact]
    public async Task Thirty_concurrent_wrong_secrets_under_one_key_id_get_three_judged_as_wrong_and_the_rest_throttled()
    {
        var key = await _services.Get<ApiKeyService>().CreateAsync(Caller.System(OrgId.New(), "test"), "ci", Role.Admin, default);
        var wrong = key.PlainText[..^4] + (key.PlainText.EndsWith("0000", StringComparison.Ordinal) ? "1111" : "0000");
        var client = SharedLimitsApp.NewIp();
        var verifier = _services.Get<ApiKeyVerifier>();

        var outcomes = await Concurrently.RunAsync(30, _ => verifier.VerifyAsync(wrong, client, default));

        Assert.Equal(3, outcomes.Count(o => o.Outcome == ApiKeyOutcome.Rejected));
        Assert.Equal(27, outcomes.Count(o => o.Outcome == ApiKeyOutcome.Throttled));
        Assert.Equal(ApiKeyOutcome.Accepted, (await verifier.VerifyAsync(key.PlainText, client, default)).Outcome); // the right key still passes
    }
}
