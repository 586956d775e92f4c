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
[Lane(Lanes.Slow)]
public sealed class SweepCrashTests
{
    /// <summary>Deleting 40,000 rows on a machine whose cores are busy elsewhere took minutes; the ceiling only ends a hang.</summary>
    private static readonly TimeSpan Sweeping = TimeSpan.FromMinutes(10);

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

        // Each kill lands as soon as the sweep is seen to make progress since the last one, so it is mid-run on a slow
        // machine as well as a fast one. Expired rows go in row-key order, so the first one left is a cheap probe of progress.
        var firstLeft = 0;
        for (var kills = 0; kills < 3; kills++)
        {
            await host.StartAsync();
            var next = $"msg_{firstLeft:D6}";
            await Waits.UntilAsync(async () => await messages.FindAsync(org, next, default) is null, $"the sweep to delete {next}", Sweeping);
            host.Kill();
            firstLeft = await FirstLeftAsync(messages, org, firstLeft, Old);
        }

        var midway = await LeftAsync();
        Assert.True(midway is > Young and < Old + Young, $"the kills should land while the sweep is part-way ({midway} left)\n{host.LogTail}");

        await host.StartAsync();
        await Waits.UntilAsync(LeftAsync, n => n <= Young, "the sweep to finish after the last start", Sweeping);

        var left = await messages.ListAsync(org, default).ToListAsync();
        Assert.Equal(Young, left.Count); // nothing left behind, nothing deleted early
        Assert.All(left, m => Assert.True(m.At > now.AddDays(-90)));
        var audited = await new AuditTrail(tables, TimeProvider.System).QueryAsync(org, new AuditQuery(null, null, null, AuditActions.RetentionDeleted), 500, null, default);
        Assert.True(audited.Entries.Sum(e => int.Parse(e.Detail!.Split(' ')[0]["deleted=".Length..], System.Globalization.CultureInfo.InvariantCulture)) >= Old);
    }

    /// <summary>The index of the first expired row still stored, found by halving between what is known gone and the end.</summary>
    private static async Task<int> FirstLeftAsync(MessageRepository messages, OrgId org, int knownGone, int old)
    {
        int low = knownGone, high = old;
        while (low < high)
        {
            var middle = (low + high) / 2;
            if (await messages.FindAsync(org, $"msg_{middle:D6}", default) is null)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }
}
