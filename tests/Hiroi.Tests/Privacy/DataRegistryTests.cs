using System.Net.Http.Json;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Hiroi.Shared.Storage;
using Hiroi.Shared.StoredData;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Privacy;

/// <summary>
/// The registry is the one list of where data lives (the sweep, the org purge, export and erasure read it), so a table
/// the app writes that it does not describe would hold data none of them knows. This builds every kind of data through
/// the real paths and compares what Azurite then holds with the registry.
/// </summary>
public class DataRegistryTests(AzureStorageWorkflowsFixture fixture) : IClassFixture<AzureStorageWorkflowsFixture>
{
    private TelephonyApp T => fixture.Telephony;

    [Fact]
    public async Task Every_table_and_container_the_app_writes_is_described_in_the_registry()
    {
        var footprint = await PrivacyTests.MakeFootprintAsync(T);
        (await footprint.Owner.PutAsJsonAsync("/api/retention", new { messages = 30 })).EnsureSuccessStatusCode();
        (await footprint.Owner.PostAsJsonAsync("/api/members", new { email = "reader@example.org", role = "member" })).EnsureSuccessStatusCode();
        (await footprint.Owner.PutAsJsonAsync("/api/secrets/WALK_TOKEN", new { value = "walk-value" })).EnsureSuccessStatusCode();
        var agent = await (await footprint.Owner.PostAsJsonAsync("/api/agents", Agents.AgentBodies.Agent())).EnsureSuccessStatusCode()
            .Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        var widgetKey = await (await footprint.Owner.PostAsJsonAsync("/api/widget-keys", new
        {
            name = "Walk", environment = "dev", mode = "origin", origins = new[] { "https://walk.example.com" }, agentId = agent.GetProperty("id").GetString(),
        })).EnsureSuccessStatusCode().Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        var widget = new Widget.WidgetClient(T.App.CreateClient(), widgetKey.GetProperty("id").GetString()!, "https://walk.example.com");
        (await widget.OpenAsync()).EnsureSuccessStatusCode();
        (await widget.PostAsync("messages", new { text = "hello" })).EnsureSuccessStatusCode();
        await T.App.Services.SweepAsync();

        var (tables, containers) = await WrittenAsync();

        var described = DataRegistry.All.Select(k => k.Table).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var blobContainers = DataRegistry.All.Select(k => k.BlobContainer).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);
        NoneOf(tables.Where(t => !described.Contains(t)), "tables missing from the registry");
        NoneOf(containers.Where(c => !blobContainers.Contains(c) && !DataRegistry.WorkflowContainers.Contains(c)), "containers missing from the registry");
        // Queues: the hand-offs' (a member added queued an invitation) and the workflow engine's own.
        var queues = await new Azure.Storage.Queues.QueueServiceClient(T.App.StorageConnectionString).GetQueuesAsync(prefix: T.App.Prefix)
            .Select(q => q.Name[T.App.Prefix.Length..]).ToListAsync();
        Assert.Contains(Hiroi.Shared.SignIn.SignInMailbox.QueueName, queues);
        NoneOf(queues.Where(q => !DataRegistry.HandOffQueues.Contains(q) && !q.StartsWith(TableNames.WorkflowHub, StringComparison.Ordinal)), "queues missing from the registry");

        // The workflow engine's history holds ids and outcomes, never the person's number or email.
        var personal = PrivacyTests.Traces(footprint.Phone).Concat(PrivacyTests.Traces(footprint.LinkedPhone)).Append(footprint.Email).ToArray();
        Assert.Empty(await StorageScan.FindAsync(T.App.StorageConnectionString, T.App.Prefix + TableNames.WorkflowHub, personal));

        // The walk above reached every kind, so the comparison covered them all.
        NoneOf(described.Where(t => !tables.Contains(t, StringComparer.OrdinalIgnoreCase)), "registry tables the walk did not write");
        NoneOf(blobContainers.Where(c => !containers.Contains(c, StringComparer.OrdinalIgnoreCase)), "registry containers the walk did not write");
    }

    [Fact]
    public void Kinds_have_unique_names_and_every_personal_kind_says_what_erasure_does()
    {
        Assert.Equal(DataRegistry.All.Count, DataRegistry.All.Select(k => k.Name).Distinct(StringComparer.Ordinal).Count());
        Assert.All(DataRegistry.Personal, k => Assert.NotEqual(ErasureAction.None, k.Erasure));
        Assert.All(DataRegistry.Expiring, k => Assert.NotEqual(OrgPartitioning.Platform, k.Partitioning));
        // Blobs and index rows go before the rows that find them; contact rows last of a person's rows.
        var order = DataRegistry.All.ToList();
        Assert.True(order.IndexOf(DataRegistry.Recordings) < order.IndexOf(DataRegistry.Calls));
        Assert.True(order.IndexOf(DataRegistry.CallIndex) < order.IndexOf(DataRegistry.Calls));
        Assert.True(order.IndexOf(DataRegistry.Messages) < order.IndexOf(DataRegistry.Conversations));
        Assert.Equal(DataRegistry.Contacts, DataRegistry.Personal.Last(k => k.Erasure == ErasureAction.Delete));
    }

    private static void NoneOf(IEnumerable<string> names, string what)
    {
        var list = names.ToList();
        Assert.True(list.Count == 0, what + ": " + string.Join(", ", list));
    }

    /// <summary>The logical names of the tables and containers under this app's prefix.</summary>
    private async Task<(List<string> Tables, List<string> Containers)> WrittenAsync()
    {
        var prefix = T.App.Prefix;
        var tables = await new TableServiceClient(T.App.StorageConnectionString)
            .QueryAsync(TableClient.CreateQueryFilter($"TableName ge {prefix} and TableName lt {prefix + "~"}"))
            .Select(t => t.Name[prefix.Length..]).ToListAsync();
        var containers = await new BlobServiceClient(T.App.StorageConnectionString).GetBlobContainersAsync(prefix: prefix)
            .Select(c => c.Name[prefix.Length..]).ToListAsync();
        return (tables, containers);
    }
}
