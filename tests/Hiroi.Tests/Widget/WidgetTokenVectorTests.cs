using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Hiroi.Shared.Widget;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Widget;

/// <summary>
/// Cases from Wycheproof's JWS vectors (C2SP/wycheproof testvectors/json_web_signature_test.json, group "base64": key of
/// 32 zero bytes, kid "hs256-key") and the review's findings, as fixtures of our own. Wycheproof's payloads are not our
/// claims, so a token whose MAC is right still ends Malformed after the key was used; a token refused before any key is
/// used never asks for one. The verifier is stricter than Wycheproof where it says "valid" for a '?' inside the header or
/// payload (tc 372, 373): a segment is canonical base64url or the token is no token of ours.
/// </summary>
[Lane(Lanes.Unit)]
public class WidgetTokenVectorTests
{
    private const string Key = "wk_0123456789abcdef0123456789abcdef_0123456789abcdef01234567";
    private static readonly byte[] ZeroKey = new byte[32];
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_900_000_000);

    /// <summary>Verifies with the zero key for any kid, and says whether the key was asked for.</summary>
    private static (WidgetTokenRefusal Refusal, bool KeyUsed) Verify(string token)
    {
        var used = false;
        var refusal = WidgetTokens.Verify(token, Key, _ => { used = true; return ZeroKey; }, Now, TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(30), out _);
        return (refusal, used);
    }

    private static string Segment(string json) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));

    private static string Signed(string header, string payload)
    {
        var signedPart = header + "." + payload;
        return signedPart + "." + Base64Url.EncodeToString(HMACSHA256.HashData(ZeroKey, Encoding.ASCII.GetBytes(signedPart)));
    }

    private static string Claims(long iat, long exp) =>
        Segment($$"""{"wk":"{{Key}}","sub":"visitor-1","jti":"j-1","iat":{{iat}},"exp":{{exp}}}""");

    private static readonly string Header = Segment("""{"alg":"HS256","kid":"k"}""");

    private static string Good => Signed(Header, Claims(Now.ToUnixTimeSeconds() - 10, Now.ToUnixTimeSeconds() + 290));

    private const string WycheproofHeader = "eyJraWQiOiJoczI1Ni1rZXkiLCJhbGciOiJIUzI1NiJ9";

    public static TheoryData<int, string> WycheproofMacsThatVerify => new()
    {
        { 357, WycheproofHeader + ".VGVzdA.c1LROH7eNQwUT8KMVEO52VC3WZ9e_AnDWbZ7aMmowV8" },
        { 358, WycheproofHeader + ".VDIxMzI1NjY4.AAAAtBuQqoI9HuBeAsgjL4nx8sCGYJa5-G2OrureLO4" },
        { 359, WycheproofHeader + ".VDgxMjM0MTM.____ETVRY0lRV9XgQeYX6ixdGT0NLHYb-wZem_ifJ5k" },
    };

    [Theory]
    [MemberData(nameof(WycheproofMacsThatVerify))]
    public void Wycheproof_macs_that_verify_pass_the_mac_and_stop_at_claims_that_are_not_ours(int tcId, string jws)
    {
        Assert.True((WidgetTokenRefusal.Malformed, true) == Verify(jws), $"tc {tcId}");
    }

    public static TheoryData<int, string> WycheproofRespellings => new()
    {
        { 360, WycheproofHeader + ".VGVzdA.    c1LROH7eNQwUT8KMVEO52VC3WZ9e_AnDWbZ7aMmowV8" },
        { 361, WycheproofHeader + ".VGVzdA.?c1LROH7eNQwUT8KMVEO52VC3WZ9e_AnDWbZ7aMmowV8" },
        { 362, WycheproofHeader + ".VGVzdA.c1LROH7eNQwUT8KMVEO52VC3WZ9e_AnDWbZ7aMmowV8?" },
        { 363, WycheproofHeader + ".VDIxMzI1NjY4.?AAAtBuQqoI9HuBeAsgjL4nx8sCGYJa5-G2OrureLO4" },
        { 364, WycheproofHeader + ".VDgxMjM0MTM.????ETVRY0lRV9XgQeYX6ixdGT0NLHYb-wZem_ifJ5k" },
        { 365, WycheproofHeader + "    .VGVzdA.DR-cdw2cCB53b3mpzMfk2gKTeyN0PhXBrTW1atMfSdM" },
        { 366, WycheproofHeader + "####.VGVzdA.23srvDiEYo7665_26qKv4D-0E2a149WRWH_av2ki2I4" },
        { 368, WycheproofHeader + ".    VGVzdA.AbPJgmXfihyNBUYpbdPK8qRpPjNuTE-Z_wYQyrU2lMQ" },
        { 369, WycheproofHeader + ".####VGVzdA.Ixs2CdBkk8qjqe2-hq2dobqVvv9iDcDS6gPNgoXJyFY" },
        { 371, WycheproofHeader + ".?VGVzdA.q0zEA3Js33N6HcOFfBK875qJ_nFwSzI9SN9qJnx5sOc" },
        { 372, "eyJraWQiOiJoczI1Ni1rZXkiLCJhbGciOiJIUzI1NiJ?9.VGVzdA.c1LROH7eNQwUT8KMVEO52VC3WZ9e_AnDWbZ7aMmowV8" },
        { 373, WycheproofHeader + ".VGVzdA?.c1LROH7eNQwUT8KMVEO52VC3WZ9e_AnDWbZ7aMmowV8" },
        { 374, WycheproofHeader + ".AB.8sL_ycV8G_D-K_2A3I0EW3NoPMeQzv13cAzuHlQ5TAE" },
        { 375, WycheproofHeader + ".AB.9phoKDvkBMAqTgeVIYeqAi6-lvC0pbKg9ER--3T97w0" },
    };

    [Theory]
    [MemberData(nameof(WycheproofRespellings))]
    public void Wycheproof_spaces_invalid_characters_and_spare_bits_are_refused_before_any_key_is_used(int tcId, string jws)
    {
        Assert.True((WidgetTokenRefusal.Malformed, false) == Verify(jws), $"tc {tcId}");
    }

    [Fact]
    public void A_good_token_verifies_and_every_respelling_of_its_signature_is_refused_before_any_key_is_used()
    {
        var good = Good;
        var (signedPart, signature) = (good[..good.LastIndexOf('.')], good[(good.LastIndexOf('.') + 1)..]);
        Assert.Equal((WidgetTokenRefusal.None, true), Verify(good));

        foreach (var respelled in new[]
        {
            signature + "=", signature + "==", " " + signature, signature + " ", "  " + signature, signature + "\r\n", "\t" + signature,
            signature[..10] + "\r\n" + signature[10..], signature[..10] + " " + signature[10..], "+" + signature[1..], signature[..5] + "/" + signature[6..],
            Protection.ParserGenerators.WithSpareBitSet(signature),
        })
        {
            Assert.True((WidgetTokenRefusal.Malformed, false) == Verify(signedPart + "." + respelled), $"'{respelled}'");
        }

        Assert.Equal((WidgetTokenRefusal.Malformed, false), Verify(" " + good));
        Assert.Equal((WidgetTokenRefusal.Malformed, false), Verify(good + "\n"));
    }

    [Fact]
    public void Review_findings_that_threw_before_the_mac_are_refusals()
    {
        var claims = Claims(Now.ToUnixTimeSeconds(), Now.ToUnixTimeSeconds() + 60);
        var loneSurrogateKid = Segment("""{"alg":"HS256","kid":"\ud800"}""");
        var invalidUtf8Kid = Base64Url.EncodeToString([.. "{\"alg\":\"HS256\",\"kid\":\""u8, 0xFF, .. "\"}"u8]);
        var badSignatureCharacters = Header + "." + claims + ".!!!!";

        Assert.Equal(WidgetTokenRefusal.Malformed, Verify("eyJhbG?.e30.x").Refusal);
        Assert.Equal(WidgetTokenRefusal.Malformed, Verify(Signed(loneSurrogateKid, claims)).Refusal);
        Assert.Equal(WidgetTokenRefusal.Malformed, Verify(Signed(invalidUtf8Kid, claims)).Refusal);
        Assert.Equal((WidgetTokenRefusal.Malformed, false), Verify(badSignatureCharacters));
        Assert.Equal(WidgetTokenRefusal.Malformed, Verify(Signed(Header, Segment($$"""{"wk":"{{Key}}","sub":"\udc00","jti":"j","iat":1,"exp":2}"""))).Refusal);
    }

    [Theory]
    [InlineData(long.MinValue, 1_900_000_100L)]
    [InlineData(-1L, 1_900_000_100L)]
    [InlineData(1_899_999_990L, long.MaxValue)]
    [InlineData(1_899_999_990L, 253_402_300_800L)]
    public void Claimed_times_before_1970_or_after_9999_are_refused_not_overflowed(long iat, long exp)
    {
        Assert.Equal(WidgetTokenRefusal.Malformed, Verify(Signed(Header, Claims(iat, exp))).Refusal);
    }

    [Fact]
    public void Repeated_header_parameters_or_claims_and_trailing_json_are_refused()
    {
        var now = Now.ToUnixTimeSeconds();
        var claims = $$"""{"wk":"{{Key}}","sub":"v","jti":"j","iat":{{now}},"exp":{{now + 60}}}""";

        Assert.Equal(WidgetTokenRefusal.None, Verify(Signed(Header, Segment(claims))).Refusal);
        Assert.Equal(WidgetTokenRefusal.Malformed, Verify(Signed(Segment("""{"alg":"none","alg":"HS256","kid":"k"}"""), Segment(claims))).Refusal);
        Assert.Equal(WidgetTokenRefusal.Malformed, Verify(Signed(Segment("""{"alg":"HS256","kid":"k","kid":"k2"}"""), Segment(claims))).Refusal);
        Assert.Equal(WidgetTokenRefusal.Malformed,
            Verify(Signed(Header, Segment(claims.Replace("\"sub\":\"v\"", "\"sub\":\"v\",\"sub\":\"w\"", StringComparison.Ordinal)))).Refusal);
        Assert.Equal(WidgetTokenRefusal.Malformed, Verify(Signed(Header, Segment(claims + "{}"))).Refusal);
        Assert.Equal(WidgetTokenRefusal.Malformed, Verify(Signed(Segment("""{"alg":"HS256","kid":"k"} x"""), Segment(claims))).Refusal);
    }
}
