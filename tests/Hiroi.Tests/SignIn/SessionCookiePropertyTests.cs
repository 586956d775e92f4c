using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Hiroi.Endpoints.Auth;
using Hiroi.Endpoints.SignIn;
using Hiroi.Shared.SignIn;
using Hiroi.Tests.Infrastructure;
using Microsoft.Extensions.Primitives;
using static Hiroi.Tests.Protection.ParserGenerators;

namespace Hiroi.Tests.SignIn;

/// <summary>
/// The session cookie parser over arbitrary Cookie headers: never throws, and finds a session only in exactly one
/// <c>__Host-hiroi-session</c> pair spelled as we issue it (the framework's reader also took quoted, percent-encoded and
/// duplicated spellings).
/// </summary>
[Lane(Lanes.Unit)]
public class SessionCookiePropertyTests
{
    private static readonly Gen<string> Tokens = Gen.Fresh(SessionTokens.New);

    private static readonly Gen<string> Others = Gen.Elements("theme=dark", "a=b", "__Host-other=1", "__Host-hiroi-sessionx=1", "x", "");

    /// <summary>A header the way browsers send one: pairs joined by "; ".</summary>
    private static readonly Gen<string> Headers =
        from before in Gen.ListOf(Others)
        from token in Tokens
        from after in Gen.ListOf(Others)
        select string.Join("; ", [.. before, SessionCookie.Name + "=" + token, .. after]);

    public static class Arbitraries
    {
        public static Arbitrary<string> Texts() => Arb(Gen.Frequency(
            (2, TextOver(Base64UrlAlphabet + "=; _-Hostirsn")),
            (1, AnyText),
            (1, Headers),
            (2, from header in Headers from mutate in Mutation(Base64UrlAlphabet + "=;") select mutate(header))));
    }

    [Property(Arbitrary = [typeof(Arbitraries)], MaxTest = 2000)]
    public bool A_session_is_found_only_as_one_pair_of_an_issued_spelling(string header)
    {
        if (!SessionCookie.TryParse(new StringValues(header), out var token))
        {
            return true;
        }

        var pairs = header.Split(';').Select(p => p.Trim(' ')).Where(p => p.StartsWith(SessionCookie.Name + "=", StringComparison.Ordinal)).ToList();
        return pairs.Count == 1 && pairs[0] == SessionCookie.Name + "=" + token && SessionTokens.Hash(token) is not null;
    }

    [Property(MaxTest = 300)]
    public Property The_cookie_as_issued_is_found_and_every_respelling_is_refused() => Prop.ForAll(
        Arb(from token in Tokens from i in Gen.Choose(0, SessionTokens.TextLength - 1) select (token, i)),
        t =>
        {
            var (token, i) = t;
            var pair = SessionCookie.Name + "=" + token;
            string[] respelled =
            [
                SessionCookie.Name + "=\"" + token + "\"",
                SessionCookie.Name + "=" + token[..i] + "%" + ((int)token[i]).ToString("X2", System.Globalization.CultureInfo.InvariantCulture) + token[(i + 1)..],
                pair + "; " + pair, pair + "; " + SessionCookie.Name + "=" + SessionTokens.New(), pair + "=", SessionCookie.Name + "= " + token,
                SessionCookie.Name + "=" + token[..i] + " " + token[i..], SessionCookie.Name + "=" + WithSpareBitSet(token), pair + "A",
            ];
            return SessionCookie.TryParse(new StringValues(["theme=dark; " + pair]), out var found) && found == token
                && respelled.All(header => !SessionCookie.TryParse(new StringValues(header), out _));
        });

    [Fact]
    public void A_request_carrying_a_quoted_percent_encoded_or_repeated_session_cookie_has_no_session()
    {
        var token = SessionTokens.New();
        string? Read(string header)
        {
            var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
            context.Request.Headers.Cookie = header;
            return SessionCookie.Read(context.Request);
        }

        Assert.Equal(token, Read("theme=dark; " + SessionCookie.Name + "=" + token));
        Assert.Null(Read(SessionCookie.Name + "=%" + ((int)token[0]).ToString("X2", System.Globalization.CultureInfo.InvariantCulture) + token[1..]));
        Assert.Null(Read(SessionCookie.Name + "=\"" + token + "\""));
        Assert.Null(Read(SessionCookie.Name + "=" + token + "; " + SessionCookie.Name + "=" + SessionTokens.New()));
    }
}
