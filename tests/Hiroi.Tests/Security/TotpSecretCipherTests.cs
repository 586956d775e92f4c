using System.Security.Cryptography;
using Hiroi.Shared.SignIn;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Security;

[Lane(Lanes.Unit)]
public class TotpSecretCipherTests
{
    [Fact]
    public async Task A_sealed_secret_opens_under_any_listed_key_and_not_once_its_key_is_removed()
    {
        var store = new InMemorySecretStore();
        var k1 = TestKeys.Entry("k1", RandomNumberGenerator.GetBytes(32));
        var k2 = TestKeys.Entry("k2", RandomNumberGenerator.GetBytes(32));
        store[TotpSecretCipher.SecretName] = k1;
        var cipher = new TotpSecretCipher(store, TimeProvider.System);
        var secret = RandomNumberGenerator.GetBytes(20);

        var sealedUnderK1 = await cipher.SealAsync(secret, default);
        store[TotpSecretCipher.SecretName] = k2 + "," + k1; // rotation: the new key first, the old one still listed
        var sealedUnderK2 = await cipher.SealAsync(secret, default);

        Assert.DoesNotContain(Convert.ToBase64String(secret), sealedUnderK1, StringComparison.Ordinal);
        Assert.Equal(secret, await cipher.OpenAsync(sealedUnderK1, default));
        Assert.Equal(secret, await cipher.OpenAsync(sealedUnderK2, default));
        store[TotpSecretCipher.SecretName] = k2;
        Assert.Null(await cipher.OpenAsync(sealedUnderK1, default));
        Assert.Equal(secret, await cipher.OpenAsync(sealedUnderK2, default));
        Assert.Null(await cipher.OpenAsync(sealedUnderK2[..^4] + "AAA=", default));
    }
}
