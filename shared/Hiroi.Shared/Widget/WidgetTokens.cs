using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Hiroi.Shared.Security;

namespace Hiroi.Shared.Widget;

/// <summary>What a verified signed-mode token says.</summary>
/// <param name="Email">An email the visitor gave the org's site (optional claim <c>email</c>), so GDPR requests by email find the transcripts.</param>
public sealed record WidgetTokenClaims(string Kid, string WidgetKey, string Subject, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt, string Jti, string? Email = null);

public enum WidgetTokenRefusal
{
    None,
    Malformed,
    Algorithm,
    UnknownKey,
    Signature,
    OtherSite,
    Expired,
    NotYetValid,
    TooLong,
}

/// <summary>
/// Compact JWS (HS256) tokens an org's server mints for its visitors: header <c>{"alg":"HS256","kid":…}</c>, claims
/// <c>wk</c> (the widget key), <c>sub</c> (the visitor), <c>iat</c>, <c>exp</c>, optional <c>nbf</c>, and <c>jti</c>.
/// The algorithm is pinned before anything else is read (so <c>none</c>, RS256 and friends never reach a key), the
/// MAC is compared in constant time before the claims are trusted, and a token for another key (another site) fails.
/// Written over spans rather than a general JWT handler: this runs for every session a visitor opens, and its cost is
/// measured against the HMAC itself (Hiroi.Benchmarks <c>WidgetTokenBenchmarks</c>).
/// </summary>
public static class WidgetTokens
{
    public const int MaxLength = 4096;

    private static readonly JsonSerializerOptions OmitNulls = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };
    private const int MaxSegmentBytes = 2048;

    public static WidgetTokenRefusal Verify(
        string? token, string widgetKey, Func<string, byte[]?> secretOf, DateTimeOffset now, TimeSpan maxTtl, TimeSpan skew, out WidgetTokenClaims? claims)
    {
        ArgumentNullException.ThrowIfNull(secretOf);
        claims = null;
        if (token is null || token.Length > MaxLength)
        {
            return WidgetTokenRefusal.Malformed;
        }

        // Three non-empty segments; each must then be canonical base64url, so padding, whitespace, '?' or any other
        // character anywhere makes it no token of ours.
        var first = token.IndexOf('.', StringComparison.Ordinal);
        var second = first < 0 ? -1 : token.IndexOf('.', first + 1);
        if (first <= 0 || second <= first + 1 || second == token.Length - 1 || token.IndexOf('.', second + 1) >= 0)
        {
            return WidgetTokenRefusal.Malformed;
        }

        Span<byte> header = stackalloc byte[MaxSegmentBytes];
        if (!CanonicalBase64Url.TryDecode(token.AsSpan(0, first), header, out var headerLength) || !ReadHeader(header[..headerLength], out var alg, out var kid))
        {
            return WidgetTokenRefusal.Malformed;
        }

        if (alg != "HS256")
        {
            return WidgetTokenRefusal.Algorithm;
        }

        // Every segment is canonical before any key is used, so one MAC has one spelling (no padding, spaces or spare bits).
        var payloadText = token.AsSpan(first + 1, second - first - 1);
        var signatureText = token.AsSpan(second + 1);
        if (!CanonicalBase64Url.IsCanonical(payloadText) || !CanonicalBase64Url.IsCanonical(signatureText))
        {
            return WidgetTokenRefusal.Malformed;
        }

        if (kid is null || secretOf(kid) is not { } secret)
        {
            return WidgetTokenRefusal.UnknownKey;
        }

        Span<byte> signed = stackalloc byte[MaxLength];
        var signedLength = Encoding.ASCII.GetBytes(token.AsSpan(0, second), signed); // all base64url and one dot by now
        Span<byte> expected = stackalloc byte[32];
        HMACSHA256.HashData(secret, signed[..signedLength], expected);
        Span<byte> signature = stackalloc byte[64];
        if (!CanonicalBase64Url.TryDecode(signatureText, signature, out var signatureLength) || signatureLength != 32
            || !CryptographicOperations.FixedTimeEquals(expected, signature[..32]))
        {
            return WidgetTokenRefusal.Signature;
        }

        Span<byte> payload = stackalloc byte[MaxSegmentBytes];
        if (!CanonicalBase64Url.TryDecode(payloadText, payload, out var payloadLength) || !ReadClaims(payload[..payloadLength], out var c))
        {
            return WidgetTokenRefusal.Malformed;
        }

        if (c.Wk != widgetKey)
        {
            return WidgetTokenRefusal.OtherSite;
        }

        // The times are within DateTimeOffset's range (ReadClaims), so none of this arithmetic can overflow.
        var unix = now.ToUnixTimeSeconds();
        var slack = (long)skew.TotalSeconds;
        if (c.Exp < unix - slack)
        {
            return WidgetTokenRefusal.Expired;
        }

        if ((c.Nbf ?? c.Iat) > unix + slack || c.Iat > unix + slack)
        {
            return WidgetTokenRefusal.NotYetValid;
        }

        if (c.Exp - c.Iat > (long)maxTtl.TotalSeconds || c.Exp <= c.Iat)
        {
            return WidgetTokenRefusal.TooLong;
        }

        claims = new WidgetTokenClaims(kid, c.Wk!, c.Sub!, DateTimeOffset.FromUnixTimeSeconds(c.Iat), DateTimeOffset.FromUnixTimeSeconds(c.Exp), c.Jti!, c.Email);
        return WidgetTokenRefusal.None;
    }

    /// <summary>Mints a token, as an org's server does (shown in the README in C# and Node; tests use it).</summary>
    public static string Mint(
        byte[] secret, string kid, string widgetKey, string subject, DateTimeOffset issuedAt, DateTimeOffset expiresAt, string jti, string alg = "HS256", string? email = null)
    {
        var header = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new { alg, typ = "JWT", kid }));
        var payload = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new
        {
            wk = widgetKey, sub = subject, iat = issuedAt.ToUnixTimeSeconds(), exp = expiresAt.ToUnixTimeSeconds(), jti, email,
        }, OmitNulls));
        var signature = Base64Url.EncodeToString(HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(header + "." + payload)));
        return $"{header}.{payload}.{signature}";
    }

    private static bool ReadHeader(ReadOnlySpan<byte> json, out string? alg, out string? kid)
    {
        (alg, kid) = (null, null);
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("crit"u8))
                {
                    return false; // extensions we do not understand must not be ignored
                }

                var isAlg = reader.ValueTextEquals("alg"u8);
                var isKid = reader.ValueTextEquals("kid"u8);
                reader.Read();
                if (isAlg || isKid)
                {
                    // A repeated alg or kid is ambiguous (which one would another verifier read?): refused, not resolved.
                    if (reader.TokenType != JsonTokenType.String || (isAlg ? alg : kid) is not null)
                    {
                        return false;
                    }

                    if (isAlg)
                    {
                        alg = reader.GetString();
                    }
                    else
                    {
                        kid = reader.GetString();
                    }
                }
                else
                {
                    reader.Skip();
                }
            }

            return reader.TokenType == JsonTokenType.EndObject && !reader.Read() && alg is not null;
        }
        catch (Exception e) when (IsUnreadable(e))
        {
            return false;
        }
    }

    private static bool ReadClaims(ReadOnlySpan<byte> json, out Claims claims)
    {
        claims = default;
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            var seen = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                reader.Read();
                var bit = ClaimBit(name);
                if ((seen & bit) != 0)
                {
                    return false; // a repeated claim is ambiguous
                }

                seen |= bit;

                switch (name)
                {
                    case "wk" when reader.TokenType == JsonTokenType.String:
                        claims.Wk = reader.GetString();
                        break;
                    case "sub" when reader.TokenType == JsonTokenType.String:
                        claims.Sub = reader.GetString();
                        break;
                    case "jti" when reader.TokenType == JsonTokenType.String:
                        claims.Jti = reader.GetString();
                        break;
                    case "email" when reader.TokenType == JsonTokenType.String:
                        claims.Email = reader.GetString();
                        break;
                    case "iat" when TryReadTime(ref reader, out var iat):
                        claims.Iat = iat;
                        break;
                    case "exp" when TryReadTime(ref reader, out var exp):
                        claims.Exp = exp;
                        break;
                    case "nbf" when TryReadTime(ref reader, out var nbf):
                        claims.Nbf = nbf;
                        break;
                    case "wk" or "sub" or "jti" or "iat" or "exp" or "nbf" or "email":
                        return false; // a known claim of the wrong type, or a time no date can have
                    default:
                        reader.Skip();
                        break;
                }
            }

            return reader.TokenType == JsonTokenType.EndObject && !reader.Read() && (seen & ClaimBit("iat")) != 0 && (seen & ClaimBit("exp")) != 0
                && claims.Sub is { Length: > 0 and <= 128 } && claims.Jti is { Length: > 0 and <= 128 } && claims.Wk is not null;
        }
        catch (Exception e) when (IsUnreadable(e))
        {
            return false;
        }
    }

    private static int ClaimBit(string name) => name switch
    {
        "wk" => 1,
        "sub" => 2,
        "jti" => 4,
        "email" => 8,
        "iat" => 16,
        "exp" => 32,
        "nbf" => 64,
        _ => 0,
    };

    /// <summary>Seconds since 1970 that a <see cref="DateTimeOffset"/> can hold, so the lifetime checks never overflow.</summary>
    private static bool TryReadTime(ref Utf8JsonReader reader, out long seconds)
    {
        seconds = 0;
        return reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out seconds) && seconds >= 0 && seconds <= MaxUnixSeconds;
    }

    private static readonly long MaxUnixSeconds = DateTimeOffset.MaxValue.ToUnixTimeSeconds();

    /// <summary>
    /// Malformed JSON (<see cref="JsonException"/>), or a string that is not text: invalid UTF-8 or an escaped lone surrogate such
    /// as <c>"\ud800"</c>, which <see cref="Utf8JsonReader.GetString"/> reports with <see cref="InvalidOperationException"/>.
    /// </summary>
    private static bool IsUnreadable(Exception e) => e is JsonException or InvalidOperationException;

    private struct Claims
    {
        public string? Wk;
        public string? Sub;
        public string? Jti;
        public string? Email;
        public long Iat;
        public long Exp;
        public long? Nbf;
    }
}
