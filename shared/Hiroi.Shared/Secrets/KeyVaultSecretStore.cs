using Azure;
using Azure.Identity;
using Azure.Security.KeyVault.Secrets;

namespace Hiroi.Shared.Secrets;

/// <summary>Secrets from Azure Key Vault, read with the app's identity.</summary>
public sealed class KeyVaultSecretStore(SecretClient client) : ISecretStore
{
    public async Task<string?> GetAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            var response = await client.GetSecretAsync(VaultName(name), cancellationToken: cancellationToken).ConfigureAwait(false);
            return response.Value.Value;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
        catch (RequestFailedException e)
        {
            // The message names the secret, never its value; the inner exception carries the vault's diagnostics.
            throw new SecretStoreUnavailableException($"Key Vault answered {e.Status} reading secret '{VaultName(name)}'.", e);
        }
        catch (AuthenticationFailedException e)
        {
            throw new SecretStoreUnavailableException($"Could not authenticate to Key Vault reading secret '{VaultName(name)}'.", e);
        }
    }

    /// <summary>Key Vault names allow letters, digits and dashes: <c>EventGrid:WebhookSecret</c> is stored as <c>EventGrid--WebhookSecret</c>.</summary>
    public static string VaultName(string name) => name.Replace(":", "--", StringComparison.Ordinal);
}
