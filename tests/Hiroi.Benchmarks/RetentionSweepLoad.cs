using System.Diagnostics;
using Azure.Data.Tables;
using Hiroi.Durable;
using Hiroi.Durable.Retention;
using Hiroi.Endpoints.Campaigns;
using Hiroi.Endpoints.Retention;
using Hiroi.Endpoints.Telephony;
using Hiroi.Shared;
using Hiroi.Shared.Storage;
using Hiroi.Shared.StoredData;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hiroi.Benchmarks;

/// <summary>
/// The retention sweep on Azurite (scripts/bench-retention.sh): raw batch deletes (query a page of 500, delete it 100
/// per transaction) of message rows, then the sweep deleting the same number of expired message rows of an org, with
/// its per-batch checkpoint and audit entry, in one run.
/// </summary>
public static class RetentionSweepLoad
{
    public static async Task<int> RunAsync(string storage, int rows)
    {
        var prefix = "benchret" + Environment.ProcessId;
        using var provider = BenchServices.Build(storage, prefix);
        var old = DateTimeOffset.UtcNow.AddDays(-400);

        var raw = new TableServiceClient(storage).GetTableClient(prefix + "raw");
        await raw.CreateIfNotExistsAsync();
        await FillAsync(rows, chunk => raw.SubmitTransactionAsync(chunk.Select(i => new TableTransactionAction(TableTransactionActionType.Add, Row("p", i, old)))));
        var clock = Stopwatch.StartNew();
        while (true)
        {
            // Pages as large as the sweep's step (500), deleted 100 per transaction: the best plain code does.
            var page = await raw.QueryAsync<TableEntity>("PartitionKey eq 'p'", maxPerPage: 500).AsPages().FirstAsync();
            if (page.Values.Count == 0)
            {
                break;
            }

            foreach (var chunk in page.Values.Chunk(100))
            {
                await raw.SubmitTransactionAsync(chunk.Select(e => new TableTransactionAction(TableTransactionActionType.Delete, e, Azure.ETag.All)));
            }
        }

        var rawRate = rows / clock.Elapsed.TotalSeconds;

        var org = OrgId.New();
        await provider.GetRequiredService<OrganizationRepository>().AddAsync(org, new OrganizationEntity { Name = "bench", CreatedAt = DateTimeOffset.UtcNow }, default);
        var messages = provider.GetRequiredService<MessageRepository>();
        await FillAsync(rows, chunk => messages.UpsertBatchAsync(org, chunk.Select(i => Message(i, old)).ToList(), TableUpdateMode.Replace, default));
        var sweep = provider.GetRequiredService<RetentionSweep>();
        var batch = new SweepBatch(org.Value, DataRegistry.Messages.Name);
        var steps = 1;
        clock.Restart();
        while ((await sweep.SweepBatchAsync(batch, default)).More)
        {
            steps++;
        }

        var sweepRate = rows / clock.Elapsed.TotalSeconds;
        Console.WriteLine($"raw batch deletes : {rawRate,8:F0} entities/s");
        Console.WriteLine($"retention sweep   : {sweepRate,8:F0} entities/s ({steps} steps)");
        Console.WriteLine($"ratio             : {sweepRate / rawRate:P0}");
        return 0;
    }

    private static async Task FillAsync(int rows, Func<int[], Task> write)
    {
        foreach (var chunk in Enumerable.Range(0, rows).Chunk(100))
        {
            await write(chunk);
        }
    }

    private static TableEntity Row(string partition, int i, DateTimeOffset at) => new(partition, $"msg_{i:D8}")
    {
        ["ConversationId"] = "conv_0123456789abcdef0123", ["Direction"] = "inbound", ["CustomerNumber"] = "+12125550100", ["Text"] = "Hello there", ["At"] = at,
    };

    private static MessageEntity Message(int i, DateTimeOffset at) => new()
    {
        RowKey = $"msg_{i:D8}", ConversationId = "conv_0123456789abcdef0123", Direction = "inbound", CustomerNumber = "+12125550100", Text = "Hello there", At = at,
    };
}
