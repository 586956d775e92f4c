using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hiroi.Shared.HandOffs;
using Hiroi.Shared.SignIn;
using Hiroi.Shared.Storage;
using Hiroi.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hiroi.Tests.SignIn;

/// <summary>
/// The self-host's sign-in app with what its hand-off drains log captured, and short delivery settings: a message is
/// hidden 2 s per delivery and poisoned after 2 failed ones.
/// </summary>
public sealed class HandOffApp : SimulatedAcsApp
{
    public LogSink Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Hiroi:HandOffs:VisibilitySeconds", "2");
        builder.UseSetting("Hiroi:HandOffs:MaxDequeueCount", "2");
        builder.UseSetting("Hiroi:HandOffs:PollMilliseconds", "200");
        builder.UseSetting("Logging:LogLevel:Hiroi.Shared", "Information");
        builder.ConfigureTestServices(services => services.AddSingleton<ILoggerProvider>(Logs));
    }

    /// <summary>Every log line, formatted, of every category at Information and above.</summary>
    public sealed class LogSink : ILoggerProvider
    {
        private readonly ConcurrentQueue<(LogLevel Level, string Message)> _lines = new();

        public IReadOnlyList<(LogLevel Level, string Message)> Lines => [.. _lines];

        public ILogger CreateLogger(string categoryName) => new Capturing(this);

        public void Dispose()
        {
        }

        private sealed class Capturing(LogSink owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner._lines.Enqueue((logLevel, formatter(state, exception)));
        }
    }
}

/// <summary>
/// Work a sign-in request hands off (the mail, the wrong-code audit entry) sits in a durable queue before the request
/// answers, and acts once however often it is delivered: none dropped in a flood, none doubled, a message that keeps
/// failing set aside in the poison queue.
/// </summary>
public sealed class HandOffTests(HandOffApp app) : IClassFixture<HandOffApp>
{
    private async Task<ConsolePerson> MemberAsync()
    {
        var org = await app.CreateOrgAsync(Unique.Name("Org"), Unique.Email("owner"));
        using var owner = app.ClientWithKey(org.OwnerApiKey);
        var email = Unique.Email("person");
        Assert.Equal(HttpStatusCode.Created, (await owner.PostAsJsonAsync("/api/members", new { email, role = "member" })).StatusCode);
        var person = new ConsolePerson(app, email);
        await person.NextMailAsync(0); // the invitation
        return person;
    }

    private int AuditLines(string accountId) =>
        app.Logs.Lines.Count(l =>
            l.Message.Contains($"Account event {Hiroi.Shared.Audit.AuditActions.SignInFailed} ({ConsoleSignIn.ByCode}) for {accountId}", StringComparison.Ordinal));

    [Fact]
    public async Task Every_refused_code_of_a_concurrent_flood_is_audited_exactly_once()
    {
        using var person = await MemberAsync();
        var accountId = AccountIds.For(person.Email);
        Assert.Equal(HttpStatusCode.Accepted, (await person.PostAsync("/auth/code", new { email = person.Email })).StatusCode);
        var code = ConsolePerson.Code(await person.NextMailAsync(1));
        var wrong = code == "000000" ? "000001" : "000000";

        var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => person.PostAsync("/auth/code/complete", new { email = person.Email, code = wrong })));
        var refused = answers.Count(a => a.StatusCode == HttpStatusCode.Unauthorized);
        Assert.All(answers, a => Assert.Contains(a.StatusCode, new[] { HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests }));
        Assert.True(refused > 0);

        // Every refused guess was queued before its answer; once the queue is drained, each is recorded once.
        await HandOffQueuesProbe.DrainedAsync(app.Services, AccountAuditInbox.QueueName);
        Assert.Equal(refused, AuditLines(accountId));
    }

    [Fact]
    public async Task A_mail_message_delivered_twice_sends_one_mail_and_issues_one_link()
    {
        using var person = await MemberAsync();
        var processor = app.Services.GetRequiredService<HandOffProcessor>();
        var sender = app.Services.GetRequiredService<IHandOffHandler<SignInMailRequest>>();
        var message = HandOffProcessor.Format(new HandOff<SignInMailRequest>(Guid.NewGuid(), DateTimeOffset.UtcNow, new SignInMailRequest(person.Email, SignInMailKind.Link)));

        // Two deliveries at once (a visibility timeout that ran out), then a third (a delete that failed).
        var first = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => processor.ProcessAsync(SignInMailbox.QueueName, message, sender, default)));
        Assert.Contains(HandOffResult.Done, first);
        Assert.Equal(HandOffResult.Done, await processor.ProcessAsync(SignInMailbox.QueueName, message, sender, default));

        Assert.Single((await person.MailsAsync()).Skip(1));
        var tokens = await app.Services.GetRequiredService<HiroiTables>().GetAsync(TableNames.SignInTokens);
        var accountId = AccountIds.For(person.Email);
        Assert.Equal(2, (await tokens.QueryAsync<SignInTokenEntity>(r => r.AccountId == accountId).ToListAsync()).Count); // the invitation's link and this one
    }

    [Fact]
    public async Task An_audit_message_delivered_twice_is_recorded_once()
    {
        var accountId = AccountIds.For(Unique.Email("audited"));
        var processor = app.Services.GetRequiredService<HandOffProcessor>();
        var writer = app.Services.GetRequiredService<IHandOffHandler<AccountAuditEntry>>();
        var message = HandOffProcessor.Format(new HandOff<AccountAuditEntry>(
                Guid.NewGuid(), DateTimeOffset.UtcNow, new AccountAuditEntry(accountId, Hiroi.Shared.Audit.AuditActions.SignInFailed, ConsoleSignIn.ByCode)));

        await processor.ProcessAsync(AccountAuditInbox.QueueName, message, writer, default);
        await processor.ProcessAsync(AccountAuditInbox.QueueName, message, writer, default);

        Assert.Equal(1, AuditLines(accountId));
    }

    [Fact]
    public async Task A_message_that_keeps_failing_goes_to_the_poison_queue_and_is_logged_without_what_it_holds()
    {
        var address = Unique.Email("poisoned");
        var queues = app.Services.GetRequiredService<HandOffQueues>();
        var mailQueue = await queues.GetAsync(SignInMailbox.QueueName);
        // Not a sign-in mail request: no kind the sender knows.
        var text = "{\"id\":\"" + Guid.NewGuid() + "\",\"at\":\"2026-12-01T00:00:00Z\",\"item\":{\"normalizedEmail\":\"" + address + "\",\"kind\":\"Postcard\"}}";
        var sent = (await mailQueue.SendMessageAsync(text)).Value;

        var poison = await queues.GetAsync(SignInMailbox.QueueName + HandOffQueues.PoisonSuffix);
        var moved = await Waits.UntilAsync(
            async () => (await poison.PeekMessagesAsync(32)).Value.FirstOrDefault(m => m.MessageText == text), "the message in the poison queue");
        Assert.NotNull(moved);
        Assert.DoesNotContain((await mailQueue.PeekMessagesAsync(32)).Value, m => m.MessageId == sent.MessageId);
        // Logged right after the move: wait for it rather than race it.
        await Waits.UntilAsync(() => Task.FromResult(app.Logs.Lines.Any(l => l.Level == LogLevel.Error && l.Message.Contains(sent.MessageId, StringComparison.Ordinal))),
            "the poison move's log line");
        Assert.DoesNotContain(app.Logs.Lines, l => l.Message.Contains(address, StringComparison.Ordinal));
    }
}
