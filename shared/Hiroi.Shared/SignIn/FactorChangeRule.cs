using Azure.Data.Tables;
using Hiroi.Shared.Storage;

namespace Hiroi.Shared.SignIn;

/// <summary>
/// Who may add or remove a person's sign-in factor (TOTP, a passkey): a session that showed a second factor, or, while
/// the person has none, any of their sessions (a first factor can only be enrolled from an email sign-in). Without it
/// the mailbox alone could enrol a factor of its own, or remove the person's and then enrol one, and so pass an org's
/// two-factor rule with the member's role.
/// </summary>
public sealed class FactorChangeRule(HiroiTables tables, AccountRepository accounts)
{
    public async Task<bool> AllowsAsync(ActiveSession session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (session.Row.SecondFactorAt is not null)
        {
            return true;
        }

        var account = await accounts.FindAsync(session.Row.AccountId, cancellationToken).ConfigureAwait(false);
        return account is { TotpEnabled: false } && !await HasPasskeyAsync(session.Row.AccountId, cancellationToken).ConfigureAwait(false);
    }

    private async Task<bool> HasPasskeyAsync(string accountId, CancellationToken cancellationToken)
    {
        var table = await tables.GetAsync(TableNames.Accounts, cancellationToken).ConfigureAwait(false);
        return await table.QueryAsync<TableEntity>(PasskeyEntity.OfAccount(accountId), maxPerPage: 1, select: ["RowKey"], cancellationToken: cancellationToken)
            .AnyAsync(cancellationToken).ConfigureAwait(false);
    }
}
