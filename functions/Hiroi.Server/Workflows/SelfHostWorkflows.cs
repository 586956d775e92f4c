using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using DurableTask.AzureStorage;
using DurableTask.Core;
using Hiroi.Durable.Workflows;
using Hiroi.Shared;
using Hiroi.Shared.Configuration;
using Hiroi.Shared.Storage;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.Options;

namespace Hiroi.Server.Workflows;

public static class SelfHostWorkflows
{
    /// <summary>
    /// What runs by itself in the self-host: the Durable Task engine (DurableTask.AzureStorage on the app's storage
    /// account, behind the gRPC sidecar) with a worker for every orchestrator and activity and a client the campaign
    /// commands use, and the retention timer that starts the daily sweep and pending org purges.
    /// </summary>
    public static IServiceCollection AddSelfHostWorkflows(this IServiceCollection services)
    {
        services.AddSection<DurableEngineOptions>(DurableEngineOptions.Section);
        services.AddSingleton(CreateAzureStorageService);
        services.AddSingleton<IOrchestrationService>(sp =>
            ActivatorUtilities.CreateInstance<ActivityReleasingOrchestrationService>(sp, (IOrchestrationService)sp.GetRequiredService<AzureStorageOrchestrationService>()));
        services.AddSingleton<IOrchestrationServiceClient>(sp => sp.GetRequiredService<AzureStorageOrchestrationService>());
        services.AddSingleton<DurableSidecarEndpoint>();
        // Registered before the worker, so the engine listens before the worker connects.
        services.AddHostedService<DurableSidecar>();
        services.AddDurableTaskWorker(worker =>
        {
            worker.UseGrpc();
            worker.AddTasks(tasks => tasks.AddHiroiWorkflows());
        });
        services.AddDurableTaskClient(client => client.UseGrpc());
        services.AddOptions<Microsoft.DurableTask.Worker.Grpc.GrpcDurableTaskWorkerOptions>(Options.DefaultName)
            .Configure<DurableSidecarEndpoint>((o, endpoint) => o.Channel = endpoint.Channel);
        services.AddOptions<Microsoft.DurableTask.Client.Grpc.GrpcDurableTaskClientOptions>(Options.DefaultName)
            .Configure<DurableSidecarEndpoint>((o, endpoint) => o.Channel = endpoint.Channel);

        services.AddSingleton<IDurableClientSource, ProcessDurableClient>();
        services.AddHostedService<RetentionTimer>();
        // The engine and worker stop within this on TERM (about 40 s with the defaults).
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        return services;
    }

    private static AzureStorageOrchestrationService CreateAzureStorageService(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<DurableEngineOptions>>().Value;
        var storage = services.GetRequiredService<StorageAccount>();
        var settings = new AzureStorageOrchestrationServiceSettings
        {
            TaskHubName = string.IsNullOrEmpty(options.TaskHub) ? services.GetRequiredService<IOptions<StorageOptions>>().Value.Prefix + TableNames.WorkflowHub : options.TaskHub,
            // The engine's clients have the app's bounded retries too: a hung account fails its polls fast, and they retry.
            StorageAccountClientProvider = storage.Create(
                connectionString => new StorageAccountClientProvider(
                    StorageServiceClientProvider.ForBlob(connectionString, storage.Configured(new BlobClientOptions())),
                    StorageServiceClientProvider.ForQueue(connectionString, storage.Configured(new QueueClientOptions())),
                    StorageServiceClientProvider.ForTable(connectionString, storage.Configured(new TableClientOptions()))),
                (blob, queue, table, credential) => new StorageAccountClientProvider(
                    StorageServiceClientProvider.ForBlob(blob, credential, storage.Configured(new BlobClientOptions())),
                    StorageServiceClientProvider.ForQueue(queue, credential, storage.Configured(new QueueClientOptions())),
                    StorageServiceClientProvider.ForTable(table, credential, storage.Configured(new TableClientOptions())))),
            // One partition: a single control queue keeps latency low on Azurite and a small deployment.
            PartitionCount = 1,
            // The app lease keeps two deployed versions from sharing a task hub; a restarted instance would wait out its
            // dead predecessor's lease first. One version runs per task hub here, so instances take over at once.
            UseAppLease = false,
            ControlQueueVisibilityTimeout = TimeSpan.FromSeconds(options.QueueVisibilitySeconds),
            WorkItemQueueVisibilityTimeout = TimeSpan.FromSeconds(options.QueueVisibilitySeconds),
            MaxQueuePollingInterval = TimeSpan.FromMilliseconds(options.MaxPollMilliseconds),
            MaxConcurrentTaskActivityWorkItems = options.MaxConcurrentActivities,
            CustomMessageTypeBinder = new AssemblyQualifiedTypeBinder(),
            LoggerFactory = services.GetRequiredService<ILoggerFactory>(),
        };
        return new AzureStorageOrchestrationService(settings);
    }
}

/// <summary>The self-host's one Durable Task client.</summary>
public sealed class ProcessDurableClient(DurableTaskClient client) : IDurableClientSource
{
    public DurableTaskClient Client => client;
}
