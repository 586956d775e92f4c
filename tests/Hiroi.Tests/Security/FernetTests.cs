using System.Buffers.Text;
using System.Text;
using Hiroi.Shared.SignIn;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Security;

/// <summary>The Fernet spec's published acceptance vectors (github.com/fernet/spec: generate.json, verify.json, invalid.json).</summary>
[Lane(Lanes.Unit)]
public class FernetTests
{
    private static readonly byte[] Key = Base64Url.DecodeFromChars("cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=".TrimEnd('='));
    private static readonly DateTimeOffset Made = DateTimeOffset.Parse("1985-10-26T01:20:00-07:00", System.Globalization.CultureInfo.InvariantCulture);
    private const string Hello = "gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==";

    [Fact]
    public void The_spec_generate_and_verify_vectors_hold()
    {
        Assert.Equal(Hello, Fernet.Encrypt(Key, "hello"u8, Made, [.. Enumerable.Range(0, 16).Select(i => (byte)i)]));
        Assert.True(Fernet.TryDecrypt(Key, Hello, Made.AddSeconds(1), TimeSpan.FromSeconds(60), out var plaintext));
        Assert.Equal("hello", Encoding.UTF8.GetString(plaintext));
    }

    [Theory]
    [InlineData("incorrect mac", "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAl1-szkFVzXTuGb4hR8AKtwcaX1YdykQUFBQUFBQUFBQQ==", 1)]
    [InlineData("too short", "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPA==", 1)]
    [InlineData("invalid base64", "%%%%%%%%%%%%%AECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAl1-szkFVzXTuGb4hR8AKtwcaX1YdykRtfsH-p1YsUD2Q==", 1)]
    [InlineData("payload size not multiple of block size", "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPOm73QeoCk9uGib28Xe5vz6oxq5nmxbx_v7mrfyudzUm", 1)]
    [InlineData("payload padding error", "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0ODz4LEpdELGQAad7aNEHbf-JkLPIpuiYRLQ3RtXatOYREu2FWke6CnJNYIbkuKNqOhw==", 1)]
    [InlineData("far-future TS (unacceptable clock skew)", "gAAAAAAdwStRAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAnja1xKYyhd-Y6mSkTOyTGJmw2Xc2a6kBd-iX9b_qXQcw==", 1)]
    [InlineData("expired TTL", "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAl1-szkFVzXTuGb4hR8AKtwcaX1YdykRtfsH-p1YsUD2Q==", 91)]
    [InlineData("incorrect IV (causes padding error)", "gAAAAAAdwJ6xBQECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAkLhFLHpGtDBRLRTZeUfWgHSv49TF2AUEZ1TIvcZjK1zQ==", 1)]
    [InlineData("trailing characters after b64 padding", Hello + "trailingdata", 1)]
    [InlineData("invalid characters in b64", "*gAAAAAAdwJ6wAAECAwQFBgcI!CQoLDA0ODy021?cpGVWKZ_eEwC@GM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==", 1)]
    [InlineData("invalid non-urlsafe characters in b64", "gAAAAAAdwJ6wAAEC/AwQFBgcICQoLDA0ODy+021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==", 1)]
    public void The_spec_invalid_vectors_are_refused(string why, string token, int secondsAfter) =>
        Assert.False(Fernet.TryDecrypt(Key, token, Made.AddSeconds(secondsAfter), TimeSpan.FromSeconds(60), out _), why);

    [Fact]
    public void A_round_trip_with_a_random_iv_decrypts_and_a_flipped_bit_does_not()
    {
        var key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var token = Fernet.Encrypt(key, "JBSWY3DPEHPK3PXP"u8, DateTimeOffset.UtcNow);
        Assert.True(Fernet.TryDecrypt(key, token, DateTimeOffset.UtcNow, null, out var back));
        Assert.Equal("JBSWY3DPEHPK3PXP", Encoding.ASCII.GetString(back));
        var flipped = token[..20] + (token[20] == 'A' ? 'B' : 'A') + token[21..];
        Assert.False(Fernet.TryDecrypt(key, flipped, DateTimeOffset.UtcNow, null, out _));
        Assert.False(Fernet.TryDecrypt(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32), token, DateTimeOffset.UtcNow, null, out _));
    }
}
