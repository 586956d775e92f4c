namespace Hiroi.Shared.Tenancy;

/// <summary>Org-scoped roles, ordered by privilege: a higher value can do everything a lower one can.</summary>
public enum Role
{
    Member = 1,
    Admin = 2,
    Owner = 3,
}

public static class Roles
{
    public static bool TryParse(string? text, out Role role)
    {
        role = default;
        return text is not null
            && Enum.TryParse(text, ignoreCase: true, out role)
            && Enum.IsDefined(role)
            && !int.TryParse(text, out _);
    }

    public static string ToWire(this Role role) => role.ToString().ToLowerInvariant();
}
