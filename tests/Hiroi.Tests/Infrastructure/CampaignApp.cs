using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Hiroi.Shared.Tenancy;
using Microsoft.AspNetCore.Hosting;
using Hiroi.Shared.Orgs;

namespace Hiroi.Tests.Infrastructure;

/// <summary>The self-host with the ACS simulator and a fast campaign runner (short polls and leases).</summary>
public sealed class CampaignApp : SimulatedAcsApp
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Hiroi:AcsSimulator:EventDelayMilliseconds", "10");
        builder.UseSetting("Hiroi:Campaigns:AwaitingCheckSeconds", "1");
        builder.UseSetting("Hiroi:Campaigns:IntentLeaseSeconds", "5");
    }

    public async Task<(CreatedOrganization Org, HttpClient Admin, string Sender)> OrgWithSenderAsync()
    {
        var org = await CreateOrgAsync();
        var admin = ClientWithKey(org.OwnerApiKey);
        var sender = "+1555040" + RandomNumberGenerator.GetInt32(1000, 9999).ToString(System.Globalization.CultureInfo.InvariantCulture);
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
        var body = JsonSerializer.SerializeToNode(new { name = "Spring sale", channel = "sms", listId, senderNumbers = new[] { sender }, message = "20% off this week. Reply STOP to opt out." })!.AsObject();
        foreach (var (key, value) in JsonSerializer.SerializeToNode(extra ?? new { })!.AsObject())
        {
            body[key] = value?.DeepClone();
        }

        var created = await admin.PostAsync("/api/campaigns", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        return JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
    }

    public async Task<JsonElement> SentSmsAsync() => JsonDocument.Parse(await CreateClient().GetStringAsync("/simulate/sent-sms")).RootElement.Clone();

    public static async Task<JsonElement> WaitForAsync(HttpClient client, string path, Func<JsonElement, bool> done, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        JsonElement last = default;
        while (DateTime.UtcNow < deadline)
        {
            last = JsonDocument.Parse(await client.GetStringAsync(path)).RootElement.Clone();
            if (done(last))
            {
                return last;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{path} did not settle: {last}");
    }
}

/// <summary>IANA zones whose local time now is inside or outside the legal window, with an hour's margin.</summary>
public static class ZonesNow
{
    private static readonly string[] Candidates =
    [
        "Pacific/Honolulu", "America/Anchorage", "America/Los_Angeles", "America/Denver", "America/Chicago", "America/New_York",
        "America/Sao_Paulo", "Atlantic/Azores", "Europe/London", "Europe/Berlin", "Europe/Athens", "Europe/Moscow", "Asia/Dubai",
        "Asia/Karachi", "Asia/Dhaka", "Asia/Bangkok", "Asia/Shanghai", "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland",
    ];

    public static string Open() => Find(h => h is >= 9 and < 19);

    public static string Quiet() => Find(h => h is >= 0 and < 6);

    private static string Find(Func<int, bool> hour) =>
        Candidates.First(z => hour(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, TimeZoneInfo.FindSystemTimeZoneById(z)).Hour));
}
