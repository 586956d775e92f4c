using System.Net.Mail;
using System.Runtime.Serialization;
using System.Security.Cryptography;
using System.Text;
using Hiroi.Shared.Storage;

namespace Hiroi.Shared.Tenancy;

/// <summary>A person's membership of an org: PartitionKey = org id, RowKey = member id.</summary>
public sealed class MemberEntity : TableRow
{
    public string Email { get; set; } = string.Empty;
    public string Role { get; set; } = string.Empty;
    public DateTimeOffset AddedAt { get; set; }
    public string AddedBy { get; set; } = string.Empty;

    [IgnoreDataMember]
    public Role ParsedRole => Roles.TryParse(Role, out var role) ? role : Tenancy.Role.Member;
}

public sealed class MemberRepository(HiroiTables tables) : OrgScopedRepository<MemberEntity>(tables, TableNames.Members);

public static class MemberEmails
{
    /// <summary>Trims and lowercases an email address; false when it is not one.</summary>
    public static bool TryNormalize(string? text, out string email)
    {
        email = string.Empty;
        var trimmed = text?.Trim();
        if (string.IsNullOrEmpty(trimmed) || trimmed.Length > 254 || !MailAddress.TryCreate(trimmed, out var address)
            || address.Address != trimmed || !address.Host.Contains('.', StringComparison.Ordinal))
        {
            return false;
        }

        email = trimmed.ToLowerInvariant();
        return true;
    }

    /// <summary>
    /// A member's id is derived from org and email, so adding the same person twice collides on the RowKey (one row per
    /// person, enforced by storage) and the id in URLs does not show the address.
    /// </summary>
    public static string MemberId(OrgId org, string normalizedEmail)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(org.Value + "\n" + normalizedEmail));
        return "mem_" + Convert.ToHexStringLower(digest.AsSpan(0, 10));
    }
}
