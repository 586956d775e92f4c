using Azure;
using Azure.Data.Tables;

namespace Hiroi.Shared.Storage;

/// <summary>
/// What every table row has: its keys, and the service's timestamp and ETag (read back with each row, and the condition
/// of every update and delete that must not overwrite a newer write). Azure.Data.Tables reads and writes inherited public
/// properties like the entity's own.
/// </summary>
public abstract class TableRow : ITableEntity
{
    protected TableRow()
    {
    }

    /// <summary>For rows whose row key is fixed by their kind (an org's own row, a profile, a claim).</summary>
    protected TableRow(string rowKey) => RowKey = rowKey;

    public string PartitionKey { get; set; } = string.Empty;

    public string RowKey { get; set; } = string.Empty;

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }
}
