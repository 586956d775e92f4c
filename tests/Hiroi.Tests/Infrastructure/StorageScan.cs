using System.Text;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;

namespace Hiroi.Tests.Infrastructure;

/// <summary>
/// Reads everything under one app's prefix in the storage account (every row's keys and values in every table, every
/// blob's bytes, every queued message) and reports where any of the given strings occurs, ignoring case.
/// </summary>
public static class StorageScan
{
    /// <summary>
    /// Every row (keys and ETag) in every table and every blob (name and ETag) under <paramref name="prefix"/>, as text:
    /// any write shows up as a difference. API-key rows are listed by key only: a key's use stamps LastUsedAt.
    /// </summary>
    public static async Task<string> SnapshotAsync(string connectionString, string prefix)
    {
        var lines = new List<string>();
        var tables = new TableServiceClient(connectionString);
        await foreach (var item in tables.QueryAsync(TableClient.CreateQueryFilter($"TableName ge {prefix} and TableName lt {prefix + "~"}")))
        {
            var keysOnly = item.Name.EndsWith("ApiKeys", StringComparison.OrdinalIgnoreCase);
            await foreach (var row in tables.GetTableClient(item.Name).QueryAsync<TableEntity>(select: ["PartitionKey", "RowKey"]))
            {
                lines.Add($"{item.Name}|{row.PartitionKey}|{row.RowKey}|{(keysOnly ? "" : row.ETag.ToString())}");
            }
        }

        var blobs = new BlobServiceClient(connectionString);
        await foreach (var container in blobs.GetBlobContainersAsync(prefix: prefix))
        {
            await foreach (var blob in blobs.GetBlobContainerClient(container.Name).GetBlobsAsync())
            {
                lines.Add($"{container.Name}/{blob.Name}|{blob.Properties.ETag}");
            }
        }

        lines.Sort(StringComparer.Ordinal);
        return string.Join('\n', lines);
    }

    /// <summary>Scans what <paramref name="app"/> stored (its prefix in its account).</summary>
    public static Task<IReadOnlyList<string>> FindAsync(HiroiApp app, params string[] needles)
    {
        ArgumentNullException.ThrowIfNull(app);
        return FindAsync(app.StorageConnectionString, app.Prefix, needles);
    }

    public static async Task<IReadOnlyList<string>> FindAsync(string connectionString, string prefix, params string[] needles)
    {
        var hits = new List<string>();
        void Check(string where, string text)
        {
            foreach (var needle in needles)
            {
                if (text.Contains(needle, StringComparison.OrdinalIgnoreCase))
                {
                    hits.Add($"{where} contains {needle}");
                }
            }
        }

        var tables = new TableServiceClient(connectionString);
        await foreach (var item in tables.QueryAsync(TableClient.CreateQueryFilter($"TableName ge {prefix} and TableName lt {prefix + "~"}")))
        {
            await foreach (var row in tables.GetTableClient(item.Name).QueryAsync<TableEntity>())
            {
                var where = $"table {item.Name} row {row.PartitionKey}/{row.RowKey}";
                Check(where, row.PartitionKey + "\n" + row.RowKey);
                foreach (var (name, value) in row)
                {
                    Check($"{where} {name}", value switch
                    {
                        byte[] bytes => Encoding.UTF8.GetString(bytes),
                        BinaryData data => data.ToString(),
                        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty,
                    });
                }
            }
        }

        var blobs = new BlobServiceClient(connectionString);
        await foreach (var container in blobs.GetBlobContainersAsync(prefix: prefix))
        {
            var client = blobs.GetBlobContainerClient(container.Name);
            await foreach (var blob in client.GetBlobsAsync())
            {
                var where = $"blob {container.Name}/{blob.Name}";
                Check(where, blob.Name);
                var content = (await client.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content;
                Check(where, Encoding.Latin1.GetString(content.ToArray()));
            }
        }

        var queues = new QueueServiceClient(connectionString);
        await foreach (var queue in queues.GetQueuesAsync(prefix: prefix))
        {
            foreach (var message in (await queues.GetQueueClient(queue.Name).PeekMessagesAsync(32)).Value)
            {
                var body = message.Body.ToString();
                Check($"queue {queue.Name}", body);
                if (Convert.TryFromBase64String(body, new byte[body.Length], out var written))
                {
                    Check($"queue {queue.Name} (base64)", Encoding.UTF8.GetString(Convert.FromBase64String(body)[..written]));
                }
            }
        }

        return hits;
    }
}
