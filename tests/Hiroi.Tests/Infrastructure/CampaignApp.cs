using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hiroi.Shared.Orgs;
using Hiroi.Shared.Tenancy;
using Microsoft.AspNetCore.Hosting;

namespace Hiroi.Tests.Infrastructure;

/// <summary>The self-host with the ACS simulator and a fast campaign runner (short polls).</summary>
public class CampaignApp : SimulatedAcsApp
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Hiroi:AcsSimulator:EventDelayMilliseconds", "10");
        builder.UseSetting("Hiroi:Campaigns:AwaitingCheckSeconds", "1");
        // Nothing here crashes mid-send, so an intent's lease never needs to run out: as short as 5 s, a send slowed by a
        // busy machine was sent again by another worker (the same request to ACS, but counted by the simulator).
        builder.UseSetting("Hiroi:Campaigns:IntentLeaseSeconds", "600");
    }

    public async Task<(CreatedOrganization Org, HttpClient Admin, string Sender)> OrgWithSenderAsync()
    {
        var org = await CreateOrgAsync();
        var admin = ClientWithKey(org.OwnerApiKey);
        var sender = Unique.PhoneNumber();
        (await admin.PostAsJsonAsync("/api/numbers", new { number = sender })).EnsureSuccessStatusCode();
        return (org, admin, sender);
    }

    public static async Task<string> ListWithAsync(HttpClient admin, string csv)
    {
        var created = await admin.PostAsJsonAsync("/api/lists", new { name = "Customers" });
        created.EnsureSuccessStatusCode();
        var listId = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        (await admin.PostAsync($"/api/lists/{listId}/contacts", new StringContent(csv, Encoding.UTF8, "text/csv"))).EnsureSuccessStatusCode();
        return listId;
    }

    public static async Task<string> CampaignAsync(HttpClient admin, string listId, string sender, object? extra = null)
    {
        var body = JsonSerializer.SerializeToNode(
            new { name = "Spring sale", channel = "sms", listId, senderNumbers = new[] { sender }, message = "20% off this week. Reply STOP to opt out." })!.AsObject();
        foreach (var (key, value) in JsonSerializer.SerializeToNode(extra ?? new { })!.AsObject())
        {
            body[key] = value?.DeepClone();
        }

        var created = await admin.PostAsync("/api/campaigns", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        return JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
    }

    public async Task<JsonElement> SentSmsAsync() => JsonDocument.Parse(await CreateClient().GetStringAsync("/simulate/sent-sms")).RootElement.Clone();

    /// <summary>Reads <paramref name="path"/> until <paramref name="done"/> holds for it (a timeout shows the last answer).</summary>
    public static Task<JsonElement> WaitForAsync(HttpClient client, string path, Func<JsonElement, bool> done, TimeSpan? ceiling = null) =>
        Waits.UntilAsync(async () => JsonDocument.Parse(await client.GetStringAsync(path)).RootElement.Clone(), done, path + " to settle", ceiling);
}
