using System.Text;
using Hiroi.Shared.ApiKeys;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.ApiKeys;

[Lane(Lanes.Unit)]
public class ApiKeyHasherTests
{
    // RFC 7914 section 11, PBKDF2-HMAC-SHA256 test vectors.
    [Theory]
    [InlineData("passwd", "salt", 1,
        "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783")]
    [InlineData("Password", "NaCl", 80000,
        "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d")]
    public void Derivation_matches_the_RFC_7914_vectors(string password, string salt, int iterations, string expectedHex)
    {
        var derived = ApiKeyHasher.Derive(password, Encoding.ASCII.GetBytes(salt), iterations, 64);

        Assert.Equal(expectedHex, Convert.ToHexStringLower(derived));
    }

    [Fact]
    public void A_hash_uses_600000_iterations_and_a_fresh_salt()
    {
        var first = ApiKeyHasher.Hash("secret");
        var second = ApiKeyHasher.Hash("secret");

        Assert.Equal(600_000, first.Iterations);
        Assert.Equal(16, first.Salt.Length);
        Assert.NotEqual(first.Salt, second.Salt);
        Assert.NotEqual(first.Hash, second.Hash);
    }

    [Fact]
    public void Verify_accepts_the_secret_and_rejects_anything_else()
    {
        var stored = ApiKeyHasher.Hash("correct horse");

        Assert.True(ApiKeyHasher.Verify("correct horse", stored));
        Assert.False(ApiKeyHasher.Verify("correct hors", stored));
        Assert.False(ApiKeyHasher.Verify("correct horse", stored with { Hash = [] }));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(31)]
    public void A_stored_hash_shorter_than_256_bits_is_refused_even_for_the_secret_it_was_derived_from(int length)
    {
        // A 1-byte hash matches one secret in 256; the review found one accepted. The truncation is a real derivation.
        var stored = ApiKeyHasher.Hash("correct horse");
        var truncated = stored with { Hash = stored.Hash[..length] };

        Assert.False(ApiKeyHasher.Verify("correct horse", truncated));
        Assert.True(ApiKeyHasher.Verify("correct horse", stored with { Hash = stored.Hash[..32] }));
    }
}
