using System.Security.Cryptography;
using Hiroi.Shared.Configuration;
using Hiroi.Shared.Secrets;

namespace Hiroi.Shared.Security;

/// <summary>
/// Key-encryption keys (KEKs) read through <see cref="ISecretStore"/> from one secret formatted
/// <c>kid1:base64key1,kid2:base64key2</c> (each key exactly 32 bytes): the first wraps new data keys, all of them
/// unwrap. Encrypts and decrypts with <see cref="RecordingCipher"/> (a fresh data key per item, wrapped under the KEK,
/// bound to a context), choosing the right key.
/// </summary>
/// <remarks>
/// Rotation: prepend a new key (<c>new:...,old:...</c>); new items use it, old ones still decrypt under the id they
/// name. Remove the old key only after everything it wraps has been re-wrapped or deleted.
/// </remarks>
public abstract class EnvelopeKeyRing
{
    private readonly KeyRingSource _source;
    private readonly string _secretName;

    protected EnvelopeKeyRing(ISecretStore secrets, string secretName)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        _secretName = secretName;
        _source = new KeyRingSource(secrets, secretName, RecordingCipher.KeySize, RecordingCipher.KeySize);
    }

    /// <summary>
    /// The current key ring. Throws <see cref="SettingException"/> when the secret is missing or malformed, and
    /// <see cref="SecretStoreUnavailableException"/> when the store cannot be reached.
    /// </summary>
    public Task<KeyRing> GetAsync(CancellationToken cancellationToken) => _source.GetAsync(cancellationToken);

    /// <summary>Encrypts under the current KEK; store the returned key with the ciphertext.</summary>
    /// <inheritdoc cref="RecordingCipher.EncryptAsync" path="/param"/>
    public async Task<WrappedDataKey> EncryptAsync(Stream plaintext, Stream ciphertext, string context, CancellationToken cancellationToken)
    {
        var current = (await GetAsync(cancellationToken).ConfigureAwait(false)).Current;
        return await RecordingCipher.EncryptAsync(plaintext, ciphertext, current.Material, current.Id, context, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>
    /// Decrypts with the KEK the wrapped key names. Throws <see cref="CryptographicException"/> when that key is no
    /// longer listed, or on any tampering (see <see cref="RecordingCipher.DecryptAsync"/>, including its remark on
    /// partial output).
    /// </summary>
    /// <inheritdoc cref="RecordingCipher.DecryptAsync" path="/param"/>
    public async Task DecryptAsync(Stream ciphertext, Stream plaintext, WrappedDataKey key, string context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var kek = (await GetAsync(cancellationToken).ConfigureAwait(false)).Find(key.KeyEncryptionKeyId)
            ?? throw new CryptographicException($"The data key is wrapped by key {key.KeyEncryptionKeyId}, which is not in {_secretName}.");
        await RecordingCipher.DecryptAsync(ciphertext, plaintext, key, kek.Material, context, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Encrypts a small value in memory: its ciphertext and the wrapped key to store beside it.</summary>
    public async Task<(byte[] Ciphertext, string DataKey)> SealAsync(byte[] plaintext, string context, CancellationToken cancellationToken)
    {
        using var input = new MemoryStream(plaintext);
        using var output = new MemoryStream();
        var key = await EncryptAsync(input, output, context, cancellationToken).ConfigureAwait(false);
        return (output.ToArray(), key.ToMetadataValue());
    }

    /// <summary>Decrypts what <see cref="SealAsync"/> sealed under the same context; throws <see cref="CryptographicException"/> otherwise.</summary>
    public async Task<byte[]> OpenAsync(byte[] ciphertext, string dataKey, string context, CancellationToken cancellationToken)
    {
        if (!WrappedDataKey.TryParse(dataKey, out var key))
        {
            throw new CryptographicException("The sealed value has no readable data key.");
        }

        using var input = new MemoryStream(ciphertext);
        using var output = new MemoryStream();
        await DecryptAsync(input, output, key, context, cancellationToken).ConfigureAwait(false);
        return output.ToArray();
    }
}

/// <summary>The KEKs of call recordings, from <see cref="SecretName"/>.</summary>
public sealed class RecordingKeyRing(ISecretStore secrets) : EnvelopeKeyRing(secrets, SecretName)
{
    /// <summary>The secret's logical name (Key Vault <c>Recordings--KeyEncryptionKeys</c>, local settings <c>Hiroi__Recordings__KeyEncryptionKeys</c>).</summary>
    public const string SecretName = "Recordings:KeyEncryptionKeys";
}

/// <summary>The KEKs of org secrets (tool credentials), from <see cref="SecretName"/>.</summary>
public sealed class TenantSecretKeyRing(ISecretStore secrets) : EnvelopeKeyRing(secrets, SecretName)
{
    /// <summary>Key Vault <c>TenantSecrets--KeyEncryptionKeys</c>, local settings <c>Hiroi__TenantSecrets__KeyEncryptionKeys</c>.</summary>
    public const string SecretName = "TenantSecrets:KeyEncryptionKeys";
}
