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
/// endpoint's socket by a small host of its own, so it runs the same under Kestrel and under a test server. The app
/// starts with it; if storage cannot be reached then, it keeps trying in the background, so the app itself still starts
/// (and /readyz says it is not ready).
/// </summary>
public sealed class DurableSidecar(
    IOrchestrationService service, IOrchestrationServiceClient client, DurableSidecarEndpoint endpoint, ILoggerFactory loggers, ILogger<DurableSidecar> logger)
    : IHostedService, IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _starting = Task.CompletedTask;
    private WebApplication? _host;
    private volatile bool _disposed;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!await TryStartAsync(cancellationToken).ConfigureAwait(false))
        {
            _starting = StartWhenReachableAsync(_stopping.Token);
        }
    }

    private async Task StartWhenReachableAsync(CancellationToken stopping)
    {
        do
        {
            await Task.Delay(TimeSpan.FromSeconds(5), stopping).ConfigureAwait(false);
        }
        while (!await TryStartAsync(stopping).ConfigureAwait(false));
    }

    private async Task<bool> TryStartAsync(CancellationToken cancellationToken)
    {
        try
        {
            // The task hub's tables, queues and containers, before the dispatchers start polling them.
            await service.CreateIfNotExistsAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            var app = Build();
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            _host = app;
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "The workflow engine could not start; trying again in 5 s");
            return false;
        }
    }

    private WebApplication Build()
    {
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
        return app;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_disposed)
        {
            return; // a host torn down while it was still starting may stop its services after disposing them
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _starting.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped while it was still trying to start.
        }

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
        _disposed = true;
        _stopping.Dispose();
    }
}
