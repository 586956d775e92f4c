using Azure.Data.Tables;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.Contacts;

/// <summary>A named list of contacts: PartitionKey = org id, RowKey = <c>lst_</c> + 16 hex.</summary>
public sealed class ContactListEntity : TableRow
{
    public string Name { get; set; } = string.Empty;
    public DateTimeOffset CreatedAt { get; set; }

    public static string NewId() => "lst_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
}

/// <summary>
/// One person on a list: PartitionKey = org id, RowKey = list id + <c>_</c> + E.164 number, so a number is on a list
/// once and a list is one key range. Consent is per channel; the time zone is optional (IANA id).
/// </summary>
public sealed class ContactEntity : TableRow
{
    public string Number { get; set; } = string.Empty;
    public string? Name { get; set; }

    /// <summary>Lowercased; lets a GDPR request by email find the person.</summary>
    public string? Email { get; set; }

    public bool? SmsConsent { get; set; }
    public bool? CallConsent { get; set; }
    public DateTimeOffset? ConsentAt { get; set; }
    public string? TimeZone { get; set; }

    public static string Key(string listId, string e164) => listId + "_" + e164;
}

public sealed class ContactListRepository(HiroiTables tables) : OrgScopedRepository<ContactListEntity>(tables, TableNames.ContactLists);

public sealed class ContactRepository(HiroiTables tables) : OrgScopedRepository<ContactEntity>(tables, TableNames.Contacts)
{
    /// <summary>The contacts of one list, a page at a time (continuation token in, next token out).</summary>
    public async Task<(IReadOnlyList<ContactEntity> Page, string? Next)> PageAsync(
        OrgId org, string listId, int size, string? continuation, CancellationToken cancellationToken)
    {
        var table = await TableAsync(cancellationToken).ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {org.Value} and RowKey gt {listId + "_"} and RowKey lt {listId + "`"}");
        return await table.QueryAsync<ContactEntity>(filter, maxPerPage: size, cancellationToken: cancellationToken).OnePageAsync(continuation, size).ConfigureAwait(false);
    }
}
