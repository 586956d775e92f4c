using System.Text;
using Hiroi.Shared.Acs;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Acs;

[Lane(Lanes.Unit)]
public class AcsHmacTests
{
    // base64("hiroi-test-access-key-0123456789")
    private const string Key = "aGlyb2ktdGVzdC1hY2Nlc3Mta2V5LTAxMjM0NTY3ODk=";
    private const string OtherKey = "b3RoZXItdGVzdC1hY2Nlc3Mta2V5LTAxMjM0NTY3ODk=";
    private const string Date = "Tue, 26 Mar 2019 16:06:51 GMT";
    private static readonly DateTimeOffset Now = new(2019, 3, 26, 16, 6, 51, TimeSpan.Zero);
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"message":"hello"}""");

    // Expected values computed independently with OpenSSL:
    //   printf '{"message":"hello"}' | openssl dgst -sha256 -binary | base64
    //   printf 'POST\n/sms?api-version=2021-03-07\n<date>;contoso.communication.azure.com;<hash>' \
    //     | openssl dgst -sha256 -mac HMAC -macopt hexkey:<hex of the key> -binary | base64
    private const string BodyHash = "my1Dr/v0mjZwKN8uFBT4TA4JmsmMPVSoqAFX/XdxryU=";
    private const string EmptyHash = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
    private const string PostSignature = "Iit4b8XC/wihD5+XFXoYl0dFFMcSCuUZp39tRQcniQk=";
    private const string GetOnPortSignature = "5vMhuFlBqsu6UdpZnQPSvMEJP8zahHf4qZsSdqZs2NA=";

    private static HttpRequestMessage SignedPost()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "https://contoso.communication.azure.com/sms?api-version=2021-03-07");
        AcsHmac.Sign(request, Body, Key, Now);
        return request;
    }

    private static string Header(HttpRequestMessage request, string name) => string.Join(",", request.Headers.GetValues(name));

    [Fact]
    public void The_signature_matches_an_independently_computed_value()
    {
        using var request = SignedPost();

        Assert.Equal(Date, Header(request, "x-ms-date"));
        Assert.Equal(BodyHash, Header(request, "x-ms-content-sha256"));
        Assert.Equal(
            $"HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={PostSignature}", Header(request, "Authorization"));
    }

    [Fact]
    public void No_body_hashes_the_empty_string_and_the_host_keeps_a_non_default_port()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://localhost:5099/recordings/abc");

        AcsHmac.Sign(request, [], Key, Now);

        Assert.Equal(EmptyHash, Header(request, "x-ms-content-sha256"));
        Assert.EndsWith("&Signature=" + GetOnPortSignature, Header(request, "Authorization"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_date_is_RFC_1123_in_UTC_whatever_the_offset()
    {
        Assert.Equal(Date, AcsHmac.FormatDate(new DateTimeOffset(2019, 3, 26, 18, 6, 51, TimeSpan.FromHours(2))));
    }

    [Fact]
    public void Signing_again_replaces_the_earlier_signature()
    {
        using var request = SignedPost();

        AcsHmac.Sign(request, Body, Key, Now.AddMinutes(1));

        Assert.Single(request.Headers.GetValues("x-ms-date"));
        Assert.Single(request.Headers.GetValues("Authorization"));
        Assert.Equal("Tue, 26 Mar 2019 16:07:51 GMT", Header(request, "x-ms-date"));
    }

    [Fact]
    public void Verify_accepts_a_signed_request()
    {
        using var request = SignedPost();

        Assert.True(AcsHmac.Verify(
            "POST", "/sms?api-version=2021-03-07", "contoso.communication.azure.com",
            Header(request, "x-ms-date"), Header(request, "x-ms-content-sha256"), Header(request, "Authorization"), Body, Key));
    }

    [Theory]
    [InlineData("body")]
    [InlineData("path")]
    [InlineData("query")]
    [InlineData("date")]
    [InlineData("key")]
    [InlineData("host")]
    [InlineData("method")]
    [InlineData("hash")]
    public void Verify_rejects_any_tampering(string what)
    {
        using var request = SignedPost();
        var method = what == "method" ? "PUT" : "POST";
        var path = what switch
        {
            "path" => "/sms/other?api-version=2021-03-07",
            "query" => "/sms?api-version=2024-01-02",
            _ => "/sms?api-version=2021-03-07",
        };
        var host = what == "host" ? "evil.communication.azure.com" : "contoso.communication.azure.com";
        var date = what == "date" ? "Tue, 26 Mar 2019 16:06:52 GMT" : Header(request, "x-ms-date");
        var body = what is "body" or "hash" ? Encoding.UTF8.GetBytes("""{"message":"hellO"}""") : Body;
        var hash = what == "hash" ? AcsHmac.ComputeContentHash(body) : Header(request, "x-ms-content-sha256");
        var key = what == "key" ? OtherKey : Key;

        Assert.False(AcsHmac.Verify(method, path, host, date, hash, Header(request, "Authorization"), body, key));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Bearer abc")]
    [InlineData("HMAC-SHA256 Signature=Iit4b8XC/wihD5+XFXoYl0dFFMcSCuUZp39tRQcniQk=")]
    [InlineData("HMAC-SHA256 SignedHeaders=x-ms-date;host&Signature=Iit4b8XC/wihD5+XFXoYl0dFFMcSCuUZp39tRQcniQk=")]
    [InlineData("HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=not base64!")]
    [InlineData("HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=Iit4b8XC")]
    public void Verify_rejects_a_missing_or_malformed_authorization(string? authorization)
    {
        Assert.False(AcsHmac.Verify(
            "POST", "/sms?api-version=2021-03-07", "contoso.communication.azure.com", Date, BodyHash, authorization, Body, Key));
    }

    [Fact]
    public void Verify_rejects_missing_date_or_content_hash()
    {
        using var request = SignedPost();
        var authorization = Header(request, "Authorization");

        Assert.False(AcsHmac.Verify("POST", "/sms?api-version=2021-03-07", "contoso.communication.azure.com", null, BodyHash, authorization, Body, Key));
        Assert.False(AcsHmac.Verify("POST", "/sms?api-version=2021-03-07", "contoso.communication.azure.com", Date, null, authorization, Body, Key));
    }

    [Fact]
    public void Verify_with_a_clock_rejects_a_stale_or_unparseable_date()
    {
        using var request = SignedPost();
        bool VerifyAt(DateTimeOffset now, string? date = null) => AcsHmac.Verify(
            "POST", "/sms?api-version=2021-03-07", "contoso.communication.azure.com", date ?? Header(request, "x-ms-date"),
            Header(request, "x-ms-content-sha256"), Header(request, "Authorization"), Body, Key, now, TimeSpan.FromMinutes(15));

        Assert.True(VerifyAt(Now.AddMinutes(14)));
        Assert.True(VerifyAt(Now.AddMinutes(-14)));
        Assert.False(VerifyAt(Now.AddMinutes(16)));
        Assert.False(VerifyAt(Now, date: "yesterday"));
    }

    [Fact]
    public void A_key_that_is_not_base64_is_refused_without_echoing_it()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "https://contoso.communication.azure.com/x");

        var error = Assert.Throws<ArgumentException>(() => AcsHmac.Sign(request, [], "not-base64-secret!", Now));

        Assert.DoesNotContain("not-base64-secret", error.Message, StringComparison.Ordinal);
    }
}
