using System.Text.Json;
using Azure.Data.Tables;
using Hiroi.Shared.Audit;
using Hiroi.Shared.Storage;
using Hiroi.Shared.StoredData;
using Hiroi.Shared.Tenancy;

namespace Hiroi.Shared.Privacy;

/// <summary>
/// Writes everything an org holds about a person as one JSON document (a subject access request), grouped by kind, each
/// row with all its stored fields except storage internals and key material; and audits the export with counts only.
/// </summary>
public sealed class SubjectExport(SubjectFinder finder, AuditTrail audit, TimeProvider time)
{
    /// <summary>Columns that are storage internals or secrets, not information about the person.</summary>
    private static readonly HashSet<string> Internal = new(StringComparer.Ordinal)
    {
        "PartitionKey", "RowKey", "Timestamp", "odata.etag", "WrappedKey", "BlobName", "TokenHash",
    };

    public async Task<IReadOnlyDictionary<string, int>> WriteAsync(Caller caller, DataSubject subject, Stream output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(subject);
        var footprint = await finder.FindAsync(caller.OrgId, subject, cancellationToken).ConfigureAwait(false);
        var counts = footprint.Counts();
        await audit.RecordAsync(caller, AuditActions.SubjectExported, "subject", SubjectFootprint.Describe(counts), cancellationToken).ConfigureAwait(false);
        await using (var json = new Utf8JsonWriter(output, new JsonWriterOptions
        {
            Indented = true,
            // A download for people to read, never embedded in a page: "+1212..." rather than "\u002B1212...".
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }))
        {
            json.WriteStartObject();
            json.WriteString("org", caller.OrgId.Value);
            json.WriteString("exportedAt", time.GetUtcNow());
            json.WriteStartObject("subject");
            WriteIdentifiers(json, "numbers", footprint.Numbers);
            WriteIdentifiers(json, "emails", footprint.Emails);
            json.WriteEndObject();
            foreach (var group in footprint.Theirs.GroupBy(r => r.Kind.Name).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                json.WriteStartArray(group.Key);
                foreach (var found in group)
                {
                    WriteRow(json, caller.OrgId, found);
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
        }

        return counts;
    }

    private static void WriteIdentifiers(Utf8JsonWriter json, string name, IReadOnlySet<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values.Order(StringComparer.Ordinal))
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }

    private static void WriteRow(Utf8JsonWriter json, OrgId org, FoundRow found)
    {
        json.WriteStartObject();
        if (found.Kind.RowKeyIsId)
        {
            json.WriteString("id", found.Row.RowKey);
        }

        if (found.Kind == DataRegistry.CampaignContacts)
        {
            json.WriteString("campaignId", found.Row.PartitionKey[(org.Value.Length + 1)..]);
        }

        foreach (var (name, value) in found.Row
            .Where(p => !Internal.Contains(p.Key) && !p.Key.EndsWith("@odata.type", StringComparison.Ordinal))
            .OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            json.WritePropertyName(JsonNamingPolicy.CamelCase.ConvertName(name));
            JsonSerializer.Serialize(json, value, value?.GetType() ?? typeof(object));
        }

        json.WriteEndObject();
    }
}
