using System.Net.Sockets;
using DurableTask.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;

namespace Hiroi.Server.Workflows;

/// <summary>
/// Where the Durable Task worker and client reach the engine: a Unix domain socket of this process (nothing listens on
/// the network, and two hosts on one machine cannot collide), and the gRPC channel to it.
/// </summary>
public sealed class DurableSidecarEndpoint : IDisposable
{
    public DurableSidecarEndpoint()
    {
        SocketPath = Path.Combine(Path.GetTempPath(), $"hiroi-durable-{Guid.NewGuid():N}.sock");
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        Channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
    }

    public string SocketPath { get; }

    public GrpcChannel Channel { get; }

    public void Dispose()
    {
        Channel.Dispose();
        File.Delete(SocketPath);
    }
}

/// <summary>
/// The Durable Task engine of the self-host: Microsoft's gRPC sidecar (<see cref="TaskHubGrpcServer"/>) over the
/// registered orchestration service (DurableTask.AzureStorage; the tests swap in the in-memory one), served on the
/// endpoint's socket by a small host of its own, so it runs the same under Kestrel and under a test server.
/// </summary>
public sealed class DurableSidecar(
    IOrchestrationService service, IOrchestrationServiceClient client, DurableSidecarEndpoint endpoint, ILoggerFactory loggers) : IHostedService, IAsyncDisposable
{
    private WebApplication? _host;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // The task hub's tables, queues and containers, before the dispatchers start polling them.
        await service.CreateIfNotExistsAsync().ConfigureAwait(false);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggers);
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(service);
        builder.Services.AddSingleton(client);
        builder.Services.AddSingleton<TaskHubGrpcServer>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenUnixSocket(endpoint.SocketPath, listen => listen.Protocols = HttpProtocols.Http2));
        var app = builder.Build();
        app.MapGrpcService<TaskHubGrpcServer>();
        _host = app;
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_host is not null)
        {
            await _host.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync().ConfigureAwait(false);
        }

        _host = null;
    }
}
