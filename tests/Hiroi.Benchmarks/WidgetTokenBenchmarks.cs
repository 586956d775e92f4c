using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using Hiroi.Shared.Widget;

namespace Hiroi.Benchmarks;

/// <summary>
/// Verifying a signed-mode widget token against the HMAC-SHA256 of the same bytes alone: the verifier's own work
/// (splitting, base64url, header and claims parsing, the checks) is what the ratio shows.
/// </summary>
[MemoryDiagnoser]
public class WidgetTokenBenchmarks
{
    private const string WidgetKey = "wk_0123456789abcdef0123456789abcdef_0123456789abcdef01234567";
    private readonly byte[] _secret = RandomNumberGenerator.GetBytes(32);
    private readonly DateTimeOffset _now = DateTimeOffset.UtcNow;
    private string _token = string.Empty;
    private byte[] _signedBytes = [];

    [GlobalSetup]
    public void Setup()
    {
        _token = WidgetTokens.Mint(_secret, "wks_1", WidgetKey, "visitor-42", _now, _now.AddMinutes(5), "jti-" + Guid.NewGuid());
        _signedBytes = Encoding.ASCII.GetBytes(_token[.._token.LastIndexOf('.')]);
    }

    [Benchmark(Baseline = true)]
    public byte[] RawHmacOfTheSameBytes() => HMACSHA256.HashData(_secret, _signedBytes);

    [Benchmark]
    public WidgetTokenRefusal Verify() =>
        WidgetTokens.Verify(_token, WidgetKey, kid => kid == "wks_1" ? _secret : null, _now, TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(30), out _);
}
