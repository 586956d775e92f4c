using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Hiroi.Shared.Orgs;
using Hiroi.Shared.Security;
using Hiroi.Shared.Storage;
using Hiroi.Shared.Tenancy;
using Hiroi.Shared.TenantSecrets;
using Hiroi.Tests.Http;
using Hiroi.Tests.Infrastructure;
using Hiroi.Tests.Security;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Tests.Agents;

public class TenantSecretTests(HiroiApp app) : IClassFixture<HiroiApp>
{
    private const string Value = "sk_live_Zq8tenant-secret-value-4d2";

    private async Task<(CreatedOrganization Org, HttpClient Owner)> OrgAsync()
    {
        var org = await app.CreateOrgAsync();
        return (org, app.ClientWithKey(org.OwnerApiKey));
    }

    private TenantSecretService Secrets => app.Services.GetRequiredService<TenantSecretService>();

    [Fact]
    public async Task Values_go_in_and_never_come_out_of_the_api_and_only_the_tool_runtime_reads_them()
    {
        var (org, owner) = await OrgAsync();

        var created = await owner.PutAsJsonAsync("/api/secrets/SHOP_TOKEN", new { value = Value });
        var replaced = await owner.PutAsJsonAsync("/api/secrets/SHOP_TOKEN", new { value = Value + "-2" });
        var listed = await owner.GetAsync("/api/secrets");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        foreach (var response in new[] { created, replaced, listed })
        {
            Assert.DoesNotContain(Value, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var secret = Assert.Single(JsonDocument.Parse(await listed.Content.ReadAsStringAsync()).RootElement.GetProperty("secrets").EnumerateArray());
        Assert.Equal("SHOP_TOKEN", secret.GetProperty("name").GetString());
        Assert.True(secret.GetProperty("updatedAt").GetDateTimeOffset() >= secret.GetProperty("createdAt").GetDateTimeOffset());
        var caller = Caller.System(org.OrgId, "agent:agt_x");
        Assert.Equal(Value + "-2", await Secrets.RevealForUseAsync(caller, "SHOP_TOKEN", "agent:agt_x tool:lookup", default));
        Assert.Null(await Secrets.RevealForUseAsync(caller, "NOPE", "agent:agt_x tool:lookup", default));

        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync("/api/secrets/SHOP_TOKEN")).StatusCode);
        Assert.Null(await Secrets.RevealForUseAsync(caller, "SHOP_TOKEN", "agent:agt_x tool:lookup", default));
        await ProblemAssert.IsProblemAsync(await owner.DeleteAsync("/api/secrets/SHOP_TOKEN"), HttpStatusCode.NotFound);

        var audit = await owner.GetStringAsync("/api/audit?pageSize=50");
        Assert.DoesNotContain(Value, audit, StringComparison.Ordinal);
        var actions = JsonDocument.Parse(audit).RootElement.GetProperty("entries").EnumerateArray()
            .Where(e => e.GetProperty("target").GetString() == "secret:SHOP_TOKEN").Select(e => e.GetProperty("action").GetString()).ToList();
        Assert.Equal(["secret.deleted", "secret.used", "secret.updated", "secret.created"], actions);
    }

    [Fact]
    public async Task At_rest_a_value_is_ciphertext_bound_to_its_org_and_name()
    {
        var (org, owner) = await OrgAsync();
        var (other, _) = await OrgAsync();
        (await owner.PutAsJsonAsync("/api/secrets/SHOP_TOKEN", new { value = Value })).EnsureSuccessStatusCode();
        var table = await app.Services.GetRequiredService<HiroiTables>().GetAsync(TableNames.TenantSecrets);
        var row = (await table.GetEntityAsync<TableEntity>(org.OrgId.Value, "SHOP_TOKEN")).Value;

        var stored = Encoding.UTF8.GetString(row.GetBinary("Ciphertext")) + string.Join("|", row.Select(p => p.Value?.ToString()));
        Assert.DoesNotContain(Value, stored, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(Value)), stored, StringComparison.Ordinal);

        // The same row under another name, and in another org's partition: neither decrypts.
        var renamed = new TableEntity(row) { RowKey = "OTHER_NAME" };
        var moved = new TableEntity(row) { PartitionKey = other.OrgId.Value };
        await table.UpsertEntityAsync(renamed);
        await table.UpsertEntityAsync(moved);
        await Assert.ThrowsAnyAsync<CryptographicException>(() => Secrets.RevealForUseAsync(Caller.System(org.OrgId, "t"), "OTHER_NAME", "test", default));
        await Assert.ThrowsAnyAsync<CryptographicException>(() => Secrets.RevealForUseAsync(Caller.System(other.OrgId, "t"), "SHOP_TOKEN", "test", default));
    }

    [Fact]
    public async Task A_value_written_under_an_old_key_still_reads_after_rotation_and_new_writes_use_the_new_key()
    {
        var store = new InMemorySecretStore();
        var k1 = TestKeys.Entry("k1", RandomNumberGenerator.GetBytes(32));
        store[TenantSecretKeyRing.SecretName] = k1;
        var ring = new TenantSecretKeyRing(store);
        using var plaintext = new MemoryStream(Encoding.UTF8.GetBytes(Value));
        using var ciphertext = new MemoryStream();
        var oldKey = await ring.EncryptAsync(plaintext, ciphertext, "tenant-secret/org_x/A", default);

        store[TenantSecretKeyRing.SecretName] = TestKeys.Entry("k2", RandomNumberGenerator.GetBytes(32)) + "," + k1;
        using var decrypted = new MemoryStream();
        ciphertext.Position = 0;
        await ring.DecryptAsync(ciphertext, decrypted, oldKey, "tenant-secret/org_x/A", default);
        var newKey = await ring.EncryptAsync(new MemoryStream([1]), new MemoryStream(), "tenant-secret/org_x/A", default);

        Assert.Equal(Value, Encoding.UTF8.GetString(decrypted.ToArray()));
        Assert.Equal(("k1", "k2"), (oldKey.KeyEncryptionKeyId, newKey.KeyEncryptionKeyId));
    }

    public static TheoryData<string, string> BadWrites => new()
    {
        { "1abc", "{\"value\":\"v\"}" },
        { "a-b", "{\"value\":\"v\"}" },
        { new string('A', 65), "{\"value\":\"v\"}" },
        { "secrets.X", "{\"value\":\"v\"}" },
        { "%C3%84BC", "{\"value\":\"v\"}" },
        { "OK_NAME", "{}" },
        { "OK_NAME", "{\"value\":\"\"}" },
        { "OK_NAME", "{\"value\":null}" },
        { "OK_NAME", "{\"value\":\"" + new string('x', 8193) + "\"}" },
        { "OK_NAME", "{\"value\":\"a\\u0000b\"}" },
        { "OK_NAME", "{\"value\":\"line\\r\\nX-Injected: 1\"}" },
        { "OK_NAME", "[\"v\"]" },
        { "OK_NAME", "{\"value\":42}" },
    };

    [Theory]
    [MemberData(nameof(BadWrites))]
    public async Task Bad_names_and_values_are_400_and_store_nothing(string name, string body)
    {
        var (_, owner) = await OrgAsync();

        await ProblemAssert.IsProblemAsync(await owner.PutAsync($"/api/secrets/{name}", new StringContent(body, Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest);

        Assert.Equal(0, JsonDocument.Parse(await owner.GetStringAsync("/api/secrets")).RootElement.GetProperty("secrets").GetArrayLength());
    }

    [Fact]
    public async Task Members_are_refused_other_orgs_see_nothing_and_an_org_holds_at_most_a_hundred()
    {
        var (_, owner) = await OrgAsync();
        var (_, other) = await OrgAsync();
        var member = JsonDocument.Parse(await (await owner.PostAsJsonAsync("/api/api-keys", new { name = "m", role = "member" })).Content.ReadAsStringAsync()).RootElement;
        var memberClient = app.ClientWithKey(member.GetProperty("key").GetString()!);
        (await owner.PutAsJsonAsync("/api/secrets/S0", new { value = Value })).EnsureSuccessStatusCode();

        Assert.Equal(HttpStatusCode.Forbidden, (await memberClient.GetAsync("/api/secrets")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await memberClient.PutAsJsonAsync("/api/secrets/S1", new { value = "v" })).StatusCode);
        await ProblemAssert.IsProblemAsync(await other.DeleteAsync("/api/secrets/S0"), HttpStatusCode.NotFound);
        Assert.Equal(0, JsonDocument.Parse(await other.GetStringAsync("/api/secrets")).RootElement.GetProperty("secrets").GetArrayLength());

        await Task.WhenAll(Enumerable.Range(1, 99).Select(async i => (await owner.PutAsJsonAsync($"/api/secrets/S{i}", new { value = "v" })).EnsureSuccessStatusCode()));
        await ProblemAssert.IsProblemAsync(await owner.PutAsJsonAsync("/api/secrets/S100", new { value = "v" }), HttpStatusCode.Conflict);
        Assert.Equal(HttpStatusCode.OK, (await owner.PutAsJsonAsync("/api/secrets/S0", new { value = "replaced" })).StatusCode); // replacing is still fine
        Assert.Equal(100, JsonDocument.Parse(await owner.GetStringAsync("/api/secrets")).RootElement.GetProperty("secrets").GetArrayLength());
    }
}
