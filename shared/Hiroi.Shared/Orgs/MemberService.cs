using Hiroi.Shared.Audit;
using Hiroi.Shared.SignIn;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.Orgs;

public enum MemberChange
{
    Done,
    NotFound,
    Forbidden,
    LastOwner,
}

/// <summary>
/// Membership rules: owners and admins manage members; only an owner may grant, change or remove the owner role; an org
/// always keeps at least one owner. Every change is audited with member ids, never emails. The person's account index
/// follows each change, a new member is mailed a sign-in link, and a re-role or removal revokes their sessions in the
/// org at once (so a session never acts with a role the person no longer has).
/// </summary>
public sealed class MemberService(
    MemberRepository members, AccountRepository accounts, SignInSessionStore sessions, SignInMailbox mail, AuditTrail audit, TimeProvider time)
{
    public async Task<IReadOnlyList<MemberEntity>> ListAsync(Caller caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return await members.ListAsync(caller.OrgId, cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Adds a member; throws <see cref="ConflictException"/> if the email is already a member.</summary>
    public async Task<(MemberChange Change, MemberEntity? Member)> AddAsync(
        Caller caller, string normalizedEmail, Role role, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (!caller.IsAtLeast(Role.Admin) || (role == Role.Owner && caller.Role != Role.Owner))
        {
            return (MemberChange.Forbidden, null);
        }

        var member = new MemberEntity
        {
            RowKey = MemberEmails.MemberId(caller.OrgId, normalizedEmail),
            Email = normalizedEmail,
            Role = role.ToWire(),
            AddedAt = time.GetUtcNow(),
            AddedBy = caller.ActorId,
        };
        await members.AddAsync(caller.OrgId, member, cancellationToken).ConfigureAwait(false);
        await accounts.AddMembershipAsync(normalizedEmail, caller.OrgId, member.RowKey, role, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (!caller.ActorId.StartsWith("system:", StringComparison.Ordinal))
        {
            await mail.EnqueueAsync(new SignInMailRequest(normalizedEmail, SignInMailKind.Invitation), cancellationToken).ConfigureAwait(false);
        }

        await audit.RecordAsync(caller, AuditActions.MemberAdded, "member:" + member.RowKey, role.ToWire(), cancellationToken)
            .ConfigureAwait(false);
        return (MemberChange.Done, member);
    }

    public async Task<(MemberChange Change, MemberEntity? Member)> ChangeRoleAsync(
        Caller caller, string memberId, Role role, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var member = await members.FindAsync(caller.OrgId, memberId, cancellationToken).ConfigureAwait(false);
        if (member is null)
        {
            return (MemberChange.NotFound, null);
        }

        var refusal = await CheckChangeAsync(caller, member, role, cancellationToken).ConfigureAwait(false);
        if (refusal is not null)
        {
            return (refusal.Value, null);
        }

        var from = member.Role;
        member.Role = role.ToWire();
        if (!await members.UpdateAsync(caller.OrgId, member, cancellationToken).ConfigureAwait(false))
        {
            return (MemberChange.NotFound, null);
        }

        await accounts.AddMembershipAsync(member.Email, caller.OrgId, memberId, role, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        await sessions.RevokeAllAsync(AccountIds.For(member.Email), caller.OrgId, cancellationToken).ConfigureAwait(false);
        await audit.RecordAsync(caller, AuditActions.MemberRoleChanged, "member:" + memberId, $"{from}->{member.Role}", cancellationToken)
            .ConfigureAwait(false);
        return (MemberChange.Done, member);
    }

    public async Task<MemberChange> RemoveAsync(Caller caller, string memberId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var member = await members.FindAsync(caller.OrgId, memberId, cancellationToken).ConfigureAwait(false);
        if (member is null)
        {
            return MemberChange.NotFound;
        }

        var refusal = await CheckChangeAsync(caller, member, newRole: null, cancellationToken).ConfigureAwait(false);
        if (refusal is not null)
        {
            return refusal.Value;
        }

        // Recorded and anonymized before the row goes: a crash in between leaves the member, and a retry redoes both
        // (anonymizing is idempotent). The account is gone after this; its entries stay without its id, then expire.
        await audit.RecordAsync(caller, AuditActions.MemberRemoved, "member:" + memberId, null, cancellationToken).ConfigureAwait(false);
        await audit.AnonymizeAsync(caller.OrgId, memberId, cancellationToken).ConfigureAwait(false);
        // The membership first, then its sessions: an org choice racing this either finds no membership or is found here.
        await accounts.RemoveMembershipAsync(member.Email, caller.OrgId, cancellationToken).ConfigureAwait(false);
        await sessions.RevokeAllAsync(AccountIds.For(member.Email), caller.OrgId, cancellationToken).ConfigureAwait(false);
        if (!await members.DeleteAsync(caller.OrgId, memberId, cancellationToken).ConfigureAwait(false))
        {
            return MemberChange.NotFound;
        }

        return MemberChange.Done;
    }

    private async Task<MemberChange?> CheckChangeAsync(Caller caller, MemberEntity member, Role? newRole, CancellationToken cancellationToken)
    {
        var touchesOwner = member.ParsedRole == Role.Owner || newRole == Role.Owner;
        if (!caller.IsAtLeast(Role.Admin) || (touchesOwner && caller.Role != Role.Owner))
        {
            return MemberChange.Forbidden;
        }

        if (member.ParsedRole == Role.Owner && newRole != Role.Owner && await CountOwnersAsync(caller.OrgId, cancellationToken).ConfigureAwait(false) <= 1)
        {
            return MemberChange.LastOwner;
        }

        return null;
    }

    private async Task<int> CountOwnersAsync(OrgId org, CancellationToken cancellationToken) =>
        await members.ListAsync(org, cancellationToken).CountAsync(m => m.ParsedRole == Role.Owner, cancellationToken).ConfigureAwait(false);
}
