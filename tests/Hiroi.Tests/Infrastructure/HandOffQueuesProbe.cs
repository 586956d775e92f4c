using Hiroi.Shared.HandOffs;
using Microsoft.Extensions.DependencyInjection;

namespace Hiroi.Tests.Infrastructure;

/// <summary>Reads a host's hand-off queues from the outside: how many messages wait (hidden ones included), and in the poison queue.</summary>
public static class HandOffQueuesProbe
{
    public static async Task<int> CountAsync(IServiceProvider services, string logicalName)
    {
        var queue = await services.GetRequiredService<HandOffQueues>().GetAsync(logicalName);
        return (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount;
    }

    /// <summary>Waits until every message queued on <paramref name="logicalName"/> was handled and deleted.</summary>
    public static Task DrainedAsync(IServiceProvider services, string logicalName) =>
        Waits.UntilAsync(async () => await CountAsync(services, logicalName) == 0, $"the {logicalName} hand-off queue to be drained");
}
