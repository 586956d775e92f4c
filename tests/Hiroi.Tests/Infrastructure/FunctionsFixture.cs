using Hiroi.Shared.Acs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Moq;

namespace Hiroi.Tests.Infrastructure;

/// <summary>One <see cref="FunctionsApp"/> per test class, with ACS mocked at its edge and a webhook secret.</summary>
public sealed class FunctionsFixture : IAsyncLifetime
{
    public const string WebhookSecret = "functions-webhook-secret";
    private int _messages;

    public FunctionsApp App { get; private set; } = null!;

    public Mock<IAcsClient> Acs { get; } = new();

    public async Task InitializeAsync()
    {
        Acs.Setup(a => a.SendSmsAsync(It.IsAny<SmsRequest>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(() => new SmsSendResult("Outgoing_" + Interlocked.Increment(ref _messages), true, 202, null));
        App = await FunctionsApp.StartAsync(
            new Dictionary<string, string>
            {
                ["Hiroi:EventGrid:WebhookSecret"] = WebhookSecret,
                // Due from midnight, so the timer's sweep is due whenever the test runs.
                ["Hiroi:RetentionSweep:Schedule"] = "0 0 0 * * *",
                // No delivery reports arrive here: an attempt settles when its outcome times out, looked at every second.
                ["Hiroi:Campaigns:AwaitingCheckSeconds"] = "1",
            },
            services => services.Replace(ServiceDescriptor.Singleton(Acs.Object)));
    }

    public async Task DisposeAsync() => await App.DisposeAsync();
}
