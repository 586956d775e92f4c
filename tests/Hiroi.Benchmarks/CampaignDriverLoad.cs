using System.Diagnostics;
using Azure;
using Azure.Data.Tables;
using Hiroi.Durable.Campaigns;
using Hiroi.Endpoints.Hosting;
using Hiroi.Server.Workflows;
using Hiroi.Shared;
using Hiroi.Shared.Acs;
using Hiroi.Shared.Campaigns;
using Hiroi.Shared.Contacts;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;
using Hiroi.Tests.Infrastructure;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hiroi.Benchmarks;

/// <summary>
/// Campaigns driven to the end of their dispatches on Azurite (scripts/bench-campaign.sh), side by side in one run:
/// raw point reads + ETag-conditional replaces of campaign-contact rows (the floor of what a dispatch must write), and
/// the same number of contacts dispatched by the real step through the self-host's Durable Task engine
/// (DurableTask.AzureStorage behind the gRPC sidecar, one orchestration per campaign), <c>campaigns</c> campaigns at once.
/// Lists are enrolled before the clock starts; ACS answers in-process at once, so the figures are storage and engine work.
/// </summary>
public static class CampaignDriverLoad
{
    public static async Task<int> RunAsync(string storage, int contacts, int concurrency)
    {
        var perCampaign = contacts / concurrency;
        var tables = new TableServiceClient(storage);
        // Raw before and after the drivers, averaged: Azurite's pace drifts over a run.
        var rawBefore = await RawReadWriteAsync(tables.GetTableClient("bench" + Environment.ProcessId + "rawa"), perCampaign, concurrency);
        var durable = await DurableAsync(storage, perCampaign, concurrency);
        var rawAfter = await RawReadWriteAsync(tables.GetTableClient("bench" + Environment.ProcessId + "rawb"), perCampaign, concurrency);
        var raw = (rawBefore + rawAfter) / 2;
        Console.WriteLine($"raw read + conditional write : {raw,8:F0} rows/s ({rawBefore:F0} before, {rawAfter:F0} after)");
        Console.WriteLine($"durable engine (orchestrated): {durable,8:F0} contacts/s  ({durable / raw:P0} of raw)");
        return 0;
    }

    private static async Task<double> DurableAsync(string storage, int perCampaign, int concurrency)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(Settings(storage, "benchd" + Environment.ProcessId));
        builder.Services.AddHiroiCore(builder.Configuration).AddSelfHostWorkflows();
        builder.Services.Replace(ServiceDescriptor.Singleton<IAcsClient, InstantAcs>());
        using var host = builder.Build();
        await host.StartAsync();
        var rate = await DriveAsync(host.Services, perCampaign, concurrency);
        await host.StopAsync();
        return rate;
    }

    private static Dictionary<string, string?> Settings(string storage, string prefix) => new()
    {
        ["AzureWebJobsStorage"] = storage,
        ["Hiroi:Storage:Prefix"] = prefix,
        ["Hiroi:Privacy:SubjectKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
        ["Hiroi:RetentionSweep:Enabled"] = "false",
        ["Hiroi:Telemetry:Console"] = "false",
        ["Hiroi:Durable:MaxPollMilliseconds"] = "500",
    };

    /// <summary>Enrolls the campaigns, starts them through the commands (and so the driver), and times until every contact is dispatched.</summary>
    private static async Task<double> DriveAsync(IServiceProvider services, int perCampaign, int concurrency)
    {
        var org = OrgId.New();
        var owner = new Caller(org, "apikey:bench", Role.Owner);
        await services.GetRequiredService<OrganizationRepository>().AddAsync(org, new OrganizationEntity { Name = "bench", CreatedAt = DateTimeOffset.UtcNow }, default);
        var sender = "+15550009100";
        await services.GetRequiredService<NumberRegistry>().RegisterAsync(owner, sender, null, default);
        var campaignIds = new List<string>();
        for (var i = 0; i < concurrency; i++)
        {
            campaignIds.Add(await PrepareAsync(services, org, sender, i, perCampaign));
        }

        var campaigns = services.GetRequiredService<CampaignRepository>();
        var commands = services.GetRequiredService<CampaignCommands>();
        var clock = Stopwatch.StartNew();
        foreach (var id in campaignIds)
        {
            await commands.RunAsync(owner, id, CampaignCommands.Start, default);
        }

        // Every contact dispatched (read at the suite's condition-wait pace: at most a quarter second late on a run of seconds).
        await Waits.UntilAsync(
            async () =>
            {
                var dispatched = 0;
                foreach (var id in campaignIds)
                {
                    dispatched += (await campaigns.FindAsync(org, id, default))!.DispatchedToday;
                }

                return dispatched;
            },
            dispatched => dispatched >= perCampaign * concurrency, "every contact dispatched", TimeSpan.FromMinutes(30));
        var rate = perCampaign * concurrency / clock.Elapsed.TotalSeconds;
        foreach (var id in campaignIds)
        {
            await commands.RunAsync(owner, id, CampaignCommands.Cancel, default); // their outcomes are not awaited here
        }

        // Each orchestration sees its cancel and ends, so the engine stops with nothing in flight.
        var workflows = services.GetRequiredService<DurableTaskClient>();
        using var ceiling = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        foreach (var id in campaignIds)
        {
            await workflows.WaitForInstanceCompletionAsync(CampaignOrchestration.InstanceId(org, id), ceiling.Token);
        }

        return rate;
    }

    /// <summary>A draft campaign over a list of <paramref name="count"/> contacts, already enrolled (enrollment is not timed).</summary>
    private static async Task<string> PrepareAsync(IServiceProvider services, OrgId org, string sender, int index, int count)
    {
        var listId = ContactListEntity.NewId();
        // Recipients where it is day now: quiet hours (21:00-08:00 local) hold back any campaign, so a load run at night
        // in UTC would wait for morning.
        var zone = ZonesNow.Open();
        var rows = Enumerable.Range(0, count).Select(i => new ContactEntity
        {
            RowKey = ContactEntity.Key(listId, Number(index, i)), Number = Number(index, i), SmsConsent = true, TimeZone = zone,
        }).ToList();
        foreach (var chunk in rows.Chunk(100))
        {
            await services.GetRequiredService<ContactRepository>().UpsertBatchAsync(org, chunk, TableUpdateMode.Merge, default);
        }

        var campaigns = services.GetRequiredService<CampaignRepository>();
        var campaign = new CampaignEntity
        {
            RowKey = CampaignEntity.NewId(), Name = "bench", ListId = listId, SenderNumbers = sender, Message = "Hello", State = CampaignStates.Running,
            WindowStartMinutes = 0, WindowEndMinutes = 24 * 60, CreatedAt = DateTimeOffset.UtcNow,
        };
        await campaigns.AddAsync(org, campaign, default);
        var step = services.GetRequiredService<CampaignStep>();
        while (!(await campaigns.FindAsync(org, campaign.RowKey, default))!.Enrolled)
        {
            await step.RunAsync(org, campaign.RowKey, default);
        }

        var enrolled = (await campaigns.FindAsync(org, campaign.RowKey, default))!;
        enrolled.State = CampaignStates.Draft;
        await campaigns.UpdateAsync(org, enrolled, default);
        return campaign.RowKey;
    }

    /// <summary>The same row shape in the same partition layout: read it, then replace it under its ETag.</summary>
    private static async Task<double> RawReadWriteAsync(TableClient table, int perPartition, int partitions)
    {
        await table.CreateIfNotExistsAsync();
        foreach (var p in Enumerable.Range(0, partitions))
        {
            foreach (var chunk in Enumerable.Range(0, perPartition).Chunk(100))
            {
                await table.SubmitTransactionAsync(chunk.Select(i => new TableTransactionAction(TableTransactionActionType.Add,
                    new CampaignContactEntity { PartitionKey = "p" + p, RowKey = Number(p, i), SmsConsent = true, TimeZone = "UTC", DueAt = DateTimeOffset.UnixEpoch })));
            }
        }

        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, partitions).Select(async p =>
        {
            for (var i = 0; i < perPartition; i++)
            {
                var row = (await table.GetEntityAsync<CampaignContactEntity>("p" + p, Number(p, i))).Value;
                row.State = ContactStates.Awaiting;
                row.DispatchedAt = DateTimeOffset.UtcNow;
                await table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace);
            }
        }));
        return perPartition * partitions / clock.Elapsed.TotalSeconds;
    }

    private static string Number(int campaign, int i) => $"+1212{campaign:D2}{i:D5}";
}
