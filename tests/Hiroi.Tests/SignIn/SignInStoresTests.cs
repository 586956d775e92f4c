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
        var code = await Tokens.IssueCodeAsync("acc_2", default);
        _clock.Advance(TimeSpan.FromMinutes(10));
        Assert.False(await Tokens.ConsumeCodeAsync("acc_2", code, default));

        code = await Tokens.IssueCodeAsync("acc_2", default);
        var wrong = code == "123456" ? "654321" : "123456";
        for (var i = 0; i < 5; i++)
        {
            Assert.False(await Tokens.ConsumeCodeAsync("acc_2", wrong, default));
        }

        Assert.False(await Tokens.ConsumeCodeAsync("acc_2", code, default));

        code = await Tokens.IssueCodeAsync("acc_2", default);
        Assert.False(await Tokens.ConsumeCodeAsync("acc_3", code, default)); // another person's
        Assert.True(await Tokens.ConsumeCodeAsync("acc_2", code, default));
        Assert.False(await Tokens.ConsumeCodeAsync("acc_2", code, default)); // used
    }

    [Fact]
    public async Task Stored_rows_hold_hashes_not_the_link_or_the_code()
    {
        var token = await Tokens.IssueLinkAsync("acc_4", default);
        var code = await Tokens.IssueCodeAsync("acc_4", default);
        var table = await _tables.GetAsync(TableNames.SignInTokens);
        var stored = string.Join('\n', await table.QueryAsync<TableEntity>().Select(e => string.Join(' ', e.Select(p => p.Key + "=" + p.Value))).ToListAsync());
        Assert.DoesNotContain(token, stored, StringComparison.Ordinal);
        Assert.DoesNotContain("=" + code, stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_session_ends_after_thirty_idle_minutes_or_twelve_hours_whatever_the_activity()
    {
        var idle = await Sessions.CreateAsync("acc_5", "link", false, null, "test", null, default);
        _clock.Advance(TimeSpan.FromMinutes(29));
        Assert.NotNull(await Sessions.FindAsync(idle.Token, default)); // touched: the idle clock starts again
        _clock.Advance(TimeSpan.FromMinutes(29));
        Assert.NotNull(await Sessions.FindAsync(idle.Token, default));
        _clock.Advance(TimeSpan.FromMinutes(30));
        Assert.Null(await Sessions.FindAsync(idle.Token, default));

        var busy = await Sessions.CreateAsync("acc_5", "link", false, null, "test", null, default);
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
            created.Add(await Sessions.CreateAsync("acc_6", "link", false, null, "browser " + i, null, default));
            _clock.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Null(await Sessions.FindAsync(created[0].Token, default));
        Assert.All(created.Skip(1), s => Assert.NotNull(Sessions.FindAsync(s.Token, default).Result));
        Assert.Equal(3, (await Sessions.ListAsync("acc_6", default)).Count);
    }

    [Fact]
    public async Task Rotating_a_session_keeps_its_org_and_end_and_kills_the_old_id()
    {
        var first = await Sessions.CreateAsync("acc_7", "link", true, null, "test", null, default);
        first.Row.OrgId = "org_1";
        _clock.Advance(TimeSpan.FromMinutes(5));
        var rotated = await Sessions.CreateAsync("acc_7", "link", true, _clock.GetUtcNow(), "test", first, default);
        Assert.NotEqual(first.Token, rotated.Token);
        Assert.Null(await Sessions.FindAsync(first.Token, default));
        var found = await Sessions.FindAsync(rotated.Token, default);
        Assert.Equal("org_1", found!.Row.OrgId);
        Assert.Equal(first.Row.ExpiresAt, found.Row.ExpiresAt);
        Assert.True(found.Row.IsComplete);

        var table = await _tables.GetAsync(TableNames.SignInSessions);
        Assert.False((await table.GetEntityIfExistsAsync<TableEntity>(rotated.Token, SignInSessionEntity.RowKeyValue)).HasValue); // keyed by hash only
    }
}
