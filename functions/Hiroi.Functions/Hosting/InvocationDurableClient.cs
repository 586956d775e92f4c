using Hiroi.Durable.Workflows;
using Microsoft.DurableTask.Client;

namespace Hiroi.Functions.Hosting;

/// <summary>
/// The Durable Task client the Functions host bound to this invocation (<c>[DurableClient]</c>): there is no client in
/// the container, so each adapter that may start or wake a workflow binds its own for the duration of the call.
/// </summary>
public sealed class InvocationDurableClient : IDurableClientSource
{
    private static readonly AsyncLocal<DurableTaskClient?> Bound = new();

    public DurableTaskClient Client =>
        Bound.Value ?? throw new InvalidOperationException("No Durable Task client is bound to this invocation: give its function a [DurableClient] parameter.");

    /// <summary>Makes <paramref name="client"/> the client of the calls made until the result is disposed.</summary>
    public static IDisposable Bind(DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        var previous = Bound.Value;
        Bound.Value = client;
        return new Restore(previous);
    }

    private sealed class Restore(DurableTaskClient? previous) : IDisposable
    {
        public void Dispose() => Bound.Value = previous;
    }
}
