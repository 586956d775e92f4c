using System.ComponentModel.DataAnnotations;

namespace Hiroi.Shared.Storage;

/// <summary>Section <c>Hiroi:Storage</c>.</summary>
public sealed class StorageOptions
{
    public const string Section = "Hiroi:Storage";

    /// <summary>
    /// Prefix of every table, container and queue name. Tests give each fixture its own prefix so they never see
    /// each other's data; deployments keep the default.
    /// </summary>
    [Required]
    [RegularExpression("^[a-z][a-z0-9]{1,15}$", ErrorMessage = "must be 2-16 lowercase letters or digits, starting with a letter")]
    public string Prefix { get; set; } = "hiroi";
}
