using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Hiroi.Shared.Audit;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;
using Hiroi.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Hiroi.Tests.Retention;

/// <summary>
/// The self-host is SIGKILLed while its Durable engine sweeps, and restarted: the sweep orchestration resumes from its
/// history, and the outcome is checked from storage alone: only expired rows gone, every deletion audited.
/// </summary>
public sealed class SweepCrashTests
{
    [Fact]
    public async Task A_sweep_killed_mid_run_finishes_after_restart_with_nothing_early_and_nothing_left()
    {
        // The timer looks every second and today's run is due from midnight: it starts as soon as the host does.
        using var host = new SelfHostProcess(new Dictionary<string, string>
        {
            ["Hiroi__RetentionSweep__Schedule"] = "0 0 0 * * *", ["Hiroi__RetentionSweep__CheckSeconds"] = "1",
        });
        var tables = new HiroiTables(new TableServiceClient(TestStorage.ConnectionString), Options.Create(new StorageOptions { Prefix = host.Prefix }));
        var org = OrgId.New();
        await new OrganizationRepository(tables).AddAsync(org, new OrganizationEntity { Name = "Sweepy", CreatedAt = DateTimeOffset.UtcNow }, default);
        var messages = new MessageRepository(tables);
        var now = DateTimeOffset.UtcNow;
        const int Old = 40_000, Young = 500;
        foreach (var chunk in Enumerable.Range(0, Old + Young).Chunk(100))
        {
            await messages.UpsertBatchAsync(org, chunk.Select(i => new MessageEntity
            {
                RowKey = $"msg_{i:D6}", CustomerNumber = "+12125550160", Text = "hello", At = i < Old ? now.AddDays(-91) : now.AddDays(-89),
            }).ToList(), TableUpdateMode.Replace, default);
        }

        async Task<int> LeftAsync() => await messages.ListAsync(org, default).CountAsync();

        // Each kill waits for the sweep to make progress since the last one, so it lands mid-run on a slow machine as
        // well as a fast one. Expired rows go in row-key order, so the first one left is a cheap probe of progress.
        var firstLeft = 0;
        for (var kills = 0; kills < 3; kills++)
        {
            await host.StartAsync();
            await WaitUntilGoneAsync(messages, org, $"msg_{firstLeft:D6}");
            await Task.Delay(Random.Shared.Next(0, 500));
            host.Kill();
            firstLeft = await FirstLeftAsync(messages, org, firstLeft, Old);
        }

        var midway = await LeftAsync();
        Assert.True(midway is > Young and < Old + Young, $"the kills should land while the sweep is part-way ({midway} left)\n{host.LogTail}");

        await host.StartAsync();
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline && await LeftAsync() > Young)
        {
            await Task.Delay(500);
        }

        var left = await messages.ListAsync(org, default).ToListAsync();
        Assert.Equal(Young, left.Count); // nothing left behind, nothing deleted early
        Assert.All(left, m => Assert.True(m.At > now.AddDays(-90)));
        var audited = await new AuditTrail(tables, TimeProvider.System).QueryAsync(org, new AuditQuery(null, null, null, AuditActions.RetentionDeleted), 500, null, default);
        Assert.True(audited.Entries.Sum(e => int.Parse(e.Detail!.Split(' ')[0]["deleted=".Length..], System.Globalization.CultureInfo.InvariantCulture)) >= Old);
    }

    private static async Task WaitUntilGoneAsync(MessageRepository messages, OrgId org, string rowKey)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline && await messages.FindAsync(org, rowKey, default) is not null)
        {
            await Task.Delay(100);
        }
    }

    /// <summary>The index of the first expired row still stored, found by halving between what is known gone and the end.</summary>
    private static async Task<int> FirstLeftAsync(MessageRepository messages, OrgId org, int knownGone, int old)
    {
        int low = knownGone, high = old;
        while (low < high)
        {
            var middle = (low + high) / 2;
            if (await messages.FindAsync(org, $"msg_{middle:D6}", default) is null) { low = middle + 1; } else { high = middle; }
        }

        return low;
    }
}
