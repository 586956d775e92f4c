using Hiroi.Shared.Widget;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Widget;

[Lane(Lanes.Unit)]
public class WidgetOriginTests
{
    [Theory]
    [InlineData("https://Shop.Example.com", "https://shop.example.com")]
    [InlineData("https://shop.example.com:443", "https://shop.example.com")]
    [InlineData("https://shop.example.com/", "https://shop.example.com")]
    [InlineData("https://shop.example.com:8443", "https://shop.example.com:8443")]
    [InlineData("http://localhost:5173", "http://localhost:5173")]
    [InlineData("http://127.0.0.1:8080", "http://127.0.0.1:8080")]
    public void Origins_are_kept_in_one_canonical_form(string given, string canonical)
    {
        Assert.True(WidgetOrigins.TryNormalize(given, out var origin, out _));
        Assert.Equal(canonical, origin);
    }

    [Theory]
    [InlineData("*")]
    [InlineData("https://*.example.com")]
    [InlineData("https://shop.example.com/widget")]
    [InlineData("https://shop.example.com/?a=1")]
    [InlineData("https://shop.example.com#x")]
    [InlineData("https://user:pw@shop.example.com")]
    [InlineData("http://shop.example.com")]
    [InlineData("ftp://shop.example.com")]
    [InlineData("shop.example.com")]
    [InlineData("")]
    [InlineData("null")]
    public void Wildcards_paths_user_info_and_plain_http_are_refused(string given) =>
        Assert.False(WidgetOrigins.TryNormalize(given, out _, out _));

    [Fact]
    public void A_request_origin_matches_exactly_after_case_and_default_port()
    {
        string[] allowed = ["https://shop.example.com"];
        Assert.True(WidgetOrigins.Allows(allowed, "https://SHOP.example.com:443"));
        Assert.False(WidgetOrigins.Allows(allowed, "https://shop.example.com.evil.com"));
        Assert.False(WidgetOrigins.Allows(allowed, "http://shop.example.com"));
        Assert.False(WidgetOrigins.Allows(allowed, null));
    }
}
