using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Hiroi.Endpoints.Protection;
using Hiroi.Tests.Infrastructure;
using Microsoft.Net.Http.Headers;
using static Hiroi.Tests.Protection.ParserGenerators;

namespace Hiroi.Tests.Protection;

/// <summary>
/// The request Content-Type check over arbitrary headers: it never throws, what it passes on parses and is its own
/// canonical form, and a JSON body it passes is read as UTF-8 with the charset spelled the one way the framework's JSON
/// reader takes (any other spelling made that reader throw, a 500).
/// </summary>
[Lane(Lanes.Unit)]
public class ContentTypePropertyTests
{
    private static readonly Gen<string> Declared =
        from type in Gen.Elements("application/json", "APPLICATION/JSON", "application/problem+json", "text/csv", "text/plain", "application/x-www-form-urlencoded",
            "application/jso", "", "*/*")
        from charsetName in Gen.Elements("utf-8", "UTF-8", "utf8", "\"utf-8\"", "\"UTF-8\"", "\"\"", "", "\"", "latin1", "\"latin1\"", "utf-16", "x-bogus",
            "\"utf 8\"", "\"utf-8", "utf-8\"", "\"utf\\-8\"")
        from shape in Gen.Choose(0, 5)
        select shape switch
        {
            0 => type,
            1 => $"{type}; charset={charsetName}",
            2 => $"{type};charset={charsetName}",
            3 => $"{type}; charset={charsetName}; charset=utf-8",
            4 => $"{type}; CHARSET={charsetName}; q=1",
            _ => $"{type}; charset",
        };

    public static class Arbitraries
    {
        public static Arbitrary<string> Headers() => Arb(Gen.Frequency(
            (3, Declared),
            (1, AnyText),
            (2, TextOver("application/json; charset=\"utf-8\"")),
            (2, from declared in Declared from mutate in Mutation(";=\"/ ") select mutate(declared))));
    }

    [Property(Arbitrary = [typeof(Arbitraries)], MaxTest = 3000)]
    public bool What_passes_parses_is_canonical_and_json_is_utf8_spelled_one_way(string header)
    {
        if (RequestCharset.Problem(header, out var canonical) is not null || string.IsNullOrEmpty(header))
        {
            return true;
        }

        var media = MediaTypeHeaderValue.Parse(canonical);
        var isJson = media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || media.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase);
        return RequestCharset.Problem(canonical, out var again) is null && again == canonical
            && (!isJson || !media.Charset.HasValue || media.Charset.Equals("utf-8", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("application/json; charset=\"utf-8\"", "application/json; charset=utf-8")]
    [InlineData("application/json; charset=\"UTF-8\"", "application/json; charset=utf-8")]
    [InlineData("application/json; charset=utf8", "application/json; charset=utf-8")]
    [InlineData("application/json; charset=utf-8", "application/json; charset=utf-8")]
    [InlineData("application/json", "application/json")]
    [InlineData("text/csv; charset=\"utf-8\"", "text/csv; charset=utf-8")]
    public void Valid_spellings_pass_in_their_canonical_form(string header, string canonical)
    {
        Assert.Null(RequestCharset.Problem(header, out var passed));
        Assert.Equal(canonical, passed);
    }

    [Theory]
    [InlineData("application/json; charset=\"\"")]
    [InlineData("application/json; charset=")]
    [InlineData("application/json; charset=\"")]
    [InlineData("application/json; charset")]
    [InlineData("application/json; charset=\"utf 8\"")]
    [InlineData("application/json; charset=utf-8; charset=utf-8")]
    [InlineData("application/json; charset=utf-8; charset=latin1")]
    [InlineData("application/json; charset=\"latin1\"")]
    [InlineData("text/csv; charset=\"\"")]
    public void Empty_repeated_or_unreadable_charsets_are_refused(string header)
    {
        Assert.NotNull(RequestCharset.Problem(header, out _));
    }
}
