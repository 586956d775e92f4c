using Hiroi.Shared.Secrets;
using Hiroi.Shared.Security;

namespace Hiroi.Shared.SignIn;

/// <summary>
/// Seals TOTP secrets at rest as Fernet tokens, under the keys of the secret <see cref="SecretName"/>
/// (<c>kid:base64key,...</c>, 32 bytes each, first current). Fernet tokens do not name their key, so opening tries each
/// listed key, as the spec's MultiFernet does: to rotate, prepend a new key, re-seal the secrets, then drop the old one.
/// </summary>
public sealed class TotpSecretCipher(ISecretStore secrets, TimeProvider time)
{
    /// <summary>Key Vault <c>SignIn--TotpKeys</c>, local settings <c>Hiroi__SignIn__TotpKeys</c>.</summary>
    public const string SecretName = "SignIn:TotpKeys";

    private readonly KeyRingSource _keys = new(secrets, SecretName, Fernet.KeySize, Fernet.KeySize);

    public async Task<string> SealAsync(byte[] totpSecret, CancellationToken cancellationToken)
    {
        var current = (await _keys.GetAsync(cancellationToken).ConfigureAwait(false)).Current;
        return Fernet.Encrypt(current.Material.Span, totpSecret, time.GetUtcNow());
    }

    /// <summary>The secret, or null when no listed key opens the token (tampered, or sealed under a key since removed).</summary>
    public async Task<byte[]?> OpenAsync(string sealedSecret, CancellationToken cancellationToken)
    {
        var ring = await _keys.GetAsync(cancellationToken).ConfigureAwait(false);
        foreach (var key in ring.Keys)
        {
            // No TTL: an enrolment lasts until it is turned off.
            if (Fernet.TryDecrypt(key.Material.Span, sealedSecret, time.GetUtcNow(), ttl: null, out var secret))
            {
                return secret;
            }
        }

        return null;
    }
}
