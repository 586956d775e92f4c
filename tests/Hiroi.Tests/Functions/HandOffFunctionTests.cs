using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Azure.Storage.Queues;
using Hiroi.Functions.HandOffs;
using Hiroi.Shared.Acs;
using Hiroi.Shared.HandOffs;
using Hiroi.Shared.SignIn;
using Hiroi.Tests.Infrastructure;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Moq;

namespace Hiroi.Tests.Functions;

/// <summary>
/// The Functions app reads the hand-off queues with queue triggers: the messages the core queues are in the form the
/// trigger reads (base64 text on the prefixed queue), and a message the host delivers twice acts once.
/// </summary>
public sealed class HandOffFunctionTests : IAsyncLifetime
{
    private readonly Mock<IAcsClient> _acs = new();
    private FunctionsApp _app = null!;

    public async Task InitializeAsync()
    {
        _acs.Setup(a => a.SendEmailAsync(It.IsAny<EmailRequest>(), It.IsAny<CancellationToken>())).ReturnsAsync("operation");
        _app = await FunctionsApp.StartAsync(
            new Dictionary<string, string> { ["Hiroi:SignIn:SenderAddress"] = "DoNotReply@hiroi.test", ["Hiroi:SignIn:PublicBaseUrl"] = "https://console.hiroi.test" },
            services => services.Replace(ServiceDescriptor.Singleton(_acs.Object)));
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task An_invitation_queued_by_the_app_is_sent_once_by_its_queue_trigger_however_often_the_host_delivers_it()
    {
        var org = await _app.CreateOrgAsync(owner: Unique.Email("owner"));
        using var owner = _app.ClientWithKey(org.OwnerApiKey);
        var email = Unique.Email("invited");
        Assert.Equal(HttpStatusCode.Created, (await owner.PostAsJsonAsync("/api/members", new { email, role = "member" })).StatusCode);

        // As the trigger reads it: the queue's raw message is base64 of the hand-off's JSON, on the prefixed queue.
        var raw = new QueueClient(TestStorage.ConnectionString, _app.Prefix + SignInMailbox.QueueName);
        var stored = Assert.Single((await raw.PeekMessagesAsync(32)).Value);
        var text = Encoding.UTF8.GetString(Convert.FromBase64String(stored.MessageText));
        var handOff = HandOffProcessor.Parse<SignInMailRequest>(text)!;
        Assert.Equal(SignInMailKind.Invitation, handOff.Item.Kind);

        await _app.InvokeAsync("SendSignInMail", text, CancellationToken.None);
        await _app.InvokeAsync("SendSignInMail", text, CancellationToken.None);

        _acs.Verify(a => a.SendEmailAsync(It.Is<EmailRequest>(m => m.To == email && m.RepeatabilityId == handOff.Id), It.IsAny<CancellationToken>()), Times.Once);
        _acs.Verify(a => a.SendEmailAsync(It.Is<EmailRequest>(m => m.To == email), It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task An_audit_message_is_written_by_its_queue_trigger_and_a_malformed_one_throws_so_the_host_retries_then_poisons_it()
    {
        var audit = HandOffProcessor.Format(new HandOff<AccountAuditEntry>(Guid.NewGuid(), DateTimeOffset.UtcNow, new AccountAuditEntry("acc_x", "signin.failed", "code")));
        await _app.InvokeAsync("WriteAccountAudit", audit, CancellationToken.None);
        await Assert.ThrowsAsync<FormatException>(() => _app.InvokeAsync("WriteAccountAudit", "{\"id\":\"not a guid\"}", CancellationToken.None));
    }

    [Theory]
    [InlineData("SendSignInMail", SignInMailbox.QueueName)]
    [InlineData("WriteAccountAudit", AccountAuditInbox.QueueName)]
    public void Each_queue_trigger_reads_the_prefixed_queue_of_the_storage_account(string function, string queue)
    {
        var entry = FunctionsApp.Functions.Single(f => f.Name == function);
        Assert.Equal("queueTrigger", entry.Trigger);
        var trigger = entry.Method.GetParameters().Select(p => p.GetCustomAttribute<QueueTriggerAttribute>()).OfType<QueueTriggerAttribute>().Single();
        Assert.Equal("%Hiroi:Storage:Prefix%" + queue, trigger.QueueName);
        Assert.Equal("AzureWebJobsStorage", trigger.Connection);
        Assert.Equal(typeof(HandOffFunctions), entry.Method.DeclaringType);
    }

    [Fact]
    public void The_hosts_give_up_on_a_message_after_the_same_number_of_deliveries()
    {
        using var hostJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestStorage.RepoRoot(), "host.json")));
        var queues = hostJson.RootElement.GetProperty("extensions").GetProperty("queues");
        Assert.Equal(new HandOffOptions().MaxDequeueCount, queues.GetProperty("maxDequeueCount").GetInt32());
        Assert.Equal(TimeSpan.FromSeconds(new HandOffOptions().VisibilitySeconds), TimeSpan.Parse(queues.GetProperty("visibilityTimeout").GetString()!,
            System.Globalization.CultureInfo.InvariantCulture));
    }
}
