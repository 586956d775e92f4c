using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Hiroi.Shared.HandOffs;
using Hiroi.Shared.SignIn;
using Hiroi.Shared.Storage;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.SignIn;

/// <summary>A sign-in mail asked for survives the process ending between the answer and the send, and is sent once.</summary>
[Lane(Lanes.Slow)]
public sealed class HandOffCrashTests
{
    [Fact]
    public async Task A_sign_in_mail_asked_for_just_before_a_crash_is_sent_once_after_the_restart()
    {
        // The drain is off until the restart: the crash falls after the answer and before any mail, every time.
        using var host = new SelfHostProcess(new Dictionary<string, string> { ["Hiroi__HandOffs__Drain"] = "false" });
        var created = JsonDocument.Parse(await host.CliAsync("org", "create", "Handed", "--owner", Unique.Email("owner"), "--json")).RootElement;
        await host.StartAsync();
        var email = Unique.Email("crashed");
        using (var admin = new HttpClient { BaseAddress = host.BaseAddress, Timeout = Waits.Ceiling })
        {
            admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.GetProperty("apiKey").GetString());
            Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/members", new { email, role = "member" })).StatusCode);
        }

        using var browser = new HttpClient { BaseAddress = host.BaseAddress, Timeout = Waits.Ceiling };
        browser.DefaultRequestHeaders.Add("Origin", $"http://localhost:{host.Port}");
        Assert.Equal(HttpStatusCode.Accepted, (await browser.PostAsJsonAsync("/auth/link", new { email })).StatusCode);
        var queue = new QueueClient(TestStorage.ConnectionString, host.Prefix + SignInMailbox.QueueName, HandOffQueues.ClientOptions);
        Assert.Equal(2, (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount); // the invitation and the link, durable before the answers

        host.Kill();
        host.Set("Hiroi__HandOffs__Drain", "true");
        await host.StartAsync();

        await Waits.UntilAsync(async () => (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0, "the sign-in mail queue to be drained");
        var mails = (await browser.GetFromJsonAsync<JsonElement>("/simulate/sent-email")).EnumerateArray()
            .Where(m => m.GetProperty("to").GetString() == email).Select(m => m.GetProperty("subject").GetString()).Order().ToList();
        Assert.Equal(["You are invited to Hiroi", "Your Hiroi sign-in link"], mails);

        var tokens = new TableClient(TestStorage.ConnectionString, host.Prefix + TableNames.SignInTokens);
        var accountId = AccountIds.For(email);
        Assert.Equal(2, (await tokens.QueryAsync<SignInTokenEntity>(r => r.AccountId == accountId).ToListAsync()).Count); // one link per mail, none issued twice
    }
}
