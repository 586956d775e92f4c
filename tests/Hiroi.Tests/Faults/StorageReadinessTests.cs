using System.Net;
using Hiroi.Tests.Infrastructure;

namespace Hiroi.Tests.Faults;

/// <summary>
/// Storage hangs (Azurite frozen: connections open, nothing answers) under a running self-host: the process still says
/// it is alive, says it is not ready within a few seconds, and is ready again once storage answers.
/// </summary>
[Lane(Lanes.Fault)]
public sealed class StorageReadinessTests
{
    [Fact]
    public async Task A_frozen_storage_makes_the_host_unready_but_alive_and_it_recovers_by_itself()
    {
        using var azurite = new OwnAzurite();
        await azurite.StartAsync();
        using var host = new SelfHostProcess(new Dictionary<string, string> { ["AzureWebJobsStorage"] = azurite.ConnectionString });
        await host.StartAsync();
        using var http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = Waits.Ceiling };
        await Waits.UntilAsync(async () => (await http.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK, "the host to be ready");

        azurite.Freeze();
        try
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/readyz")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
        }
        finally
        {
            azurite.Thaw();
        }

        await Waits.UntilAsync(async () => (await http.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK, "the host to be ready again once storage answers");
    }
}
