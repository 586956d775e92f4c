using Azure;
using Azure.Data.Tables;

namespace Hiroi.Shared.Storage;

public static class ConditionalDelete
{
    /// <summary>
    /// Deletes the row under the ETag it was read with: true when this call removed it, false when it had changed or was
    /// gone (the client answers a missing row with a 404 response, not an exception). Of racing consumers of a
    /// single-use row, exactly one gets true.
    /// </summary>
    public static async Task<bool> TryDeleteAsReadAsync(this TableClient table, ITableEntity row, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(row);
        try
        {
            var response = await table.DeleteEntityAsync(row.PartitionKey, row.RowKey, row.ETag, cancellationToken).ConfigureAwait(false);
            return response.Status != 404;
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            return false;
        }
    }
}
