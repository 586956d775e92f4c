using Azure.Data.Tables;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.SignIn;

/// <summary>
/// Section <c>Hiroi:SignIn:Entra</c>: Microsoft Entra ID sign-in (OpenID Connect, authorization code with PKCE). Off
/// while <see cref="ClientId"/> is empty. The client secret is the secret <see cref="ClientSecretName"/>.
/// </summary>
public sealed class EntraSignInOptions
{
    public const string Section = "Hiroi:SignIn:Entra";
    public const string ClientSecretName = "SignIn:EntraClientSecret";
    public const string CallbackPath = "/auth/entra/callback";

    /// <summary>The authority, e.g. <c>https://login.microsoftonline.com/organizations/v2.0</c> (any work account, limited by <see cref="AllowedTenants"/>).</summary>
    public string Authority { get; set; } = "https://login.microsoftonline.com/organizations/v2.0";

    public string ClientId { get; set; } = string.Empty;

    /// <summary>Entra tenant ids whose people may sign in, comma-separated. Empty admits nobody.</summary>
    public string AllowedTenants { get; set; } = string.Empty;

    /// <summary>Only a local test issuer turns this off.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    public bool IsConfigured => !string.IsNullOrWhiteSpace(ClientId);

    public IReadOnlySet<string> AllowedTenantSet =>
        AllowedTenants.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.OrdinalIgnoreCase);
}

/// <summary>What Entra ID said about the person, from a validated id token.</summary>
/// <param name="EmailVerified">The tenant verified the address (<c>email_verified</c>, or Entra's <c>xms_edov</c>).</param>
/// <param name="MultiFactor">Entra did MFA (<c>amr</c> has <c>mfa</c>): it counts as the second factor.</param>
public sealed record EntraIdentity(string TenantId, string ObjectId, string? Email, bool EmailVerified, bool MultiFactor);

/// <summary>
/// The account an Entra identity signs in to: PartitionKey = <c>entra_{tid}_{oid}</c> in the accounts table. The
/// account's own partition holds a row of the same key, so closing the account finds every identity linked to it.
/// </summary>
public sealed class EntraLinkEntity() : TableRow(RowKeyValue)
{
    public const string Prefix = "entra_";
    public const string RowKeyValue = "link";

    public string AccountId { get; set; } = string.Empty;

    public static string Key(string tenantId, string objectId) => $"{Prefix}{tenantId.ToLowerInvariant()}_{objectId.ToLowerInvariant()}";
}

/// <summary>
/// Finds the person an Entra identity is: by the object id linked earlier, or else by the tenant-verified email of an
/// account that exists (a member somewhere), which then links the object id for next time. Anything else is refused.
/// </summary>
public sealed class EntraAccounts(HiroiTables tables, AccountRepository accounts, TimeProvider time)
{
    public async Task<string?> FindAsync(EntraIdentity identity, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(identity);
        if (!Guid.TryParse(identity.TenantId, out _) || !Guid.TryParse(identity.ObjectId, out _))
        {
            return null;
        }

        var table = await tables.GetAsync(TableNames.Accounts, cancellationToken).ConfigureAwait(false);
        var key = EntraLinkEntity.Key(identity.TenantId, identity.ObjectId);
        var link = await table.GetEntityIfExistsAsync<EntraLinkEntity>(key, EntraLinkEntity.RowKeyValue, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (link.HasValue && await accounts.FindAsync(link.Value!.AccountId, cancellationToken).ConfigureAwait(false) is not null)
        {
            return link.Value.AccountId;
        }

        if (!identity.EmailVerified || !MemberEmails.TryNormalize(identity.Email, out var email))
        {
            return null;
        }

        var accountId = AccountIds.For(email);
        var account = await accounts.FindAsync(accountId, cancellationToken).ConfigureAwait(false);
        if (account is null)
        {
            return null;
        }

        // The account's entry first: a crash in between leaves an entry with no link, never a link the account's
        // closing would miss. A person may link several identities (several tenants); each gets its own pair.
        await table.UpsertEntityAsync(new TableEntity(accountId, key) { ["LinkedAt"] = time.GetUtcNow() }, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        await table.UpsertEntityAsync(new EntraLinkEntity { PartitionKey = key, AccountId = accountId }, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        return accountId;
    }
}
