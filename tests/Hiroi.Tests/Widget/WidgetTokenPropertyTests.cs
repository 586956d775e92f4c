using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Hiroi.Shared.Widget;
using Hiroi.Tests.Infrastructure;
using static Hiroi.Tests.Protection.ParserGenerators;

namespace Hiroi.Tests.Widget;

/// <summary>
/// The widget token verifier over arbitrary text and bytes: it never throws, and only a token spelled exactly as minted
/// (canonical base64url segments, nothing else) verifies. Every key id has a secret here, so input reaches the MAC and
/// the claims whenever its header allows.
/// </summary>
[Lane(Lanes.Unit)]
public class WidgetTokenPropertyTests
{
    private const string Key = "wk_0123456789abcdef0123456789abcdef_0123456789abcdef01234567";
    private static readonly byte[] Secret = SHA256.HashData("widget-token-properties"u8);
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_900_000_000);

    private static WidgetTokenRefusal Verify(string? token, out WidgetTokenClaims? claims) =>
        WidgetTokens.Verify(token, Key, _ => Secret, Now, TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(30), out claims);

    private static WidgetTokenRefusal Verify(string? token) => Verify(token, out _);

    /// <summary>A token whose MAC is right for whatever header and payload bytes it carries.</summary>
    private static string Signed(byte[] header, byte[] payload)
    {
        var signedPart = Base64Url.EncodeToString(header) + "." + Base64Url.EncodeToString(payload);
        return signedPart + "." + Base64Url.EncodeToString(HMACSHA256.HashData(Secret, Encoding.ASCII.GetBytes(signedPart)));
    }

    private static string Signed(string headerJson, string payloadJson) => Signed(Encoding.UTF8.GetBytes(headerJson), Encoding.UTF8.GetBytes(payloadJson));

    private static readonly Gen<string> Visitor = TextOver("abcdefghijklmnopqrstuvwxyz0123456789-_", nastyWeight: 0).Where(s => s.Length is > 0 and <= 128);

    /// <summary>Valid tokens: random visitor, jti and kid, issued within the last few minutes.</summary>
    private static readonly Gen<string> Minted =
        from sub in Visitor
        from jti in Visitor
        from kid in Visitor
        from age in Gen.Choose(0, 240)
        select WidgetTokens.Mint(Secret, kid, Key, sub, Now.AddSeconds(-age), Now.AddSeconds(300 - age), jti);

    public static class Arbitraries
    {
        public static Arbitrary<string> Tokens() => Arb(Gen.Frequency(
            (3, TextOver(Base64UrlAlphabet + "...")),
            (1, Minted),
            (1, AnyText),
            (2, from token in Minted from mutate in Mutation(Base64UrlAlphabet + ".") select mutate(token))));
    }

    [Property(Arbitrary = [typeof(Arbitraries)], MaxTest = 2000)]
    public bool Arbitrary_text_is_refused_or_verified_never_thrown(string token) =>
        Verify(token) is var refusal && Enum.IsDefined(refusal);

    [Property(MaxTest = 300)]
    public bool Arbitrary_bytes_in_a_correctly_signed_header_or_payload_never_throw(byte[] header, byte[] payload, bool headerIsJson)
    {
        var validHeader = Encoding.UTF8.GetBytes("""{"alg":"HS256","kid":"k"}""");
        return Enum.IsDefined(Verify(Signed(headerIsJson ? validHeader : header ?? [], payload ?? [])));
    }

    /// <summary>Seconds near now (where the checks decide), or anywhere a long reaches (where arithmetic could overflow).</summary>
    private static readonly Gen<long> Time = Gen.Frequency(
        (3, Gen.Choose(-1000, 1000).Select(d => Now.ToUnixTimeSeconds() + d)),
        (1, ArbMap.Default.ArbFor<long>().Generator),
        (1, Gen.Elements(long.MinValue, long.MaxValue, -1L, 0L, 253_402_300_799L, 253_402_300_800L)));

    [Property(MaxTest = 1000)]
    public Property Any_claimed_times_never_throw_and_pass_only_when_consistent() => Prop.ForAll(
        Arb(from iat in Time from exp in Time from nbf in Gen.Frequency((1, Gen.Constant<long?>(null)), (2, Time.Select(t => (long?)t))) select (iat, exp, nbf)),
        t =>
        {
            var (iat, exp, nbf) = t;
            var nbfClaim = nbf is { } n ? $""","nbf":{n}""" : string.Empty;
            var token = Signed("""{"alg":"HS256","kid":"k"}""", $$"""{"wk":"{{Key}}","sub":"v","jti":"j","iat":{{iat}},"exp":{{exp}}{{nbfClaim}}}""");
            var now = Now.ToUnixTimeSeconds();
            var dates = new[] { iat, exp, nbf ?? 0 }.All(s => s is >= 0 and <= 253_402_300_799L);
            var consistent = dates && exp >= now - 30 && iat <= now + 30 && (nbf ?? iat) <= now + 30 && exp > iat && (Int128)exp - iat <= 600;
            return Verify(token) == WidgetTokenRefusal.None == consistent;
        });

    [Property(MaxTest = 300)]
    public Property Any_respelling_or_damage_of_a_valid_token_is_refused() => Prop.ForAll(
        Arb(from token in Minted from mutate in Mutation(Base64UrlAlphabet + ".") select (token, mutate)),
        t => Verify(t.token) == WidgetTokenRefusal.None && Verify(t.mutate(t.token)) != WidgetTokenRefusal.None);

    [Property(MaxTest = 300)]
    public Property A_spare_bit_set_in_any_segment_is_refused_though_the_bytes_are_the_same() => Prop.ForAll(
        Arb(from token in Minted from segment in Gen.Choose(0, 2) select (token, segment)),
        t =>
        {
            var parts = t.token.Split('.');
            parts[t.segment] = WithSpareBitSet(parts[t.segment]);
            return Verify(string.Join('.', parts)) != WidgetTokenRefusal.None;
        });

    [Property(Arbitrary = [typeof(Arbitraries)], MaxTest = 1000)]
    public bool What_verifies_is_its_own_canonical_spelling(string token)
    {
        if (Verify(token) != WidgetTokenRefusal.None)
        {
            return true;
        }

        return token.Split('.').All(segment => Base64Url.EncodeToString(Base64Url.DecodeFromChars(segment)) == segment);
    }
}
