using Hiroi.Shared.Configuration;
namespace Hiroi.Shared.Secrets;

/// <summary>
/// The one way to read secrets. Names are logical (<c>EventGrid:WebhookSecret</c>): Key Vault holds them as
/// <c>EventGrid--WebhookSecret</c>, local settings as <c>Hiroi__EventGrid__WebhookSecret</c>. Values are never logged.
/// </summary>
public interface ISecretStore
{
    /// <summary>The secret's value, or null when it does not exist. Throws <see cref="SecretStoreUnavailableException"/> on a transient fault.</summary>
    Task<string?> GetAsync(string name, CancellationToken cancellationToken);
}

/// <summary>The secret store could not be reached or refused us; callers answer 503 and let the client retry.</summary>
public sealed class SecretStoreUnavailableException : Exception
{
    public SecretStoreUnavailableException()
    {
    }

    public SecretStoreUnavailableException(string message) : base(message)
    {
    }

    public SecretStoreUnavailableException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

public static class SecretStoreExtensions
{
    public static async Task<string> GetRequiredAsync(this ISecretStore store, string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        return await store.GetAsync(name, cancellationToken).ConfigureAwait(false)
            ?? throw new SettingException("Hiroi:" + name, "is not set in the secret store");
    }
}
