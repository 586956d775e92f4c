using Azure.Data.Tables;
using Hiroi.Shared.ApiKeys;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Tenancy;

/// <summary>
/// Every repository over real Azurite: an org cannot read, list, change or delete another org's rows through any method,
/// even when it names the other org's row id or hands in an entity that carries the other org's PartitionKey.
/// </summary>
public class TenantIsolationTests : IDisposable
{
    private readonly HiroiServices _services = new();
    private readonly OrgId _a = OrgId.New();
    private readonly OrgId _b = OrgId.New();

    public void Dispose() => _services.Dispose();

    [Fact]
    public Task Members_are_isolated() => AssertIsolatedAsync(
        _services.Get<MemberRepository>(),
        org => new MemberEntity { RowKey = MemberEmails.MemberId(org, "a@example.com"), Email = "a@example.com", Role = "owner" },
        m => m.Role = "member",
        m => m.Role);

    [Fact]
    public Task Api_keys_are_isolated() => AssertIsolatedAsync(
        _services.Get<ApiKeyRepository>(),
        _ => new ApiKeyEntity { RowKey = ApiKeyFormat.NewKeyId(), Name = "ci", Role = "owner", Hash = [1], Salt = [2], Iterations = 1 },
        k => k.Name = "stolen",
        k => k.Name);

    [Fact]
    public Task Organizations_are_isolated() => AssertIsolatedAsync(
        _services.Get<OrganizationRepository>(),
        _ => new OrganizationEntity { Name = "Acme" },
        o => o.Name = "Pwned",
        o => o.Name);

    [Fact]
    public async Task Touching_last_use_cannot_create_a_row_in_another_org()
    {
        var keys = _services.Get<ApiKeyRepository>();
        var record = new ApiKeyEntity { RowKey = ApiKeyFormat.NewKeyId(), Name = "ci", Role = "admin" };
        await keys.AddAsync(_a, record, default);

        await keys.TouchAsync(_b, record.RowKey, DateTimeOffset.UnixEpoch, default);

        Assert.Null(await keys.FindAsync(_b, record.RowKey, default));
        Assert.Null((await keys.FindAsync(_a, record.RowKey, default))!.LastUsedAt);
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("a/b")]
    [InlineData("a#b")]
    [InlineData("a?b")]
    [InlineData("")]
    [InlineData("\u0001")]
    public async Task Ids_storage_cannot_hold_are_simply_not_found(string id)
    {
        var members = _services.Get<MemberRepository>();

        Assert.Null(await members.FindAsync(_a, id, default));
        Assert.False(await members.DeleteAsync(_a, id, default));
        Assert.False(await members.UpdateAsync(_a, new MemberEntity { RowKey = id }, default));
    }

    [Fact]
    public async Task Adding_an_existing_id_is_a_conflict()
    {
        var members = _services.Get<MemberRepository>();
        var id = MemberEmails.MemberId(_a, "dup@example.com");
        await members.AddAsync(_a, new MemberEntity { RowKey = id, Role = "member" }, default);

        await Assert.ThrowsAsync<ConflictException>(() => members.AddAsync(_a, new MemberEntity { RowKey = id, Role = "owner" }, default));
    }

    [Fact]
    public async Task A_stale_etag_is_a_conflict()
    {
        var members = _services.Get<MemberRepository>();
        var id = MemberEmails.MemberId(_a, "race@example.com");
        await members.AddAsync(_a, new MemberEntity { RowKey = id, Role = "member" }, default);
        var first = (await members.FindAsync(_a, id, default))!;
        var second = (await members.FindAsync(_a, id, default))!;

        first.Role = "admin";
        Assert.True(await members.UpdateAsync(_a, first, default));
        second.Role = "owner";

        await Assert.ThrowsAsync<ConflictException>(() => members.UpdateAsync(_a, second, default));
        Assert.Equal("admin", (await members.FindAsync(_a, id, default))!.Role);
    }

    private async Task AssertIsolatedAsync<T>(
        OrgScopedRepository<T> repository, Func<OrgId, T> create, Action<T> change, Func<T, string> observe)
        where T : class, ITableEntity, new()
    {
        var row = create(_a);
        await repository.AddAsync(_a, row, default);
        var original = observe(row);

        // Read and list.
        Assert.Null(await repository.FindAsync(_b, row.RowKey, default));
        Assert.Empty(await repository.ListAsync(_b, default).ToListAsync());
        Assert.Single(await repository.ListAsync(_a, default).ToListAsync());

        // Change: naming A's row, or handing in A's entity as read (PartitionKey = A) with its ETag.
        var asRead = (await repository.FindAsync(_a, row.RowKey, default))!;
        change(asRead);
        Assert.False(await repository.UpdateAsync(_b, asRead, default));
        change(row);
        row.PartitionKey = _a.Value;
        Assert.False(await repository.UpdateAsync(_b, row, default));

        // Delete.
        Assert.False(await repository.DeleteAsync(_b, row.RowKey, default));

        // Add with A's PartitionKey lands in B's partition, not A's.
        var smuggled = create(_a);
        smuggled.RowKey = row.RowKey;
        smuggled.PartitionKey = _a.Value;
        await repository.AddAsync(_b, smuggled, default);
        Assert.Equal(_b.Value, smuggled.PartitionKey);

        var stillThere = await repository.FindAsync(_a, row.RowKey, default);
        Assert.NotNull(stillThere);
        Assert.Equal(original, observe(stillThere));
        Assert.Equal(_a.Value, stillThere.PartitionKey);
    }
}
