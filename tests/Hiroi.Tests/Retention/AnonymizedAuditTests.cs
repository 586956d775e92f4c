using Hiroi.Durable;
using Hiroi.Durable.Retention;
using Hiroi.Shared.Audit;
using Hiroi.Shared.Orgs;
using Hiroi.Shared.Telephony;
using Hiroi.Shared.Tenancy;
using Hiroi.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Tests.Retention;

/// <summary>The clocked self-host with the production purge delay.</summary>
public sealed class DelayedPurgeApp : ClockedApp
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Hiroi:Retention:OrgPurgeDelaySeconds", "120");
    }
}

public class AnonymizedAuditTests(DelayedPurgeApp app) : IClassFixture<DelayedPurgeApp>
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Period = TimeSpan.FromDays(90); // Hiroi:Retention:AnonymizedAuditDays default

    private T Get<T>() where T : notnull => app.Services.GetRequiredService<T>();

    private Task SweepAsync() => app.SweepAsync();

    private async Task<List<AuditEntity>> AuditAsync(OrgId org) => await Get<AuditRepository>().ListAsync(org, default).ToListAsync();

    [Fact]
    public async Task The_purge_waits_out_the_caches_and_the_anonymized_trail_outlives_the_org_by_its_period_to_the_second()
    {
        var start = app.Clock.GetUtcNow();
        var early = (await app.CreateOrgAsync()).OrgId;
        var message = MessageEntity.Key(Guid.NewGuid().ToString("N"));
        await Get<MessageRepository>().RecordOutboundAsync(early,
            new MessageEntity { RowKey = message, CustomerNumber = "+12125550160", Text = "hi", At = start },
            new ConversationEntity
            {
                RowKey = "conv_" + Guid.NewGuid().ToString("N")[..20], CustomerNumber = "+12125550160", OurNumber = "+15550000002", LastMessageAt = start,
            }, default);
        await Get<OrgDeletion>().RequestAsync(new Caller(early, "apikey:key_test", Role.Owner), "Acme", default);

        var deferred = await Get<OrgPurge>().StepAsync(early, default);
        Assert.Equal(StepKind.DeferUntil, deferred.Kind);
        Assert.Equal(start + TimeSpan.FromSeconds(120), deferred.At);
        Assert.NotNull(await Get<MessageRepository>().FindAsync(early, message, default)); // nothing goes while caches may still admit the org

        app.Clock.Advance(2 * Second);
        var later = (await app.CreateOrgAsync()).OrgId;
        await Get<OrgDeletion>().RequestAsync(new Caller(later, "apikey:key_test", Role.Owner), "Acme", default);

        app.Clock.Advance(TimeSpan.FromSeconds(118));
        await app.PurgePendingAsync();
        var purgedAt = app.Clock.GetUtcNow();
        Assert.Null(await Get<MessageRepository>().FindAsync(early, message, default));
        Assert.All(await AuditAsync(early), e => Assert.Equal(purgedAt, e.AnonymizedAt));
        Assert.Null((await AuditAsync(later)).FirstOrDefault(e => e.AnonymizedAt is not null)); // its purge is 2 s ahead

        app.Clock.Advance(2 * Second);
        await app.PurgePendingAsync();
        Assert.All(await AuditAsync(later), e => Assert.Equal(purgedAt + 2 * Second, e.AnonymizedAt));

        // One second past the early org's period, one second inside the later one's.
        app.Clock.Advance(purgedAt + Period + Second - app.Clock.GetUtcNow());
        await SweepAsync();

        Assert.Empty(await AuditAsync(early));
        Assert.Null(await Get<OrganizationRepository>().GetAsync(early, default)); // the tombstone went with its last entry
        Assert.NotEmpty(await AuditAsync(later));
        Assert.NotNull(await Get<OrganizationRepository>().GetAsync(later, default));
    }

    [Fact]
    public async Task A_removed_members_entries_are_anonymized_and_expire_while_the_rest_of_the_trail_stays()
    {
        var org = (await app.CreateOrgAsync()).OrgId;
        var owner = new Caller(org, "apikey:key_owner", Role.Owner);
        var members = Get<MemberService>();
        var (_, member) = await members.AddAsync(owner, "leaver@example.com", Role.Admin, default);
        var memberId = member!.RowKey;
        await Get<AuditTrail>().RecordAsync(new Caller(org, "member:" + memberId, Role.Admin), AuditActions.RetentionChanged, "retention", "messages=30d", default);

        Assert.Equal(MemberChange.Done, await members.RemoveAsync(owner, memberId, default));

        var trail = await AuditAsync(org);
        Assert.DoesNotContain(trail, e => e.Actor.Contains(memberId, StringComparison.Ordinal) || e.Target.Contains(memberId, StringComparison.Ordinal));
        var anonymized = trail.Where(e => e.AnonymizedAt is not null).Select(e => e.Action).Order().ToList();
        Assert.Equal([AuditActions.MemberAdded, AuditActions.MemberRemoved, AuditActions.RetentionChanged], anonymized);
        Assert.Equal("anonymized", trail.Single(e => e.Action == AuditActions.RetentionChanged).Actor);
        Assert.Equal("apikey:key_owner", trail.Single(e => e.Action == AuditActions.MemberRemoved).Actor); // who removed them stays

        app.Clock.Advance(Period - Second);
        await SweepAsync();
        Assert.Equal(3, (await AuditAsync(org)).Count(e => e.AnonymizedAt is not null));

        app.Clock.Advance(TimeSpan.FromDays(1));
        await SweepAsync();
        var left = await AuditAsync(org);
        Assert.DoesNotContain(left, e => e.AnonymizedAt is not null);
        Assert.Contains(left, e => e.Action == AuditActions.OrgCreated);
    }
}
