using Hiroi.Durable.Campaigns;
using Hiroi.Durable.Retention;
using Hiroi.Durable.Workflows;
using Hiroi.Endpoints.Hosting;
using Hiroi.Server.Workflows;
using Hiroi.Shared.Acs;
using Hiroi.Shared.Audit;
using Hiroi.Shared.Campaigns;
using Hiroi.Shared.Contacts;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;
using Hiroi.Tests.Infrastructure;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Moq;

namespace Hiroi.Tests.Workflows;

/// <summary>
/// The orchestrators with their real activities on Microsoft's in-process Durable Task host, against Azurite; ACS is
/// mocked at its edge. The engine that replays, schedules timers and retries is the real one.
/// </summary>
public sealed class WorkflowEngineTests : IAsyncLifetime
{
    private readonly Mock<IAcsClient> _acs = new();
    private DurableTaskTestHost _host = null!;
    private int _sent;

    private T Get<T>() where T : notnull => _host.Services.GetRequiredService<T>();

    public async Task InitializeAsync()
    {
        _acs.Setup(a => a.SendSmsAsync(It.IsAny<SmsRequest>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(() => new SmsSendResult("Outgoing_" + Interlocked.Increment(ref _sent), true, 202, null));
        var settings = TestSettings.For(TestStorage.ConnectionString, TestStorage.NewPrefix(),
            Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        settings["Hiroi:Campaigns:AwaitingCheckSeconds"] = "1";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings!).Build();
        _host = await DurableTaskTestHost.StartAsync(tasks => tasks.AddHiroiWorkflows(), new DurableTaskTestHostOptions
        {
            Port = TestStorage.FreePort(), // not a draw from 30000-40000, where outgoing connections' ports also live
            ConfigureServices = services =>
            {
                services.AddSingleton<IConfiguration>(configuration);
                services.AddHiroiCore(configuration);
                services.Replace(ServiceDescriptor.Singleton(_acs.Object));
                services.AddSingleton<IDurableClientSource>(sp => new ProcessDurableClient(sp.GetRequiredService<DurableTaskClient>()));
            },
        });
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<OrchestrationMetadata> CompletedAsync(string instanceId)
    {
        using var timeout = new CancellationTokenSource(Waits.Ceiling);
        var done = await _host.Client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true, timeout.Token);
        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{instanceId}: {done.RuntimeStatus} {done.FailureDetails?.ErrorMessage}");
        return done;
    }

    [Fact]
    public async Task A_started_campaign_runs_through_its_orchestration_and_texts_each_eligible_contact_once()
    {
        var org = OrgId.New();
        const string Sender = "+15550701001";
        await Get<OrganizationRepository>().AddAsync(org, new OrganizationEntity { Name = "Engine", CreatedAt = DateTimeOffset.UtcNow }, default);
        await Get<NumberRegistry>().RegisterAsync(Caller.System(org, "test"), Sender, null, default);
        var listId = ContactListEntity.NewId();
        var numbers = new[] { "+12125550801", "+12125550802", "+12125550803" };
        await Get<ContactRepository>().UpsertBatchAsync(org, numbers.Select(n => new ContactEntity
        {
            RowKey = ContactEntity.Key(listId, n), Number = n, SmsConsent = n != numbers[2], TimeZone = ZonesNow.Open(),
        }).ToList(), Azure.Data.Tables.TableUpdateMode.Replace, default);
        var campaign = new CampaignEntity
        {
            RowKey = CampaignEntity.NewId(), Name = "engine", ListId = listId, SenderNumbers = Sender, Message = "Hello", OutcomeTimeoutSeconds = 10,
            WindowStartMinutes = 8 * 60, WindowEndMinutes = 21 * 60, CreatedAt = DateTimeOffset.UtcNow,
        };
        await Get<CampaignRepository>().AddAsync(org, campaign, default);

        Assert.Equal(CommandResult.Done, await Get<CampaignCommands>().RunAsync(new Caller(org, "apikey:test", Role.Owner), campaign.RowKey, CampaignCommands.Start, default));

        var done = await CompletedAsync(CampaignOrchestration.InstanceId(org, campaign.RowKey));
        Assert.Equal("\"completed\"", done.SerializedOutput);
        var sentTo = _acs.Invocations.Where(i => i.Method.Name == nameof(IAcsClient.SendSmsAsync)).Select(i => ((SmsRequest)i.Arguments[0]!).To).Order().ToList();
        Assert.Equal(numbers[..2], sentTo); // the third has no SMS consent
    }

    [Fact]
    public async Task A_sweep_fans_out_over_the_orgs_and_deletes_only_expired_rows_each_batch_audited()
    {
        var now = DateTimeOffset.UtcNow;
        var orgs = new[] { OrgId.New(), OrgId.New() };
        foreach (var org in orgs)
        {
            await Get<OrganizationRepository>().AddAsync(org, new OrganizationEntity { Name = "Sweep", CreatedAt = now }, default);
            await Get<MessageRepository>().UpsertBatchAsync(org, Enumerable.Range(0, 30).Select(i => new MessageEntity
            {
                RowKey = $"msg_{i:D6}", CustomerNumber = "+12125550160", Text = "hello", At = i < 20 ? now.AddDays(-91) : now.AddDays(-89),
            }).ToList(), Azure.Data.Tables.TableUpdateMode.Replace, default);
        }

        var id = await _host.Client.ScheduleNewOrchestrationInstanceAsync(RetentionOrchestration.Name, new SweepRun("engine-test"));
        var done = await CompletedAsync(id);

        Assert.Equal("0", done.SerializedOutput); // no org failed
        foreach (var org in orgs)
        {
            var left = await Get<MessageRepository>().ListAsync(org, default).ToListAsync();
            Assert.Equal(10, left.Count);
            Assert.All(left, m => Assert.True(m.At > now.AddDays(-90)));
            var audit = await Get<AuditTrail>().QueryAsync(org, new AuditQuery(null, null, null, AuditActions.RetentionDeleted), 10, null, default);
            Assert.StartsWith("deleted=20 ", Assert.Single(audit.Entries).Detail, StringComparison.Ordinal);
        }
    }
}
