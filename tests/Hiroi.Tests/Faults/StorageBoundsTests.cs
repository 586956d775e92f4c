using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Azure.Data.Tables;
using Hiroi.Shared.Storage;
using Hiroi.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace Hiroi.Tests.Faults;

/// <summary>The storage clients <see cref="StorageAccount"/> makes give up on a hung account within their bound, with a fault the host answers 503.</summary>
public sealed class StorageBoundsTests
{
    [Fact]
    public async Task A_storage_account_that_takes_connections_and_never_answers_fails_within_the_bound_as_a_transient_fault()
    {
        // The kernel accepts connections into the listener's backlog; nothing reads or answers them: a hung (frozen) account.
        using var hung = new TcpListener(IPAddress.Loopback, 0);
        hung.Start();
        var port = ((IPEndPoint)hung.LocalEndpoint).Port;
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [StorageAccount.SettingName] = AzuriteProcess.ConnectionStringFor(port, port, port) }).Build();
        var account = StorageAccount.FromConfiguration(configuration, new StorageOptions { NetworkTimeoutSeconds = 1, MaxRetries = 2, RetryDelayMilliseconds = 10 });
        var table = account.CreateTableServiceClient().GetTableClient("hung");

        var started = Stopwatch.GetTimestamp();
        var fault = await Assert.ThrowsAnyAsync<Exception>(() => table.GetEntityIfExistsAsync<TableEntity>("p", "r"));
        var took = Stopwatch.GetElapsedTime(started);

        Assert.True(took < TimeSpan.FromSeconds(6), $"3 tries of 1 s took {took.TotalSeconds:0.0} s"); // the SDK's defaults: 4 tries of 100 s
        Assert.True(TransientFaults.IsTransient(fault), fault.ToString());
    }
}
