using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Faults;

/// <summary>
/// A self-host over an Azurite of its own, with an org, its owner's API key and one number of ours: what the storage outage
/// tests freeze or stop under it, and the Event Grid deliveries they send (SMS from one customer, as ACS would post them).
/// </summary>
public sealed class StorageOutageHost : IDisposable
{
    private const string WebhookSecret = "fault-test-secret"; // SelfHostProcess's

    private StorageOutageHost(OwnAzurite azurite, SelfHostProcess host, HttpClient admin, HttpClient anonymous)
    {
        (Azurite, Host, Admin, Anonymous) = (azurite, host, admin, anonymous);
    }

    public OwnAzurite Azurite { get; }

    public SelfHostProcess Host { get; }

    /// <summary>The org owner's API key: an authenticated caller.</summary>
    public HttpClient Admin { get; }

    public HttpClient Anonymous { get; }

    public string OurNumber { get; } = Unique.PhoneNumber();

    public string Customer { get; } = Unique.PhoneNumber();

    public static async Task<StorageOutageHost> StartAsync()
    {
        var azurite = new OwnAzurite();
        await azurite.StartAsync();
        var host = new SelfHostProcess(new Dictionary<string, string> { ["AzureWebJobsStorage"] = azurite.ConnectionString });
        var created = JsonDocument.Parse(await host.CliAsync("org", "create", "Outage", "--owner", "outage@example.com", "--json")).RootElement;
        await host.StartAsync();
        var admin = new HttpClient { BaseAddress = host.BaseAddress, Timeout = Waits.Ceiling };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.GetProperty("apiKey").GetString());
        var outage = new StorageOutageHost(azurite, host, admin, new HttpClient { BaseAddress = host.BaseAddress, Timeout = Waits.Ceiling });
        (await admin.PostAsJsonAsync("/api/numbers", new { number = outage.OurNumber })).EnsureSuccessStatusCode();
        await outage.WaitUntilReadyAsync();
        return outage;
    }

    public Task WaitUntilReadyAsync() =>
        Waits.UntilAsync(async () => (await Anonymous.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK, "the host to be ready");

    /// <summary>Event i of this host's stream: its id and text say which it is.</summary>
    public string Event(int i) => AcsEvents.Batch(AcsEvents.SmsReceived(Customer, OurNumber, Text(i), id: $"Incoming_{Host.Prefix}_{i}"));

    public string Text(int i) => $"message {i} of {Host.Prefix}";

    /// <summary>Delivers event i once, as Event Grid would; the answer and how long it took.</summary>
    public async Task<Delivery> DeliverAsync(int i)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/eventgrid/acs") { Content = new StringContent(Event(i), Encoding.UTF8, "application/json") };
        request.Headers.Add("x-hiroi-webhook-secret", WebhookSecret);
        var started = Stopwatch.GetTimestamp();
        using var response = await Anonymous.SendAsync(request);
        return new Delivery(i, response.StatusCode, response.Content.Headers.ContentType?.MediaType, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Redelivers event i until it is accepted, as Event Grid retries a delivery answered 503.</summary>
    public Task<Delivery> RedeliverUntilAcceptedAsync(int i) =>
        Waits.UntilAsync(() => DeliverAsync(i), d => d.Status == HttpStatusCode.OK, $"event {i} to be accepted");

    /// <summary>The texts of the customer's conversation, read back through the console API.</summary>
    public async Task<List<string>> StoredTextsAsync()
    {
        var conversation = JsonDocument.Parse(await Admin.GetStringAsync("/api/conversations")).RootElement.EnumerateArray()
            .Single(c => c.GetProperty("customerNumber").GetString() == Customer).GetProperty("id").GetString();
        return [.. JsonDocument.Parse(await Admin.GetStringAsync($"/api/conversations/{conversation}/messages")).RootElement.EnumerateArray()
            .Select(m => m.GetProperty("text").GetString()!)];
    }

    public void Dispose()
    {
        Admin.Dispose();
        Anonymous.Dispose();
        Host.Dispose();
        Azurite.Dispose();
    }
}

public sealed record Delivery(int Event, HttpStatusCode Status, string? ContentType, TimeSpan Took);
