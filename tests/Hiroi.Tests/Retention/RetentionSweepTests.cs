using Hiroi.Durable.Retention;
using Hiroi.Shared.Audit;
using Hiroi.Shared.Retention;
using Hiroi.Shared.Storage;
using Hiroi.Shared.StoredData;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;
using Hiroi.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Tests.Retention;

public class RetentionSweepTests(ClockedApp app) : IClassFixture<ClockedApp>
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    private T Get<T>() where T : notnull => app.Services.GetRequiredService<T>();

    private Task SweepAsync() => app.SweepAsync();

    private async Task<string> MessageAsync(OrgId org, DateTimeOffset at)
    {
        var id = Guid.NewGuid().ToString("N");
        await Get<MessageRepository>().RecordOutboundAsync(org,
            new MessageEntity { RowKey = MessageEntity.Key(id), CustomerNumber = "+12125550150", Text = "hi", At = at },
            new ConversationEntity { RowKey = "conv_" + id[..20], CustomerNumber = "+12125550150", OurNumber = "+15550000001", LastMessageAt = at }, default);
        return id;
    }

    private async Task<string> CallAsync(OrgId org, DateTimeOffset startedAt)
    {
        var call = new CallEntity { RowKey = CallEntity.NewId(), Direction = Directions.Inbound, CustomerNumber = "+12125550151", StartedAt = startedAt };
        await Get<CallRepository>().AddAsync(org, call, default);
        return call.RowKey;
    }

    private async Task<string> RecordingAsync(OrgId org, DateTimeOffset storedAt)
    {
        var blobName = $"{org.Value}/{Guid.NewGuid():N}.enc";
        var container = await Get<HiroiBlobs>().GetAsync(HiroiBlobs.Recordings);
        await container.UploadBlobAsync(blobName, BinaryData.FromString("ciphertext"));
        var recording = new RecordingEntity { RowKey = "rec_" + Guid.NewGuid().ToString("N")[..20], BlobName = blobName, CallId = "call_x", StoredAt = storedAt };
        await Get<RecordingRepository>().AddAsync(org, recording, default);
        return recording.RowKey;
    }

    [Fact]
    public async Task Data_a_second_inside_its_period_stays_and_a_second_past_it_is_deleted_in_every_kind()
    {
        var org = (await app.CreateOrgAsync()).OrgId;
        var caller = Caller.System(org, "test");
        await Get<RetentionSettings>().SetAsync(caller, new Dictionary<string, int> { ["messages"] = 30, ["calls"] = 10, ["recordings"] = 5 }, default);
        var now = app.Clock.GetUtcNow();
        DateTimeOffset Edge(int days, TimeSpan offset) => now - TimeSpan.FromDays(days) + offset;

        var keptMessage = await MessageAsync(org, Edge(30, Second));
        var oldMessage = await MessageAsync(org, Edge(30, -Second));
        var keptCall = await CallAsync(org, Edge(10, Second));
        var oldCall = await CallAsync(org, Edge(10, -Second));
        var keptRecording = await RecordingAsync(org, Edge(5, Second));
        var oldRecording = await RecordingAsync(org, Edge(5, -Second));
        var oldRecordingBlob = (await Get<RecordingRepository>().FindAsync(org, oldRecording, default))!.BlobName;
        var keptRecordingBlob = (await Get<RecordingRepository>().FindAsync(org, keptRecording, default))!.BlobName;
        var otherOrg = (await app.CreateOrgAsync()).OrgId;
        var otherMessage = await MessageAsync(otherOrg, Edge(30, -Second)); // default 90 days there

        await SweepAsync();

        Assert.NotNull(await Get<MessageRepository>().FindAsync(org, MessageEntity.Key(keptMessage), default));
        Assert.Null(await Get<MessageRepository>().FindAsync(org, MessageEntity.Key(oldMessage), default));
        Assert.NotNull(await Get<ConversationRepository>().FindAsync(org, "conv_" + keptMessage[..20], default));
        Assert.Null(await Get<ConversationRepository>().FindAsync(org, "conv_" + oldMessage[..20], default));
        Assert.NotNull(await Get<CallRepository>().FindAsync(org, keptCall, default));
        Assert.Null(await Get<CallRepository>().FindAsync(org, oldCall, default));
        Assert.NotNull(await Get<RecordingRepository>().FindAsync(org, keptRecording, default));
        Assert.Null(await Get<RecordingRepository>().FindAsync(org, oldRecording, default));
        var container = await Get<HiroiBlobs>().GetAsync(HiroiBlobs.Recordings);
        Assert.False((await container.GetBlobClient(oldRecordingBlob).ExistsAsync()).Value);
        Assert.True((await container.GetBlobClient(keptRecordingBlob).ExistsAsync()).Value);
        Assert.NotNull(await Get<MessageRepository>().FindAsync(otherOrg, MessageEntity.Key(otherMessage), default));

        var (entries, _) = await Get<AuditTrail>().QueryAsync(org, new AuditQuery(null, null, null, AuditActions.RetentionDeleted), 50, null, default);
        Assert.Equal(["calls", "conversations", "messages", "recordings"], entries.Select(e => e.Target).Order());
        Assert.All(entries, e => Assert.StartsWith("deleted=1 ", e.Detail, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Event_claims_go_once_expired_and_not_before()
    {
        var claims = await Get<HiroiTables>().GetAsync(TableNames.EventClaims);
        var now = app.Clock.GetUtcNow();
        var expired = new Hiroi.Shared.Events.EventClaimEntity { PartitionKey = "ab", RowKey = "ab" + Guid.NewGuid().ToString("N"), Done = true, ExpiresAt = now - Second };
        var live = new Hiroi.Shared.Events.EventClaimEntity { PartitionKey = "ab", RowKey = "ab" + Guid.NewGuid().ToString("N"), Done = true, ExpiresAt = now + Second };
        await claims.AddEntityAsync(expired);
        await claims.AddEntityAsync(live);

        await SweepAsync();

        Assert.False((await claims.GetEntityIfExistsAsync<Hiroi.Shared.Events.EventClaimEntity>("ab", expired.RowKey)).HasValue);
        Assert.True((await claims.GetEntityIfExistsAsync<Hiroi.Shared.Events.EventClaimEntity>("ab", live.RowKey)).HasValue);
    }

    [Fact]
    public async Task A_batch_run_again_by_another_worker_finishes_the_kind_without_deleting_early()
    {
        var org = (await app.CreateOrgAsync()).OrgId;
        var now = app.Clock.GetUtcNow();
        var old = new List<string>();
        var young = new List<string>();
        for (var i = 0; i < 230; i++)
        {
            old.Add(await MessageAsync(org, now - TimeSpan.FromDays(91)));
            young.Add(await MessageAsync(org, now - TimeSpan.FromDays(89)));
        }

        // One worker deletes a batch and dies before its result is recorded; the engine runs the same batch again
        // elsewhere (a fresh instance, built from nothing but storage): it finds nothing more to delete.
        var batch = new SweepBatch(org.Value, DataRegistry.Messages.Name);
        var first = await Get<RetentionSweep>().SweepBatchAsync(batch, default);
        Assert.Equal(new SweepBatchResult(230, More: false), first); // 230 old rows fit in one batch
        var fresh = ActivatorUtilities.CreateInstance<RetentionSweep>(app.Services);
        var again = await fresh.SweepBatchAsync(batch, default);
        Assert.Equal(new SweepBatchResult(0, More: false), again);

        var messages = Get<MessageRepository>();
        foreach (var id in old)
        {
            Assert.Null(await messages.FindAsync(org, MessageEntity.Key(id), default));
        }

        foreach (var id in young)
        {
            Assert.NotNull(await messages.FindAsync(org, MessageEntity.Key(id), default));
        }
    }
}
