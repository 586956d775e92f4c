using Hiroi.Shared.ApiKeys;
using Hiroi.Shared.Audit;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.Orgs;

/// <summary>What creating an org hands back once: its id, its owner and the owner's first API key.</summary>
public sealed record CreatedOrganization(OrgId OrgId, string OwnerMemberId, string OwnerApiKey);

/// <summary>Creates organizations with their first owner and owner API key (the local bootstrap, later sign-up).</summary>
public sealed class OrganizationService(
    OrganizationRepository orgs, MemberService members, ApiKeyService apiKeys, AuditTrail audit, TimeProvider time)
{
    public const int MaxNameLength = 100;

    public async Task<CreatedOrganization> CreateAsync(string name, string normalizedOwnerEmail, CancellationToken cancellationToken)
    {
        var org = OrgId.New();
        var system = Caller.System(org, "bootstrap");
        await orgs.AddAsync(org, new OrganizationEntity { Name = name, CreatedAt = time.GetUtcNow() }, cancellationToken)
            .ConfigureAwait(false);
        await audit.RecordAsync(system, AuditActions.OrgCreated, "org:" + org.Value, null, cancellationToken).ConfigureAwait(false);
        var (_, owner) = await members.AddAsync(system, normalizedOwnerEmail, Role.Owner, cancellationToken).ConfigureAwait(false);
        var key = await apiKeys.CreateAsync(system, "Owner key (bootstrap)", Role.Owner, cancellationToken).ConfigureAwait(false);
        return new CreatedOrganization(org, owner!.RowKey, key.PlainText);
    }
}
