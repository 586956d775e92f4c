using System.Diagnostics;
using Azure;
using Azure.Data.Tables;
using Hiroi.Durable.Campaigns;
using Hiroi.Endpoints.Campaigns;
using Hiroi.Endpoints.Telephony;
using Hiroi.Shared;
using Hiroi.Shared.Acs;
using Hiroi.Shared.Campaigns;
using Hiroi.Shared.Contacts;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hiroi.Benchmarks;

/// <summary>
/// Campaign steps on Azurite (scripts/bench-campaign.sh): raw point read + ETag-conditional replace of campaign-contact
/// rows, then the same number of contacts dispatched by the real step (policy gate reads, intent write, the outbound
/// SMS path, result write), with <paramref name="concurrency"/> campaigns stepped side by side. ACS itself answers
/// in-process at once, so the figures are the step's own storage work.
/// </summary>
public static class CampaignStepLoad
{
    public static async Task<int> RunAsync(string storage, int contacts, int concurrency)
    {
        var prefix = "bench" + Environment.ProcessId;
        using var provider = BenchServices.Build(storage, prefix, services => services.AddSingleton<IAcsClient, InstantAcs>());
        var org = OrgId.New();
        var sender = "+15550009100";
        await provider.GetRequiredService<NumberRegistry>().RegisterAsync(Caller.System(org, "bench"), sender, null, default);
        var perCampaign = contacts / concurrency;

        var raw = await RawReadWriteAsync(new TableServiceClient(storage).GetTableClient(prefix + "raw"), perCampaign, concurrency);
        var campaignIds = await Task.WhenAll(Enumerable.Range(0, concurrency).Select(i => PrepareAsync(provider, org, sender, i, perCampaign)));

        var step = provider.GetRequiredService<CampaignStep>();
        var campaigns = provider.GetRequiredService<CampaignRepository>();
        var steps = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(campaignIds.Select(async id =>
        {
            for (var outcome = (StepOutcome)new StepOutcome.Continue(); outcome is StepOutcome.Continue;)
            {
                var token = (await campaigns.FindAsync(org, id, default))!.StepToken!;
                outcome = await step.RunAsync(new StepRequest(org, id, token, token, TimeSpan.FromMinutes(1)), default);
                Interlocked.Increment(ref steps);
            }
        }));
        var elapsed = clock.Elapsed.TotalSeconds;
        var dispatched = perCampaign * concurrency;
        Console.WriteLine($"raw read + conditional write : {raw,8:F0} rows/s");
        Console.WriteLine($"campaign contacts dispatched : {dispatched / elapsed,8:F0} contacts/s ({steps / elapsed:F1} steps/s, {steps} steps)");
        Console.WriteLine($"ratio                        : {dispatched / elapsed / raw:P0}");
        return 0;
    }

    private static async Task<string> PrepareAsync(ServiceProvider provider, OrgId org, string sender, int index, int count)
    {
        var listId = ContactListEntity.NewId();
        var rows = Enumerable.Range(0, count).Select(i => new ContactEntity
        {
            RowKey = ContactEntity.Key(listId, Number(index, i)), Number = Number(index, i), SmsConsent = true, TimeZone = "UTC",
        }).ToList();
        foreach (var chunk in rows.Chunk(100))
        {
            await provider.GetRequiredService<ContactRepository>().UpsertBatchAsync(org, chunk, TableUpdateMode.Merge, default);
        }

        var campaign = new CampaignEntity
        {
            RowKey = CampaignEntity.NewId(), Name = "bench", ListId = listId, SenderNumbers = sender, Message = "Hello", State = CampaignStates.Running,
            StepToken = "bench", WindowStartMinutes = 0, WindowEndMinutes = 24 * 60, CreatedAt = DateTimeOffset.UtcNow, StartedAt = DateTimeOffset.UtcNow,
        };
        await provider.GetRequiredService<CampaignRepository>().AddAsync(org, campaign, default);
        var step = provider.GetRequiredService<CampaignStep>();
        while (!(await provider.GetRequiredService<CampaignRepository>().FindAsync(org, campaign.RowKey, default))!.Enrolled)
        {
            await step.RunAsync(new StepRequest(org, campaign.RowKey, "bench", "bench", TimeSpan.FromMinutes(1)), default); // enrollment, not timed
        }

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

    /// <summary>ACS answering at once (the benchmark measures our storage path, not a network).</summary>
    private sealed class InstantAcs : IAcsClient
    {
        public Task<SmsSendResult> SendSmsAsync(SmsRequest request, CancellationToken cancellationToken) =>
            Task.FromResult(new SmsSendResult("bench-" + request.RepeatabilityId.ToString("N"), true, 202, null));

        public Task<CallConnection> CreateCallAsync(CreateCallRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<CallConnection> AnswerCallAsync(string incomingCallContext, Uri callbackUri, string? operationContext, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task RejectCallAsync(string incomingCallContext, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task HangUpAsync(string callConnectionId, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<string> StartRecordingAsync(string serverCallId, Uri? stateCallbackUri, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task DownloadRecordingAsync(Uri contentLocation, Stream destination, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task DeleteRecordingAsync(Uri deleteLocation, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
