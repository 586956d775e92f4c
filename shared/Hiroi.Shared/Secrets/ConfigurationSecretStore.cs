using Microsoft.Extensions.Configuration;

namespace Hiroi.Shared.Secrets;

/// <summary>Secrets from local settings (<c>Hiroi__Name</c> in local.settings.json Values or the environment), for development.</summary>
public sealed class ConfigurationSecretStore(IConfiguration configuration) : ISecretStore
{
    public Task<string?> GetAsync(string name, CancellationToken cancellationToken)
    {
        var value = configuration["Hiroi:" + name];
        return Task.FromResult(string.IsNullOrEmpty(value) ? null : value);
    }
}
