using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.Configuration;

/// <summary>
/// Validates an options section with its data annotations and names each bad setting the way an operator sets it
/// (<c>Hiroi__ApiKeys__CacheSeconds must be between 1 and 600</c>).
/// </summary>
public sealed class SectionValidator<TOptions>(string section) : IValidateOptions<TOptions> where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var results = new List<ValidationResult>();
        if (Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
        {
            return ValidateOptionsResult.Success;
        }

        return ValidateOptionsResult.Fail(results.Select(r =>
        {
            var member = r.MemberNames.FirstOrDefault() ?? string.Empty;
            var key = SettingKeys.ToEnvironmentName(section + ":" + member);
            var problem = (r.ErrorMessage ?? "is invalid").Replace($"The field {member} ", string.Empty, StringComparison.Ordinal);
            return $"Setting {key}: {problem}";
        }));
    }
}
