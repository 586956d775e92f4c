using System.Globalization;
using CsvHelper;
using Hiroi.Shared.Audit;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.Contacts;

public sealed record ImportError(long Line, string Error);

/// <param name="Rows">Data rows read (the header not counted).</param>
/// <param name="Imported">Distinct numbers written.</param>
/// <param name="DuplicatesMerged">Rows whose number appeared earlier in the file; their fields were merged in.</param>
/// <param name="Rejected">Rows not imported; the first <see cref="ContactImporter.MaxReportedErrors"/> are listed.</param>
public sealed record ImportResult(long Rows, long Imported, long DuplicatesMerged, long Rejected, IReadOnlyList<ImportError> Errors);

/// <summary>A CSV whose header the importer cannot use; nothing was imported.</summary>
public sealed class ContactFileException : Exception
{
    public ContactFileException()
    {
    }

    public ContactFileException(string message) : base(message)
    {
    }

    public ContactFileException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

/// <summary>
/// Streams a contacts CSV into a list: each row is validated on its own (a bad row is reported by its line number and
/// the good ones are kept), numbers are normalized to E.164 with libphonenumber, a number given twice is one contact
/// with the later row's fields merged over the earlier's. Rows are written 100 at a time in one transaction, so memory
/// stays bounded whatever the file's size (a set of seen numbers at 8 bytes each is all that grows).
/// Columns (header required, any case): phone (or number), name, email, timezone, sms_consent, call_consent, consent_at.
/// </summary>
public sealed class ContactImporter(ContactRepository contacts, AuditTrail audit)
{
    public const int MaxReportedErrors = 100;

    /// <summary>The next record; a file that stops being CSV part-way is a <see cref="ContactFileException"/>.</summary>
    internal static async Task<bool> ReadAsync(CsvReader parser, CancellationToken cancellationToken)
    {
        try
        {
            return await parser.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new ContactFileException($"The file cannot be read after line {parser.LineNumber}.", e);
        }
    }

    internal static readonly CsvReaderOptions ReaderOptions = new()
    {
        TrackLineNumbers = true, TrimWhitespace = true, MaxRecordSize = 64 * 1024, IncludeValuesInExceptions = false,
    };

    public async Task<ImportResult> ImportAsync(Caller caller, string listId, Stream csv, string defaultRegion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        using var parser = CsvReader.Create(new Utf8CheckedStream(csv), ReaderOptions, leaveOpen: true);
        var columns = await ContactColumns.ReadAsync(parser, cancellationToken).ConfigureAwait(false);
        var seen = new HashSet<ulong>();
        var batch = new Dictionary<string, ContactEntity>(StringComparer.Ordinal);
        var errors = new List<ImportError>();
        long rows = 0, imported = 0, duplicates = 0, rejected = 0;
        while (await ReadAsync(parser, cancellationToken).ConfigureAwait(false))
        {
            rows++;
            if (!ContactRow.TryRead(parser, columns, listId, defaultRegion, out var contact, out var error))
            {
                rejected++;
                if (errors.Count < MaxReportedErrors)
                {
                    errors.Add(new ImportError(parser.LineNumber, error));
                }

                continue;
            }

            if (!seen.Add(ulong.Parse(contact.Number.AsSpan(1), CultureInfo.InvariantCulture)))
            {
                duplicates++;
            }
            else
            {
                imported++;
            }

            batch[contact.RowKey] = batch.TryGetValue(contact.RowKey, out var earlier) ? ContactRow.Merge(earlier, contact) : contact;
            if (batch.Count == ContactRepository.MaxBatch)
            {
                await contacts.UpsertBatchAsync(caller.OrgId, batch.Values, Azure.Data.Tables.TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
                batch.Clear();
            }
        }

        await contacts.UpsertBatchAsync(caller.OrgId, batch.Values, Azure.Data.Tables.TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
        if (imported + duplicates > 0)
        {
            // An upload that changed nothing leaves no trace either (the caller gets its 400).
            await audit.RecordAsync(caller, AuditActions.ContactsImported, "list:" + listId,
                $"rows={rows} imported={imported} duplicates={duplicates} rejected={rejected}", cancellationToken).ConfigureAwait(false);
        }

        return new ImportResult(rows, imported, duplicates, rejected, errors);
    }
}

/// <summary>Where the importer's columns are in the file (-1 when absent); the phone column is required.</summary>
internal sealed record ContactColumns(int Phone, int Name, int Email, int TimeZone, int SmsConsent, int CallConsent, int ConsentAt)
{
    public static async Task<ContactColumns> ReadAsync(CsvReader parser, CancellationToken cancellationToken)
    {
        try
        {
            await parser.ReadHeaderAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new ContactFileException("The header row cannot be read.", e);
        }

        var headers = parser.Headers.Select(h => h.Trim().ToLowerInvariant()).ToList();
        if (headers.Count == 0)
        {
            throw new ContactFileException("The file is empty: it needs a header row naming a phone column.");
        }

        int Find(params string[] names) => names.Select(n => headers.IndexOf(n)).FirstOrDefault(i => i >= 0, -1);
        var phone = Find("phone", "number", "phone_number");
        if (phone < 0)
        {
            throw new ContactFileException("The header row has no phone column (phone, number or phone_number).");
        }

        return new ContactColumns(phone, Find("name"), Find("email"), Find("timezone", "time_zone"), Find("sms_consent"), Find("call_consent"), Find("consent_at"));
    }
}

/// <summary>One CSV row read into a contact, or the reason it cannot be.</summary>
internal static class ContactRow
{
    public static bool TryRead(CsvReader row, ContactColumns columns, string listId, string region, out ContactEntity contact, out string error)
    {
        contact = new ContactEntity();
        if (!ContactNumbers.TryParse(Field(row, columns.Phone), region, out var e164, out var phoneError))
        {
            error = phoneError;
            return false;
        }

        var zone = Field(row, columns.TimeZone);
        if (zone is not null && !TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _))
        {
            error = "timezone is not an IANA time zone";
            return false;
        }

        if (!TryBool(Field(row, columns.SmsConsent), out var sms) || !TryBool(Field(row, columns.CallConsent), out var call))
        {
            error = "sms_consent and call_consent must be true/false, yes/no or 1/0";
            return false;
        }

        DateTimeOffset? consentAt = null;
        if (Field(row, columns.ConsentAt) is { } consentText)
        {
            if (!DateTimeOffset.TryParse(consentText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            {
                error = "consent_at is not a date and time";
                return false;
            }

            consentAt = at;
        }

        var name = Field(row, columns.Name);
        if (name is { Length: > 200 })
        {
            error = "name is longer than 200 characters";
            return false;
        }

        string? email = null;
        if (Field(row, columns.Email) is { } emailText && !Tenancy.MemberEmails.TryNormalize(emailText, out email))
        {
            error = "email is not an email address";
            return false;
        }

        contact = new ContactEntity
        {
            RowKey = ContactEntity.Key(listId, e164), Number = e164, Name = name, Email = email, TimeZone = zone, SmsConsent = sms, CallConsent = call, ConsentAt = consentAt,
        };
        error = string.Empty;
        return true;
    }

    /// <summary>The later row's given fields win; fields it leaves empty keep the earlier row's values.</summary>
    public static ContactEntity Merge(ContactEntity earlier, ContactEntity later)
    {
        later.Name ??= earlier.Name;
        later.Email ??= earlier.Email;
        later.TimeZone ??= earlier.TimeZone;
        later.SmsConsent ??= earlier.SmsConsent;
        later.CallConsent ??= earlier.CallConsent;
        later.ConsentAt ??= earlier.ConsentAt;
        return later;
    }

    private static string? Field(CsvReader row, int column) =>
        column >= 0 && column < row.FieldCount && row.GetStringOrNull(column) is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    private static bool TryBool(string? text, out bool? value)
    {
        value = text?.ToLowerInvariant() switch
        {
            null => null,
            "true" or "yes" or "y" or "1" => true,
            "false" or "no" or "n" or "0" => false,
            _ => (bool?)false,
        };
        return text is null || text.ToLowerInvariant() is "true" or "yes" or "y" or "1" or "false" or "no" or "n" or "0";
    }
}

/// <summary>Streams the phone column of a CSV (header as for contacts), with each row's line number.</summary>
public static class NumberColumn
{
    public static async IAsyncEnumerable<(long Line, string? Text)> ReadAsync(Stream csv,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var parser = CsvReader.Create(new Utf8CheckedStream(csv), ContactImporter.ReaderOptions, leaveOpen: true);
        var columns = await ContactColumns.ReadAsync(parser, cancellationToken).ConfigureAwait(false);
        while (await ContactImporter.ReadAsync(parser, cancellationToken).ConfigureAwait(false))
        {
            yield return (parser.LineNumber, columns.Phone < parser.FieldCount ? parser.GetStringOrNull(columns.Phone) : null);
        }
    }
}
