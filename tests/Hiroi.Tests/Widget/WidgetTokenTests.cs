using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Hiroi.Shared.Widget;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Widget;

[Lane(Lanes.Unit)]
public class WidgetTokenTests
{
    private const string Key = "wk_0123456789abcdef0123456789abcdef_0123456789abcdef01234567";
    private static readonly byte[] Secret = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] Previous = RandomNumberGenerator.GetBytes(32);
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private static WidgetTokenRefusal Verify(string token, string key = Key) =>
        WidgetTokens.Verify(token, key, kid => kid switch { "k2" => Secret, "k1" => Previous, _ => null }, Now, TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(30), out _);

    private static string Mint(byte[]? secret = null, string kid = "k2", string key = Key, DateTimeOffset? iat = null, TimeSpan? ttl = null, string alg = "HS256") =>
        WidgetTokens.Mint(secret ?? Secret, kid, key, "visitor-1", iat ?? Now, (iat ?? Now) + (ttl ?? TimeSpan.FromMinutes(5)), "jti-1", alg);

    private static string Segment(string json) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void A_good_token_verifies_with_its_claims_and_both_secrets_of_a_rotation_are_valid()
    {
        Assert.Equal(WidgetTokenRefusal.None,
            WidgetTokens.Verify(Mint(), Key, kid => kid == "k2" ? Secret : null, Now, TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(30), out var claims));
        Assert.Equal(("k2", "visitor-1", "jti-1"), (claims!.Kid, claims.Subject, claims.Jti));
        Assert.Equal(WidgetTokenRefusal.None, Verify(Mint(Previous, "k1")));
    }

    [Fact]
    public void Tampered_expired_early_overlong_other_site_and_unknown_key_tokens_are_refused()
    {
        var good = Mint();
        var parts = good.Split('.');
        var tamperedPayload = parts[0] + "."
            + Segment($$"""{"wk":"{{Key}}","sub":"visitor-2","iat":{{Now.ToUnixTimeSeconds()}},"exp":{{Now.AddMinutes(5).ToUnixTimeSeconds()}},"jti":"jti-1"}""") + "." + parts[2];
        var flipped = good[..^2] + (good[^2] == 'A' ? 'B' : 'A') + good[^1];

        Assert.Equal(WidgetTokenRefusal.Signature, Verify(tamperedPayload));
        Assert.Equal(WidgetTokenRefusal.Signature, Verify(flipped));
        Assert.Equal(WidgetTokenRefusal.Signature, Verify(Mint(RandomNumberGenerator.GetBytes(32))));
        Assert.Equal(WidgetTokenRefusal.Expired, Verify(Mint(iat: Now.AddMinutes(-20))));
        Assert.Equal(WidgetTokenRefusal.NotYetValid, Verify(Mint(iat: Now.AddMinutes(5))));
        Assert.Equal(WidgetTokenRefusal.TooLong, Verify(Mint(ttl: TimeSpan.FromHours(1))));
        Assert.Equal(WidgetTokenRefusal.OtherSite, Verify(Mint(key: "wk_0123456789abcdef0123456789abcdef_ffffffffffffffffffffffff")));
        Assert.Equal(WidgetTokenRefusal.UnknownKey, Verify(Mint(kid: "k9")));
        Assert.Equal(WidgetTokenRefusal.Malformed, Verify("not.a-token"));
        Assert.Equal(WidgetTokenRefusal.Malformed, Verify(good + ".extra"));
        Assert.Equal(WidgetTokenRefusal.Malformed, Verify(new string('a', 5000)));
    }

    [Fact]
    public void Algorithms_other_than_hs256_are_refused_before_any_key_is_looked_up()
    {
        var payload = Segment($$"""{"wk":"{{Key}}","sub":"v","iat":{{Now.ToUnixTimeSeconds()}},"exp":{{Now.AddMinutes(5).ToUnixTimeSeconds()}},"jti":"j"}""");
        var none = Segment("""{"alg":"none","kid":"k2"}""") + "." + payload + ".";
        var noneWithSig = Segment("""{"alg":"none","kid":"k2"}""") + "." + payload + ".AAAA";
        var looked = false;

        Assert.Equal(WidgetTokenRefusal.Malformed, Verify(none)); // an empty signature is not even a token
        Assert.Equal(WidgetTokenRefusal.Algorithm,
            WidgetTokens.Verify(noneWithSig, Key, _ => { looked = true; return Secret; }, Now, TimeSpan.FromMinutes(10), TimeSpan.Zero, out _));
        Assert.Equal(WidgetTokenRefusal.Algorithm, Verify(Mint(alg: "RS256")));
        Assert.Equal(WidgetTokenRefusal.Algorithm, Verify(Mint(alg: "hs256")));
        Assert.Equal(WidgetTokenRefusal.Malformed, Verify(Segment("""{"alg":"HS256","kid":"k2","crit":["exp"]}""") + "." + payload + ".AAAA"));
        Assert.False(looked);
    }
}
