using System.ComponentModel.DataAnnotations;

namespace Hiroi.Shared.Secrets;

/// <summary>Settings <c>Hiroi:KeyVaultUri</c> and section <c>Hiroi:Secrets</c>.</summary>
public sealed class SecretOptions
{
    public const string KeyVaultUriKey = "Hiroi:KeyVaultUri";
    public const string Section = "Hiroi:Secrets";

    /// <summary>How long a secret read from the store is reused before it is read again (rotation lag).</summary>
    [Range(0, 3600)]
    public int CacheSeconds { get; set; } = 300;
}
