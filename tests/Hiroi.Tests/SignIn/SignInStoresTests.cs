using Azure.Data.Tables;
using Hiroi.Shared.SignIn;
using Hiroi.Shared.Storage;
using Hiroi.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Hiroi.Tests.SignIn;

/// <summary>Lifetimes and single use of links, codes and sessions, on a clock the test moves, against Azurite.</summary>
public sealed class SignInStoresTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 3, 9, 0, 0, TimeSpan.Zero));
    private readonly SignInOptions _options = new();
    private readonly HiroiTables _tables = new(new TableServiceClient(TestStorage.ConnectionString), Options.Create(new StorageOptions { Prefix = TestStorage.NewPrefix() }));

    private SignInTokenStore Tokens => new(_tables, Options.Create(_options), _clock);

    private SignInSessionStore Sessions => new(_tables, Options.Create(_options), _clock);

    [Fact]
    public async Task A_link_works_once_within_fifteen_minutes()
    {
        var once = await Tokens.IssueLinkAsync("acc_1", default);
        Assert.Equal("acc_1", await Tokens.ConsumeLinkAsync(once, default));
        Assert.Null(await Tokens.ConsumeLinkAsync(once, default));

        var late = await Tokens.IssueLinkAsync("acc_1", default);
        _clock.Advance(TimeSpan.FromMinutes(15));
        Assert.Null(await Tokens.ConsumeLinkAsync(late, default));

        Assert.Null(await Tokens.ConsumeLinkAsync("not-a-token", default));
        Assert.Null(await Tokens.ConsumeLinkAsync(SessionTokens.New(), default));
    }

    [Fact]
    public async Task Of_racing_uses_of_one_link_exactly_one_signs_in()
    {
        for (var round = 0; round < 5; round++)
        {
            var token = await Tokens.IssueLinkAsync("acc_race", default);
            var uses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Tokens.ConsumeLinkAsync(token, default)));
            Assert.Single(uses, u => u is not null);
        }
    }

    [Fact]
    public async Task A_code_lasts_ten_minutes_and_five_wrong_tries_burn_it()
    {
        var code = await Tokens.IssueCodeAsync("acc_2", null, default);
        _clock.Advance(TimeSpan.FromMinutes(10));
        Assert.False(await Tokens.ConsumeCodeAsync("acc_2", null, code, default));

        code = await Tokens.IssueCodeAsync("acc_2", null, default);
        var wrong = code == "123456" ? "654321" : "123456";
        for (var i = 0; i < 5; i++)
        {
            Assert.False(await Tokens.ConsumeCodeAsync("acc_2", null, wrong, default));
        }

        Assert.False(await Tokens.ConsumeCodeAsync("acc_2", null, code, default));

        code = await Tokens.IssueCodeAsync("acc_2", null, default);
        Assert.False(await Tokens.ConsumeCodeAsync("acc_3", null, code, default)); // another person's
        Assert.True(await Tokens.ConsumeCodeAsync("acc_2", null, code, default));
        Assert.False(await Tokens.ConsumeCodeAsync("acc_2", null, code, default)); // used
    }

    [Fact]
    public async Task Racing_wrong_tries_are_each_counted_so_a_burst_cannot_outlast_the_five()
    {
        for (var round = 0; round < 3; round++)
        {
            var code = await Tokens.IssueCodeAsync("acc_burst", null, default);
            var wrong = code == "123456" ? "654321" : "123456";
            var tries = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Tokens.ConsumeCodeAsync("acc_burst", null, wrong, default)));
            Assert.All(tries, Assert.False);
            Assert.False(await Tokens.ConsumeCodeAsync("acc_burst", null, code, default)); // the burst spent every try
        }

        // Four wrong tries leave the fifth for the right code.
        var fresh = await Tokens.IssueCodeAsync("acc_burst", null, default);
        var other = fresh == "111111" ? "222222" : "111111";
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Tokens.ConsumeCodeAsync("acc_burst", null, other, default)));
        Assert.True(await Tokens.ConsumeCodeAsync("acc_burst", null, fresh, default));
    }

    [Fact]
    public async Task Stored_rows_hold_hashes_not_the_link_or_the_code()
    {
        var token = await Tokens.IssueLinkAsync("acc_4", default);
        var code = await Tokens.IssueCodeAsync("acc_4", null, default);
        var table = await _tables.GetAsync(TableNames.SignInTokens);
        var stored = string.Join('\n', await table.QueryAsync<TableEntity>().Select(e => string.Join(' ', e.Select(p => p.Key + "=" + p.Value))).ToListAsync());
        Assert.DoesNotContain(token, stored, StringComparison.Ordinal);
        Assert.DoesNotContain("=" + code, stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_session_ends_after_thirty_idle_minutes_or_twelve_hours_whatever_the_activity()
    {
        var idle = await Sessions.CreateAsync("acc_5", "link", false, null, "test", default);
        _clock.Advance(TimeSpan.FromMinutes(29));
        Assert.NotNull(await Sessions.FindAsync(idle.Token, default)); // touched: the idle clock starts again
        _clock.Advance(TimeSpan.FromMinutes(29));
        Assert.NotNull(await Sessions.FindAsync(idle.Token, default));
        _clock.Advance(TimeSpan.FromMinutes(30));
        Assert.Null(await Sessions.FindAsync(idle.Token, default));

        var busy = await Sessions.CreateAsync("acc_5", "link", false, null, "test", default);
        for (var minutes = 0; minutes < 12 * 60 - 20; minutes += 20)
        {
            _clock.Advance(TimeSpan.FromMinutes(20));
            Assert.NotNull(await Sessions.FindAsync(busy.Token, default));
        }

        _clock.Advance(TimeSpan.FromMinutes(20));
        Assert.Null(await Sessions.FindAsync(busy.Token, default));
    }

    [Fact]
    public async Task Past_the_per_person_limit_the_oldest_session_is_revoked()
    {
        _options.MaxSessionsPerPerson = 3;
        var created = new List<ActiveSession>();
        for (var i = 0; i < 4; i++)
        {
            created.Add(await Sessions.CreateAsync("acc_6", "link", false, null, "browser " + i, default));
            _clock.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Null(await Sessions.FindAsync(created[0].Token, default));
        Assert.All(created.Skip(1), s => Assert.NotNull(Sessions.FindAsync(s.Token, default).Result));
        Assert.Equal(3, (await Sessions.ListAsync("acc_6", default)).Count);
    }

    [Fact]
    public async Task Rotating_a_session_keeps_its_org_and_end_and_kills_the_old_id()
    {
        var first = await Sessions.CreateAsync("acc_7", "link", true, null, "test", default);
        first.Row.OrgId = "org_1";
        Assert.True(await Sessions.UpdateAsync(first, default));
        _clock.Advance(TimeSpan.FromMinutes(5));
        var rotated = await Sessions.RotateAsync(first, true, _clock.GetUtcNow(), "test", default);
        Assert.NotNull(rotated);
        Assert.NotEqual(first.Token, rotated.Token);
        Assert.Null(await Sessions.FindAsync(first.Token, default));
        var found = await Sessions.FindAsync(rotated.Token, default);
        Assert.Equal("org_1", found!.Row.OrgId);
        Assert.Equal(first.Row.ExpiresAt, found.Row.ExpiresAt);
        Assert.True(found.Row.IsComplete);
        Assert.Equal([rotated.PublicId], (await Sessions.ListAsync("acc_7", default)).Select(s => SessionIndexEntity.Prefix + s.PartitionKey));

        var table = await _tables.GetAsync(TableNames.SignInSessions);
        Assert.False((await table.GetEntityIfExistsAsync<TableEntity>(rotated.Token, SignInSessionEntity.RowKeyValue)).HasValue); // keyed by hash only
    }

    [Fact]
    public async Task A_revoked_or_already_rotated_session_is_not_reborn_by_a_rotation()
    {
        var revoked = await Sessions.CreateAsync("acc_8", "link", true, null, "test", default);
        await Sessions.RevokeAsync("acc_8", revoked.Hash, default);
        Assert.Null(await Sessions.RotateAsync(revoked, true, _clock.GetUtcNow(), "test", default));

        var once = await Sessions.CreateAsync("acc_8", "link", true, null, "test", default);
        var racing = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Sessions.RotateAsync(once, true, _clock.GetUtcNow(), "test", default)));
        Assert.Single(racing, r => r is not null);
        Assert.Single(await Sessions.ListAsync("acc_8", default));
    }

    [Fact]
    public async Task Revoking_a_persons_sessions_in_one_org_reads_each_sessions_own_org()
    {
        var orgA = Hiroi.Shared.Tenancy.OrgId.New();
        var inOrg = await Sessions.CreateAsync("acc_9", "link", false, null, "test", default);
        var elsewhere = await Sessions.CreateAsync("acc_9", "link", false, null, "test", default);
        var keep = await Sessions.CreateAsync("acc_9", "link", false, null, "test", default);

        // The session row names the org; its index entry does not yet (the choice writes the row first).
        var table = await _tables.GetAsync(TableNames.SignInSessions);
        await table.UpdateEntityAsync(new TableEntity(inOrg.Hash, SignInSessionEntity.RowKeyValue) { ["OrgId"] = orgA.Value }, Azure.ETag.All, TableUpdateMode.Merge);
        elsewhere.Row.OrgId = Hiroi.Shared.Tenancy.OrgId.New().Value;
        Assert.True(await Sessions.UpdateAsync(elsewhere, default));

        Assert.Equal(1, await Sessions.RevokeAllAsync("acc_9", orgA, default));
        Assert.Null(await Sessions.FindAsync(inOrg.Token, default));
        Assert.NotNull(await Sessions.FindAsync(elsewhere.Token, default));

        Assert.Equal(1, await Sessions.RevokeAllAsync("acc_9", null, default, except: keep.Hash));
        Assert.Null(await Sessions.FindAsync(elsewhere.Token, default));
        Assert.NotNull(await Sessions.FindAsync(keep.Token, default));
    }
}
