using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Hiroi.Shared.Storage;
using Microsoft.Extensions.Options;

namespace Hiroi.Shared.SignIn;

/// <summary>
/// A magic link (PartitionKey = <c>link_{sha256 of the token}</c>) or a current email code: one asked for from the
/// person's trusted device (PartitionKey = <c>code_{accountId}_{device}</c>, which no one else can replace or spend
/// tries on), or one asked for by anyone else (<c>code_{accountId}</c>). RowKey = <c>t</c>. Both are single use:
/// consuming deletes the row under the ETag that was read, so of two racing uses one wins.
/// </summary>
public sealed class SignInTokenEntity() : TableRow(RowKeyValue)
{
    public const string RowKeyValue = "t";

    public string AccountId { get; set; } = string.Empty;
    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>An email code's HMAC under <see cref="Salt"/> (hex); null for links, whose key is already a hash.</summary>
    public string? CodeHash { get; set; }

    public string? Salt { get; set; }

    /// <summary>Wrong codes tried against this one.</summary>
    public int Tries { get; set; }
}

/// <summary>Magic links (256-bit tokens, 15 minutes) and email codes (6 digits, 10 minutes, 5 tries), stored hashed.</summary>
public sealed class SignInTokenStore(HiroiTables tables, IOptions<SignInOptions> options, TimeProvider time)
{
    private Task<TableClient> TableAsync(CancellationToken cancellationToken) => tables.GetAsync(TableNames.SignInTokens, cancellationToken);

    private static string LinkKey(string hash) => "link_" + hash;

    private static string CodeKey(string accountId, string? device) => device is null ? "code_" + accountId : $"code_{accountId}_{device}";

    /// <summary>A new magic link token for the person; only its hash is stored.</summary>
    public async Task<string> IssueLinkAsync(string accountId, CancellationToken cancellationToken)
    {
        var token = SessionTokens.New();
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        await table.AddEntityAsync(new SignInTokenEntity
        {
            PartitionKey = LinkKey(SessionTokens.Hash(token)!), AccountId = accountId, ExpiresAt = time.GetUtcNow() + options.Value.MagicLinkLifetime,
        }, cancellationToken).ConfigureAwait(false);
        return token;
    }

    /// <summary>The account a link signs in, consuming it; null when unknown, expired or already used.</summary>
    public async Task<string?> ConsumeLinkAsync(string? token, CancellationToken cancellationToken)
    {
        if (SessionTokens.Hash(token) is not { } hash)
        {
            return null;
        }

        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var found = await table.GetEntityIfExistsAsync<SignInTokenEntity>(LinkKey(hash), SignInTokenEntity.RowKeyValue, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!found.HasValue)
        {
            return null;
        }

        var row = found.Value!;
        var consumed = await table.TryDeleteAsReadAsync(row, cancellationToken).ConfigureAwait(false);
        return consumed && time.GetUtcNow() < row.ExpiresAt ? row.AccountId : null;
    }

    /// <summary>
    /// A new six-digit code for the person, replacing any earlier one asked for the same way (from <paramref name="device"/>,
    /// or from anywhere else); only its salted HMAC is stored.
    /// </summary>
    public async Task<string> IssueCodeAsync(string accountId, string? device, CancellationToken cancellationToken)
    {
        var code = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", CultureInfo.InvariantCulture);
        var salt = RandomNumberGenerator.GetBytes(16);
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        await table.UpsertEntityAsync(new SignInTokenEntity
        {
            PartitionKey = CodeKey(accountId, device), AccountId = accountId, ExpiresAt = time.GetUtcNow() + options.Value.EmailCodeLifetime,
            Salt = Convert.ToHexStringLower(salt), CodeHash = Convert.ToHexStringLower(CodeMac(salt, code)),
        }, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        return code;
    }

    /// <summary>
    /// Whether <paramref name="code"/> is the person's current code, consuming it when it is: the code <paramref name="device"/>
    /// asked for when it did, else the one asked for from anywhere. Each try is spent before the code is compared (under
    /// the ETag read, again on a conflict), so racing tries cannot share one count; a code is gone after
    /// <see cref="SignInOptions.EmailCodeMaxTries"/> of them, and strangers' tries never reach the device's own code.
    /// </summary>
    public async Task<bool> ConsumeCodeAsync(string accountId, string? device, string? code, CancellationToken cancellationToken)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var key = device is not null && (await table.GetEntityIfExistsAsync<SignInTokenEntity>(CodeKey(accountId, device), SignInTokenEntity.RowKeyValue,
            select: ["PartitionKey"], cancellationToken: cancellationToken).ConfigureAwait(false)).HasValue
            ? CodeKey(accountId, device)
            : CodeKey(accountId, null);
        if (await SpendTryAsync(table, key, cancellationToken).ConfigureAwait(false) is not { } row)
        {
            return false;
        }

        var matches = code is { Length: 6 } && code.All(char.IsAsciiDigit)
            && CryptographicOperations.FixedTimeEquals(CodeMac(Convert.FromHexString(row.Salt!), code), Convert.FromHexString(row.CodeHash!));
        return matches && await table.TryDeleteAsReadAsync(row, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The person's live code with one more try counted on it; null when there is none left to try.</summary>
    private async Task<SignInTokenEntity?> SpendTryAsync(TableClient table, string codeKey, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 8; attempt++)
        {
            var found = await table.GetEntityIfExistsAsync<SignInTokenEntity>(codeKey, SignInTokenEntity.RowKeyValue, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!found.HasValue)
            {
                return null;
            }

            var row = found.Value!;
            if (time.GetUtcNow() >= row.ExpiresAt || row.Tries >= options.Value.EmailCodeMaxTries)
            {
                await table.TryDeleteAsReadAsync(row, cancellationToken).ConfigureAwait(false);
                return null;
            }

            row.Tries++;
            try
            {
                var response = await table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                row.ETag = response.Headers.ETag ?? row.ETag;
                return row;
            }
            catch (RequestFailedException e) when (e.Status is 412 or 404)
            {
                // Another try was counted first (or the code went): read it again.
            }
        }

        return null; // a storm of tries at once: this one is refused rather than let through uncounted
    }

    /// <summary>Deletes links and codes past their end; returns how many (the retention sweep calls this).</summary>
    public async Task<int> DeleteExpiredAsync(int max, CancellationToken cancellationToken)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var expired = await table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"ExpiresAt lt {time.GetUtcNow()}"), select: ["PartitionKey", "RowKey"],
                cancellationToken: cancellationToken)
            .Take(max).ToListAsync(cancellationToken).ConfigureAwait(false);
        foreach (var row in expired)
        {
            await table.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All, cancellationToken).ConfigureAwait(false);
        }

        return expired.Count;
    }

    private static byte[] CodeMac(byte[] salt, string code) => HMACSHA256.HashData(salt, Encoding.ASCII.GetBytes(code));
}
