using Hiroi.Shared.ApiKeys;
using Hiroi.Shared.Tenancy;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.ApiKeys;

[Lane(Lanes.Unit)]
public class ApiKeyFormatTests
{
    [Fact]
    public void A_new_key_has_the_prefix_and_round_trips()
    {
        var org = OrgId.New();
        var parts = ApiKeyFormat.NewKey(org, ApiKeyFormat.NewKeyId());

        var text = ApiKeyFormat.Format(parts);

        Assert.StartsWith("hiroi_sk_", text, StringComparison.Ordinal);
        Assert.True(ApiKeyFormat.TryParse(text, out var parsed));
        Assert.Equal(parts, parsed);
        Assert.Equal(org, parsed.OrgId);
    }

    [Fact]
    public void The_secret_carries_at_least_256_bits_and_differs_every_time()
    {
        var org = OrgId.New();
        var secrets = Enumerable.Range(0, 50).Select(_ => ApiKeyFormat.NewKey(org, "0123456789abcdef").Secret).ToHashSet();

        Assert.Equal(50, secrets.Count);
        Assert.All(secrets, s => Assert.True(Convert.FromHexString(s).Length * 8 >= 256));
    }

    public static TheoryData<string> Malformed()
    {
        var good = ApiKeyFormat.Format(ApiKeyFormat.NewKey(OrgId.New(), ApiKeyFormat.NewKeyId()));
        return new TheoryData<string>
        {
            "",
            "hiroi_sk_",
            good.ToUpperInvariant(),
            good[..^1],
            good + "0",
            good.Replace("hiroi_sk_", "hiroi_pk_", StringComparison.Ordinal),
            good[..29] + "-" + good[30..],
            good[..^1] + "g",
            "Bearer " + good,
            new string('a', good.Length),
        };
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_keys_do_not_parse(string text)
    {
        Assert.False(ApiKeyFormat.TryParse(text, out _));
    }
}
