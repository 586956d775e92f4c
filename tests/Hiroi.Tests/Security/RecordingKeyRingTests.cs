using System.Security.Cryptography;
using Hiroi.Shared;
using Hiroi.Shared.Configuration;
using Hiroi.Shared.Security;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Security;

[Lane(Lanes.Unit)]
public class RecordingKeyRingTests
{
    private const string Context = "org_0123456789abcdef0123/call_9/doc_3";
    private readonly InMemorySecretStore _secrets = new();

    private RecordingKeyRing Ring => new(_secrets);

    private static async Task<(byte[] Ciphertext, WrappedDataKey Key)> EncryptAsync(RecordingKeyRing ring, byte[] plaintext)
    {
        using var output = new MemoryStream();
        var key = await ring.EncryptAsync(new MemoryStream(plaintext), output, Context, CancellationToken.None);
        return (output.ToArray(), key);
    }

    private static async Task<byte[]> DecryptAsync(RecordingKeyRing ring, byte[] ciphertext, WrappedDataKey key)
    {
        using var output = new MemoryStream();
        await ring.DecryptAsync(new MemoryStream(ciphertext), output, key, Context, CancellationToken.None);
        return output.ToArray();
    }

    [Fact]
    public async Task The_first_key_is_current_and_all_are_listed()
    {
        var (k1, k2) = (TestKeys.New(), TestKeys.New());
        _secrets[RecordingKeyRing.SecretName] = $"{TestKeys.Entry("k1", k1)}, {TestKeys.Entry("k2", k2)}";

        var ring = await Ring.GetAsync(CancellationToken.None);

        Assert.Equal("k1", ring.Current.Id);
        Assert.Equal(k1, ring.Current.Material.ToArray());
        Assert.Equal(k2, ring.Find("k2")!.Material.ToArray());
        Assert.Null(ring.Find("k3"));
        Assert.Null(ring.Find(null));
        Assert.Equal(["k1", "k2"], ring.Keys.Select(k => k.Id));
        Assert.Equal("key k1", ring.Current.ToString());
    }

    [Fact]
    public async Task A_rotated_ring_still_decrypts_old_recordings_with_their_key_id()
    {
        var (oldKey, newKey) = (TestKeys.New(), TestKeys.New());
        var plaintext = RandomNumberGenerator.GetBytes(200_000);
        _secrets[RecordingKeyRing.SecretName] = TestKeys.Entry("old", oldKey);
        var ring = Ring;
        var (oldCiphertext, oldWrapped) = await EncryptAsync(ring, plaintext);

        _secrets[RecordingKeyRing.SecretName] = $"{TestKeys.Entry("new", newKey)},{TestKeys.Entry("old", oldKey)}";
        var (newCiphertext, newWrapped) = await EncryptAsync(ring, plaintext);

        Assert.Equal("old", oldWrapped.KeyEncryptionKeyId);
        Assert.Equal("new", newWrapped.KeyEncryptionKeyId);
        Assert.Equal(plaintext, await DecryptAsync(ring, oldCiphertext, oldWrapped));
        Assert.Equal(plaintext, await DecryptAsync(ring, newCiphertext, newWrapped));

        _secrets[RecordingKeyRing.SecretName] = TestKeys.Entry("new", newKey);
        var error = await Assert.ThrowsAnyAsync<CryptographicException>(() => DecryptAsync(ring, oldCiphertext, oldWrapped));
        Assert.Contains("old", error.Message, StringComparison.Ordinal);
        Assert.Equal(plaintext, await DecryptAsync(ring, newCiphertext, newWrapped));
    }

    [Fact]
    public async Task A_key_id_pointing_at_different_material_cannot_decrypt()
    {
        _secrets[RecordingKeyRing.SecretName] = TestKeys.Entry("k1", TestKeys.New());
        var (ciphertext, key) = await EncryptAsync(Ring, [1, 2, 3]);

        _secrets[RecordingKeyRing.SecretName] = TestKeys.Entry("k1", TestKeys.New());

        await Assert.ThrowsAnyAsync<CryptographicException>(() => DecryptAsync(Ring, ciphertext, key));
    }

    [Fact]
    public async Task A_missing_secret_names_the_setting()
    {
        var error = await Assert.ThrowsAsync<SettingException>(() => Ring.GetAsync(CancellationToken.None));

        Assert.Equal("Hiroi__Recordings__KeyEncryptionKeys", error.Key);
    }

    [Theory]
    [InlineData("k1")]
    [InlineData("k1:")]
    [InlineData("k1:not base64!")]
    [InlineData(":{key}")]
    [InlineData("bad id:{key}")]
    [InlineData("k1.x:{key}")]
    [InlineData("k1:{short}")]
    [InlineData("k1:{long}")]
    [InlineData("k1:{key},k1:{key}")]
    [InlineData("k1:{key},")]
    [InlineData("k1:{key},,k2:{key}")]
    [InlineData("   ")]
    public async Task A_malformed_secret_is_a_clear_error_without_the_key(string format)
    {
        var key = Convert.ToBase64String(TestKeys.New());
        _secrets[RecordingKeyRing.SecretName] = format
            .Replace("{key}", key, StringComparison.Ordinal)
            .Replace("{short}", Convert.ToBase64String(TestKeys.New(16)), StringComparison.Ordinal)
            .Replace("{long}", Convert.ToBase64String(TestKeys.New(64)), StringComparison.Ordinal);

        var error = await Assert.ThrowsAsync<SettingException>(() => Ring.GetAsync(CancellationToken.None));

        Assert.Equal("Hiroi__Recordings__KeyEncryptionKeys", error.Key);
        Assert.DoesNotContain(key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_length_is_reported_as_such()
    {
        _secrets[RecordingKeyRing.SecretName] = TestKeys.Entry("k1", TestKeys.New(24));

        var error = await Assert.ThrowsAsync<SettingException>(() => Ring.GetAsync(CancellationToken.None));

        Assert.Contains("24 bytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("32 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_changed_secret_is_picked_up()
    {
        var ring = Ring;
        _secrets[RecordingKeyRing.SecretName] = TestKeys.Entry("k1", TestKeys.New());
        Assert.Equal("k1", (await ring.GetAsync(CancellationToken.None)).Current.Id);

        _secrets[RecordingKeyRing.SecretName] = TestKeys.Entry("k2", TestKeys.New());

        Assert.Equal("k2", (await ring.GetAsync(CancellationToken.None)).Current.Id);
    }
}
