using Hiroi.Shared.ApiKeys;
using Hiroi.Shared.Audit;
using Hiroi.Shared.Retention;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.Orgs;

public enum DeletionRequest
{
    Scheduled,
    AlreadyScheduled,
    Forbidden,
    NameMismatch,
}

/// <summary>
/// An owner's request to delete the org and all its data. At once: the org's API keys are deleted (every instance
/// stops admitting them within the key cache time) and its numbers released (events for them are refused); the org is
/// flagged for the purge, which starts <see cref="RetentionOptions.OrgPurgeDelaySeconds"/> later, once no instance can
/// still write for the org.
/// </summary>
public sealed class OrgDeletion(
    OrganizationRepository orgs, ApiKeyRepository keys, ApiKeyVerifier verifier, PhoneNumberRepository numbers, NumberRegistry registry,
    MemberRepository members, SignIn.AccountRepository accounts, SignIn.SignInSessionStore sessions,
    AuditTrail audit, IOptions<RetentionOptions> options, TimeProvider time)
{
    public async Task<(DeletionRequest Outcome, DateTimeOffset? PurgeAfter)> RequestAsync(Caller caller, string? confirmName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (caller.Role != Role.Owner)
        {
            return (DeletionRequest.Forbidden, null);
        }

        var org = await orgs.GetAsync(caller.OrgId, cancellationToken).ConfigureAwait(false) ?? throw new InvalidOperationException("The caller's org has no row.");
        if (org.DeletionRequestedAt is not null)
        {
            // Asked again (perhaps after a crash part-way): make sure the keys and numbers are gone.
            await CloseAsync(caller, cancellationToken).ConfigureAwait(false);
            return (DeletionRequest.AlreadyScheduled, org.PurgeAfter);
        }

        if (!string.Equals(confirmName?.Trim(), org.Name, StringComparison.Ordinal))
        {
            return (DeletionRequest.NameMismatch, null);
        }

        var now = time.GetUtcNow();
        org.DeletionRequestedAt = now;
        org.PurgeAfter = now + TimeSpan.FromSeconds(options.Value.OrgPurgeDelaySeconds);
        org.PurgePending = true;
        if (!await orgs.UpdateAsync(caller.OrgId, org, cancellationToken).ConfigureAwait(false))
        {
            throw new ConflictException("The org changed meanwhile; retry.");
        }

        await audit.RecordAsync(caller, AuditActions.OrgDeletionRequested, "org:" + caller.OrgId.Value, null, cancellationToken).ConfigureAwait(false);
        await CloseAsync(caller, cancellationToken).ConfigureAwait(false);
        return (DeletionRequest.Scheduled, org.PurgeAfter);
    }

    /// <summary>
    /// Deletes the org's API keys, ends its members' sessions there (and drops the org from their accounts) and releases
    /// its numbers, so no request or event reaches it any more.
    /// </summary>
    private async Task CloseAsync(Caller caller, CancellationToken cancellationToken)
    {
        await sessions.RevokeOrgAsync(caller.OrgId, cancellationToken).ConfigureAwait(false);
        await foreach (var member in members.ListAsync(caller.OrgId, cancellationToken).ConfigureAwait(false))
        {
            await accounts.RemoveMembershipAsync(member.Email, caller.OrgId, cancellationToken).ConfigureAwait(false);
        }

        await foreach (var key in keys.ListAsync(caller.OrgId, cancellationToken).ConfigureAwait(false))
        {
            await keys.DeleteAsync(caller.OrgId, key.RowKey, cancellationToken).ConfigureAwait(false);
            await verifier.RevokedAsync(caller.OrgId, key.RowKey, cancellationToken).ConfigureAwait(false);
        }

        await foreach (var number in numbers.ListAsync(caller.OrgId, cancellationToken).ConfigureAwait(false))
        {
            await registry.ReleaseAsync(caller, number.RowKey, cancellationToken).ConfigureAwait(false);
        }
    }
}
